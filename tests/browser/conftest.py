"""Browser tests: the app on a real HTTP server on loopback, driven by Playwright in Debian's
Chromium (Playwright's own browser download cannot run here). SQLite pass only."""
from __future__ import annotations

import io
import shutil
import threading
from pathlib import Path

import pytest
from PIL import Image
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "server" / "console" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags that keep Chromium off a closed network and its first-run work.
QUIET = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.sqlite_only)


@pytest.fixture(scope="session")
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def playwright_instance():
    if not CHROMIUM:
        pytest.skip("chromium is not installed (scripts/test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright_instance, extra_args=()):
    return playwright_instance.chromium.launch(executable_path=CHROMIUM, args=[*QUIET, *extra_args])


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = launch(playwright_instance)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}


@pytest.fixture
def phone_page(browser):
    """A phone-sized page (390×844, touch), as the mobile web client is used."""
    context = browser.new_context(**PHONE)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert errors == [], f"script errors in the page: {errors}"


def check_accessibility(page, name: str) -> None:
    """axe-core on the page as it is now: no serious or critical violation; a screenshot is kept."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert AXE.is_file(), "axe-core is missing (scripts/test runs npm ci in server/console)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length}))")
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"


def y4m_of(png: bytes, path: Path, size=(640, 480), frames: int = 10) -> Path:
    """A Y4M video (what Chromium's fake camera plays) showing the image, centred on white."""
    img = Image.open(io.BytesIO(png)).convert("RGB")
    canvas = Image.new("RGB", size, "white")
    scale = min((size[0] - 80) / img.width, (size[1] - 80) / img.height)
    img = img.resize((int(img.width * scale), int(img.height * scale)), Image.NEAREST)
    canvas.paste(img, ((size[0] - img.width) // 2, (size[1] - img.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    frame = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + frame)
    return path
