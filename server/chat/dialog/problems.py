"""The filing service's Problems in plain words: a refused value is not kept (the dialog works
from what the filing holds), so its item is asked again next."""
from __future__ import annotations

import copy

from server.chat.dialog.common import FIELD_TO_KEY, LABELS, place_name, text
from server.chat.understand import INSURED, VISIT
from server.errors import Problem
from server.regions.catalogue import get_catalogue


def place_explanation(problem: Problem, state: dict, tried: dict) -> str:
    """Why a place was refused, naming both places as the person would: the one tried and the
    one the filing keeps."""
    insured_code = tried.get(INSURED) or state.get(INSURED)
    visit_code = tried.get(VISIT) or state.get(VISIT)
    insured, visit = place_name(insured_code) or "参保地", place_name(visit_code) or "就医地"
    if problem.code == "filing.visit_region_same_as_insured":
        return f"就医地{visit}和参保地是同一个地方，在参保地看病不用办异地就医备案。"
    province = get_catalogue().province_of(insured_code) if insured_code else None
    where = province.name if province else "同一个省"
    return (f"参保地{insured}和就医地{visit}在同一个省（{where}）。跨省异地就医备案只能去外省的城市看病；"
            f"在省内看病按{where}自己的规定办理，请咨询参保地的医保经办机构。")


def reject(state: dict, problems: list[Problem], tried: dict) -> tuple[dict, list[dict]]:
    """Say each of the filing service's Problems in plain words; the refused value was not kept
    (the state holds what the filing holds), so its item is asked again next. `tried`: the values
    this turn tried to write."""
    state = copy.deepcopy(state)
    replies = []
    for p in problems:
        key = FIELD_TO_KEY.get(p.field or "")
        if p.code in ("filing.visit_region_same_province", "filing.visit_region_same_as_insured"):
            replies.append(text(place_explanation(p, state, tried)))
        elif key is not None:
            replies.append(text(f"{LABELS[key]}有问题：{p.message}。"))
        else:
            replies.append(text(p.message))
        if p.field == "start_date":
            state["admitted"] = None
        if p.field == "proof":
            state["proof"] = None
            state["phase"] = "proof"
        if key is not None:
            state["reask"] = state.get("reask") or key
            if state.get("phase") not in ("collect", "done"):
                state["phase"] = "collect"
    return state, replies
