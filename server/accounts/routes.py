from __future__ import annotations

from server.common.openapi import PUBLIC, Blueprint

from server.accounts import service
from server.accounts.schemas import (DevLoginSchema, LoginResultSchema, ProfileUpdateSchema,
                                     UserSchema, WeChatLoginSchema)
from server.accounts.tokens import current_user, revoke_current, user_required, current_token

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与个人资料")


@blp.post("/auth/wechat")
@blp.arguments(WeChatLoginSchema, example={"code": "wx.login 返回的 code"})
@blp.response(200, LoginResultSchema)
@blp.doc(**PUBLIC)
def wechat_login(body):
    """微信登录：用 wx.login 的 code 换取本服务的令牌

    小程序调用 wx.login 得到 code 后提交。返回的 token 放在之后请求的
    `Authorization: Bearer <token>` 里；同一个 code 重复提交得到同一个结果。
    """
    return service.login_with_wechat(body["code"])


@blp.post("/auth/dev")
@blp.arguments(DevLoginSchema)
@blp.response(200, LoginResultSchema)
@blp.doc(**PUBLIC)
def dev_login(body):
    """开发环境登录（生产环境关闭）

    只在开发和测试环境开放：用任意 openid 直接登录，便于不接微信时调试。生产环境返回 404。
    """
    return service.dev_login(body["openid"])


@blp.post("/auth/logout")
@blp.response(204)
def logout():
    """退出登录：令牌立即失效

    当前令牌在所有服务器上立即失效，之后需要重新登录。
    """
    current_token()
    revoke_current()


@blp.get("/me")
@blp.response(200, UserSchema)
@user_required
def get_me():
    """我的资料

    姓名、脱敏后的证件号码和手机号码、默认参保地和险种、个人信息保护告知书的同意情况。
    """
    return current_user()


@blp.patch("/me")
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, UserSchema)
@user_required
def patch_me(body):
    """修改我的资料

    只改提交的字段；任何一项不合格时一项都不改，错误逐项列在 details 里。
    """
    return service.update_profile(current_user(), body)
