"""Property-based fuzzing of every operation in the OpenAPI document, in-process against the WSGI app.

Each generated request (valid by the document, and deliberately invalid) is sent as an outsider (no
token), as a user and as each staff role. The checks live in CHECKS: a check takes
(identity, case, response) and fails with an AssertionError; add contract checks there (e.g. the
answer against its documented schema) and they run for every request.

SQLite pass only (the PostgreSQL-specific input defects have their own tests in test_input_hardening).
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.accounts.models import StaffAccount
from server.accounts.staff import create_staff
from server.accounts.tokens import issue_token
from server.extensions import db as _db
from server.institutions.cli import seed_demo
from server.institutions.models import Institution
from tests.conftest import login

pytestmark = pytest.mark.sqlite_only

PASSWORD = "fuzzing-password-1"
# Examples per operation and generation mode; FUZZ_EXAMPLES=200 for a longer run by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
ROLES = ("reviewer", "counter", "operator")
OBJECT_PARAMS = ("filing_id", "member_id", "doc_id", "session_id")


def no_server_error(identity, case, response):
    assert response.status_code < 500, f"answered {response.status_code}: {response.text[:300]}"


def error_in_envelope(identity, case, response):
    """Every refusal is the one JSON error envelope with a message for the user."""
    if response.status_code < 400:
        return
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), (
        f"{response.status_code} outside the envelope: {response.text[:300]}")


CHECKS = [no_server_error, error_in_envelope]


@pytest.fixture
def staff_accounts(app, client):
    """One account per staff role, each proven able to log in."""
    with app.app_context():
        seed_demo()
        inst = _db.session.scalar(select(Institution).order_by(Institution.id))
        accounts = {"reviewer": create_staff("fuzz-reviewer", PASSWORD, "reviewer",
                                             region_codes=["330700", "510100"]),
                    "counter": create_staff("fuzz-counter", PASSWORD, "counter", institution_id=inst.id),
                    "operator": create_staff("fuzz-operator", PASSWORD, "operator")}
        _db.session.commit()
        ids = {role: staff.id for role, staff in accounts.items()}
    for role in ROLES:
        resp = client.post("/api/v1/staff/auth/login",
                           json={"username": f"fuzz-{role}", "password": PASSWORD})
        assert resp.status_code == 200, resp.json
    return ids


def fresh_identities(app, client, staff_ids, n: int) -> dict[str, dict]:
    """New tokens for every identity (an operation may log out or otherwise spend the last ones),
    the user a new person each time (quotas count per person). Staff tokens are issued directly:
    the fuzzed login calls use up the login rate limit."""
    out = {"anonymous": {}, "user": login(client, f"openid-fuzz-{n}")}
    with app.app_context():
        for role in ROLES:
            token, _ = issue_token(staff=_db.session.get(StaffAccount, staff_ids[role]))
            out[role] = {"Authorization": f"Bearer {token}"}
        _db.session.commit()
    return out


def user_objects(client, headers) -> dict[str, object]:
    """Real ids for path parameters, so generated requests reach past the 404 of a made-up id:
    a profile, a family member, a draft with a proof document, a chat session."""
    from tests.helpers_filing import add_family_member, png_bytes, upload
    from tests.idgen import resident_id

    client.patch("/api/v1/me", headers=headers, json={
        "name": "张三", "id_number": resident_id(), "phone": "13800138000",
        "default_insured_region_code": "510100", "default_scheme": "employee"})
    version = client.get("/api/v1/consent", headers=headers).json["version"]
    client.post("/api/v1/consent", json={"version": version}, headers=headers)
    member = add_family_member(client, headers)
    draft = client.post("/api/v1/filings", headers=headers, json={
        "applicant": "self", "filing_type": "referral", "visit_region_code": "310000"}).json
    doc = upload(client, headers, draft["id"], "referral_certificate", png_bytes()).json
    session = client.post("/api/v1/chat/sessions", json={}, headers=headers).json
    return {"filing_id": draft["id"], "member_id": member["id"], "doc_id": doc["document"]["id"],
            "session_id": session["session_id"]}


def _path_names(operation) -> set[str]:
    return {param.name for param in operation.path_parameters}


def fuzz_operation(operation, identities, objects: dict | None = None) -> list[str]:
    """Run the generated cases of one operation; returns what failed (one line per distinct failure).
    With `objects`, half the cases use those real ids for the path parameters."""
    failures: dict[str, str] = {}
    strategies = [operation.as_strategy(generation_mode=mode) for mode in schemathesis.GenerationMode]
    if objects:
        strategies += [operation.as_strategy(generation_mode=mode, path_parameters=objects)
                       for mode in schemathesis.GenerationMode]
    strategy = st.one_of(strategies)

    @given(case=strategy)
    @settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        for identity, headers in identities.items():
            try:
                response = case.call(headers=headers)
                for check in CHECKS:
                    check(identity, case, response)
            except Exception as exc:  # noqa: BLE001  # collected, reported together below
                key = f"{check.__name__ if 'response' in locals() else 'call'}:{type(exc).__name__}"
                failures.setdefault(key, f"{operation.label} as {identity}: {exc!s:.400}\n"
                                         f"    reproduce: {case.as_curl_command()}"[:1500])

    run()
    return list(failures.values())


def test_no_server_error_for_any_input(app, client, staff_accounts):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the whole document, not a stub of it
    failures = []
    for n, operation in enumerate(operations):
        identities = fresh_identities(app, client, staff_accounts, n)
        names = _path_names(operation)
        objects = None
        if names and names <= set(OBJECT_PARAMS):
            known = user_objects(client, identities["user"])
            objects = {name: known[name] for name in names}
        failures += fuzz_operation(operation, identities, objects)
    assert not failures, f"{len(failures)} failing:\n" + "\n".join(failures)
