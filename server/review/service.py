"""Review of submitted filings by this service's own reviewers (the first review adapter).

Write-side functions flush and leave the commit to the request. Every status change goes through
`record_event`, so the record's timeline is complete.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from server.accounts.models import StaffAccount
from server.common.timeutil import now_utc, to_cn, today_cn
from server.errors import ApiError, Problem, not_found, validation_failed
from server.extensions import db
from server.filing import rules
from server.filing.access import can_staff_view, pooling_codes, stored_forms
from server.filing.events import SYSTEM, Actor, record_event
from server.filing.models import Filing, StaffAccess
from server.regions.policy import policy_for
from server.review.workdays import review_deadline

# Statuses from which a submission (first or after a return) starts a review.
SUBMITTABLE = frozenset({"draft", "returned"})
REVIEWABLE = frozenset({"pending_review"})


def review_due_at(submitted_at: datetime, working_days: int) -> datetime:
    """End of the Nth working day after submission (Asia/Shanghai), stored in UTC."""
    return review_deadline(submitted_at, working_days).astimezone(timezone.utc)


def is_overdue(filing: Filing, now: datetime | None = None) -> bool:
    if filing.status != "pending_review" or filing.review_due_at is None:
        return False
    due = filing.review_due_at
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    return (now or now_utc()) >= due


def on_submitted(filing: Filing, actor: Actor) -> Filing:
    """Called by the filing flow once a draft (or a returned filing) has passed its checks.

    Moves the filing to review, or approves it at once when its type needs no proof."""
    now = now_utc()
    if filing.status in SUBMITTABLE:
        action = "resubmitted" if filing.status == "returned" else "submitted"
        record_event(filing, actor, action, to_status="pending_review")
    elif filing.status != "pending_review":
        raise ApiError(409, "review.not_submittable", "当前状态不能提交审核")
    filing.submitted_at = filing.submitted_at or now
    filing.reject_reason = None
    if not rules.needs_review(filing.filing_type, filing.proof_mode):
        filing.review_due_at = None
        _approve(filing, SYSTEM, "无需证明材料，提交即备案成功")
        return filing
    policy = policy_for(filing.insured_region_code)
    filing.review_due_at = review_due_at(now, policy.review_working_days)
    db.session.flush()
    return filing


def _approve(filing: Filing, actor: Actor, note: str | None) -> None:
    today = today_cn()
    filing.decided_at = now_utc()
    filing.approved_on = today
    if rules.owes_proof(filing.filing_type, filing.proof_mode) and filing.proof_supplied_at is None:
        # Counted from approval; a change of visit place carries the first filing's date over.
        if filing.proof_due_date is None:
            filing.proof_due_date = rules.proof_due_date(today, policy_for(filing.insured_region_code))
        owed = f"（承诺制备案：请于{today_str(filing.proof_due_date)}前补交证明材料）"
        note = (note or "") + owed
    record_event(filing, actor, "approved", note=note, to_status="approved")
    _settle_change(filing, actor, approved=True)
    db.session.flush()


def _settle_change(filing: Filing, actor: Actor, approved: bool) -> None:
    from server.records.service import settle_change_of_place

    settle_change_of_place(filing, actor, approved)


def today_str(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _require_pending(filing: Filing) -> None:
    if filing.status not in REVIEWABLE:
        raise ApiError(409, "review.not_pending",
                       f"该备案当前为“{rules.status_label(filing.status)}”，不能审核")


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise validation_failed([Problem("reason", "review.reason_required", "请填写原因")])
    return reason


def approve(filing: Filing, actor: Actor, note: str | None = None) -> Filing:
    _require_pending(filing)
    _approve(filing, actor, note)
    return filing


def reject(filing: Filing, actor: Actor, reason: str) -> Filing:
    _require_pending(filing)
    reason = _require_reason(reason)
    filing.decided_at = now_utc()
    filing.reject_reason = reason
    record_event(filing, actor, "rejected", note=reason, to_status="rejected")
    _settle_change(filing, actor, approved=False)
    db.session.flush()
    return filing


def return_for_material(filing: Filing, actor: Actor, reason: str) -> Filing:
    _require_pending(filing)
    reason = _require_reason(reason)
    filing.reject_reason = reason
    filing.review_due_at = None
    record_event(filing, actor, "returned", note=reason, to_status="returned")
    db.session.flush()
    return filing


# --- reviewers' reach ---------------------------------------------------------------------------

def _staff_actor(staff: StaffAccount) -> Actor:
    return Actor("staff", staff.id)


def filing_for_reviewer(staff: StaffAccount, filing_id: int) -> Filing:
    """404 both for a missing filing and for one outside the reviewer's places (no probing)."""
    filing = db.session.get(Filing, filing_id)
    if filing is None or not can_staff_view(staff, filing):
        raise not_found("filing", "没有找到这条备案")
    return filing


def open_for_review(staff: StaffAccount, filing_id: int) -> Filing:
    """The full details, for a reviewer; each opening is recorded."""
    filing = filing_for_reviewer(staff, filing_id)
    record_staff_access(staff, filing, "view")
    return filing


def record_staff_access(staff: StaffAccount, filing: Filing, action: str,
                        detail: str | None = None) -> StaffAccess:
    row = StaffAccess(staff_id=staff.id, filing_id=filing.id, action=action, at=now_utc(),
                      detail=detail)
    db.session.add(row)
    db.session.flush()
    return row


def decide(staff: StaffAccount, filing_id: int, decision: str, reason: str | None = None) -> Filing:
    from server.review.adapter import get_review_adapter

    filing = filing_for_reviewer(staff, filing_id)
    adapter = get_review_adapter()
    actor = _staff_actor(staff)
    if decision == "approve":
        return adapter.approve(filing, actor, note=reason)
    if decision == "reject":
        return adapter.reject(filing, actor, reason or "")
    if decision == "return":
        return adapter.return_for_material(filing, actor, reason or "")
    raise ValueError(decision)


@dataclass
class QueuePage:
    items: list[Filing]
    total: int
    page: int
    per_page: int


def review_queue(staff: StaffAccount, page: int = 1, per_page: int = 20) -> QueuePage:
    """Pending filings of the reviewer's insured places, the soonest due first."""
    codes = stored_forms(pooling_codes(staff.region_codes or []))
    base = select(Filing).where(Filing.status == "pending_review", Filing.insured_region_code.in_(codes))
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.scalars(base.order_by(Filing.review_due_at.asc(), Filing.id.asc())
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return QueuePage(list(rows), total, page, per_page)


def due_label(filing: Filing) -> str | None:
    if filing.review_due_at is None:
        return None
    local = to_cn(filing.review_due_at)
    # review_due_at is midnight after the due day: name the due day itself.
    day = (local - timedelta(seconds=1)).date()
    return f"{today_str(day)}前完成审核"
