import io
import struct
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from server.common.storage import LocalStorage
from server.filing.uploads import (
    CleanFile,
    UploadError,
    open_file,
    sanitize_upload,
    store_file,
)

MB = 1024 * 1024
GPS_IFD = 0x8825
ORIENTATION = 0x0112


def make_jpeg(size=(64, 32), gps=True, orientation=None, icc=None) -> bytes:
    im = Image.new("RGB", size, (200, 30, 30))
    im.paste((20, 20, 220), (0, 0, size[0] // 2, size[1]))  # left half blue: shows rotation
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel X"  # Model
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (31.0, 13.0, 40.0), 3: "E", 4: (121.0, 28.0, 10.0)})
    buf = io.BytesIO()
    kwargs = {"exif": exif.tobytes(), "comment": b"secret comment"}
    if icc:
        kwargs["icc_profile"] = icc
    im.save(buf, "JPEG", quality=95, **kwargs)
    return buf.getvalue()


def make_png(mode="RGBA", size=(40, 20)) -> bytes:
    from PIL import PngImagePlugin

    im = Image.new(mode, size)
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "someone")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>gps</x:xmpmeta>")
    buf = io.BytesIO()
    im.save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def make_pdf(text="proof") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of the declared size whose pixels are all zeros: tiny on disk, huge decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    comp = zlib.compressobj(9)
    idat = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat)
            + png_chunk(b"IEND", b""))


def refused(data: bytes, **kw) -> UploadError:
    kw.setdefault("max_bytes", 10 * MB)
    with pytest.raises(UploadError) as exc:
        sanitize_upload(data, **kw)
    return exc.value


# --- images -------------------------------------------------------------------------------------

def test_jpeg_gps_and_device_exif_are_removed():
    data = make_jpeg()
    src = Image.open(io.BytesIO(data))
    assert src.getexif().get_ifd(GPS_IFD)  # the input really carries a position
    assert b"PhoneModel" in data and b"secret comment" in data

    clean = sanitize_upload(data, max_bytes=MB)

    assert isinstance(clean, CleanFile)
    assert (clean.kind, clean.mime, clean.width, clean.height) == ("jpeg", "image/jpeg", 64, 32)
    out = Image.open(io.BytesIO(clean.data))
    out.load()
    assert out.format == "JPEG"
    assert not out.getexif()
    assert not out.getexif().get_ifd(GPS_IFD)
    assert "exif" not in out.info and "icc_profile" not in out.info and "comment" not in out.info
    assert b"Exif" not in clean.data and b"PhoneModel" not in clean.data
    assert b"secret comment" not in clean.data
    assert clean.size == len(clean.data)
    import hashlib
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()


def test_exif_orientation_is_applied_then_dropped():
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    clean = sanitize_upload(make_jpeg(size=(64, 32), orientation=6), max_bytes=MB)
    assert (clean.width, clean.height) == (32, 64)
    out = Image.open(io.BytesIO(clean.data)).convert("RGB")
    assert out.size == (32, 64)
    assert ORIENTATION not in out.getexif()
    # The blue left half is now on top.
    r, g, b = out.getpixel((16, 5))
    assert b > 150 and r < 100


def test_icc_profile_is_not_kept():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    clean = sanitize_upload(make_jpeg(icc=icc), max_bytes=MB)
    assert "icc_profile" not in Image.open(io.BytesIO(clean.data)).info


def test_png_text_and_xmp_are_removed_alpha_kept():
    data = make_png()
    assert b"someone" in data and b"xmpmeta" in data
    clean = sanitize_upload(data, max_bytes=MB)
    assert (clean.kind, clean.mime, clean.width, clean.height) == ("png", "image/png", 40, 20)
    assert b"someone" not in clean.data and b"xmpmeta" not in clean.data
    out = Image.open(io.BytesIO(clean.data))
    assert out.mode == "RGBA" and not out.text


@pytest.mark.parametrize("mode", ["P", "1", "I;16", "LA", "L"])
def test_png_modes_are_normalised(mode):
    clean = sanitize_upload(make_png(mode=mode), max_bytes=MB)
    assert Image.open(io.BytesIO(clean.data)).mode in ("RGB", "RGBA", "L", "LA")


def test_cleaning_is_deterministic():
    data = make_jpeg()
    assert sanitize_upload(data, max_bytes=MB).sha256 == sanitize_upload(data, max_bytes=MB).sha256


def test_decompression_bomb_refused_by_pillow_limit():
    bomb = make_png_bomb(30000, 30000)  # 900 million pixels
    assert len(bomb) < 200_000
    err = refused(bomb, max_pixels=10**12)  # only Pillow's own guard stands in the way
    assert (err.code, err.status) == ("upload.too_many_pixels", 422)


def test_too_many_pixels_refused_before_decoding():
    bomb = make_png_bomb(8000, 7000)  # 56 million: under Pillow's limit, over ours
    err = refused(bomb)
    assert (err.code, err.status) == ("upload.too_many_pixels", 422)
    assert "5200万像素" in err.message  # the limit is said
    assert refused(make_jpeg(), max_pixels=100).code == "upload.too_many_pixels"


def test_truncated_jpeg_refused():
    data = make_jpeg(size=(400, 300))
    err = refused(data[: len(data) // 2])
    assert (err.code, err.status) == ("upload.corrupt", 422)
    assert err.message


def test_broken_png_crc_refused():
    data = bytearray(make_png())
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    assert refused(bytes(data)).code == "upload.corrupt"


def test_text_file_named_jpg_refused():
    err = refused("这是一个文本文件，不是照片".encode())
    assert (err.code, err.status) == ("upload.unsupported_type", 415)
    assert refused(b"GIF89a" + b"\0" * 20).code == "upload.unsupported_type"


def test_jpeg_magic_with_garbage_refused():
    assert refused(b"\xff\xd8\xff" + b"not really a jpeg" * 10).code == "upload.corrupt"


def test_too_large_refused_first():
    err = refused(b"x" * 2000, max_bytes=1000)
    assert (err.code, err.status) == ("upload.too_large", 413)
    assert "1KB" not in err.message or "超过" in err.message


def test_empty_refused():
    assert refused(b"").status == 422


# --- PDF ----------------------------------------------------------------------------------------

def test_pdf_rewritten_with_its_pages_only():
    data = make_pdf("proof page")
    clean = sanitize_upload(data, max_bytes=MB)
    assert (clean.kind, clean.mime, clean.width, clean.height) == ("pdf", "application/pdf", None, None)
    assert clean.data != data and b"ReportLab" in data and b"ReportLab" not in clean.data  # metadata gone
    reader = PdfReader(io.BytesIO(clean.data))
    assert len(reader.pages) == 1 and "proof page" in reader.pages[0].extract_text()
    assert sanitize_upload(data, max_bytes=MB).sha256 == clean.sha256  # deterministic


def _with_catalog(data: bytes, extra: bytes) -> bytes:
    return _fix_xref(data.replace(b"/Type /Catalog", b"/Type /Catalog " + extra, 1), escape=False)


def test_pdf_open_action_uri_is_not_stored():
    data = _with_catalog(make_pdf(), b"/OpenAction << /S /URI /URI (http://tracker.example/x) >>")
    assert b"/URI" in data and b"/OpenAction" in data
    clean = sanitize_upload(data, max_bytes=MB)
    assert b"/URI" not in clean.data and b"/OpenAction" not in clean.data
    assert len(PdfReader(io.BytesIO(clean.data)).pages) == 1


def test_pdf_gotor_link_to_unc_path_is_not_stored():
    from pypdf.generic import ArrayObject, DictionaryObject, FloatObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    link = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(100)]),
        NameObject("/A"): DictionaryObject({NameObject("/S"): NameObject("/GoToR"),
                                            NameObject("/F"): TextStringObject("\\\\attacker\\share\\x.pdf"),
                                            NameObject("/D"): ArrayObject([])})})
    square = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Square"),
        NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(50), FloatObject(50)]),
        NameObject("/AA"): DictionaryObject({NameObject("/E"): DictionaryObject({
            NameObject("/S"): NameObject("/URI"), NameObject("/URI"): TextStringObject("http://tracker.example")})})})
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(square)])
    buf = io.BytesIO()
    writer.write(buf)
    data = buf.getvalue()
    assert b"GoToR" in data and b"attacker" in data
    clean = sanitize_upload(data, max_bytes=MB)
    assert b"GoToR" not in clean.data and b"attacker" not in clean.data and b"tracker" not in clean.data
    annots = PdfReader(io.BytesIO(clean.data)).pages[0]["/Annots"]
    assert [a.get_object()["/Subtype"] for a in annots] == ["/Square"]  # drawn, but does nothing


def test_pdf_xfa_form_refused():
    data = _with_catalog(make_pdf(), b"/AcroForm << /Fields [] /XFA (<xdp:xdp/>) >>")
    err = refused(data)
    assert (err.code, err.status) == ("upload.pdf_xfa", 422) and "打印为PDF" in err.message


def test_pdf_zip_polyglot_is_not_stored_byte_for_byte():
    import zipfile

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as z:
        z.writestr("payload.txt", "hidden")
    pdf = make_pdf()
    # The ZIP rides in an object no page refers to, just before the cross-reference table.
    at = pdf.rindex(b"xref")
    blob = zbuf.getvalue()
    polyglot = _fix_xref(pdf[:at] + b"99 0 obj\n<< /Length %d >>\nstream\n" % len(blob) + blob
                         + b"\nendstream\nendobj\n" + pdf[at:], escape=False, lenient_only=True)
    assert zipfile.is_zipfile(io.BytesIO(polyglot)) and b"payload.txt" in polyglot
    clean = sanitize_upload(polyglot, max_bytes=MB)
    assert not zipfile.is_zipfile(io.BytesIO(clean.data)) and b"payload.txt" not in clean.data


def test_pdf_page_limit():
    writer = PdfWriter()
    for _ in range(51):
        writer.add_blank_page(200, 200)
    buf = io.BytesIO()
    writer.write(buf)
    err = refused(buf.getvalue())
    assert err.code == "upload.pdf_too_many_pages" and "50" in err.message


def test_pdf_with_javascript_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    from pypdf.actions import JavaScript

    writer.add_open_action(JavaScript("app.alert('hi');"))
    buf = io.BytesIO()
    writer.write(buf)
    err = refused(buf.getvalue())
    assert (err.code, err.status) == ("upload.pdf_active_content", 422)


def test_pdf_with_escaped_javascript_name_refused_by_object_walk():
    # `#61` is `a`: the raw byte scan misses it, the parsed-object walk must not.
    data = make_pdf()
    assert b"/Type /Catalog" in data
    data = data.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >>", 1)
    data = _fix_xref(data)
    assert b"/JavaScript" not in data
    assert refused(data).code == "upload.pdf_active_content"


def _fix_xref(data: bytes, escape: bool = True, lenient_only: bool = False) -> bytes:
    """Rewrite the PDF through pypdf's lenient reader so offsets are right again (lenient_only:
    keep the bytes, only rebuild the cross-reference table at the end)."""
    if lenient_only:
        return _rebuild_xref(data)
    reader = PdfReader(io.BytesIO(data), strict=False)
    writer = PdfWriter(clone_from=reader)
    buf = io.BytesIO()
    writer.write(buf)
    out = buf.getvalue()
    # pypdf writes names unescaped; escape again so only the walk can see them.
    return out.replace(b"/JavaScript", b"/J#61vaScript") if escape else out


def _rebuild_xref(data: bytes) -> bytes:
    """A fresh xref table for every `N 0 obj` in the bytes (all objects kept, referenced or not)."""
    import re

    body = data[:data.rindex(b"xref")]
    offsets = {int(m.group(1)): m.start() for m in re.finditer(rb"(?m)^(\d+) 0 obj", body)}
    size = max(offsets) + 1
    rows = [b"0000000000 65535 f \n"] + [
        (b"%010d 00000 n \n" % offsets[i]) if i in offsets else b"0000000000 65535 f \n"
        for i in range(1, size)]
    root = re.search(rb"/Root (\d+ 0 R)", data).group(1)
    return (body + b"xref\n0 %d\n" % size + b"".join(rows)
            + b"trailer\n<< /Size %d /Root %s >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, len(body)))


def test_pdf_launch_action_refused():
    data = make_pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (calc.exe) >>", 1)
    assert refused(data).code == "upload.pdf_active_content"


def test_encrypted_pdf_refused():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    err = refused(buf.getvalue())
    assert (err.code, err.status) == ("upload.pdf_encrypted", 422)


def test_truncated_pdf_refused():
    data = make_pdf()
    assert refused(data[: len(data) - 200]).code == "upload.corrupt"


def test_garbage_pdf_refused():
    assert refused(b"%PDF-1.7\n" + b"rubbish " * 50 + b"\n%%EOF\n").code == "upload.corrupt"


# --- storage ------------------------------------------------------------------------------------

def test_store_is_content_addressed_atomic_and_idempotent(tmp_path):
    clean = sanitize_upload(make_jpeg(), max_bytes=MB)
    storage = LocalStorage(tmp_path)
    key = store_file(storage, clean)
    h = clean.sha256
    assert key == f"{h[:2]}/{h[2:4]}/{h}.jpg"
    assert (tmp_path / key).read_bytes() == clean.data
    assert store_file(LocalStorage(str(tmp_path)), clean) == key
    assert open_file(storage, key) == clean.data
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != f"{h}.jpg"]
    assert leftovers == []


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "/etc/passwd",
    "ab/cd/../../../x.pdf",
    "00/00/" + "ab" * 32 + ".pdf",  # prefix does not match the hash
    "ab/cd/abcd.pdf",
    "AB/CD/" + "AB" + "CD" + "0" * 60 + ".pdf",
    "",
])
def test_open_file_refuses_bad_keys(tmp_path, key):
    with pytest.raises(UploadError) as exc:
        open_file(LocalStorage(tmp_path), key)
    assert exc.value.status == 404


def test_open_file_missing(tmp_path):
    h = "ab" + "cd" + "0" * 60
    with pytest.raises(UploadError) as exc:
        open_file(LocalStorage(tmp_path), f"ab/cd/{h}.pdf")
    assert exc.value.code == "upload.not_found"


# --- bounded decoding -----------------------------------------------------------------------------

_PEAK_SCRIPT = """
import resource, sys
from server.filing.uploads import sanitize_upload
data = open(sys.argv[1], "rb").read()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
clean = sanitize_upload(data, max_bytes=len(data) + 1)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(clean.width, clean.height, peak // 1024)
"""


def _peak_mb(path) -> tuple[int, int, int]:
    """Sanitize in a fresh process; returns the stored size and how many MB the peak memory grew."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], cwd=root, check=True,
                         capture_output=True, text=True, timeout=120).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


def test_50_megapixel_phone_photo_decodes_in_bounded_memory(tmp_path):
    from server.filing.uploads import MAX_PIXELS, MAX_SIDE

    size = (8160, 6120)  # a 50-megapixel sensor
    assert size[0] * size[1] <= MAX_PIXELS
    im = Image.new("RGB", size, (200, 180, 160))
    im.paste((20, 20, 20), (1000, 1000, 7000, 5000))
    path = tmp_path / "photo.jpg"
    im.save(path, "JPEG", quality=85)
    del im
    width, height, grew = _peak_mb(path)
    assert max(width, height) <= MAX_SIDE and abs(width / height - 8160 / 6120) < 0.01
    # Decoded at full size it is 200 MB (RGB is held as 4 bytes a pixel); at 1/2 scale, 50.
    assert grew < 120, grew


def test_large_png_is_downscaled_first_in_bounded_memory(tmp_path):
    from server.filing.uploads import MAX_SIDE

    path = tmp_path / "big.png"
    path.write_bytes(make_png_bomb(8000, 5000))  # 116 KB on disk, 40 million pixels
    width, height, grew = _peak_mb(path)
    assert (width, height) == (MAX_SIDE, MAX_SIDE * 5000 // 8000)
    assert grew < 200, grew  # was 470 MB: converted, transposed and copied at full size
