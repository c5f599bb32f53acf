import io
from datetime import date, datetime, timezone

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from server.common.timeutil import SHANGHAI
from server.filing.letter import (
    LetterContext,
    letter_text,
    render_letter_pdf,
    sanitize_signature,
)
from server.filing.uploads import UploadError


def ctx(**kw) -> LetterContext:
    values = dict(
        filing_number="BA2026112400017",
        person_name="王秀英",
        id_masked="5101**********1234",
        insured_region_name="成都市",
        visit_region_name="上海市",
        filing_type_label="异地安置退休人员",
        proof_labels=["户口簿首页", "本人页"],
        due_date=date(2027, 5, 24),
        signed_at=datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI),
    )
    values.update(kw)
    return LetterContext(**values)


def drawn_signature(size=(600, 240), mode="RGBA", fmt="PNG", ink=True) -> bytes:
    bg = (0, 0, 0, 0) if mode == "RGBA" else "white"
    im = Image.new(mode, size, bg)
    if ink:
        d = ImageDraw.Draw(im)
        d.line([(60, 180), (200, 60), (330, 190), (520, 70)], fill="black", width=7)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def test_letter_text_names_this_filing():
    text = letter_text(ctx())
    assert text.startswith("个人承诺书")
    for part in ("BA2026112400017", "王秀英", "5101**********1234", "成都市", "上海市",
                 "异地安置退休人员", "户口簿首页、本人页", "2027年5月24日", "2026年11月24日 10:30"):
        assert part in text
    for consequence in ("撤销", "退回医保基金", "信用记录", "承担相应的法律责任"):
        assert consequence in text
    assert "110101" not in text  # only the masked number ever appears


def test_letter_time_is_shown_in_shanghai():
    text = letter_text(ctx(signed_at=datetime(2026, 11, 24, 2, 5, tzinfo=timezone.utc)))
    assert "2026年11月24日 10:05" in text


def test_letter_without_named_proof_still_reads():
    text = letter_text(ctx(proof_labels=[]))
    assert "备案所需的证明材料" in text


def test_signature_is_trimmed_clean_png():
    out = sanitize_signature(drawn_signature())
    im = Image.open(io.BytesIO(out))
    assert im.format == "PNG" and im.mode == "RGBA"
    assert im.width < 600 and im.height < 240  # cropped to the strokes
    assert im.getchannel("A").getextrema()[1] == 255


def test_signature_on_white_jpeg_accepted():
    out = sanitize_signature(drawn_signature(mode="RGB", fmt="JPEG"))
    assert Image.open(io.BytesIO(out)).format == "PNG"


@pytest.mark.parametrize("data", [
    drawn_signature(ink=False),  # fully transparent
    drawn_signature(mode="RGB", fmt="PNG", ink=False),  # white
])
def test_empty_signature_refused(data):
    with pytest.raises(UploadError) as exc:
        sanitize_signature(data)
    assert (exc.value.code, exc.value.status, exc.value.field) == ("signature.empty", 422, "signature")


def test_oversized_signature_refused():
    with pytest.raises(UploadError) as exc:
        sanitize_signature(drawn_signature(size=(2400, 800)))
    assert exc.value.status == 422


def test_signature_must_be_an_image():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(10, 10, "x")
    c.save()
    with pytest.raises(UploadError) as exc:
        sanitize_signature(buf.getvalue())
    assert exc.value.status == 415
    with pytest.raises(UploadError):
        sanitize_signature(b"not an image")


def test_letter_pdf_parses_with_text_and_one_image():
    pdf = render_letter_pdf(ctx(), sanitize_signature(drawn_signature()))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert len(page.images) == 1
    text = page.extract_text()
    assert "BA2026112400017" in text
    # The embedded font is Identity-H with a ToUnicode map, which pypdf reads back.
    for part in ("个人承诺书", "王秀英", "上海市", "2027年5月24日", "承担相应的法律责任"):
        assert part in text
    assert page.mediabox.width == pytest.approx(595.27, abs=0.1)  # A4


def test_letter_pdf_escapes_markup_in_names():
    pdf = render_letter_pdf(ctx(person_name="A<b>&C"), sanitize_signature(drawn_signature()))
    assert "A<b>&C" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
