"""Rotating SECRET_KEY: with the old key in SECRET_KEYS_OLD, logins, printed counter QR codes and
vouchers made before the change still verify, everything new is signed with the new key, and once
the old key is removed its signatures are refused."""
from __future__ import annotations

import pytest

from server import create_app
from server.config import TestConfig
from server.extensions import db as _db
from tests.conftest import login

OLD, NEW = "old-secret-" + "o" * 32, "new-secret-" + "n" * 32


@pytest.fixture
def apps(app):
    made = {name: create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                        WECHAT_API_BASE=app.config["WECHAT_API_BASE"], **cfg))
            for name, cfg in (("old", {"SECRET_KEY": OLD}),
                              ("both", {"SECRET_KEY": NEW, "SECRET_KEYS_OLD": OLD}),
                              ("new", {"SECRET_KEY": NEW}))}
    yield made
    for other in made.values():
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_login_tokens_survive_the_rotation_window(apps):
    headers = login(apps["old"].test_client(), "openid-secret-rotation")
    assert apps["both"].test_client().get("/api/v1/me", headers=headers).status_code == 200
    assert apps["new"].test_client().get("/api/v1/me", headers=headers).status_code == 401
    fresh = login(apps["both"].test_client(), "openid-secret-rotation")
    assert apps["new"].test_client().get("/api/v1/me", headers=fresh).status_code == 200


def test_printed_counter_codes_and_vouchers_survive_the_rotation_window(apps):
    from server.errors import ApiError
    from server.institutions import service as institutions
    from server.institutions.models import CounterCode, Institution
    from server.records.voucher import make_voucher, read_voucher
    from tests.review_helpers import make_filing, user_by_openid

    login(apps["old"].test_client(), "openid-secret-codes")
    with apps["old"].app_context():
        inst = Institution(code="SEC001", name="上海市第六人民医院", region_code="310000",
                           province_code="310000", kind="hospital", level="三级")
        _db.session.add(inst)
        _db.session.flush()
        code = CounterCode(institution_id=inst.id, counter_name="住院处")
        _db.session.add(code)
        filing = make_filing(user_by_openid("openid-secret-codes"), "emergency")
        _db.session.commit()
        printed, voucher, code_id, filing_id = institutions.token_for(code), make_voucher(filing), code.id, filing.id

    with apps["both"].app_context():
        assert institutions.find_counter_code(printed).id == code_id
        assert read_voucher(voucher) == filing_id
        code = _db.session.get(CounterCode, code_id)
        assert institutions.token_for(code) != printed  # new codes are signed with the new key
        renewed = institutions.token_for(code)

    with apps["new"].app_context():
        assert institutions.find_counter_code(renewed).id == code_id
        with pytest.raises(ApiError) as exc:
            institutions.find_counter_code(printed)
        assert exc.value.status == 404
        with pytest.raises(ApiError):
            read_voucher(voucher)
