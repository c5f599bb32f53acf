"""Rotating DATA_KEY: a database of filings written under the old key, re-encrypted in batches by
`flask keys rotate` (interrupted once, then run again), still reads in full under the new key
alone, and look-up by ID number (the counter's verification) keeps finding the filings."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from server import create_app
from server.common import crypto, keyrotation
from server.config import TestConfig
from server.extensions import db as _db
from tests.helpers_filing import make_ready_draft, setup_user, submit
from tests.idgen import resident_id

OLD, NEW = "old-data-key-" + "o" * 30, "new-data-key-" + "n" * 30


def _app(app, **cfg):
    return create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                 WECHAT_API_BASE=app.config["WECHAT_API_BASE"], **cfg))


@pytest.fixture
def apps(app):
    made = {"old": _app(app, DATA_KEY=OLD), "both": _app(app, DATA_KEY=NEW, DATA_KEYS_OLD=OLD),
            "new": _app(app, DATA_KEY=NEW)}
    yield made
    for other in made.values():
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def _tokens(app) -> list[tuple[str, str]]:
    """(table.column#key, token) for every encrypted value, in a stable order."""
    from server.accounts.models import FamilyMember, User
    from server.common.datakeys import DataKey
    from server.filing.models import Filing

    with app.app_context():
        out = []
        for model, cols in ((User, ("session_key_enc", "id_number_enc")), (FamilyMember, ("id_number_enc",)),
                            (Filing, ("person_id_enc",)), (DataKey, ("value_enc",))):
            for row in _db.session.execute(select(model)).scalars():
                ident = getattr(row, "id", None) or getattr(row, "name", None)
                out += [(f"{model.__tablename__}.{c}#{ident}", getattr(row, c)) for c in cols if getattr(row, c)]
        return sorted(out)


def _counter_headers(app, client) -> dict:
    from server.accounts.staff import create_staff
    from server.institutions.models import Institution

    with app.app_context():
        inst = Institution(code="ROT001", name="上海市第一人民医院", region_code="310000",
                           province_code="310000", kind="hospital", level="三级")
        _db.session.add(inst)
        _db.session.flush()
        create_staff("rot-counter", "counter-password-1", "counter", institution_id=inst.id)
        _db.session.commit()
    resp = client.post("/api/v1/staff/auth/login", json={"username": "rot-counter", "password": "counter-password-1"})
    assert resp.status_code == 200, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_rotation_reencrypts_every_value_and_resumes(apps, monkeypatch):
    old = apps["old"].test_client()
    numbers = []
    for i in range(7):
        number = resident_id("510104", date(1950, 1, 1 + i), 11 + i)
        numbers.append(number)
        headers = setup_user(old, f"openid-rot-{i}", id_number=number)
        draft = make_ready_draft(old, headers, "retiree_relocated")
        assert submit(old, headers, draft["id"]).status_code in (200, 201)
    before = _tokens(apps["old"])
    assert len(before) >= 7 * 2 + 1
    assert all(crypto.is_current(t, OLD) for _, t in before)

    runner = apps["both"].test_cli_runner()
    # Interrupted in the middle of a batch: that batch rolls back, the earlier ones stay done.
    real_rotate, calls = crypto.rotate, {"n": 0}

    def flaky(token, keys):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real_rotate(token, keys)

    monkeypatch.setattr(crypto, "rotate", flaky)
    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code != 0
    monkeypatch.setattr(crypto, "rotate", real_rotate)
    middle = _tokens(apps["both"])
    done = sum(crypto.is_current(t, NEW) for _, t in middle)
    assert 0 < done < len(middle)

    status = runner.invoke(args=["keys", "status"])
    assert "run `flask keys rotate`" in status.output

    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "DATA_KEYS_OLD can be removed" in result.output

    after = _tokens(apps["new"])
    assert len(after) == len(before)
    assert [name for name, _ in after] == [name for name, _ in before]
    for (name, token), (_, original) in zip(after, before):
        assert crypto.decrypt(token, [NEW]) == crypto.decrypt(original, [OLD]), name
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(token, [OLD])

    # The new key alone: every filing still found by the holder's ID number.
    new = apps["new"].test_client()
    counter = _counter_headers(apps["new"], new)
    for number in numbers:
        resp = new.post("/api/v1/staff/verify", json={"id_number": number}, headers=counter)
        assert resp.status_code == 200, resp.json
    assert "all values are under DATA_KEY" in apps["new"].test_cli_runner().invoke(args=["keys", "status"]).output


def test_a_value_under_an_unknown_key_stops_the_run(apps):
    old = apps["old"].test_client()
    setup_user(old, "openid-rot-unknown")
    result = apps["new"].test_cli_runner().invoke(args=["keys", "rotate"])  # OLD not configured
    assert result.exit_code != 0
    assert "DATA_KEYS_OLD" in result.output


def test_encrypted_columns_are_all_known(app):
    with app.app_context():
        names = {str(c) for c in keyrotation.encrypted_columns()}
    assert {"users.id_number_enc", "users.session_key_enc", "family_members.id_number_enc",
            "filings.person_id_enc", "data_keys.value_enc"} <= names
