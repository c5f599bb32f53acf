"""The personal commitment letter (个人承诺书): its text, the drawn signature, and the signed PDF.

Pure: the caller passes everything in and stores what comes out. The text is written for elderly
readers: short sentences, everyday words, one promise per line. The national template was not found
(see the policy research notes); the clauses follow what local versions share.
"""
from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pylopdf_fonts_zh_cn
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont, newTable
from fpdf import FPDF
from PIL import Image

from server.common.timeutil import now_utc, to_cn
from server.filing.uploads import UploadError, sanitize_upload

# Bumped whenever the wording changes, so a stored letter can say which text was signed.
LETTER_TEMPLATE_VERSION = "2026-12-1"

# Noto Sans SC from the pinned font package, embedded as a subset of the glyphs the letter uses:
# the letter looks the same in every viewer, with or without Chinese system fonts, and stays small.
# The package ships CFF outlines; they are cut down to the letter's characters and turned into
# TrueType outlines first, which every PDF tool reads back (Identity-H, with a ToUnicode map).
FONT = "NotoSansSC"
FONT_PATH = pylopdf_fonts_zh_cn.sans_path()
_ALWAYS = {chr(c) for c in range(0x20, 0x7F)} | set("（）：；，。、“”《》—…·　第页")

SIGNATURE_MAX_BYTES = 2 * 1024 * 1024
SIGNATURE_MAX_WIDTH = 2000
SIGNATURE_MAX_HEIGHT = 1000
# A pixel counts as ink when it is darker than this on white, after transparency is flattened.
_INK_LEVEL = 200
_MIN_INK_PIXELS = 30
_MIN_INK_EXTENT = 10
_TRIM_MARGIN = 8


@dataclass
class LetterContext:
    filing_number: str
    person_name: str
    id_masked: str
    insured_region_name: str
    visit_region_name: str
    filing_type_label: str
    proof_labels: list[str] = field(default_factory=list)
    due_date: date | None = None
    signed_at: datetime | None = None
    # The proof is due N days after approval, a day not known when signing: the letter says so
    # in words; the record shows the date once the filing is approved.
    proof_due_days: int | None = None


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(dt: datetime) -> str:
    local = to_cn(dt)
    return f"{cn_date(local.date())} {local:%H:%M}"


def _parts(ctx: LetterContext) -> tuple[str, list[list[str]], list[str]]:
    """Title, body blocks (lines kept together) and closing lines; the text and the PDF share them."""
    proofs = "、".join(ctx.proof_labels) if ctx.proof_labels else "备案所需的证明材料"
    if ctx.proof_due_days is not None:
        due = f"自备案通过之日起{ctx.proof_due_days}日内"
    else:
        due = f"{cn_date(ctx.due_date)}前" if ctx.due_date else "规定的期限内"
    kind = ctx.filing_type_label
    blocks = [
        [f"备案编号：{ctx.filing_number}"],
        [f"本人{ctx.person_name}（证件号码：{ctx.id_masked}），参保地是{ctx.insured_region_name}。"
         f"本人申请办理跨省异地就医备案，就医地是{ctx.visit_region_name}，备案类型是“{kind}”。"],
        ["本人郑重承诺：",
         f"一、本人确实符合“{kind}”的条件，填写的信息都是真实的。",
         f"二、本人现在还不能提供{proofs}，会在{due}补交。到期没有补交的，备案记录上会写明逾期未补交。",
         "三、本人知道：补交材料以前，只能在就医地按异地就医结算；"
         "补齐材料以后，才能在就医地和参保地两边都享受医保待遇。"],
        ["如果本人的承诺不真实，本人愿意承担以下后果：",
         "1. 撤销本次备案；",
         "2. 退回医保基金已经结算支付的医疗费用；",
         "3. 记入个人信用记录；",
         "4. 承担相应的法律责任。"],
        ["以上内容本人已经仔细阅读，完全明白，自愿作出承诺。"],
    ]
    closing = [f"承诺人：{ctx.person_name}"]
    if ctx.signed_at is not None:
        closing.append(f"签署时间：{cn_datetime(ctx.signed_at)}")
    return "个人承诺书", blocks, closing


def letter_text(ctx: LetterContext) -> str:
    """The letter as plain text, shown before signing and kept with the filing."""
    title, blocks, closing = _parts(ctx)
    return "\n\n".join([title, *("\n".join(b) for b in blocks), "\n".join(closing)]) + "\n"


def sanitize_signature(data: bytes) -> bytes:
    """Check the signature the person drew and return it as a clean, trimmed PNG with transparency."""
    clean = sanitize_upload(data, max_bytes=SIGNATURE_MAX_BYTES,
                            max_pixels=SIGNATURE_MAX_WIDTH * SIGNATURE_MAX_HEIGHT)
    if clean.kind not in ("png", "jpeg"):
        raise UploadError("signature.unsupported_type", "签名需要是图片，请重新签名", 415, field="signature")
    if clean.width > SIGNATURE_MAX_WIDTH or clean.height > SIGNATURE_MAX_HEIGHT:
        raise UploadError("signature.too_large", "签名图片太大了，请重新签名", 422, field="signature")
    with Image.open(io.BytesIO(clean.data)) as im:
        im.load()
        rgba = im.convert("RGBA")
    flat = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat.alpha_composite(rgba)
    ink = flat.convert("L").point(lambda v: 255 if v < _INK_LEVEL else 0)
    box = ink.getbbox()
    ink_pixels = ink.histogram()[255]
    if (box is None or ink_pixels < _MIN_INK_PIXELS
            or max(box[2] - box[0], box[3] - box[1]) < _MIN_INK_EXTENT):
        raise UploadError("signature.empty", "没有看到您的签名，请在框内写下您的名字", 422, field="signature")
    left, top, right, bottom = box
    box = (max(left - _TRIM_MARGIN, 0), max(top - _TRIM_MARGIN, 0),
           min(right + _TRIM_MARGIN, rgba.width), min(bottom + _TRIM_MARGIN, rgba.height))
    out = io.BytesIO()
    rgba.crop(box).save(out, "PNG")
    return out.getvalue()


# Layout in millimetres and points (A4).
_MARGIN = 22
_TITLE_PT, _BODY_PT, _FOOTER_PT = 22, 13, 9
_LINE = 7.8          # body line height, mm (about 1.7 x the 13 pt type)
_INDENT = 2 * _BODY_PT * 25.4 / 72   # two characters: list items hang after their number
# Never at the start of a line (GB/T 15834 practice): they stay on the line before, past the margin.
_NO_LINE_START = set("，。、；：？！）》」』”’…—·%,.;:?!)")


def letter_font(chars: set[str]) -> bytes:
    """A TrueType font with just these characters' glyphs, from the CFF-outline Noto Sans SC."""
    font = TTFont(str(FONT_PATH), lazy=True)
    options = Options()
    options.layout_features = []
    options.hinting = False
    options.desubroutinize = True
    options.notdef_outline = True
    subsetter = Subsetter(options)
    subsetter.populate(unicodes={ord(c) for c in chars | _ALWAYS})
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        # Cubic curves to quadratic within 1 unit of 1000; TrueType contours turn the other way.
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"], font["loca"] = glyf, newTable("loca")
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements", "maxPoints",
                 "maxContours", "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


class _LetterPdf(FPDF):
    def __init__(self, footer_left: str, font_path: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_left = footer_left
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN)
        self.add_font(FONT, fname=font_path)

    def footer(self):
        self.set_y(-18)
        self.set_font(FONT, size=_FOOTER_PT)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.footer_left, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"第{self.page_no()}页", align="R")
        self.set_text_color(0, 0, 0)

    def wrap(self, text: str, first_width: float, width: float) -> list[str]:
        """Break by character (Chinese has no spaces), keeping closing punctuation on its line."""
        lines, line, limit = [], "", first_width
        for ch in text:
            if line and ch not in _NO_LINE_START and self.get_string_width(line + ch) > limit:
                lines.append(line)
                line, limit = "", width
            line += ch
        if line:
            lines.append(line)
        return lines

    def paragraph(self, text: str, *, hanging: float = 0.0, align: str = "L") -> None:
        full = self.w - self.l_margin - self.r_margin
        for n, line in enumerate(self.wrap(text, full, full - hanging)):
            self.set_x(self.l_margin + (hanging if n else 0))
            self.cell(full - (hanging if n else 0), _LINE, line, align=align,
                      new_x="LMARGIN", new_y="NEXT")


def render_letter_pdf(ctx: LetterContext, signature_png: bytes) -> bytes:
    """The signed letter as an A4 PDF: text, the signature image, time and filing number.

    `signature_png` is what sanitize_signature returned, never the raw upload.
    """
    title, blocks, closing = _parts(ctx)
    footer = f"备案编号 {ctx.filing_number}    承诺书版本 {LETTER_TEMPLATE_VERSION}"
    chars = set(title + footer + "承诺人（签名）：").union(*map(set, (*sum(blocks, []), *closing)))
    # fpdf2 reads fonts from a path only: a scratch folder for the converted subset, gone after.
    with tempfile.TemporaryDirectory(prefix="letter-font-") as scratch:
        font_path = f"{scratch}/letter.ttf"
        with open(font_path, "wb") as fh:
            fh.write(letter_font(chars))
        return _render(ctx, signature_png, footer, font_path)


def _render(ctx: LetterContext, signature_png: bytes, footer: str, font_path: str) -> bytes:
    title, blocks, closing = _parts(ctx)
    pdf = _LetterPdf(footer, font_path)
    created = ctx.signed_at or now_utc()
    pdf.set_title(f"{title} {ctx.filing_number}")
    pdf.set_author(ctx.person_name or "承诺人")
    pdf.set_subject(f"跨省异地就医备案 {ctx.filing_number} {ctx.filing_type_label}")
    pdf.set_creator("跨省异地就医备案")
    pdf.set_keywords(f"{ctx.filing_number} 承诺书版本{LETTER_TEMPLATE_VERSION}")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(created if created.tzinfo else created.replace(tzinfo=timezone.utc))
    pdf.add_page()

    pdf.set_font(FONT, size=_TITLE_PT)
    pdf.cell(0, 14, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=_BODY_PT)
    for block in blocks:
        pdf.paragraph(block[0])
        for line in block[1:]:
            pdf.paragraph(line, hanging=_INDENT)
        pdf.ln(3)
    pdf.ln(8)

    # The signature beside the signer's printed name, once: "承诺人：王秀英 [signature]".
    sig = Image.open(io.BytesIO(signature_png))
    scale = min(60 / sig.width, 25 / sig.height)
    sig_w, sig_h = sig.width * scale, sig.height * scale
    right = pdf.w - pdf.r_margin
    for n, line in enumerate(closing):
        if n == 0:
            label = line if line.startswith("承诺人") else "承诺人（签名）："
            if pdf.will_page_break(sig_h + _LINE):
                pdf.add_page()
            top = pdf.get_y()
            label_w = pdf.get_string_width(label) + 2
            pdf.set_xy(right - sig_w - label_w, top + (sig_h - _LINE) / 2)
            pdf.cell(label_w, _LINE, label)
            pdf.image(sig, x=right - sig_w, y=top, w=sig_w, h=sig_h)
            pdf.set_y(top + sig_h + 2)
            if label == line:
                continue
        pdf.paragraph(line, align="R")
    return bytes(pdf.output())
