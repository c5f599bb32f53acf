"""Proof uploads: recognise, check and clean a JPEG, PNG or PDF, then store it by content hash.

Pure file handling: no Flask, no database. The HTTP layer turns an UploadError into an ApiError
(`ApiError(err.status, err.code, err.message, field=err.field)`).

Images are decoded once, at most MAX_PIXELS (a 50-megapixel phone photo fits), downscaled to
MAX_SIDE before anything else (JPEGs decode straight at 1/2, 1/4 or 1/8 scale, so memory follows
the stored size, not the photo's), and re-encoded from their pixels, so nothing the camera wrote (GPS
position, device, XMP, comments, thumbnails) leaves this module.

PDFs are parsed and refused when broken, encrypted, scripted or an XFA form, and otherwise rewritten
page by page: only the pages, what they draw and their annotations without actions are stored. The
document's open action, outline, names, attached files, metadata and anything hidden between objects
(a ZIP riding in the same bytes, say) are left behind.
"""
from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

Kind = Literal["jpeg", "png", "pdf"]

MIME = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
EXT = {"jpeg": "jpg", "png": "png", "pdf": "pdf"}

_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PDF_MAGIC = b"%PDF-"

JPEG_QUALITY = 90
# 8160×6120 and 8192×6144 (50-megapixel sensors) fit; decoded RGBA at this size is ~210 MB, the most
# one upload may cost a worker (PNG; a JPEG decodes at reduced scale for a small fraction of that).
MAX_PIXELS = 52_000_000
# The long side of a stored image: a phone photo of a document stays easy to read.
MAX_SIDE = 4096
MAX_PDF_PAGES = 50
# Annotations that play, attach or link: a proof to look at needs none of them.
_DROPPED_ANNOTS = frozenset({"/Link", "/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia",
                             "/3D", "/Popup"})

# Names that make a PDF do something when opened or clicked, or carry other files inside it.
# A proof document is something to look at: none of these has a reason to be there.
_ACTIVE_PDF_NAMES = frozenset({"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles",
                               "/RichMedia", "/ImportData", "/SubmitForm"})
# Raw scan as a second net: it also sees objects outside the cross-reference table, which some
# viewers recover when they rebuild a damaged file. `#xx` escapes are caught by the pypdf walk.
# `/JS` alone is left to the walk: three bytes turn up by chance inside compressed streams.
_ACTIVE_PDF_RAW = re.compile(rb"/(?:JavaScript|Launch|EmbeddedFiles?|RichMedia)(?=[\s/<>\[\]()%{}]|$)")

_KEY_RE = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})\.(jpg|png|pdf)$")


class UploadError(Exception):
    """A refused upload: machine code, Chinese message for the user, HTTP status."""

    def __init__(self, code: str, message: str, status: int, field: str | None = "file"):
        super().__init__(f"{status} {code}")
        self.code = code
        self.message = message
        self.status = status
        self.field = field


def _too_large(max_bytes: int) -> UploadError:
    mb = max_bytes / (1024 * 1024)
    limit = f"{mb:.0f}MB" if mb >= 1 else f"{max_bytes // 1024}KB"
    return UploadError("upload.too_large", f"文件太大了，请上传不超过{limit}的文件", 413)


def _unsupported() -> UploadError:
    return UploadError("upload.unsupported_type", "只能上传照片（JPG、PNG）或PDF文件", 415)


def _corrupt(message: str = "文件已损坏或不完整，请重新拍照或重新选择文件") -> UploadError:
    return UploadError("upload.corrupt", message, 422)


def _megapixels(pixels: int) -> str:
    return f"{pixels / 10_000:g}万像素" if pixels >= 10_000 else f"{pixels}像素"


def _too_many_pixels(max_pixels: int) -> UploadError:
    return UploadError("upload.too_many_pixels",
                       f"图片太大了（最多{_megapixels(max_pixels)}），请缩小后再上传", 422)


@dataclass(frozen=True)
class CleanFile:
    kind: Kind
    mime: str
    data: bytes
    sha256: str
    size: int
    width: int | None = None
    height: int | None = None

    @property
    def ext(self) -> str:
        return EXT[self.kind]


def detect_kind(data: bytes) -> Kind | None:
    """The file's kind from its first bytes; names and declared types are never trusted."""
    if data.startswith(_JPEG_MAGIC):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if data.startswith(_PDF_MAGIC):
        return "pdf"
    return None


def sanitize_upload(data: bytes, *, max_bytes: int, max_pixels: int = MAX_PIXELS) -> CleanFile:
    """Check an uploaded file and return a clean copy, or raise UploadError."""
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data:
        raise _corrupt("文件是空的，请重新选择")
    kind = detect_kind(data)
    if kind is None:
        raise _unsupported()
    if kind == "pdf":
        return _clean_file("pdf", _check_and_rewrite_pdf(data))
    image = _decode_image(data, kind, max_pixels)
    return _clean_file(kind, _encode_image(image, kind), image.width, image.height)


def _clean_file(kind: Kind, data: bytes, width: int | None = None,
                height: int | None = None) -> CleanFile:
    return CleanFile(kind=kind, mime=MIME[kind], data=data, sha256=hashlib.sha256(data).hexdigest(),
                     size=len(data), width=width, height=height)


# --- images -------------------------------------------------------------------------------------

def _decode_image(data: bytes, kind: Kind, max_pixels: int) -> Image.Image:
    """Open, bound, fully decode and upright an image; returns a metadata-free copy of its pixels."""
    try:
        # Pillow raises above twice its MAX_IMAGE_PIXELS; below that our own max_pixels decides.
        im = Image.open(io.BytesIO(data), formats=["JPEG" if kind == "jpeg" else "PNG"])
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise _corrupt() from None
    with im:
        width, height = im.size
        # Checked from the header alone, before any pixel is decoded.
        if width <= 0 or height <= 0:
            raise _corrupt()
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        icc = im.info.get("icc_profile")
        try:
            if kind == "jpeg" and max(width, height) > MAX_SIDE:
                # Decode at the smallest 1/2^n scale whose long side is still over MAX_SIDE / 2
                # (a 50-megapixel photo: 1/2, so a quarter of the pixels are ever in memory).
                scale = 2 * max(width, height) / MAX_SIDE
                im.draft(im.mode, (max(1, int(width / scale)), max(1, int(height / scale))))
            im.load()
        except Image.DecompressionBombError:
            raise _too_many_pixels(max_pixels) from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError):
            # Truncated ("image file is truncated"), broken Huffman/zlib data, bad CRCs.
            raise _corrupt() from None
        small = _downscale(im)
        upright = ImageOps.exif_transpose(small)
        upright = _to_output_mode(upright, kind)
        upright = _to_srgb(upright, icc)
        return _pixels_only(upright)


def _downscale(im: Image.Image) -> Image.Image:
    """The first thing done with the pixels: every later step works on at most MAX_SIDE²."""
    if max(im.size) <= MAX_SIDE:
        return im
    if im.mode in ("1", "P"):  # resampling needs real grey or colour values
        im = im.convert("L" if im.mode == "1" else ("RGBA" if "transparency" in im.info else "RGB"))
    # In place (no second full-size copy); info, and so the EXIF orientation, stays for later.
    im.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return im


def _to_output_mode(im: Image.Image, kind: Kind) -> Image.Image:
    has_alpha = "A" in im.getbands() or "transparency" in im.info
    if kind == "jpeg":
        return im if im.mode in ("RGB", "L", "CMYK") else im.convert("RGB")
    if im.mode in ("RGB", "L", "RGBA", "LA"):
        return im
    return im.convert("RGBA" if has_alpha else "RGB")


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Bake an embedded colour profile into sRGB pixels, since the profile itself is dropped."""
    if im.mode == "CMYK" and not icc:
        return im.convert("RGB")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im.convert("RGB") if im.mode == "CMYK" else im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(im, src, dst, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken or odd profile is not worth refusing the photo: keep the pixels as they are.
        return im.convert("RGB") if im.mode == "CMYK" else im


def _pixels_only(im: Image.Image) -> Image.Image:
    """A new image built from the raw pixels, so no info/EXIF/XMP/text chunk can ride along."""
    return Image.frombytes(im.mode, im.size, im.tobytes())


def _encode_image(im: Image.Image, kind: Kind) -> bytes:
    buf = io.BytesIO()
    if kind == "jpeg":
        im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=False)
    else:
        im.save(buf, "PNG", compress_level=6)
    return buf.getvalue()


# --- PDF ----------------------------------------------------------------------------------------

def _check_and_rewrite_pdf(data: bytes) -> bytes:
    """Refuse a broken, encrypted, scripted or XFA PDF; return the rewritten copy to store."""
    # The spec puts %%EOF in the last 1024 bytes; a cut-off download fails here first.
    if b"%%EOF" not in data[-1024:]:
        raise _corrupt("PDF文件不完整，请重新选择文件")
    if _ACTIVE_PDF_RAW.search(data):
        raise _active_pdf()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UploadError("upload.pdf_encrypted", "PDF文件设置了密码，请上传没有密码的文件", 422)
        pages = len(reader.pages)
        if pages < 1:
            raise _corrupt("PDF文件里没有内容，请重新选择文件")
        if pages > MAX_PDF_PAGES:
            raise UploadError("upload.pdf_too_many_pages",
                              f"PDF文件最多{MAX_PDF_PAGES}页，请只上传需要的页面", 422)
        for page in reader.pages:
            page.mediabox  # noqa: B018  # touching each page makes pypdf resolve the page tree
        if _is_xfa(reader):
            # An XFA form draws its content at open time: the pages alone may show nothing.
            raise UploadError("upload.pdf_xfa", "这是动态表单PDF，请用“打印为PDF”另存一份，或拍照上传", 422)
        if _has_active_content(reader):
            raise _active_pdf()
        return _rewrite(reader)
    except UploadError:
        raise
    except RecursionError:
        raise _corrupt() from None
    except Exception:  # noqa: BLE001  # pypdf raises many kinds on malformed input; all mean broken
        raise _corrupt("PDF文件已损坏，请重新选择文件") from None


def _is_xfa(reader: PdfReader) -> bool:
    form = reader.trailer["/Root"].get("/AcroForm")
    form = form.get_object() if form is not None else None
    return isinstance(form, DictionaryObject) and "/XFA" in form


def _rewrite(reader: PdfReader) -> bytes:
    """A new file holding only the pages: no catalog entries (open action, outline, names, forms'
    scripts), no document metadata, no unreferenced objects, no bytes after the last %%EOF."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for page in reader.pages:
        # Cleaned before the copy: the writer keeps every object it copies, referenced or not.
        _strip_actions(page)
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _strip_actions(page) -> None:
    page.pop(NameObject("/AA"), None)  # page open/close actions
    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") in _DROPPED_ANNOTS:
            continue
        for key in ("/A", "/AA"):  # what a click or focus would do: URI, GoToR, Launch, ...
            annot.pop(NameObject(key), None)
        kept.append(ref)
    if kept:
        page[NameObject("/Annots")] = kept
    else:
        del page["/Annots"]


def _active_pdf() -> UploadError:
    return UploadError("upload.pdf_active_content", "PDF文件含有脚本或附件，不能上传，请另存为普通PDF或拍照上传", 422)


def _has_active_content(reader: PdfReader) -> bool:
    """Walk every object the cross-reference table knows, including those in object streams."""
    ids: set[tuple[int, int]] = set()
    for gen, table in reader.xref.items():
        ids.update((num, gen) for num in table)
    ids.update((num, 0) for num in reader.xref_objStm)
    roots = [reader.trailer]
    for num, gen in ids:
        try:
            roots.append(reader.get_object(IndirectObject(num, gen, reader)))
        except Exception:  # noqa: BLE001  # an unreadable object cannot run either
            continue
    stack = list(roots)
    seen: set[int] = set()
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject) or id(obj) in seen:
            continue  # indirect targets are visited from the id list above
        seen.add(id(obj))
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                if key in _ACTIVE_PDF_NAMES:
                    return True
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, NameObject) and obj in _ACTIVE_PDF_NAMES:
            return True
    return False


# --- storage ------------------------------------------------------------------------------------
# Where the bytes live is server.common.storage's business (a local folder or an object store):
# here only the key, which names the content, and the refusal of keys this module did not make.

def storage_key(clean: CleanFile) -> str:
    h = clean.sha256
    return f"{h[:2]}/{h[2:4]}/{h}.{clean.ext}"


def store_file(storage, clean: CleanFile) -> str:
    """Store the file under its content hash and return the key; storing twice is a no-op.
    `storage` is a server.common.storage backend; its StorageUnavailable passes through."""
    key = storage_key(clean)
    storage.put(key, clean.data)
    return key


def _not_found() -> UploadError:
    return UploadError("upload.not_found", "没有找到这个文件", 404, field=None)


def check_key(key: str) -> str:
    """Only keys of the exact shape store_file makes are accepted."""
    m = _KEY_RE.fullmatch(key) if isinstance(key, str) else None
    if not m or m.group(3)[:2] != m.group(1) or m.group(3)[2:4] != m.group(2):
        raise _not_found()
    return key


def open_file(storage, key: str) -> bytes:
    from server.common.storage import FileMissing

    try:
        return storage.get(check_key(key))
    except FileMissing:
        raise _not_found() from None
