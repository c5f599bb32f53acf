"""Counter QR codes: the signed token a code carries, the code as PNG/SVG, and a printable poster.

Pure: no Flask, no database. The token only names a counter-QR row by id; revoking a code is the
caller's job (mark the row revoked and refuse it after read_token).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.image.svg import SvgPathImage

# WeChat's getwxacodeunlimit takes at most 32 characters of `scene`; base64url's alphabet
# (A-Z a-z 0-9 - _) is inside both the scene alphabet and what a URL path carries unescaped.
MAX_TOKEN_LENGTH = 32
MAC_BYTES = 12  # 96 bits: forging one costs 2**96 tries against a rate-limited endpoint
MAX_ID = 2**63 - 1
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,%d}$" % MAX_TOKEN_LENGTH)
_KEY_CONTEXT = b"institutions.counter-qr.v1"

DEFAULT_INSTRUCTION = "请用微信扫码，办理跨省异地就医备案"
POSTER_SIZE = (1240, 1754)  # A4 at 150 dpi: sharp enough for big QR modules, small to send
POSTER_DPI = 150
# Fixed mask: skips scoring all eight masks, about three times faster, and any decoder reads any mask.
_MASK_PATTERN = 0


class BadToken(Exception):
    """The token is malformed, forged or altered."""

    code = "qr.bad_token"
    message = "二维码无效，请向窗口工作人员索取新的二维码"


def _key(secret: str) -> bytes:
    if not secret:
        raise ValueError("a secret is required to sign counter QR tokens")
    # A key of its own, so a MAC made here means nothing to other users of the same secret.
    return hmac.new(secret.encode(), _KEY_CONTEXT, hashlib.sha256).digest()


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(raw: bytes) -> tuple[int, int]:
    n = shift = 0
    for i, byte in enumerate(raw[:10]):
        n |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return n, i + 1
    raise BadToken("unterminated id")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _mac(secret: str, body: bytes) -> bytes:
    return hmac.new(_key(secret), body, hashlib.sha256).digest()[:MAC_BYTES]


def make_token(secret: str, payload_id: int) -> str:
    """A short opaque token for a counter QR row id (at most 28 characters, base64url)."""
    if isinstance(payload_id, bool) or not isinstance(payload_id, int) or not 0 < payload_id <= MAX_ID:
        raise ValueError("payload_id must be a positive 63-bit integer")
    body = _varint(payload_id)
    return _b64(body + _mac(secret, body))


def read_token(secret: str, token: str) -> int:
    """The id inside a token made by make_token with the same secret; raises BadToken otherwise."""
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        raise BadToken("bad characters or length")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise BadToken("not base64url") from None
    n, used = _read_varint(raw)
    body, mac = raw[:used], raw[used:]
    # Re-encoding must give back the very same string: no second spelling of one token.
    if len(mac) != MAC_BYTES or _varint(n) != body or _b64(raw) != token:
        raise BadToken("malformed")
    if not hmac.compare_digest(mac, _mac(secret, body)):
        raise BadToken("signature mismatch")
    if not 0 < n <= MAX_ID:
        raise BadToken("id out of range")
    return n


# --- the code itself ----------------------------------------------------------------------------

def _qr(url: str, box_size: int, border: int = 4) -> qrcode.QRCode:
    # Level M survives a scuffed print or a glare spot, and keeps a 60-character URL at version 4-5.
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size,
                       border=border, mask_pattern=_MASK_PATTERN)
    qr.add_data(url)
    qr.make(fit=True)
    return qr


def _qr_image(url: str, box_size: int, border: int = 4) -> Image.Image:
    return _qr(url, box_size, border).make_image(fill_color="black", back_color="white").get_image()


def qr_png(url: str, box_size: int = 8) -> bytes:
    buf = io.BytesIO()
    _qr_image(url, box_size).save(buf, "PNG", optimize=False)
    return buf.getvalue()


QR_PNG_VERSION = "v1"  # bump when qr_png's output changes: the cache keys and ETags change with it


def qr_png_etag(url: str) -> str:
    """The ETag of qr_png(url): the image depends on the URL (and the renderer) only."""
    return hashlib.sha256(f"qr-png-{QR_PNG_VERSION}\n{url}".encode()).hexdigest()


def qr_png_cached(url: str, storage) -> tuple[bytes, str]:
    """qr_png(url) rendered once and kept in the file storage under qrcache/<etag>.png (the name
    is a hash, so the URL's token is not stored in clear); returns (png, etag)."""
    from server.common.storage import FileMissing, StorageUnavailable

    etag = qr_png_etag(url)
    key = f"qrcache/{etag}.png"
    try:
        return storage.get(key), etag
    except (FileMissing, StorageUnavailable):
        pass  # an unreachable cache only costs the rendering
    data = qr_png(url)
    try:
        storage.put(key, data)
    except StorageUnavailable:
        pass
    return data, etag


def qr_svg(url: str) -> bytes:
    """The code as a scalable SVG path, for printers and design tools."""
    return _qr(url, box_size=10).make_image(image_factory=SvgPathImage).to_string(encoding="utf-8")


# --- the poster ---------------------------------------------------------------------------------

_FONT_DIR = Path(__file__).parent / "fonts"
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """A font with Chinese glyphs: the pinned Noto Sans SC package first, then a shipped or system font."""
    candidates: list[Path] = []
    try:
        import pylopdf_fonts_zh_cn  # Noto Sans SC, SIL OFL 1.1, pinned in requirements.txt

        candidates.append(Path(pylopdf_fonts_zh_cn.sans_path()))
    except ImportError:
        pass
    if _FONT_DIR.is_dir():
        candidates.extend(sorted(p for p in _FONT_DIR.iterdir() if p.suffix.lower() in (".otf", ".ttf", ".ttc")))
    candidates.extend(Path(p) for p in _SYSTEM_FONTS)
    for path in candidates:
        if path.is_file():
            return path
    raise RuntimeError("no CJK font found: install the requirements (pylopdf-fonts-zh-cn)")


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


def _fit_lines(draw: ImageDraw.ImageDraw, text: str, max_width: int, size: int,
               min_size: int, max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """Shrink the font until the text fits on one line, then wrap by character at the smallest size."""
    while size > min_size and draw.textlength(text, font=_font(size)) > max_width:
        size -= 4
    font = _font(max(size, min_size))
    lines, line = [], ""
    for ch in text:
        if line and draw.textlength(line + ch, font=font) > max_width:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return font, lines


def _draw_centered(draw: ImageDraw.ImageDraw, y: int, lines: list[str],
                   font: ImageFont.FreeTypeFont, width: int, fill: str) -> int:
    ascent, descent = font.getmetrics()
    for line in lines:
        x = (width - draw.textlength(line, font=font)) / 2
        draw.text((x, y), line, font=font, fill=fill)
        y += int((ascent + descent) * 1.15)
    return y


def poster_png(url: str, hospital_name: str, counter_name: str | None,
               instruction: str = DEFAULT_INSTRUCTION) -> bytes:
    """A printable A4 poster (1240x1754, 150 dpi): hospital, counter, the code and what to do."""
    width, height = POSTER_SIZE
    margin = 90
    text_width = width - 2 * margin
    poster = Image.new("RGB", POSTER_SIZE, "white")
    draw = ImageDraw.Draw(poster)
    accent = "#1a7f5a"
    draw.rectangle((0, 0, width, 24), fill=accent)
    draw.rectangle((0, height - 24, width, height), fill=accent)

    y = 120
    font, lines = _fit_lines(draw, hospital_name.strip(), text_width, 88, 56, 2)
    y = _draw_centered(draw, y, lines, font, width, "black")
    if counter_name and counter_name.strip():
        y += 10
        font, lines = _fit_lines(draw, counter_name.strip(), text_width, 60, 40, 2)
        y = _draw_centered(draw, y, lines, font, width, "#333333")

    # The code takes what is left above the instruction, in whole pixels per module for crisp edges.
    qr = _qr(url, box_size=1, border=4)
    modules = qr.modules_count + 2 * qr.border
    space = min(text_width - 80, height - y - 420)
    box = max(space // modules, 4)
    code = _qr_image(url, box_size=box).convert("RGB")
    y += 60
    poster.paste(code, ((width - code.width) // 2, y))
    y += code.height + 40

    font, lines = _fit_lines(draw, instruction.strip(), text_width, 56, 36, 3)
    y = _draw_centered(draw, y, lines, font, width, accent)
    small, lines = _fit_lines(draw, "扫码后按提示填写；如有疑问，请咨询窗口工作人员", text_width, 34, 28, 2)
    _draw_centered(draw, max(y + 20, height - 150), lines, small, width, "#555555")

    buf = io.BytesIO()
    poster.save(buf, "PNG", dpi=(POSTER_DPI, POSTER_DPI))
    return buf.getvalue()


def poster_pdf(poster_png_bytes: bytes) -> bytes:
    """The A4 poster as a one-page PDF, for printers that take PDF better than an image."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=0)
    pdf.setTitle("窗口二维码海报")
    width, height = A4
    pdf.drawImage(ImageReader(io.BytesIO(poster_png_bytes)), 0, 0, width=width, height=height)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
