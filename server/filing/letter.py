"""The personal commitment letter (个人承诺书): its text, the drawn signature, and the signed PDF.

Pure: the caller passes everything in and stores what comes out. The text is written for elderly
readers: short sentences, everyday words, one promise per line. The national template was not found
(see the policy research notes); the clauses follow what local versions share.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from xml.sax.saxutils import escape

from PIL import Image
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Image as RLImage
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from server.common.timeutil import to_cn
from server.filing.uploads import UploadError, sanitize_upload

# Bumped whenever the wording changes, so a stored letter can say which text was signed.
LETTER_TEMPLATE_VERSION = "2026-12-1"

# Built into every PDF reader (Adobe-GB1): no font file to ship, and the PDF stays small.
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

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


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=13, leading=22, wordWrap="CJK",
                          spaceAfter=6)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER,
                                spaceAfter=16),
        "body": base,
        "item": ParagraphStyle("item", parent=base, leftIndent=13 * 2, firstLineIndent=-13 * 2,
                               spaceAfter=2),
    }


def render_letter_pdf(ctx: LetterContext, signature_png: bytes) -> bytes:
    """The signed letter as an A4 PDF: text, the signature image, time and filing number.

    `signature_png` is what sanitize_signature returned, never the raw upload.
    """
    title, blocks, closing = _parts(ctx)
    st = _styles()
    story: list = [Paragraph(escape(title), st["title"])]
    for block in blocks:
        story.append(Paragraph(escape(block[0]), st["body"]))
        story.extend(Paragraph(escape(line), st["item"]) for line in block[1:])
        story.append(Spacer(1, 3 * mm))
    story.append(Spacer(1, 8 * mm))

    sig = ImageReader(io.BytesIO(signature_png))
    sw, sh = sig.getSize()
    scale = min(60 * mm / sw, 25 * mm / sh)
    sig_img = RLImage(io.BytesIO(signature_png), width=sw * scale, height=sh * scale)
    signer = Table(
        [[Paragraph("承诺人（签名）：", st["body"]), sig_img]],
        colWidths=[45 * mm, 70 * mm], hAlign="RIGHT",
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
    )
    story.append(signer)
    for line in closing:
        story.append(Paragraph(escape(line), ParagraphStyle("r", parent=st["body"], alignment=2)))

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 9)
        canvas.drawString(20 * mm, 12 * mm, f"备案编号 {ctx.filing_number}    承诺书版本 {LETTER_TEMPLATE_VERSION}")
        canvas.drawRightString(A4[0] - 20 * mm, 12 * mm, f"第{doc.page}页")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=22 * mm, rightMargin=22 * mm,
                            topMargin=22 * mm, bottomMargin=22 * mm,
                            title=f"个人承诺书 {ctx.filing_number}", author="跨省异地就医备案",
                            subject=ctx.filing_number, invariant=True)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
