"""The signed letter as a file: every font embedded, the text extractable, metadata true, and it
renders with Chinese glyphs where the machine has no Chinese font at all (poppler with fontconfig
pointed at an empty folder)."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from server.common.timeutil import SHANGHAI
from server.filing.letter import render_letter_pdf, sanitize_signature
from tests.test_letter import ctx, drawn_signature

SIGNED = datetime(2026, 11, 24, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_letter_pdf(ctx(signed_at=SIGNED), sanitize_signature(drawn_signature()))


def _fonts(reader: PdfReader):
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            yield font
            for descendant in font.get("/DescendantFonts", []):
                yield descendant.get_object()


def test_every_font_is_embedded_as_a_subset(pdf):
    fonts = list(_fonts(PdfReader(io.BytesIO(pdf))))
    assert fonts
    for font in fonts:
        if font["/Subtype"] == "/Type0":
            continue  # the wrapper: its descendant carries the descriptor
        descriptor = font["/FontDescriptor"].get_object()
        assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]
        name = str(font["/BaseFont"])
        assert name[7] == "+" and name[1:7].isupper(), name  # subset tag: only the glyphs used
    assert len(pdf) < 200_000  # a subset, not the 16 MB font


def test_chinese_text_extracts(pdf):
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # Lines wrap anywhere in Chinese text: compare without the line breaks.
    flat = "".join(text.split())
    for part in ("个人承诺书", "王秀英", "成都市", "上海市", "2027年5月24日", "承担相应的法律责任",
                 "签署时间：2026年11月24日10:30", "BA2026112400017"):
        assert part in flat
    assert flat.count("承诺人") == 1  # the signer is named once, beside the signature


def test_metadata_and_real_creation_date(pdf):
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta.title == "个人承诺书 BA2026112400017"
    assert meta.author == "王秀英"
    assert "BA2026112400017" in meta.subject
    assert meta.creation_date.astimezone(SHANGHAI) == SIGNED


def test_creation_date_defaults_to_now_not_2000():
    out = render_letter_pdf(ctx(signed_at=None), sanitize_signature(drawn_signature()))
    created = PdfReader(io.BytesIO(out)).metadata.creation_date
    assert created.year >= 2026


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed (scripts/test installs it)")
def test_renders_chinese_without_any_system_font(pdf, tmp_path):
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{empty}</dir>'
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>")
    (tmp_path / "letter.pdf").write_bytes(pdf)
    done = subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "letter.pdf"),
                           str(tmp_path / "page")], capture_output=True, text=True, timeout=60,
                          env={"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "font" not in done.stderr.lower(), done.stderr  # poppler complains when it substitutes

    page = Image.open(tmp_path / "page.png").convert("L")
    width, height = page.size
    # The title sits centred in the top band of the page (22 mm margin, 22 pt type).
    band = page.crop((0, int(height * 0.06), width, int(height * 0.14)))
    ink = band.point(lambda v: 255 if v < 128 else 0)
    box = ink.getbbox()
    assert box is not None, "no dark pixels where the title is"
    left, top, right, bottom = box
    assert abs((left + right) / 2 - width / 2) < width * 0.05  # centred
    # Five different characters, not five identical missing-glyph boxes.
    cell = (right - left) / 5
    cells = [ink.crop((int(left + i * cell), top, int(left + (i + 1) * cell), bottom)).tobytes()
             for i in range(5)]
    assert all(sum(c) > 0 for c in cells)
    assert len(set(cells)) == 5
