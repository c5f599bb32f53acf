"""HTTP layer of the chat assistant: thin handlers over server.chat.service."""
from __future__ import annotations

from flask_smorest import Blueprint

from server.accounts.tokens import current_user, user_required
from server.chat import service
from server.chat.schemas import MessageSchema, SessionCreateSchema

blp = Blueprint("chat", __name__, url_prefix="/api/v1/chat", description="对话式备案助手")


@blp.post("/sessions")
@blp.arguments(SessionCreateSchema)
@blp.response(201)
@user_required
def create_session(body):
    """开始一次对话（可带柜台二维码 token）"""
    return service.start_session(current_user(), entry=body.get("entry"))


@blp.post("/sessions/<session_id>/messages")
@blp.arguments(MessageSchema)
@blp.response(200)
@user_required
def post_message(body, session_id):
    """发送一条消息（文字或所点选项）"""
    return service.handle_message(current_user(), session_id, text=body.get("text"),
                                  choice=body.get("choice"), sent_at=body.get("sent_at"))


@blp.get("/sessions/<session_id>")
@blp.response(200)
@user_required
def get_session(session_id):
    """对话的当前状态和消息记录（已脱敏）"""
    return service.load(current_user(), session_id)
