"""Use cases of the chat assistant: start a session, handle one message, load a session.

The session's bookkeeping lives in the database (ChatSession.state), so any app server can take the
next turn; the values live in the draft filing (`drafting`), written through the filing service,
which owns the rules; its Problems come back into the dialog as plain follow-up questions. Typed ID and phone numbers are masked before a
message is stored; the real phone goes only into the filing.
"""
from __future__ import annotations

import logging
import re
from datetime import date, datetime

from server.accounts.models import User
from server.chat import dialog, drafting
from server.chat.models import ChatMessage, ChatSession
from server.chat.state import DialogState
from server.chat.understand import Context, understand
from server.common import quotas
from server.common.idnumbers import mask_id, mask_phone, mask_sensitive_text
from server.common.timeutil import SHANGHAI, now_utc, today_cn
from server.errors import ApiError, Problem, not_found
from server.extensions import db
from server.filing import consent, rules
from server.filing import service as filings
from server.filing.models import Filing
from server.regions.policy import UnknownRegionError, policy_for

log = logging.getLogger(__name__)

HISTORY_LIMIT = 200
PRIVACY_SUMMARY = ("办理备案需要用到您（和您代办的家人）的姓名、证件号码、手机号码、参保地、就医地和证明材料。"
                   "这些信息只用于办理、审核备案和就医结算；证件号码加密保存。为家人办理请先征得家人同意。"
                   "完整内容请点开查看。")
# Questions whose answer is an ID number: whatever is typed is masked before it is stored, even
# a wrong number that the general masking would not recognise.
ID_ASKS = ("id_number", "member_id_number", "member_name")
_LONG_NUMBER = re.compile(r"[0-9０-９][0-9０-９\s\-－]{4,}[0-9０-９XxＸｘ]")


def _get_session(user: User, session_id: str) -> ChatSession:
    session = db.session.get(ChatSession, session_id) if session_id and len(session_id) <= 32 else None
    if session is None or session.user_id != user.id:
        raise not_found("chat_session", "没有找到这个对话")
    return session


def _today(sent_at: datetime | None) -> date:
    if sent_at is None:
        return today_cn()
    if sent_at.tzinfo is None:
        return sent_at.date()
    return sent_at.astimezone(SHANGHAI).date()


def _env(user: User, state: dict, filing: Filing | None, today: date) -> dialog.Env:
    env = dialog.Env(today=today, profile_name=user.name,
                     profile_phone_masked=mask_phone(user.phone) if user.phone else None,
                     filing_id=filing.id if filing else None,
                     consent_accepted=consent.has_current_consent(user),
                     identity_missing=tuple(k for k, v in (("name", user.name),
                                                           ("id_number", user.id_number_hash)) if not v))
    if not env.consent_accepted:
        env.privacy = {"version": consent.PRIVACY_VERSION, "title": consent.PRIVACY_TITLE,
                       "summary": PRIVACY_SUMMARY, "url": "/api/v1/consent"}
    if state.get("applicant") != "self":
        from server.filing.family import list_members

        env.family = [{"id": m.id, "name": m.name,
                       "relation_label": rules.RELATIONS.get(m.relation, m.relation),
                       "phone_masked": mask_phone(m.phone) if m.phone else None}
                      for m in list_members(user)]
    if filing is None:
        env.missing = tuple(filings.missing_in(
            state, consent_given=env.consent_accepted, person_known=bool(user.name),
            id_known=bool(user.id_number_hash), notice_is_accepted=False, proof_mode=None))
        return env
    env.missing = tuple(filings.missing_fields(filing))
    if filing.status not in filings.EDITABLE_STATUSES:
        env.result = _result(filing)
        return env
    phase = state.get("phase")
    if phase in ("notice", "proof", "submit") and filing.insured_region_code and filing.filing_type:
        env.notice_accepted = filings.notice_accepted(filing)
        if not env.notice_accepted:
            env.notice = filings.notice_for_region(filing.insured_region_code,
                                                   filing.filing_type).to_dict()
    if phase in ("proof", "submit") and filing.filing_type and filing.insured_region_code:
        try:
            opts = rules.proof_options(filing.filing_type, policy_for(filing.insured_region_code))
        except UnknownRegionError:
            opts = None
        if opts is not None:
            env.proof = {"mode": filing.proof_mode, "none_needed": opts.none_needed,
                         "commitment_allowed": opts.commitment_allowed,
                         "documents": [d.to_dict() for d in opts.documents]}
    return env


def _result(filing: Filing) -> dict:
    view = filings.result_view(filing) or {}
    return {"filing_id": filing.id, "filing_number": filing.number, "status": filing.status,
            "status_label": rules.status_label(filing.status), "message": view.get("message"),
            "review_due_at": filings.plain(view.get("review_due_at")),
            "records_path": view.get("records_path")}


# --- the filing is the truth: the dialog reads its values, the chat's answer shows its view --------


def _acknowledged(replies: list[dict]) -> int:
    """Where the said-back goes: after the message's own confirmations ("好的，姓名：…")."""
    n = 0
    while n < len(replies) and replies[n]["type"] == "text" and replies[n]["text"].startswith("好的"):
        n += 1
    return n


def _view(session: ChatSession, replies: list[dict], state: dict, filing: Filing | None,
          today: date) -> dict:
    return {"session_id": session.id, "replies": replies,
            "draft": drafting.draft_answer(state, filing, today),
            "filing_id": session.filing_id}


def _store(session: ChatSession, role: str, text_: str | None, payload: dict | None,
           id_answer: bool = False) -> None:
    if text_:
        text_ = mask_sensitive_text(text_)
        if id_answer:
            text_ = _LONG_NUMBER.sub(_mask_run, text_)
    db.session.add(ChatMessage(session_id=session.id, role=role, text=text_, payload=payload))


def _mask_run(mt: re.Match) -> str:
    digits = re.sub(r"[\s\-－]", "", mt.group())
    return mask_id(digits) if len(digits) == 18 else digits[:3] + "*" * max(len(digits) - 5, 1) + digits[-2:]


def _save_state(session: ChatSession, state: dict, filing: Filing | None) -> None:
    held = None if filing is not None else {k: state.get(k) for k in drafting.HELD_FIELDS}
    session.state = DialogState.after(state, held).to_dict()


def start_session(user: User, entry: str | None = None) -> dict:
    """A new conversation; from a counter QR token the visit place and the hospital are known."""
    quotas.check_new_chat_session(user.id)
    entry_info = None
    if entry:
        from server.institutions.service import resolve_entry

        entry_info = resolve_entry(entry)
    profile = {"insured_region_code": user.default_insured_region_code, "scheme": user.default_scheme}
    state = dialog.new_state(
        entry={"institution_name": entry_info.institution.name,
               "visit_region_code": entry_info.region_code} if entry_info else None,
        profile=profile)
    session = ChatSession(user_id=user.id, state={},
                          entry_institution_id=entry_info.institution.id if entry_info else None)
    db.session.add(session)
    today = today_cn()
    env = _env(user, state, None, today)
    replies = [dialog.text("您好，我来帮您办理跨省异地就医备案。您可以直接说说情况，"
                           "比如“医保在九江，退休后要去厦门长住”。")]
    known = [f"{dialog.LABELS[k]}是{dialog.slot_words(k, state, env)}" for k in ("insured", "scheme")
             if state.get(dialog.SLOT_KEYS[k])]
    if known and not entry_info:
        replies.append(dialog.text("按您的个人资料，" + "，".join(known) + "；不对的话直接告诉我。"))
    state, asked = dialog.prompt(state, env)
    _save_state(session, state, None)
    replies += asked
    db.session.flush()
    _store(session, "assistant", None, {"replies": replies})
    db.session.flush()
    return _view(session, replies, state, None, today)


def _command(user: User, session: ChatSession, filing: Filing | None, state: dict, command: str,
             replies: list[dict], today: date) -> dict:
    if filing is None:
        return state
    try:
        if command == "accept_notice":
            notice = filings.notice_for_region(filing.insured_region_code, filing.filing_type)
            filings.accept_notice(user, filing, notice.version)
            state["notice_accepted"] = True
            state["phase"] = "proof"
            replies.append(dialog.text("好的，已记录您阅读并同意了备案告知书。"))
        elif command == "submit":
            filing = filings.submit_filing(user, filing, idempotency_key=f"chat:{session.id}")
            state["phase"] = "done"
            state["proof"] = filing.proof_mode
            result = _result(filing)
            replies.append(dialog.result_card(result))
            replies.append(dialog.text(dialog.after_submit_words(result)))
            state["announced"] = True
    except ApiError as exc:
        problems = exc.details or [Problem(None, exc.code, exc.message)]
        problems = [_plain_problem(p) for p in problems]
        state, said = dialog.reject(state, problems, {})
        replies += said
        replies += _side_cards(problems)
    return state


def _plain_problem(p: Problem) -> Problem:
    if p.field == "privacy_consent":
        return Problem(p.field, p.code, "提交前需要先阅读并同意《个人信息保护告知书》，同意后回来点“提交备案”")
    if p.field in ("id_number", "person_name"):
        return Problem(p.field, p.code, "还缺办理人的实名信息（姓名和身份证号码），请在“我的”里补充后回来点“提交备案”")
    return p


def _side_cards(problems: list[Problem]) -> list[dict]:
    out = []
    fields = {p.field for p in problems}
    if "privacy_consent" in fields:
        out.append({"type": "card", "card": "consent_request", "method": "POST", "url": "/api/v1/consent"})
    if fields & {"id_number", "person_name"}:
        out.append({"type": "card", "card": "identity_request", "method": "PATCH", "url": "/api/v1/me"})
    return out


def handle_message(user: User, session_id: str, *, text: str | None = None, choice: str | None = None,
                   sent_at: datetime | None = None) -> dict:
    """One turn: understand, write to the draft through the filing service, say back what the
    filing now holds (and why a value was refused), ask for the next item."""
    session = _get_session(user, session_id)
    today = _today(sent_at)
    book = DialogState.from_dict(session.state)
    filing = db.session.get(Filing, session.filing_id) if session.filing_id else None
    held = dict(book.held)
    before = book.working(drafting.slots_of(filing, held))  # what the filing held: said back against it
    state = drafting.blank_changing(dict(before))
    env = _env(user, state, filing, today)
    _store(session, "user", text if text is not None else choice,
           {"choice": choice} if choice is not None else None, id_answer=state.get("asked") in ID_ASKS)

    if choice is not None and dialog.is_choice(choice):
        absorbed = dialog.absorb(state, env, choice=choice)
    else:
        message = text if text is not None else (choice or "")
        u = understand(message, today, Context(state.get("expecting"), state))
        absorbed = dialog.absorb(state, env, u=u, message=message)
    state, replies = absorbed.state, absorbed.replies

    if absorbed.command == "accept_privacy":
        consent.accept_privacy(user, consent.PRIVACY_VERSION)
        replies.append(dialog.text("好的，已记录您同意了《个人信息保护告知书》。"))
    if absorbed.profile:
        _save_identity(user, filing, state, absorbed.profile, replies, today)
    if absorbed.command in ("add_member", "member_phone"):
        state = _member(user, state, absorbed, replies)
    problems: list[Problem] = []
    tried: dict = {}
    if state.get("phase") != "done" and (absorbed.sync or (filing is None and state.get("started"))):
        filing, problems, tried = drafting.write_values(user, session, filing, state, absorbed.sync,
                                                        held, today)
    drafting.contact_is_oneself(user, filing, state, tried, today)
    # What the filing holds now is what the dialog goes on from: a refused value is not kept.
    chosen = state.get("applicant")
    state.update(drafting.slots_of(filing, held))
    state["applicant"] = chosen if filing is None or chosen is None else state["applicant"]
    state = drafting.blank_changing(state)
    said = dialog.said_back(before, state, env)
    if said:  # after what the message itself got (an answer, a confirmed name), before the rest
        replies.insert(_acknowledged(replies), dialog.text(said))
    if problems:
        state, explained = dialog.reject(state, problems, tried)
        replies += explained
    elif absorbed.not_understood and not said:
        replies.insert(0, dialog.text("抱歉，我没有听明白。"))
    if absorbed.command in ("accept_notice", "submit"):
        state = _command(user, session, filing, state, absorbed.command, replies, today)
    env = _env(user, state, filing, today)
    state, asked = dialog.prompt(state, env)
    replies += asked

    _save_state(session, state, filing)
    session.updated_at = now_utc()
    _store(session, "assistant", None, {"replies": replies})
    db.session.flush()
    return _view(session, replies, state, filing, today)


def _problems_said(exc: ApiError, replies: list[dict]) -> None:
    for p in exc.details or [Problem(None, exc.code, exc.message)]:
        replies.append(dialog.text(f"{p.message}。"))


def _save_identity(user: User, filing: Filing | None, state: dict, data: dict,
                   replies: list[dict], today: date) -> None:
    """The name or ID number typed in the chat goes to the profile (encrypted there), and into
    the person of a self filing already drafted."""
    from server.accounts.service import update_profile

    try:
        update_profile(user, dict(data))
        if filing is not None and state.get("applicant") == "self" and filing.status == "draft":
            filings.apply_changes(user, filing, {"applicant": "self"}, today=today)
    except ApiError as exc:
        _problems_said(exc, replies)


def _member(user: User, state: dict, absorbed: dialog.Absorbed, replies: list[dict]) -> dict:
    """A family member added in the chat: saved when the ID number arrives; the phone after."""
    from server.filing import family

    nm = dict(state.get("new_member") or {})
    try:
        if absorbed.command == "add_member":
            member = family.add_member(user, {**absorbed.member, "consent_confirmed": True})
            # Their phone is asked only as the contact's, if they are the contact.
            state["new_member"] = None
            state["applicant"] = member.id
            state["for_relation"] = None
            absorbed.sync["applicant"] = member.id
            replies.append(dialog.text(f"好的，已添加家人{member.name}（{rules.RELATIONS.get(member.relation)}），"
                                       "这次就为TA办理。"))
        elif nm.get("id"):
            member = db.session.get(family.FamilyMember, nm["id"])
            family.update_member(user, member, {"phone": absorbed.member["phone"]})
            state["new_member"] = None
            replies.append(dialog.text(f"好的，{member.name}的手机号码是{mask_phone(member.phone)}。"))
    except ApiError as exc:
        _problems_said(exc, replies)
        if absorbed.command == "add_member" and exc.status == 409:
            state["new_member"] = None  # already added, or too many: choose from the list instead
    return state


def load(user: User, session_id: str) -> dict:
    """The current state and the (masked) message history."""
    session = _get_session(user, session_id)
    filing = db.session.get(Filing, session.filing_id) if session.filing_id else None
    book = DialogState.from_dict(session.state)
    state = book.working(drafting.slots_of(filing, book.held))
    rows = db.session.execute(db.select(ChatMessage).filter_by(session_id=session.id)
                              .order_by(ChatMessage.id).limit(HISTORY_LIMIT)).scalars()
    messages = [{"role": m.role, "text": m.text,
                 "replies": (m.payload or {}).get("replies") if m.role == "assistant" else None,
                 "created_at": m.created_at} for m in rows]
    return {"session_id": session.id, "draft": drafting.draft_answer(state, filing, today_cn()),
            "filing_id": session.filing_id, "expecting": book.asked,
            "messages": filings.plain(messages), "created_at": filings.plain(session.created_at),
            "updated_at": filings.plain(session.updated_at)}
