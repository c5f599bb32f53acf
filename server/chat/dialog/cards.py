"""The cards the dialog sends: the summary to check, the result after submitting (with what
happens next), the notice and privacy notice, and the upload and signature requests."""
from __future__ import annotations

from datetime import date

from server.chat.dialog.common import LABELS, Env, ftype_of, slot_words

def summary_keys(state: dict) -> list[str]:
    keys = ["applicant", "insured", "visit", "scheme", "filing_type", "start_date", "contact_name",
            "contact_phone"]
    ft = ftype_of(state.get("filing_type"))
    if ft is not None and ft.is_long_term:
        keys.append("address")
    return keys


def summary_card(state: dict, env: Env) -> dict:
    fields = []
    for key in summary_keys(state):
        fields.append({"key": key, "label": LABELS[key], "value": slot_words(key, state, env)})
        if key == "start_date":
            fields.append({"key": "end_date", "label": LABELS["end_date"],
                           "value": slot_words("end_date", state, env) or "开始日期后半年（自动计算）"})
    actions = [{"label": "确认无误", "value": "confirm"}]
    actions += [{"label": f"改{LABELS[k]}", "value": f"change:{k}"} for k in summary_keys(state)]
    return {"type": "card", "card": "summary", "title": "请核对备案信息", "fields": fields,
            "actions": actions}


def after_submit_words(result: dict) -> str:
    """What happens next, and by when; and where to see the record."""
    status = result.get("status")
    number = result.get("filing_number")
    if status == "approved":
        line = f"备案已经办好了（编号{number}），现在就生效：在就医地的联网定点医疗机构看病可以直接结算。"
    elif status == "pending_review":
        due = date.fromisoformat(result["review_due_at"][:10]) if result.get("review_due_at") else None
        when = f"，最晚{due.year}年{due.month}月{due.day}日前会有结果" if due else ""
        line = f"备案已经提交（编号{number}），正在等医保经办机构审核{when}。"
    else:
        line = f"备案编号{number}，当前状态：{result.get('status_label')}。"
    return line + "以后可以在「备案记录」里查看进度和备案详情。"


def result_card(result: dict) -> dict:
    return {"type": "card", "card": "result", "filing_id": result.get("filing_id"),
            "filing_number": result.get("filing_number"), "status": result.get("status"),
            "status_label": result.get("status_label"), "message": result.get("message"),
            "record_url": f"/api/v1/records/{result.get('filing_id')}"}


def privacy_card(privacy: dict | None) -> dict:
    p = privacy or {}
    return {"type": "card", "card": "privacy_notice", "title": p.get("title"),
            "version": p.get("version"), "text": p.get("summary"), "url": p.get("url")}


def notice_card(notice: dict | None) -> dict:
    n = notice or {}
    return {"type": "card", "card": "notice", "title": n.get("title"), "text": n.get("text"),
            "version": n.get("version")}


def upload_card(filing_id: int | None, documents: list[dict]) -> dict:
    return {"type": "card", "card": "upload_request", "filing_id": filing_id, "method": "POST",
            "url": f"/api/v1/filings/{filing_id}/documents", "file_field": "file",
            "documents": documents, "done_value": "proof:done"}


def signature_card(filing_id: int | None) -> dict:
    return {"type": "card", "card": "signature_request", "filing_id": filing_id, "method": "POST",
            "url": f"/api/v1/filings/{filing_id}/commitment",
            "text_url": f"/api/v1/filings/{filing_id}/commitment", "done_value": "proof:done"}
