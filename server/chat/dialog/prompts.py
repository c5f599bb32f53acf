"""Asking for the next item: which one (`next_item`, from the filing service's list of what is
missing), and how each question is put (one function per question, in `QUESTIONS`), with quick
replies where the answers are a closed set. Filing for a family member, each question is put in
their terms ("您父亲参加的是哪种医保").
"""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Callable

from server.chat.dialog.cards import (notice_card, privacy_card, signature_card, summary_card,
                                          summary_keys, upload_card)
from server.chat.dialog.common import (LABELS, MAX_ATTEMPTS, SLOT_KEYS, Env, ask, ftype_of,
                                           is_temporary, options, place_name, policy_of, text)
from server.chat.dialog.family import RELATION_ORDER, ask_member, identity_card, whose
from server.chat.understand import INSURED, VISIT
from server.filing import rules
from server.regions.catalogue import get_catalogue

Asked = tuple[dict, list[dict]]
# The situation first, in the order of the mini-program's pages; then who; then the person's own
# details once the privacy notice is accepted. Each is asked while the filing lacks its field.
SITUATION = (("insured_region_code", "insured"), ("visit_region_code", "visit"),
             ("scheme", "scheme"), ("filing_type", "filing_type"))
DETAILS = (("contact_name", "contact_name"), ("contact_phone", "contact_phone"),
           ("address", "address"))


def _region_options(slot: str, province_code: str) -> list[tuple]:
    cat = get_catalogue()
    regions = cat.pooling_regions(province_code, include_insured_only=(slot == INSURED))
    key = "insured" if slot == INSURED else "visit"
    return [(r.name, f"{key}:{r.code}") for r in regions]


def _province_options(slot: str, exclude: str | None = None) -> list[tuple]:
    key = "insured" if slot == INSURED else "visit"
    return [(p.name, f"{key}:{p.code}") for p in get_catalogue().provinces() if p.code != exclude]


def next_item(state: dict, env: Env) -> str | None:
    """The next item to collect. What the filing lacks comes from the filing service's one list
    (`env.missing`); the chat adds only its own questions (who the filing is for, already
    admitted?). The privacy notice (if put off) and the person's own name and ID number come once
    the situation is known, so that they never take the answer meant for a situation question."""
    missing = set(env.missing) if env.missing is not None else None

    def lacks(name: str) -> bool:
        return name in missing if missing is not None else not state.get(name)

    if state.get("entry") and lacks("start_date"):
        return "admitted" if state.get("admitted") is None else "start_date"
    for name, key in SITUATION:
        if lacks(name):
            return key
    if state.get("applicant") is None:
        return "applicant"
    if lacks("start_date"):
        if is_temporary(state) and state.get("admitted") is None:
            return "admitted"
        return "start_date"
    if not env.consent_accepted:
        return "consent"
    if state.get("applicant") == "self":
        if "name" in env.identity_missing:
            return "person_name"
        if "id_number" in env.identity_missing:
            return "id_number"
    for name, key in DETAILS:
        if name == "address":
            ft = ftype_of(state.get("filing_type"))
            if ft is None or not ft.is_long_term:
                continue
        if lacks(name):
            return key
    return None


def prompt(state: dict, env: Env) -> Asked:
    """The next question (with quick replies where the answers are a closed set)."""
    state = copy.deepcopy(state)
    replies: list[dict] = []
    if env.result is not None or state.get("phase") == "done":
        state["phase"] = "done"
        r = env.result or {}
        if not state.pop("announced", False):  # said with the result card on the turn of submitting
            replies.append(text(f"这条备案已经提交，编号{r.get('filing_number')}，当前状态：{r.get('status_label')}。"
                                "可以在「备案记录」里查看进度。"))
        return ask(state, "done", replies)

    # The privacy notice comes before the first question that collects data, and always before
    # a family member's name or ID number is taken.
    consent_now = state.pop("consent_now", False)  # 同意 typed at another question
    if not env.consent_accepted and (not state.get("consent_shown") or state.get("consent_declined")
                                     or state.get("new_member") is not None or consent_now):
        return ask_item(state, env, "consent", replies)

    if state.get("offer_filing") and not state.get("started"):
        # Only a question so far: answered; the filing is offered, not begun.
        replies.append(text("需要的话，我可以在这里直接帮您办理跨省异地就医备案。"))
        replies.append(options([("帮我办理备案", "begin")]))
        return ask(state, "begin", replies)

    if state.get("changing") in QUESTIONS and not state.get("pending"):
        return ask_item(state, env, state["changing"], replies)  # chosen on the summary

    if state.get("reask") and not state.get("pending"):
        key, state["reask"] = state["reask"], None
        if key in QUESTIONS:
            return ask_item(state, env, key, replies)

    if state.get("change_menu"):
        state["change_menu"] = False
        replies.append(text("好的，请问要改哪一项？"))
        replies.append(options([(f"改{LABELS[k]}", f"change:{k}") for k in summary_keys(state)]))
        return ask(state, "change", replies)

    if state.get("new_member") is not None:
        return ask_member(state, env, replies)

    pending = state.get("pending") or []
    if pending:
        p = pending[0]
        key = "insured" if p["slot"] == INSURED else "visit"
        replies.append(text(f"您说的“{p['surface']}”是指哪里？请选一下{LABELS[key]}："))
        replies.append(options([(o["label"], f"{key}:{o['value']}") for o in p["options"]]))
        return ask(state, key, replies)

    missing = next_item(state, env)
    if missing is not None:
        return ask_item(state, env, missing, replies)

    phase = state.get("phase") or "collect"
    if phase == "collect":
        state["phase"] = phase = "confirm"
    if phase == "confirm":
        replies.append(summary_card(state, env))
        replies.append(text("请核对以上信息。没问题请点“确认无误”，需要修改请点对应的项目。"))
        return ask(state, "confirm", replies)
    if phase == "notice":
        if env.notice_accepted or state.get("notice_accepted"):
            state["notice_accepted"] = True
            state["phase"] = phase = "proof"
        else:
            return _ask_notice(state, env, replies)
    if phase == "proof":
        proof = env.proof or {}
        mode = proof.get("mode")
        if proof.get("none_needed") or mode in ("uploaded", "commitment"):
            state["proof"] = mode or "none"
            state["phase"] = phase = "submit"
        else:
            return _ask_proof(state, env, proof, replies)
    if phase == "submit":
        replies.append(text("资料都齐了。确认提交备案吗？"))
        replies.append(options([("提交备案", "submit"), ("再看看", "change_menu")]))
        return ask(state, "submit", replies)
    return ask(state, phase, replies)


def _ask_notice(state: dict, env: Env, replies: list[dict]) -> Asked:
    """The 告知书 in full once; asked again (a question on the way), only the reminder."""
    if state.get("notice_shown") and state.get("asked") == "notice":
        replies.append(text("上面的备案告知书看过后，请点“本人已仔细阅读备案告知书”，或者回复“看过了”。"))
    else:
        replies.append(text("请阅读备案告知书："))
        replies.append(notice_card(env.notice))
        state["notice_shown"] = True
    replies.append(options([("本人已仔细阅读备案告知书", "notice:accept")]))
    return ask(state, "notice", replies)


def _ask_proof(state: dict, env: Env, proof: dict, replies: list[dict]) -> Asked:
    fid = env.filing_id
    docs = proof.get("documents") or []
    if state.get("asked") == "proof":
        replies.append(text("还没有收到证明材料。"))
    labels = "、".join(d["label"] for d in docs)
    line = f"这个备案类型需要证明材料：{labels}（任选一种）。请拍照或选文件上传，上传好后点“已上传”。"
    if proof.get("commitment_allowed"):
        line += "手头没有的话，也可以签署个人承诺书，以后再补交。"
    replies.append(text(line))
    replies.append(upload_card(fid, docs))
    opts = [("已上传", "proof:done")]
    if proof.get("commitment_allowed"):
        replies.append(signature_card(fid))
        opts.append(("已签好承诺书", "proof:done"))
    replies.append(options(opts))
    return ask(state, "proof", replies)


# --- one function per question --------------------------------------------------------------------

def _tried(state: dict, key: str) -> bool:
    return (state.get("attempts") or {}).get(key, 0) >= MAX_ATTEMPTS


def _consent(state: dict, env: Env, replies: list[dict]) -> None:
    shown = state.get("consent_shown") or 0
    state["consent_shown"] = shown + 1
    if state.get("consent_declined"):
        state["consent_declined"] = False
    elif shown:
        replies.append(text("继续办理之前，需要您先同意《个人信息保护告知书》。"))
    else:
        replies.append(text("开始之前，请先看一下《个人信息保护告知书》："))
    replies.append(privacy_card(env.privacy))
    replies.append(options([("同意", "consent:accept"), ("不同意", "consent:decline")]))


def _person_name(state: dict, env: Env, replies: list[dict]) -> None:
    replies.append(text("还需要您的实名信息。请告诉我您的姓名。"))
    if _tried(state, "person_name"):
        identity_card(replies)


def _id_number(state: dict, env: Env, replies: list[dict]) -> None:
    replies.append(text("请输入您的身份证号码（只用于备案，会加密保存）。"))
    if _tried(state, "id_number"):
        identity_card(replies)


def _place(key: str) -> Callable[[dict, Env, list[dict]], None]:
    def put(state: dict, env: Env, replies: list[dict]) -> None:
        slot = SLOT_KEYS[key]
        hint = state.get(f"{key}_province_code")
        if hint:
            replies.append(text(f"{LABELS[key]}是{place_name(hint)}哪个城市？"))
            replies.append(options(_region_options(slot, hint)))
            return
        tried = _tried(state, key)
        if tried or state.get("picker") == key:
            if tried:
                what = "医保卡上的参保城市" if key == "insured" else "要去看病的城市"
                replies.append(text(f"{LABELS[key]}是指{what}，要选到地级市（直辖市选到市）。"
                                    "您可以直接点选：先选省份，再选城市。"))
            else:
                replies.append(text("请先选省份："))
            exclude = None
            policy = policy_of(state.get(INSURED))
            if slot == VISIT and policy is not None and not policy.allow_same_province:
                province = get_catalogue().province_of(state[INSURED])
                exclude = province.code if province else None
            replies.append(options(_province_options(slot, exclude)))
            return
        who = whose(state, env)
        other = state.get(VISIT if slot == INSURED else INSURED)
        said = [p for p in state.get("unplaced") or () if p["code"] != other]
        if key == "insured":
            replies.append(text(f"请问{who}的医保是在哪个城市参保的？（比如：九江）"))
        else:
            replies.append(text(f"请问{who}要去哪个城市看病？（比如：杭州）" if who != "您"
                                else "请问要去哪个城市看病？（比如：杭州）"))
        if said:  # a place said without saying which it is: offered, not assumed
            names = "、".join(p["label"] for p in said)
            replies.append(text(f"您提到了{names}，是的话直接点它。"))
        replies.append(options([(p["label"], f"{key}:{p['code']}") for p in said]
                               + [("点选省份和城市", f"picker:{key}")]))
    return put


def _scheme(state: dict, env: Env, replies: list[dict]) -> None:
    who = whose(state, env)
    if _tried(state, "scheme"):
        replies.append(text("参保险种看医保卡或缴费记录：单位给交的一般是职工医保；自己在社区或村里交的、"
                            "原来的新农合，是城乡居民医保。"))
    elif state.get("scheme_ambiguous"):
        replies.append(text("灵活就业人员两种医保都有可能，请看一下交的是哪一种："))
    else:
        replies.append(text(f"请问{who}参加的是哪种医保？"))
    replies.append(options([(label, f"scheme:{code}") for code, label in rules.SCHEMES.items()]))


def _filing_type(state: dict, env: Env, replies: list[dict]) -> None:
    group = state.get("filing_group")
    only = set(state.get("filing_type_options") or ())  # the types the situation leaves open
    types = [t for t in rules.FILING_TYPES.values() if group in (None, t.group)
             and (not only or t.code in only)]
    intro = "请选择备案类型：" if not _tried(state, "filing_type") else \
        "备案类型按外出的原因来选：长期在外地生活、工作选前三种，临时去看病选后三种。"
    replies.append(text(intro + "\n" + "\n".join(f"· {t.label}：{t.explanation}" for t in types)))
    replies.append(options([(t.label, f"type:{t.code}", t.explanation) for t in types]))


def _applicant(state: dict, env: Env, replies: list[dict]) -> None:
    family = [(f"{m['name']}（{m.get('relation_label') or '家人'}）", f"applicant:{m['id']}")
              for m in env.family]
    if state.get("for_relation"):
        who = "您" + state["for_word"] if state.get("for_word") else "这位家人"
        replies.append(text(f"这次是给{who}办理。请选择是哪位家人；还没添加过的，点“添加家人”。"
                            if family else f"这次是给{who}办理。请先添加{who}（点“添加家人”）。"))
        opts = family + [("添加家人", "applicant:add"), ("其实是给我自己办", "applicant:self")]
    else:
        replies.append(text("这次是给谁办理备案？"))
        opts = [("本人", "applicant:self")] + family + [("添加其他家人", "applicant:add")]
    replies.append(options(opts))


def _admitted(state: dict, env: Env, replies: list[dict]) -> None:
    if state.get("entry") and not state.get("entry_greeted"):
        state["entry_greeted"] = True
        inst = state["entry"].get("institution_name") or "医院"
        replies.append(text(f"您好，您是在{inst}扫码进来的，就医地已经定为{place_name(state.get(VISIT))}。"))
    replies.append(text("病人已经住院了吗？"))
    replies.append(options([("已经住院了", "admitted:yes"), ("还没有", "admitted:no")]))


def _start_date(state: dict, env: Env, replies: list[dict]) -> None:
    today = env.today
    if state.get("admitted"):
        replies.append(text("哪天住院的？备案开始日期就填住院那天。也可以直接告诉我日期，比如“11月20日”。"))
        opts = [("今天", f"start:{today.isoformat()}"),
                ("昨天", f"start:{(today - timedelta(days=1)).isoformat()}"),
                ("前天", f"start:{(today - timedelta(days=2)).isoformat()}")]
    elif is_temporary(state) or state.get("admitted") is False:
        replies.append(text("打算从哪天开始在外地看病？也可以直接告诉我日期，比如“12月1日”。"))
        opts = [("今天", f"start:{today.isoformat()}"),
                ("明天", f"start:{(today + timedelta(days=1)).isoformat()}")]
    else:
        replies.append(text("备案从哪天开始？一般从今天开始；也可以告诉我具体日期。"))
        opts = [("从今天开始", f"start:{today.isoformat()}")]
    if _tried(state, "start_date"):
        replies.insert(0, text("日期可以这样说：“今天”“明天”“下周一”或“12月1日”。"))
    replies.append(options(opts))


def _member_of(state: dict, env: Env) -> dict | None:
    return next((m for m in env.family if str(m["id"]) == str(state.get("applicant"))), None)


def _contact_name(state: dict, env: Env, replies: list[dict]) -> None:
    if state.pop("contact_is_filer", False):
        replies.append(text("好的，联系人写您本人。请告诉我您的姓名。"))
        return
    replies.append(text("联系人叫什么名字？"))
    names = []
    member = _member_of(state, env)
    if member:
        names.append(member["name"])
    if env.profile_name and env.profile_name not in names:
        names.append(env.profile_name)
    if names:
        replies.append(options([(n, f"contact_name:{n}") for n in names]))


def _contact_phone(state: dict, env: Env, replies: list[dict]) -> None:
    replies.append(text("联系电话是多少？审核结果会按这个号码联系您。"))
    opts = []
    member = _member_of(state, env)
    if member and member.get("phone_masked"):
        opts.append((f"用{member['name']}的 {member['phone_masked']}", "phone:member"))
    if env.profile_phone_masked:
        opts.append((f"用我的 {env.profile_phone_masked}", "phone:profile"))
    if opts:
        replies.append(options(opts))


def _address(state: dict, env: Env, replies: list[dict]) -> None:
    replies.append(text(f"请告诉我在{place_name(state.get(VISIT))}的居住地址（写到小区或门牌号）。"))


QUESTIONS: dict[str, Callable[[dict, Env, list[dict]], None]] = {
    "consent": _consent, "person_name": _person_name, "id_number": _id_number,
    "insured": _place("insured"), "visit": _place("visit"), "scheme": _scheme,
    "filing_type": _filing_type, "applicant": _applicant, "admitted": _admitted,
    "start_date": _start_date, "contact_name": _contact_name, "contact_phone": _contact_phone,
    "address": _address,
}


def ask_item(state: dict, env: Env, key: str, replies: list[dict]) -> Asked:
    put = QUESTIONS.get(key)
    if put is not None:
        put(state, env, replies)
    return ask(state, key, replies)


__all__ = ["QUESTIONS", "RELATION_ORDER", "ask_item", "next_item", "prompt"]
