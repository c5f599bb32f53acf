"""The phone web client (/h5/) in a phone-sized Chromium (390×844, touch): a filing through the
schema-rendered pages (upload from the file picker; another signed with a finger on the canvas),
one through the chat, a counter QR entry, the records with the timeline and the voucher QR, the
directory and 开通情况. axe-core checks every page; screenshots go to test-artifacts/."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from server.extensions import db as _db
from server.institutions import service as inst_service
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from tests.browser.conftest import check_accessibility as _axe
from tests.conftest import login
from tests.helpers_filing import png_bytes
from tests.idgen import resident_id
from tests.review_helpers import make_filing, user_by_openid

ROOT = Path(__file__).resolve().parents[2]
ID_NUMBER = resident_id("510104", date(1950, 3, 8), 11)


# 互联网应用适老化: text at least 18 px, every control at least 44 px in both directions.
_SIZES = """() => {
  const seen = (el) => { const r = el.getBoundingClientRect(); return r.width > 1 && r.height > 1 && getComputedStyle(el).visibility !== 'hidden'; };
  const small = [];
  for (const el of document.querySelectorAll('button, a, select, textarea, input:not([type=radio]):not([type=checkbox]):not([type=file]), .choice label')) {
    if (!seen(el) || el.classList.contains('skip')) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 44 || r.width < 44) small.push(`${el.tagName} ${el.textContent.trim().slice(0, 12)} ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  for (const el of document.querySelectorAll('main *, header *')) {
    if (!seen(el) || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 18) small.push(`text ${el.textContent.trim().slice(0, 12)} ${size}px`);
  }
  return small;
}"""


def check_accessibility(page, name: str) -> None:
    """axe-core (no serious or critical violation, screenshot kept) and the elderly-friendly sizes."""
    _axe(page, name)
    assert page.evaluate(_SIZES) == [], name


def sign_in(page, base, openid, hash_="#/"):
    page.goto(f"{base}/h5/{hash_}")
    page.get_by_role("heading", name="体验登录").wait_for()
    page.get_by_label("体验账号").fill(openid)
    page.get_by_role("button", name="进入").click()


def heading(page, name):
    page.get_by_role("heading", name=name, exact=True, level=1).wait_for()


def choose_region(page, label, province, city=None):
    page.get_by_label(f"{label}：省份").select_option(label=province)
    if city:
        page.get_by_label(f"{label}：城市").select_option(label=city)


def consent_and_start(page, name="王芳"):
    """Home → 按步骤办理 → the privacy notice → the start page (自己备案, name and ID)."""
    page.get_by_role("link", name=re.compile("按步骤办理备案")).click()
    heading(page, "个人信息保护告知书")
    check_accessibility(page, "h5-consent")
    page.get_by_label("我已阅读并同意《个人信息保护告知书》").check()
    page.get_by_role("button", name="下一步").click()
    heading(page, "异地就医备案申请")
    page.get_by_label("自己备案").check()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("证件号码").fill(ID_NUMBER)
    check_accessibility(page, "h5-start")
    page.get_by_role("button", name="自己备案 / 为他人备案").click()


def choices(page, filing_type, *, insured=("四川省", "成都市"), visit=("上海市", None)):
    heading(page, "选择参保地、就医地和备案类型")
    choose_region(page, "参保地", *insured)
    if visit:
        choose_region(page, "就医地", *visit)
    page.get_by_label("职工基本医疗保险").check()
    page.get_by_label(filing_type).check()
    check_accessibility(page, "h5-choices")
    page.get_by_role("button", name="开始备案").click()
    heading(page, "备案告知书")
    assert page.locator(".doc-text p").count() > 0  # the notice's text, read from its endpoint
    check_accessibility(page, "h5-notice")
    page.get_by_label("本人已仔细阅读备案告知书").check()
    page.get_by_role("button", name="下一步").click()
    heading(page, "填写备案信息")


def test_a_filing_through_the_pages_with_an_upload(phone_page, live_server, tmp_path):
    page = phone_page
    sign_in(page, live_server, "h5-pages-upload")
    heading(page, "跨省异地就医备案")
    check_accessibility(page, "h5-home")
    consent_and_start(page)
    choices(page, "异地转诊就医人员")
    # a temporary type: the end date is shown (schema: visible when group == temporary), no address
    assert page.get_by_label("结束日期").is_visible()
    assert page.locator('[data-field="address"]').is_hidden()
    proof = tmp_path / "referral.png"
    proof.write_bytes(png_bytes(200, 150))
    page.locator('input[type=file][data-kind="file"]').set_input_files(str(proof))
    page.get_by_text("已上传：转诊转院证明").wait_for()
    assert page.locator('input[type=file][data-kind="camera"]').get_attribute("capture") == "environment"
    page.get_by_label("开始日期").fill(date.today().isoformat())
    page.get_by_label("联系人").fill("王芳")
    page.get_by_label("联系电话").fill("1380013800")  # one digit short: the server's message shows
    page.get_by_role("button", name="下一步").click()
    page.locator('[data-field="contact_phone"] .field-error').wait_for()
    check_accessibility(page, "h5-details")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_role("button", name="下一步").click()
    heading(page, "确认提交")
    summary = page.locator("dl.facts").inner_text()
    assert "上海市" in summary and "异地转诊就医人员" in summary and "138****8000" in summary
    check_accessibility(page, "h5-submit")
    page.get_by_role("button", name="提交", exact=True).click()
    heading(page, "提交结果")
    assert "状态" in page.locator(".result").inner_text()
    check_accessibility(page, "h5-result")
    page.get_by_role("link", name="查看备案记录").click()
    heading(page, "我的备案记录")
    assert "异地转诊就医人员" in page.locator(".tiles").inner_text()


def draw_signature(page):
    pad = page.locator("canvas.pad").last
    pad.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    # pointer events from a moving pointer: down, a few strokes, up
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + 0.065 * i), y + h * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()


def test_a_filing_through_the_pages_signed_with_a_finger(phone_page, live_server):
    page = phone_page
    sign_in(page, live_server, "h5-pages-sign")
    heading(page, "跨省异地就医备案")
    consent_and_start(page, name="李建国")
    choices(page, "异地长期居住人员")
    assert page.locator('[data-field="end_date"]').is_hidden()  # long-term: no end date
    page.get_by_label("开始日期").fill(date.today().isoformat())
    page.get_by_label("联系人").fill("李建国")
    page.get_by_label("联系电话").fill("13900139000")
    page.get_by_label("就医地居住地址").fill("上海市浦东新区世纪大道100号")
    page.get_by_role("button", name="下一步").click()  # no proof uploaded: the letter instead
    heading(page, "个人承诺书")
    assert page.locator(".doc-text p").count() > 0  # the letter's text, read before signing
    page.get_by_role("button", name="保存并提交").click()
    page.locator('[data-field="signature"] .field-error').get_by_text("请在框内写上您的姓名").wait_for()  # nothing drawn
    draw_signature(page)
    check_accessibility(page, "h5-commitment")
    page.get_by_role("button", name="保存并提交").click()
    heading(page, "提交结果")
    assert page.locator(".result").inner_text().strip()


def test_every_schema_page_has_a_renderer(phone_page, live_server):
    """The client renders what miniapp_schema describes: every widget of every page has a renderer
    and every field's label appears in the form drawn for it (and an unknown widget is caught)."""
    page = phone_page
    pages = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "miniapp_schema").glob("*.json"))]
    assert len(pages) >= 9
    sign_in(page, live_server, "h5-schema")
    heading(page, "跨省异地就医备案")
    assert page.evaluate("(pages) => Schema.missingRenderers(pages)", pages) == []
    odd = {**pages[0], "page_id": "odd", "fields": [{**pages[0]["fields"][0], "widget": "voice_input"}]}
    assert len(page.evaluate("(pages) => Schema.missingRenderers(pages)", [odd])) == 2
    drawn = page.evaluate("""async (pages) => {
        await Api.post('/consent', {version: (await Api.get('/consent')).version, accepted: true});
        const draft = await Api.post('/filings', {applicant: 'self', person_name: '赵六', id_number: '%s',
            insured_region_code: '510100', visit_region_code: '310000', scheme: 'employee', filing_type: 'referral'});
        const me = await Api.get('/me');
        const out = {};
        for (const p of pages) {
            const f = await Schema.form(p, {filingId: draft.id, draft, me});
            out[p.page_id] = f.node.textContent;
        }
        return out;
    }""" % ID_NUMBER, pages)
    for p in pages:
        for field in p["fields"]:
            if field["widget"] != "hidden":
                assert field["label"] in drawn[p["page_id"]], (p["page_id"], field["name"])


def test_a_filing_through_the_chat(phone_page, live_server, tmp_path):
    page = phone_page
    sign_in(page, live_server, "h5-chat", "#/chat")
    heading(page, "说说情况，帮您办理")
    page.locator(".card-privacy_notice").wait_for()
    check_accessibility(page, "h5-chat-start")
    page.get_by_role("button", name="同意", exact=True).click()
    page.get_by_text("已记录您同意").wait_for()
    page.get_by_label("输入您想说的话").fill("医保在成都，退休了要去上海长住")
    page.get_by_role("button", name="发送").click()
    answers = {"姓名": "周桂兰", "身份证": ID_NUMBER, "电话": "13700137000", "地址": "上海市浦东新区世纪大道100号",
               "住在": "上海市浦东新区世纪大道100号"}
    prefer = ["consent:accept", "scheme:employee", "applicant:self", "admitted:no", "start:", "contact_name:",
              "phone:profile", "notice:accept", "submit"]
    seen_cards = set()
    grown = "(n) => { const l = document.querySelector('.chat-log'); return !l.dataset.busy && l.children.length > n; }"
    count = 0
    for _ in range(30):
        page.wait_for_function(grown, arg=count)  # the answer to the last action is in
        count = page.locator(".chat-log > li").count()
        if page.locator(".card-result").count():
            break
        for name in ("summary", "notice", "signature_request", "upload_request"):
            if page.locator(f".card-{name}").count():
                seen_cards.add(name)
        live = page.locator(".options button:not([disabled])")
        values = [live.nth(i).get_attribute("data-value") for i in range(live.count())]
        confirm = page.locator(".card-summary button:not(.link)")
        if page.locator(".card-signature_request canvas").count() and "signed" not in seen_cards:
            seen_cards.add("signed")
            check_accessibility(page, "h5-chat-proof")
            draw_signature(page)
            page.get_by_role("button", name="签名并保存").click()
            continue
        if confirm.count() and "confirmed" not in seen_cards:
            seen_cards.add("confirmed")
            check_accessibility(page, "h5-chat-summary")
            assert page.locator(".card-summary button.link").count() >= 3  # a change link per value
            confirm.first.click()
            continue
        choice = next((v for p in prefer for v in values if v and v.startswith(p)), None)
        if choice:
            live.nth(values.index(choice)).click()
            continue
        last = page.locator(".msg.bot:not(.options):not(.card-item)").last.inner_text()
        reply = next((a for k, a in answers.items() if k in last), None)
        assert reply, f"no answer for: {last}"
        page.get_by_label("输入您想说的话").fill(reply)
        page.get_by_role("button", name="发送").click()
    result = page.locator(".card-result")
    result.wait_for()
    assert {"summary", "notice", "signature_request", "upload_request"} <= seen_cards
    assert re.search(r"备案编号\s*[0-9A-Z]{8,}", result.inner_text())
    check_accessibility(page, "h5-chat-result")
    result.get_by_role("link", name="查看备案记录").click()
    page.get_by_role("heading", name="办理进度").wait_for()


@pytest.fixture
def counter_token(app):
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH31000001"))
        code = inst_service.create_counter_code(inst, "住院处")
        _db.session.commit()
        return {"token": inst_service.token_for(code), "name": inst.name}


def test_a_counter_qr_opens_the_client_with_the_place_chosen(phone_page, live_server, counter_token):
    page = phone_page
    page.goto(f"{live_server}/q/{counter_token['token']}")
    page.get_by_role("heading", name=re.compile(counter_token["name"])).wait_for()
    assert page.get_by_role("link", name="打开微信小程序办理").get_attribute("href").startswith("https://wxaurl.cn/")
    check_accessibility(page, "h5-counter-landing")
    page.get_by_role("link", name=re.compile("在这个网页上办理")).click()
    page.get_by_label("体验账号").fill("h5-counter-entry")
    page.get_by_role("button", name="进入").click()
    heading(page, counter_token["name"])
    assert "上海市" in page.locator("dl.facts").inner_text()
    check_accessibility(page, "h5-entry")
    page.get_by_role("button", name="按步骤办理").click()
    heading(page, "个人信息保护告知书")
    page.get_by_label("我已阅读并同意《个人信息保护告知书》").check()
    page.get_by_role("button", name="下一步").click()
    heading(page, counter_token["name"])  # back to the entry once the notice is accepted
    page.get_by_role("button", name="按步骤办理").click()
    heading(page, "异地就医备案申请")
    page.get_by_label("姓名").fill("孙丽")
    page.get_by_label("证件号码").fill(ID_NUMBER)
    page.get_by_role("button", name="自己备案 / 为他人备案").click()
    heading(page, "选择参保地、就医地和备案类型")
    # the visit place is the hospital's, already chosen
    visit = page.get_by_label("就医地：城市")
    assert visit.evaluate("el => el.selectedOptions[0].textContent") == "上海市"
    assert page.get_by_label("就医地：省份").evaluate("el => el.selectedOptions[0].textContent") == "上海市"


@pytest.fixture
def approved_filing(client, app):
    login(client, "h5-records")
    with app.app_context():
        owner = user_by_openid("h5-records")
        filing = make_filing(owner, "other_temporary", insured="330700", visit="110000", seq=31)
        assert filing.status == "approved"
        _db.session.commit()
        return {"id": filing.id, "number": filing.number}


def test_records_with_the_timeline_and_the_voucher_qr(phone_page, live_server, approved_filing):
    page = phone_page
    sign_in(page, live_server, "h5-records", "#/records")
    heading(page, "我的备案记录")
    tile = page.locator(".tiles a").first
    assert "备案成功" in tile.inner_text()
    check_accessibility(page, "h5-records")
    tile.click()
    page.get_by_role("heading", name="办理进度").wait_for()
    steps = page.locator(".timeline li")
    assert steps.count() >= 2
    assert "备案成功" in page.locator(".timeline").inner_text()  # the status in words, not a colour
    page.wait_for_function("() => { const i = document.querySelector('img.qr'); return i && i.naturalWidth > 0; }")
    assert approved_filing["number"][:4] in page.locator("img.qr").get_attribute("alt")
    check_accessibility(page, "h5-record-detail")


def test_institution_search_and_settlement_status(phone_page, live_server, app):
    with app.app_context():
        seed_demo()
        _db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/h5/#/hospitals")  # public: no sign-in needed
    heading(page, "查定点医院")
    choose_region(page, "地区", "北京市")
    page.get_by_role("button", name="查询").click()
    page.get_by_text(re.compile("找到\\d+")).wait_for()
    assert "北京协和医院" in page.locator(".tiles").inner_text()
    assert "住院直接结算：可以" in page.locator(".tiles").inner_text()
    check_accessibility(page, "h5-hospitals")
    page.goto(f"{live_server}/h5/#/settlement")
    heading(page, "开通情况")
    choose_region(page, "城市", "北京市")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("heading", name="北京市的开通情况").wait_for()
    assert "住院费用直接结算：已开通" in page.locator("main").inner_text()
    check_accessibility(page, "h5-settlement")
