import base64
import io
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from server.institutions.qr import (
    MAX_ID,
    BadToken,
    make_token,
    poster_png,
    qr_png,
    qr_svg,
    read_token,
)

SECRET = "test-secret"
SCENE_CHARS = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$")


def decode(png: bytes) -> str:
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    text, points, _ = cv2.QRCodeDetector().detectAndDecode(img)
    assert points is not None, "no QR code found"
    return text


@pytest.mark.parametrize("payload_id", [1, 127, 128, 300, 65_535, 10**9, 2**40, MAX_ID])
def test_token_round_trip_fits_wechat_scene(payload_id):
    token = make_token(SECRET, payload_id)
    assert read_token(SECRET, token) == payload_id
    assert len(token) <= 32
    assert SCENE_CHARS.match(token)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)  # also safe unescaped in a URL path


def test_token_is_deterministic_and_opaque():
    assert make_token(SECRET, 42) == make_token(SECRET, 42)
    assert make_token(SECRET, 42) != make_token(SECRET, 43)
    assert "42" not in make_token(SECRET, 42)


def test_token_from_another_secret_refused():
    with pytest.raises(BadToken):
        read_token(SECRET, make_token("other-secret", 42))


def test_every_single_character_change_refused():
    token = make_token(SECRET, 123456)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for i, ch in enumerate(token):
        for other in (alphabet[(alphabet.index(ch) + 1) % 64], alphabet[(alphabet.index(ch) + 33) % 64]):
            with pytest.raises(BadToken):
                read_token(SECRET, token[:i] + other + token[i + 1:])


def test_forged_id_with_old_mac_refused():
    raw = base64.urlsafe_b64decode(make_token(SECRET, 5) + "==")
    forged = base64.urlsafe_b64encode(bytes([6]) + raw[1:]).rstrip(b"=").decode()
    with pytest.raises(BadToken):
        read_token(SECRET, forged)


@pytest.mark.parametrize("token", ["", "a", "x" * 33, "abc/def", "abc def", "..%2F", "AAAA====", None, 5])
def test_malformed_tokens_refused(token):
    with pytest.raises(BadToken):
        read_token(SECRET, token)


def test_truncated_and_extended_tokens_refused():
    token = make_token(SECRET, 77)
    for bad in (token[:-1], token[:-4], token + "A", token + "AAAA"):
        with pytest.raises(BadToken):
            read_token(SECRET, bad)


@pytest.mark.parametrize("bad", [0, -1, MAX_ID + 1, True, "5", 1.0])
def test_make_token_refuses_bad_ids(bad):
    with pytest.raises(ValueError):
        make_token(SECRET, bad)


def test_empty_secret_refused():
    with pytest.raises(ValueError):
        make_token("", 1)


URL = "https://filing.example.cn/api/v1/entry/" + make_token(SECRET, 1234)


def test_qr_png_decodes_to_the_url():
    png = qr_png(URL)
    assert png.startswith(b"\x89PNG")
    assert decode(png) == URL


def test_qr_png_box_size_scales():
    small = Image.open(io.BytesIO(qr_png(URL, box_size=4)))
    big = Image.open(io.BytesIO(qr_png(URL, box_size=8)))
    assert big.width == 2 * small.width


def test_qr_svg_is_svg_and_renders_same_code():
    svg = qr_svg(URL)
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))
    assert b"<path" in svg
    # Same symbol as the PNG: the SVG viewBox has as many modules as the PNG at box size 1.
    side = re.search(rb'viewBox="0 0 (\d+) (\d+)"', svg)
    assert side and int(side.group(1)) == Image.open(io.BytesIO(qr_png(URL, box_size=1))).width


def test_poster_is_a4_with_a_readable_code():
    png = poster_png(URL, "上海交通大学医学院附属瑞金医院", "门诊一楼医保服务窗口")
    im = Image.open(io.BytesIO(png))
    assert im.size == (1240, 1754)
    assert round(im.info["dpi"][0]) == 150
    assert decode(png) == URL
    # Text was drawn above the code: dark pixels in the top band where the hospital name goes.
    top = np.asarray(im.convert("L").crop((0, 100, 1240, 260)))
    assert (top < 128).sum() > 2000


def test_poster_with_long_name_and_no_counter():
    name = "某某省某某市第一人民医院暨某某大学附属医院医疗集团总院区"
    png = poster_png(URL, name, None, instruction="请用微信扫码")
    assert decode(png) == URL
