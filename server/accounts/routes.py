from __future__ import annotations

from flask_smorest import Blueprint

from server.accounts import service
from server.accounts.schemas import (DevLoginSchema, LoginResultSchema, ProfileUpdateSchema,
                                     UserSchema, WeChatLoginSchema)
from server.accounts.tokens import current_user, revoke_current, user_required, current_token

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与个人资料")


@blp.post("/auth/wechat")
@blp.arguments(WeChatLoginSchema)
@blp.response(200, LoginResultSchema)
def wechat_login(body):
    """微信登录：用 wx.login 的 code 换取本服务的令牌"""
    return service.login_with_wechat(body["code"])


@blp.post("/auth/dev")
@blp.arguments(DevLoginSchema)
@blp.response(200, LoginResultSchema)
def dev_login(body):
    """开发环境登录（生产环境关闭）"""
    return service.dev_login(body["openid"])


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    """退出登录：令牌立即失效"""
    current_token()
    revoke_current()


@blp.get("/me")
@blp.response(200, UserSchema)
@user_required
def get_me():
    return current_user()


@blp.patch("/me")
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, UserSchema)
@user_required
def patch_me(body):
    return service.update_profile(current_user(), body)
