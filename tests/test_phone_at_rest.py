"""Phone numbers: digits of any script stored as ASCII, and never in clear in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from server.extensions import db as _db
from tests.conftest import login
from tests.helpers_filing import add_family_member, setup_user

NUMBER = "13812345678"


def stored(app, table: str, column: str) -> list[str]:
    with app.app_context():
        return [r[0] for r in _db.session.execute(text(f"SELECT {column} FROM {table}"))
                if r[0] is not None]


@pytest.mark.parametrize("typed", ["١٣٨١٢٣٤٥٦٧٨", "۱۳۸۱۲۳۴۵۶۷۸", "１３８１２３４５６７８", "138 1234 5678"])
def test_phone_in_any_digits_is_stored_as_ascii(client, app, typed):
    headers = login(client)
    resp = client.patch("/api/v1/me", json={"phone": typed}, headers=headers)
    assert resp.status_code == 200, resp.json
    assert resp.json["phone_masked"] == "138****5678"
    from server.accounts.models import User
    with app.app_context():
        assert _db.session.scalar(_db.select(User.phone)) == NUMBER


def test_non_digits_that_look_like_digits_are_refused(client):
    headers = login(client)
    resp = client.patch("/api/v1/me", json={"phone": "1381234567٨x"}, headers=headers)
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "phone"


def test_phones_are_encrypted_at_rest_everywhere(client, app):
    headers = setup_user(client, phone=NUMBER)
    add_family_member(client, headers, phone="13900139000")
    draft = client.post("/api/v1/filings", json={"applicant": "self"}, headers=headers)
    assert draft.status_code == 201, draft.json
    resp = client.patch(f"/api/v1/filings/{draft.json['id']}", json={"contact_phone": "13700137000"},
                        headers=headers)
    assert resp.status_code == 200, resp.json
    for table, column, number in (("users", "phone", NUMBER), ("family_members", "phone", "13900139000"),
                                  ("filings", "contact_phone", "13700137000")):
        values = stored(app, table, column)
        assert values, (table, column)
        for value in values:
            assert number not in value and not value.isdigit(), (table, value)
            from server.common import crypto
            assert crypto.decrypt(value, app.config["DATA_KEY"]) == number
    # Read back through the application as before.
    assert client.get("/api/v1/me", headers=headers).json["phone_masked"] == "138****5678"
    from server.filing.models import Filing
    with app.app_context():
        assert _db.session.get(Filing, draft.json["id"]).contact_phone == "13700137000"


def test_key_rotation_covers_the_phone_columns(app):
    from server import create_app
    from server.common import crypto, keyrotation
    from server.config import TestConfig

    old_key, new_key = "old-data-key-" + "o" * 30, "new-data-key-" + "n" * 30

    def other(**cfg):
        return create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                     WECHAT_API_BASE=app.config["WECHAT_API_BASE"], **cfg))

    apps = [other(DATA_KEY=old_key), other(DATA_KEY=new_key, DATA_KEYS_OLD=old_key), other(DATA_KEY=new_key)]
    try:
        with apps[0].app_context():
            names = {str(c) for c in keyrotation.encrypted_columns()}
        assert {"users.phone", "family_members.phone", "filings.contact_phone"} <= names
        client = apps[0].test_client()
        headers = setup_user(client, "openid-rotate-phone", phone=NUMBER)
        add_family_member(client, headers, phone="13900139000")
        assert client.post("/api/v1/filings", json={"applicant": "self"}, headers=headers).status_code == 201
        result = apps[1].test_cli_runner().invoke(args=["keys", "rotate"])
        assert result.exit_code == 0, result.output
        for table, column in (("users", "phone"), ("family_members", "phone"), ("filings", "contact_phone")):
            values = stored(apps[2], table, column)
            assert values
            for value in values:
                assert crypto.decrypt(value, [new_key]) in (NUMBER, "13900139000")
                with pytest.raises(crypto.DecryptionError):
                    crypto.decrypt(value, [old_key])
        fresh = apps[2].test_client()
        assert fresh.get("/api/v1/me", headers=login(fresh, "openid-rotate-phone")).json["phone_masked"] == \
            "138****5678"
    finally:
        for made in apps:
            with made.app_context():
                _db.session.remove()
                _db.engine.dispose()
