"""运维：工作人员账号、机构目录导入、发送失败的消息（仅 operator 角色）."""
from __future__ import annotations

from flask import request
from marshmallow import fields, validate

from server.accounts.tokens import current_staff, staff_required
from server.common.openapi import Blueprint
from server.common.schemas import StrictSchema
from server.errors import Problem, validation_failed
from server.operators import service
from server.operators.schemas import (DeadLetterListSchema, ImportFileSchema, ImportResultSchema, QueuedSchema,
                                      StaffAccountListSchema, StaffAccountSchema)

blp = Blueprint("operators", __name__, url_prefix="/api/v1/staff/admin", description="运维管理")


class StaffCreateSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(["reviewer", "counter", "operator"]))
    display_name = fields.String(load_default=None, validate=validate.Length(max=64))
    region_codes = fields.List(fields.String(validate=validate.Length(equal=6)), load_default=list,
                               validate=validate.Length(max=50))
    institution_code = fields.String(load_default=None, validate=validate.Length(max=32))


class PasswordSchema(StrictSchema):
    password = fields.String(required=True, validate=validate.Length(max=200))


class RetrySchema(StrictSchema):
    ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**62)), load_default=list,
                      validate=validate.Length(max=500))


@blp.get("/staff")
@blp.response(200, StaffAccountListSchema, dump=False)
@staff_required("operator")
def list_staff():
    """工作人员账号列表

    所有审核人员、医院窗口和运维账号，含停用和锁定状态；不含密码。
    """
    return {"items": [service.staff_view(s) for s in service.list_staff()]}


@blp.post("/staff")
@blp.arguments(StaffCreateSchema)
@blp.response(201, StaffAccountSchema, dump=False)
@staff_required("operator")
def create_staff(body):
    """新建工作人员账号

    审核人员需要参保地代码，医院窗口需要机构编码；密码至少12位。
    """
    return service.staff_view(service.create(body))


@blp.post("/staff/<int:staff_id>/deactivate")
@blp.response(200, StaffAccountSchema, dump=False)
@staff_required("operator")
def deactivate(staff_id):
    """停用账号

    账号立即不能使用，已登录的令牌同时失效；不能停用自己。
    """
    return service.staff_view(service.deactivate(current_staff(), staff_id))


@blp.post("/staff/<int:staff_id>/unlock")
@blp.response(200, StaffAccountSchema, dump=False)
@staff_required("operator")
def unlock(staff_id):
    """解除登录锁定

    多次输错密码被暂时锁定的账号，可由运维人员立即解锁。
    """
    return service.staff_view(service.unlock(staff_id))


@blp.post("/staff/<int:staff_id>/password")
@blp.arguments(PasswordSchema)
@blp.response(200, StaffAccountSchema, dump=False)
@staff_required("operator")
def reset_password(body, staff_id):
    """重设密码

    为忘记密码的工作人员设置新密码，同时解除锁定。
    """
    return service.staff_view(service.reset_password(staff_id, body["password"]))


@blp.post("/institutions/import")
@blp.response(200, ImportResultSchema, dump=False)
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": ImportFileSchema}}})
@staff_required("operator")
def import_institutions():
    """导入定点医疗机构目录（CSV 或 JSON，multipart 的 file 部分）

    先逐行检查；有任何一行不对，什么都不导入，并按行号列出问题。
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise validation_failed([Problem("file", "import.file_required", "请选择要导入的文件")])
    return service.import_institutions(upload.read(), upload.filename)


@blp.get("/notifications/dead")
@blp.response(200, DeadLetterListSchema, dump=False)
@staff_required("operator")
def dead_letters():
    """发送失败的订阅消息

    微信拒收的消息（如模板字段不符），附原因。
    """
    return {"items": service.dead_letters()}


@blp.post("/notifications/dead/retry")
@blp.arguments(RetrySchema)
@blp.response(200, QueuedSchema, dump=False)
@staff_required("operator")
def retry_dead_letters(body):
    """重新发送失败的消息

    全部，或 `ids` 指定的消息重新排队发送。
    """
    return {"queued": service.retry_dead_letters(body["ids"])}
