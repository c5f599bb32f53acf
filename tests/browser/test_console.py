"""The staff console in a real browser: a reviewer decides, a counter clerk verifies (camera QR and
typed number) and manages the counter's codes, an operator manages accounts and imports the
directory. axe-core checks every page; screenshots go to test-artifacts/."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from server.accounts.staff import create_staff
from server.extensions import db as _db
from server.filing import service as filing_service
from server.filing.events import Actor
from server.institutions import qr
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from server.records.voucher import make_voucher
from server.review.adapter import get_review_adapter
from tests.browser.conftest import check_accessibility, launch, y4m_of
from tests.conftest import login
from tests.review_helpers import make_filing, png_bytes, user_by_openid

PASSWORD = "console-password-1"


def staff_sign_in(page, base, username):
    page.goto(f"{base}/console/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()


def _pending_with_document(owner, seq, insured="330700"):
    filing = make_filing(owner, "referral", insured=insured, seq=seq, submit=False)
    filing_service.add_document(owner, filing, "referral_certificate", png_bytes((120, 90)))
    get_review_adapter().on_submitted(filing, Actor("user", owner.id))
    _db.session.flush()
    assert filing.status == "pending_review"
    return filing.id


@pytest.fixture
def review_data(client, app):
    login(client, "u-console")
    with app.app_context():
        owner = user_by_openid("u-console")
        ids = [_pending_with_document(owner, seq) for seq in (11, 12, 13)]
        create_staff("rev-jh", PASSWORD, "reviewer", region_codes=["330700"], display_name="金华审核")
        create_staff("rev-cd", PASSWORD, "reviewer", region_codes=["510100"], display_name="成都审核")
        _db.session.commit()
    return ids


def test_reviewer_approves_returns_and_rejects(page, live_server, review_data):
    approve_id, return_id, reject_id = review_data
    staff_sign_in(page, live_server, "rev-jh")
    page.get_by_role("heading", name="待审核").wait_for()
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert "审核截止" in page.locator("thead").inner_text()
    check_accessibility(page, "console-review-queue")

    page.goto(f"{live_server}/console/#/review/{approve_id}")
    page.get_by_role("heading", name=re.compile("备案")).wait_for()
    image = page.locator(".doc img")
    image.wait_for()
    page.wait_for_function("() => { const i = document.querySelector('.doc img'); return i && i.naturalWidth > 0; }")
    check_accessibility(page, "console-review-detail")
    page.get_by_role("button", name="审核通过").click()
    page.get_by_text("已审核通过").wait_for()
    assert "备案成功" in page.locator("h2").inner_text()
    timeline = page.locator(".timeline").inner_text()
    assert "备案成功" in timeline and "医保经办机构" in timeline  # the reviewer's decision, in the timeline

    page.goto(f"{live_server}/console/#/review/{return_id}")
    page.get_by_role("button", name="退回补充材料").click()
    page.get_by_text("请填写原因").wait_for()  # a return needs a reason the person will read
    page.get_by_label(re.compile("原因")).fill("转诊证明缺少医院盖章，请补充")
    page.get_by_role("button", name="退回补充材料").click()
    page.get_by_text("已退回补充材料").wait_for()
    assert "待补充材料" in page.locator("h2").inner_text()

    page.goto(f"{live_server}/console/#/review/{reject_id}")
    page.get_by_label(re.compile("原因")).fill("转诊证明不是参保地定点医院开具")
    page.get_by_role("button", name="审核不通过").click()
    page.get_by_text("已审核不通过").wait_for()
    assert "审核不通过" in page.locator("h2").inner_text()
    assert "转诊证明不是参保地定点医院开具" in page.locator(".card").first.inner_text()

    page.goto(f"{live_server}/console/#/review")
    page.get_by_role("heading", name="待审核").wait_for()
    assert page.locator("tbody").inner_text().strip() == "暂无"


def test_reviewer_of_another_region_sees_nothing(page, live_server, review_data):
    staff_sign_in(page, live_server, "rev-cd")
    page.get_by_role("heading", name="待审核").wait_for()
    assert page.locator("tbody").inner_text().strip() == "暂无"
    page.goto(f"{live_server}/console/#/review/{review_data[0]}")
    page.locator("#flash.bad").wait_for()
    assert "张三" not in page.content()


@pytest.fixture
def counter_data(client, app):
    """A counter at the demo 北京协和医院 and an approved filing for 北京."""
    login(client, "u-counter-patient")
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).where(Institution.code == "DEMOH11000001"))
        create_staff("xh-window", PASSWORD, "counter", institution_id=inst.id, display_name="住院处")
        owner = user_by_openid("u-counter-patient")
        filing = make_filing(owner, "other_temporary", insured="330700", visit="110000", seq=21)
        assert filing.status == "approved"
        _db.session.commit()
        return {"number": filing.number, "voucher_png": qr.qr_png(make_voucher(filing), box_size=10)}


def _assert_covered(page):
    verdict = page.locator(".verdict")
    verdict.wait_for()
    assert "可以直接结算" in verdict.inner_text()
    card = page.locator("#result").inner_text()
    assert "张*" in card or "张" in card
    assert re.search(r"\d{4}\*+\d{4}", card), "the masked ID number is shown"


def test_counter_verifies_a_voucher_through_the_camera(playwright_instance, live_server, counter_data, tmp_path):
    # Linux Chromium has no BarcodeDetector: the page decodes the camera frames with jsQR.
    video = y4m_of(counter_data["voucher_png"], tmp_path / "voucher.y4m")
    browser = launch(playwright_instance, ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                                           f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        staff_sign_in(page, live_server, "xh-window")
        page.get_by_role("heading", name="备案核验").wait_for()
        check_accessibility(page, "console-counter-verify")
        page.get_by_role("button", name="扫码核验").click()
        _assert_covered(page)
        check_accessibility(page, "console-counter-verified-by-camera")
    finally:
        browser.close()


def test_counter_verifies_a_typed_number_and_manages_codes(page, live_server, counter_data):
    staff_sign_in(page, live_server, "xh-window")
    page.get_by_label("备案编号").fill(counter_data["number"])
    page.get_by_role("button", name="核验", exact=True).click()
    _assert_covered(page)

    page.get_by_role("link", name="窗口二维码").click()
    page.get_by_role("heading", name="窗口二维码").wait_for()
    page.get_by_label("窗口名称").fill("住院处2号窗口")
    page.get_by_role("button", name="生成二维码").click()
    page.get_by_text("已生成新的窗口二维码").wait_for()
    row = page.locator("tbody tr", has_text="住院处2号窗口")
    assert "使用中" in row.inner_text()
    check_accessibility(page, "console-counter-codes")
    with page.expect_download() as png:
        row.get_by_role("button", name="下载海报 PNG").click()
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as pdf:
        row.get_by_role("button", name="下载海报 PDF").click()
    assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="停用").click()
    page.get_by_text("已停用").first.wait_for()
    assert "已停用" in page.locator("tbody tr", has_text="住院处2号窗口").inner_text()


def test_operator_manages_accounts_and_imports_the_directory(page, live_server, app, tmp_path):
    with app.app_context():
        create_staff("ops", PASSWORD, "operator", display_name="运维")
        _db.session.commit()
    staff_sign_in(page, live_server, "ops")
    page.get_by_role("heading", name="工作人员账号").wait_for()
    check_accessibility(page, "console-operator-staff")
    page.get_by_label("用户名").fill("rev-new")
    page.get_by_label("角色").select_option("reviewer")
    page.get_by_label("参保地代码（审核人员）").fill("330700")
    page.get_by_label("初始密码").fill("a-long-enough-password")
    page.get_by_role("button", name="创建").click()
    page.get_by_text("已创建账号 rev-new").wait_for()
    row = page.locator("tbody tr", has_text="rev-new")
    assert "正常" in row.inner_text()
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="停用").click()
    page.get_by_text("已停用").first.wait_for()
    assert "已停用" in page.locator("tbody tr", has_text="rev-new").inner_text()

    bad = tmp_path / "directory.csv"
    bad.write_text("code,name,region_code,kind,level\nTESTH0001,测试医院一,330700,hospital,三级\nTESTH0002,,999999,hospital,三级\n", encoding="utf-8")
    page.get_by_role("link", name="机构目录导入").click()
    page.get_by_role("heading", name="导入定点医疗机构目录").wait_for()
    page.get_by_label("目录文件").set_input_files(str(bad))
    page.get_by_role("button", name="检查并导入").click()
    report = page.locator("#import-report")
    report.get_by_text("没有导入任何数据").wait_for()
    assert "第3行" in report.inner_text()
    check_accessibility(page, "console-operator-import")

    page.get_by_role("link", name="发送失败的消息").click()
    page.get_by_role("heading", name="发送失败的消息").wait_for()
    check_accessibility(page, "console-operator-dead-letters")


def test_login_page_is_accessible_and_refuses_bad_passwords(page, live_server, app):
    with app.app_context():
        create_staff("rev-x", PASSWORD, "reviewer", region_codes=["330700"])
        _db.session.commit()
    page.goto(f"{live_server}/console/")
    page.get_by_role("heading", name="工作人员登录").wait_for()
    check_accessibility(page, "console-login")
    page.get_by_label("用户名").fill("rev-x")
    page.get_by_label("密码").fill("wrong-password-123")
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("#flash.bad").wait_for()
    assert page.get_by_role("heading", name="工作人员登录").is_visible()
