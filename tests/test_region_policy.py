"""Per-region filing policy: national defaults and sourced overrides."""
from __future__ import annotations

import json
import logging

import pytest

from server.regions.catalogue import get_catalogue
from server.regions.policy import (LONG_TERM_TYPES, POLICY_FILE, PolicyBook, RegionPolicy,
                                   UnknownRegionError, policy_for)


def test_national_defaults():
    policy = policy_for("330700")
    assert policy == RegionPolicy(
        region_code="330700", allow_same_province=False,
        commitment_types=frozenset({"retiree_relocated", "long_term_resident", "resident_worker"}),
        max_backdate_days=10, temporary_validity_months=6, long_term_lock_months=6,
        proof_due_days=180, review_working_days=2, allow_temporary_beside_long_term=False)
    assert policy.accepts_commitment("resident_worker")
    assert not policy.accepts_commitment("referral")


def test_alias_codes_are_canonicalised():
    assert policy_for("110100").region_code == "110000"
    assert policy_for("500200") == policy_for("500000")


def test_unknown_region():
    with pytest.raises(UnknownRegionError) as err:
        policy_for("999999")
    assert err.value.code == "region.unknown"
    assert err.value.message == "没有找到这个地区"


def test_region_override_from_file():
    assert policy_for("140100").long_term_lock_months == 0  # 太原
    assert policy_for("370700").proof_due_days == 60  # 潍坊
    assert policy_for("140200").long_term_lock_months == 6  # 大同 keeps the default


def test_province_override_applies_to_all_its_regions():
    book = PolicyBook([{"region_code": "460000", "max_backdate_days": 30, "source": "test"}], get_catalogue())
    for code in ("460100", "469025", "469900"):  # 海口, 白沙 (directly administered), 省本级
        assert book.policy_for(code).max_backdate_days == 30
    assert book.policy_for("440100").max_backdate_days == 10


def test_overrides_that_can_never_take_effect_are_reported_at_load(caplog):
    # Attached to the module's logger itself, and enabled: an Alembic run's fileConfig earlier in
    # the session disables the loggers that existed then.
    logger = logging.getLogger("server.regions.policy")
    logger.addHandler(caplog.handler)
    was_disabled, logger.disabled = logger.disabled, False
    try:
        book = PolicyBook([
            # Hainan's first row: other_temporary needs no proof, so no letter can replace one.
            {"region_code": "460000", "source": "test",
             "commitment_types": ["retiree_relocated", "long_term_resident", "resident_worker", "other_temporary"]},
            {"region_code": "510000", "max_backdate_days": 30, "source": "test"},
            {"region_code": "510100", "max_backdate_days": 30, "review_working_days": 3, "source": "test"},
            {"region_code": "330700", "proof_due_days": 180, "source": "test"},
        ], get_catalogue())
    finally:
        logger.removeHandler(caplog.handler)
        logger.disabled = was_disabled
    assert len(book.warnings) == 3
    assert any("460000" in w and "other_temporary" in w for w in book.warnings)
    assert any("510100" in w and "max_backdate_days" in w for w in book.warnings)
    assert any("330700" in w and "proof_due_days" in w for w in book.warnings)
    assert not any("review_working_days" in w for w in book.warnings)
    logged = {r.getMessage() for r in caplog.records if r.levelname == "WARNING"}
    assert logged == {f"policy override {w}" for w in book.warnings}


def test_the_shipped_policy_file_has_no_ineffective_override():
    assert PolicyBook.load().warnings == []
    assert policy_for("460100").commitment_types == LONG_TERM_TYPES


def test_every_file_override_names_a_source():
    rows = json.loads(POLICY_FILE.read_text(encoding="utf-8"))["overrides"]
    assert rows and all(row["source"].startswith("http") for row in rows)


def test_region_row_wins_over_province_row():
    book = PolicyBook([
        {"region_code": "510000", "allow_same_province": True, "max_backdate_days": 30, "source": "test"},
        {"region_code": "510100", "max_backdate_days": 5, "source": "test"},
    ], get_catalogue())
    chengdu, mianyang = book.policy_for("510100"), book.policy_for("510700")
    assert (chengdu.allow_same_province, chengdu.max_backdate_days) == (True, 5)
    assert (mianyang.allow_same_province, mianyang.max_backdate_days) == (True, 30)
    assert book.policy_for("330700").max_backdate_days == 10
    assert book.overridden_codes() == ["510000", "510100"]


def test_override_codes_are_canonicalised():
    book = PolicyBook([{"region_code": "310100", "allow_temporary_beside_long_term": True,
                        "source": "test"}], get_catalogue())
    assert book.policy_for("310000").allow_temporary_beside_long_term


@pytest.mark.parametrize("row, message", [
    ({"region_code": "330700", "long_term_lock_months": 7, "source": "x"}, "0-6"),
    ({"region_code": "330700", "commitment_types": ["holiday"], "source": "x"}, "holiday"),
    ({"region_code": "330700", "max_backdate_days": 10}, "source"),
    ({"region_code": "330700", "lock": 3, "source": "x"}, "lock"),
    ({"region_code": "999999", "source": "x"}, "unknown region"),
])
def test_bad_override_rows_fail_at_load(row, message):
    with pytest.raises(ValueError, match=message):
        PolicyBook([row], get_catalogue())


def test_lock_months_range():
    assert RegionPolicy("330700", long_term_lock_months=0).long_term_lock_months == 0
    with pytest.raises(ValueError):
        RegionPolicy("330700", long_term_lock_months=-1)
    assert RegionPolicy("330700").commitment_types == LONG_TERM_TYPES


def test_policy_is_frozen():
    with pytest.raises(AttributeError):
        policy_for("330700").max_backdate_days = 99  # type: ignore[misc]
