"""HTTP layer of the chat assistant: thin handlers over server.chat.service."""
from __future__ import annotations

from server.common.openapi import Blueprint

from server.accounts.tokens import current_user, user_required
from server.chat import service
from server.chat.schemas import ChatSessionSchema, ChatTurnSchema, MessageSchema, SessionCreateSchema

blp = Blueprint("chat", __name__, url_prefix="/api/v1/chat", description="对话式备案助手")


@blp.post("/sessions")
@blp.arguments(SessionCreateSchema)
@blp.response(201, ChatTurnSchema, dump=False)
@user_required
def create_session(body):
    """开始一次对话

    从医院窗口扫码进入时带上二维码里的 entry，就医地会预先填好。返回助手的第一批回复（replies）
    和草稿（draft）。回复的种类和卡片见 docs/chat.md。
    """
    return service.start_session(current_user(), entry=body.get("entry"))


@blp.post("/sessions/<session_id>/messages")
@blp.arguments(MessageSchema, examples={
    "situation": {"summary": "用自己的话说情况", "value": {
        "text": "我妈在金华参保，下周去上海瑞金医院住院，要备案吗", "sent_at": "2026-11-24T10:00:00+08:00"}},
    "choice": {"summary": "点选一个选项（options 里的 value）", "value": {"choice": "confirm"}}})
@blp.response(200, ChatTurnSchema, dump=False)
@user_required
def post_message(body, session_id):
    """发送一条消息

    文字（text，可带发送时间 sent_at，“明天”等相对日期以它为准）或所点选项的 value（choice），
    二者选一。返回助手的回复、更新后的草稿和备案 id（filing_id，草稿建立前为 null）。
    """
    return service.handle_message(current_user(), session_id, text=body.get("text"),
                                  choice=body.get("choice"), sent_at=body.get("sent_at"))


@blp.get("/sessions/<session_id>")
@blp.response(200, ChatSessionSchema, dump=False)
@user_required
def get_session(session_id):
    """对话的当前状态

    草稿和消息记录；消息里的证件号码和手机号码已脱敏。
    """
    return service.load(current_user(), session_id)
