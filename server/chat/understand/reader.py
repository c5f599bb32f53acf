"""`understand`: one message → an `Understanding`. The steps, each in its own module."""
from __future__ import annotations

from datetime import date

from server.chat import faq
from server.chat.understand import replies
from server.chat.understand.dates import parse_start_date
from server.chat.understand.facts import (BARE_TYPE, LONG_TERM_FACTS, derive_filing_type,
                                          find_facts, find_scheme, type_candidates)
from server.chat.understand.family import family_relation, for_relative
from server.chat.understand.gazetteer import get_gazetteer
from server.chat.understand.mentions import refine, resolve, scan
from server.chat.understand.model import Context, Understanding
from server.chat.understand.normalise import normalise
from server.chat.understand.roles import assign_role, fill_regions, keep_stop_word


def understand(text: str, today: date, context: Context | None = None) -> Understanding:
    """Read one user message. `today` is the message's sent date in Asia/Shanghai."""
    context = context or Context()
    gz = get_gazetteer()
    values = context.values or {}
    expecting = context.expected_slot
    text = normalise(text)
    u = Understanding()
    u.correction = bool(replies.CORRECTION.search(text))

    mentions = [m for m in refine(text, scan(text, gz), gz)
                if not m.stop or keep_stop_word(text, m, gz)]
    for m in mentions:
        resolve(m, gz)
        assign_role(text, m)
    mentions = [m for m in mentions if m.codes]
    u.mentions = [{"surface": m.surface, "codes": list(m.codes), "role": m.role, "score": m.score,
                   "reason": m.reason, "ambiguous": m.ambiguous} for m in mentions]
    fill_regions(u, mentions, values, expecting, gz, text)

    u.scheme, u.scheme_ambiguous = find_scheme(text, expecting)

    facts = find_facts(text)
    if expecting == "filing_type" and not facts - {"retired", "temporary", "wintering"}:
        for code, pattern in BARE_TYPE:
            if pattern.search(text):
                facts.add("type:" + code)
                break
    u.facts = frozenset(facts)
    prior = frozenset(values.get("facts") or ())
    u.filing_type, u.filing_type_reason = derive_filing_type(u.facts, prior)
    if u.filing_type is None:
        if "temporary" in facts:
            u.filing_group = "temporary"
        elif facts & (LONG_TERM_FACTS - {"retired"}):
            u.filing_group = "long_term"
        u.filing_type_candidates = type_candidates(u.filing_group, u.facts)

    u.start_date = parse_start_date(text, today)

    u.contact_phone = replies.phone(text)
    u.address = replies.address(text)
    u.contact_name = replies.stated_name(text)
    if u.contact_name is None and expecting == "contact_name" and not mentions:
        u.contact_name = replies.bare_name(text)

    relation = family_relation(text)
    if relation:
        u.relation, u.relation_word = relation
        u.relation_for = for_relative(text)

    u.yes_no = replies.yes_no(text)
    u.question_intent = faq.detect_question(text)
    ask = replies.filing_ask(text) if (u.insured_region_code or u.visit_region_code) else None
    if ask:
        # 苏州的职工，下个月去上海做手术，怎么备案: told with the person's own trip, the filing is the
        # answer (a paraphrase of another entry would only get in the way); what can still be done
        # after paying or without a filing is still said.
        u.filing_ask = ask
        if u.question_intent not in faq.SITUATION_ENTRIES:
            u.question_intent = None
    return u
