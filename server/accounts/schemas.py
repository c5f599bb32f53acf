from __future__ import annotations

from marshmallow import fields, validate

from server.common.schemas import CNDateTime, ResponseSchema, StrictSchema


class WeChatLoginSchema(StrictSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class DevLoginSchema(StrictSchema):
    openid = fields.String(required=True, validate=validate.Length(min=1, max=64))


class UserSchema(ResponseSchema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    id_number_masked = fields.String(allow_none=True)
    phone_masked = fields.Method("_phone", allow_none=True, metadata={"type": "string"})
    default_insured_region_code = fields.String(allow_none=True)
    default_scheme = fields.String(allow_none=True)
    privacy_version = fields.String(allow_none=True)
    privacy_accepted_at = CNDateTime(allow_none=True)

    def _phone(self, user):
        from server.common.idnumbers import mask_phone
        return mask_phone(user.phone) if user.phone else None


class LoginResultSchema(ResponseSchema):
    token = fields.String()
    expires_at = CNDateTime()
    user = fields.Nested(UserSchema)


class ProfileUpdateSchema(StrictSchema):
    nickname = fields.String(validate=validate.Length(max=64), allow_none=True)
    name = fields.String(validate=validate.Length(min=1, max=64), allow_none=True)
    id_number = fields.String(validate=validate.Length(max=32), allow_none=True, load_only=True)
    phone = fields.String(validate=validate.Length(max=20), allow_none=True)
    default_insured_region_code = fields.String(allow_none=True, validate=validate.Length(equal=6))
    default_scheme = fields.String(allow_none=True, validate=validate.OneOf(["employee", "resident"]))
