from dataclasses import dataclass, field, replace
from datetime import date

import pytest

from server.filing import rules
from server.filing.rules import (
    ACTIVE_STATUSES, FILING_TYPES, RELATIONS, SCHEMES, STATUSES, UnknownCode, add_months,
    cancel_allowed, can_extend, check_dates, check_extension, check_proof, check_submission,
    check_visit_place, conflicting_filing, covers, date_ranges_overlap, default_end_date,
    effective_status, needs_review, owes_proof, proof_due_date, proof_options,
)

TODAY = date(2026, 11, 24)


@dataclass(frozen=True)
class Policy:
    allow_same_province: bool = False
    commitment_types: frozenset = field(default_factory=lambda: frozenset(
        {"retiree_relocated", "long_term_resident", "resident_worker"}))
    max_backdate_days: int = 30
    temporary_validity_months: int = 6
    long_term_lock_months: int = 6
    proof_due_days: int = 60
    review_working_days: int = 2
    allow_temporary_beside_long_term: bool = False


P = Policy()


@dataclass
class F:
    filing_type: str
    start_date: date
    end_date: date | None = None
    status: str = "approved"
    id: int | None = None


def codes(problems):
    return [(p.field, p.code) for p in problems]


# --- tables ---

def test_tables_have_the_domain_codes_and_labels():
    assert list(FILING_TYPES) == ["retiree_relocated", "long_term_resident", "resident_worker",
                                  "referral", "emergency", "other_temporary"]
    assert FILING_TYPES["resident_worker"].label == "常驻异地工作人员"
    assert FILING_TYPES["emergency"].group == "temporary"
    assert FILING_TYPES["retiree_relocated"].group_label == "跨省长期居住"
    assert SCHEMES == {"employee": "职工基本医疗保险", "resident": "城乡居民基本医疗保险"}
    assert STATUSES["returned"] == "待补充材料" and STATUSES["superseded"] == "已变更"
    assert len(STATUSES) == 8
    assert RELATIONS["spouse"] == "配偶" and "other" in RELATIONS
    assert ACTIVE_STATUSES == {"pending_review", "returned", "approved"}
    for ftype in FILING_TYPES.values():
        assert ftype.explanation and ftype.to_dict()["code"] == ftype.code


def test_proof_documents_per_type():
    worker = [d.code for d in FILING_TYPES["resident_worker"].proof_documents]
    assert worker == ["dispatch_certificate", "work_certificate", "labor_contract"]
    assert FILING_TYPES["referral"].commitment_can_replace is False
    assert not FILING_TYPES["emergency"].proof_needed
    assert not FILING_TYPES["other_temporary"].proof_needed


def test_unknown_type_raises():
    with pytest.raises(UnknownCode):
        rules.get_filing_type("tourist")


# --- dates ---

@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 11, 24), 6, date(2027, 5, 24)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_is_calendar_aware(start, months, expected):
    assert add_months(start, months) == expected


def test_default_end_date():
    assert default_end_date("other_temporary", date(2026, 8, 31), P) == date(2027, 2, 28)
    assert default_end_date("referral", TODAY, replace(P, temporary_validity_months=12)) == date(2027, 11, 24)
    assert default_end_date("long_term_resident", TODAY, P) is None


def test_dates_ok_for_temporary_and_long_term():
    assert check_dates("referral", TODAY, date(2027, 5, 24), TODAY, P) == []
    assert check_dates("retiree_relocated", TODAY, None, TODAY, P) == []


def test_backdating_limit():
    assert check_dates("emergency", date(2026, 10, 25), date(2027, 4, 25), TODAY, P) == []
    problems = check_dates("emergency", date(2026, 10, 24), date(2027, 4, 24), TODAY, P)
    assert codes(problems) == [("start_date", "filing.start_date_too_early")]
    assert "2026年10月25日" in problems[0].message


def test_temporary_end_must_give_minimum_validity():
    problems = check_dates("other_temporary", TODAY, date(2027, 5, 23), TODAY, P)
    assert codes(problems) == [("end_date", "filing.end_date_too_early")]
    assert "6个月" in problems[0].message and "2027年5月24日" in problems[0].message
    assert codes(check_dates("other_temporary", TODAY, None, TODAY, P)) == [("end_date", "filing.end_date_required")]


def test_long_term_has_no_end_and_start_is_required():
    problems = check_dates("resident_worker", None, date(2027, 1, 1), TODAY, P)
    assert codes(problems) == [("start_date", "filing.start_date_required"),
                               ("end_date", "filing.end_date_not_allowed")]
    assert codes(check_dates("nope", TODAY, None, TODAY, P)) == [("filing_type", "filing.filing_type_invalid")]


# --- places ---

def test_visit_place_other_province_ok():
    assert check_visit_place("510100", "440300", False, P) == []


def test_visit_place_same_province_refused_unless_policy_allows():
    problems = check_visit_place("510100", "510700", True, P)
    assert codes(problems) == [("visit_region_code", "filing.visit_region_same_province")]
    assert problems[0].message == "就医地需在参保地以外的省份"
    assert check_visit_place("510100", "510700", True, replace(P, allow_same_province=True)) == []


def test_visit_place_same_region_and_municipality_alias():
    assert codes(check_visit_place("110000", "110100", True, replace(P, allow_same_province=True))) == [
        ("visit_region_code", "filing.visit_region_same_as_insured")]
    assert codes(check_visit_place(None, "", False, P)) == [
        ("insured_region_code", "filing.insured_region_required"),
        ("visit_region_code", "filing.visit_region_required")]


# --- proof ---

def test_proof_options():
    opts = proof_options("resident_worker", P)
    assert [d.code for d in opts.documents] == ["dispatch_certificate", "work_certificate", "labor_contract"]
    assert opts.commitment_allowed and not opts.none_needed
    assert opts.modes == ("uploaded", "commitment")
    strict = replace(P, commitment_types=frozenset())
    assert proof_options("resident_worker", strict).commitment_allowed is False
    assert proof_options("resident_worker", strict).modes == ("uploaded",)
    # a region cannot open the commitment letter to referral: the national rule says no
    assert not proof_options("referral", replace(P, commitment_types={"referral"})).commitment_allowed
    emergency = proof_options("emergency", P)
    assert emergency.none_needed and emergency.documents == () and "none" in emergency.modes


def test_any_one_document_is_enough():
    assert check_proof("resident_worker", "uploaded", ["labor_contract"], P) == []
    assert check_proof("long_term_resident", "uploaded", ["residence_certificate", "other"], P) == []


def test_missing_or_wrong_documents():
    problems = check_proof("resident_worker", "uploaded", ["household_register"], P)
    assert codes(problems) == [("proof", "filing.proof_required")]
    assert "之一" in problems[0].message and "劳动合同" in problems[0].message
    assert "个人承诺书" in problems[0].message
    problems = check_proof("referral", None, [], P)
    assert codes(problems) == [("proof", "filing.proof_required")]
    assert "承诺书" not in problems[0].message


def test_commitment_rules():
    assert check_proof("retiree_relocated", "commitment", [], P) == []
    refused = check_proof("retiree_relocated", "commitment", [], replace(P, commitment_types=()))
    assert codes(refused) == [("proof", "filing.commitment_not_allowed")]
    assert "参保地不支持" in refused[0].message
    referral = check_proof("referral", "commitment", [], P)
    assert codes(referral) == [("proof", "filing.commitment_not_allowed")]
    assert codes(check_proof("emergency", "commitment", [], P)) == [("proof", "filing.commitment_not_needed")]


def test_no_proof_types_accept_nothing_or_a_record():
    assert check_proof("emergency", "none", [], P) == []
    assert check_proof("other_temporary", None, [], P) == []
    assert check_proof("emergency", "uploaded", ["admission_note"], P) == []
    assert codes(check_proof("emergency", "fax", [], P)) == [("proof", "filing.proof_mode_invalid")]


def test_needs_review_and_owed_proof():
    assert needs_review("emergency", "none") is False
    assert needs_review("other_temporary", None) is False
    assert needs_review("referral", "uploaded") is True
    assert needs_review("long_term_resident", "uploaded") is True
    assert needs_review("retiree_relocated", "commitment") is True
    assert owes_proof("retiree_relocated", "commitment") is True
    assert owes_proof("retiree_relocated", "uploaded") is False
    assert proof_due_date(date(2026, 11, 24), P) == date(2027, 1, 23)


# --- cancel, extend ---

def test_long_term_locked_after_approval():
    assert cancel_allowed("retiree_relocated", date(2026, 8, 31), date(2027, 2, 27), P) == (False, date(2027, 2, 28))
    assert cancel_allowed("retiree_relocated", date(2026, 8, 31), date(2027, 2, 28), P) == (True, None)
    assert cancel_allowed("retiree_relocated", date(2026, 11, 1), TODAY, replace(P, long_term_lock_months=0)) == (True, None)
    assert cancel_allowed("other_temporary", TODAY, TODAY, P) == (True, None)
    assert cancel_allowed("resident_worker", None, TODAY, P) == (True, None)


def test_extend_only_approved_temporary_before_end():
    assert can_extend("referral", "approved", date(2026, 11, 24), TODAY)
    assert not can_extend("referral", "approved", date(2026, 11, 23), TODAY)
    assert not can_extend("referral", "pending_review", date(2027, 1, 1), TODAY)
    assert not can_extend("long_term_resident", "approved", None, TODAY)
    assert check_extension("referral", "approved", date(2027, 1, 1), date(2027, 7, 1), TODAY) == []
    assert codes(check_extension("referral", "approved", date(2027, 1, 1), date(2027, 1, 1), TODAY)) == [
        ("end_date", "filing.extend_end_date")]
    assert codes(check_extension("referral", "expired", date(2027, 1, 1), date(2027, 7, 1), TODAY)) == [
        (None, "filing.extend_not_allowed")]


# --- overlap, conflicts, status, coverage ---

def test_date_ranges_overlap_inclusive_and_open_ended():
    d = date
    assert date_ranges_overlap(d(2026, 1, 1), d(2026, 6, 30), d(2026, 6, 30), d(2026, 12, 31))
    assert not date_ranges_overlap(d(2026, 1, 1), d(2026, 6, 29), d(2026, 6, 30), d(2026, 12, 31))
    assert date_ranges_overlap(d(2026, 1, 1), None, d(2030, 1, 1), d(2030, 2, 1))
    assert not date_ranges_overlap(d(2026, 1, 1), d(2026, 2, 1), d(2026, 3, 1), None)
    assert date_ranges_overlap(d(2026, 1, 1), None, d(2020, 1, 1), None)


def test_one_active_filing_per_person():
    long_term = F("retiree_relocated", date(2026, 1, 1), None, id=1)
    new = F("referral", date(2026, 12, 1), date(2027, 6, 1))
    assert conflicting_filing(new, [long_term], P) is long_term
    allowed = replace(P, allow_temporary_beside_long_term=True)
    assert conflicting_filing(new, [long_term], allowed) is None
    # still only one temporary at a time beside it
    other_temp = F("other_temporary", date(2026, 11, 1), date(2027, 5, 1), id=2)
    assert conflicting_filing(new, [long_term, other_temp], allowed) is other_temp


def test_conflicts_ignore_finished_and_non_overlapping_and_self():
    old = F("other_temporary", date(2026, 1, 1), date(2026, 7, 1), id=3)
    cancelled = F("retiree_relocated", date(2025, 1, 1), None, status="cancelled", id=4)
    new = F("referral", date(2026, 7, 2), date(2027, 1, 2), id=5)
    assert conflicting_filing(new, [old, cancelled, new], P) is None
    # a pending one counts, and a temporary new one without an end date gets the default end
    pending = {"filing_type": "other_temporary", "start_date": date(2027, 5, 1),
               "end_date": date(2027, 11, 1), "status": "pending_review"}
    draft = {"filing_type": "referral", "start_date": TODAY, "end_date": None}
    assert conflicting_filing(draft, [pending], P) is pending
    assert conflicting_filing(draft, [pending], replace(P, temporary_validity_months=5)) is None


def test_conflict_message_names_the_first_filing():
    msg = rules.conflict_message("retiree_relocated", "approved")
    assert "异地安置退休人员" in msg and "备案成功" in msg and "撤销" in msg


def test_effective_status():
    assert effective_status("approved", "referral", date(2026, 11, 23), TODAY) == "expired"
    assert effective_status("approved", "referral", date(2026, 11, 24), TODAY) == "approved"
    assert effective_status("approved", "retiree_relocated", None, TODAY) == "approved"
    assert effective_status("pending_review", "referral", date(2026, 1, 1), TODAY) == "pending_review"


def test_covers():
    temp = F("referral", date(2026, 6, 1), date(2026, 12, 1))
    assert covers(temp, date(2026, 6, 1)) and covers(temp, date(2026, 12, 1))
    assert not covers(temp, date(2026, 5, 31)) and not covers(temp, date(2026, 12, 2))
    assert covers(F("long_term_resident", date(2026, 1, 1)), date(2030, 1, 1))
    assert not covers(F("long_term_resident", date(2026, 1, 1), status="pending_review"), date(2026, 2, 1))


# --- a whole submission ---

def test_check_submission_lists_every_problem_with_api_field_names():
    draft = {"insured_region_code": "510100", "visit_region_code": "510700", "scheme": None,
             "filing_type": "long_term_resident", "start_date": date(2026, 1, 1), "end_date": None,
             "contact_name": " ", "contact_phone": "12345", "address": "", "proof": None,
             "notice_accepted": False}
    fields = [p.field for p in check_submission(draft, today=TODAY, policy=P, same_province=True)]
    assert fields == ["scheme", "notice_accepted", "visit_region_code", "start_date", "proof",
                      "contact_name", "contact_phone", "address"]


def test_check_submission_ok():
    draft = {"insured_region_code": "510100", "visit_region_code": "440300", "scheme": "employee",
             "filing_type": "resident_worker", "start_date": TODAY, "end_date": None,
             "contact_name": "张三", "contact_phone": "138 1234 5678", "address": "深圳市南山区某路1号",
             "proof": "uploaded", "notice_accepted": True}
    assert check_submission(draft, today=TODAY, policy=P, same_province=False,
                            uploaded_doc_codes=["labor_contract"]) == []


def test_the_region_policy_dataclass_fits_the_rules():
    from server.regions.policy import RegionPolicy

    policy = RegionPolicy(region_code="510100")
    assert proof_options("retiree_relocated", policy).commitment_allowed
    assert default_end_date("referral", date(2026, 8, 31), policy) == date(2027, 2, 28)
    assert check_visit_place("510100", "510700", True, policy)
