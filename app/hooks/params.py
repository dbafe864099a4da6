"""Parameters each hook type accepts, checked when the schema is loaded (no Flask here)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from generator.spec import USER_CLASSES

# `any`: every file type, its content not checked (a download only: app/security/headers.py)
FILE_TYPES = ("pdf", "jpg", "png", "xlsx", "docx", "zip", "any")
CHARACTER_CLASSES = ("upper", "lower", "digit", "special")
PASSWORD_PRESETS = ("default", "seed_8_20", "strict")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class UploadLimitParams(_Strict):
    types = fields.List(fields.String(validate=validate.OneOf(FILE_TYPES)), required=True,
                        validate=validate.Length(min=1))
    max_mb = fields.Float(load_default=20.0, validate=validate.Range(min=0.001, max=1024))
    max_files = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    quota_mb = fields.Float(load_default=None, allow_none=True,
                            validate=validate.Range(min=0.001, max=1_000_000))


class WindowDeadlineParams(_Strict):
    window = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,40}$"))
    batch_field = fields.String(load_default=None, allow_none=True)
    # only users of these classes are held to the window (absent: everyone)
    user_classes = fields.List(fields.String(validate=validate.OneOf(USER_CLASSES)),
                               load_default=None, allow_none=True,
                               validate=validate.Length(min=1))


class PasswordPolicyParams(_Strict):
    preset = fields.String(load_default="default", validate=validate.OneOf(PASSWORD_PRESETS))
    min_length = fields.Integer(validate=validate.Range(min=6, max=64))
    max_length = fields.Integer(validate=validate.Range(min=8, max=128))
    classes = fields.List(fields.String(validate=validate.OneOf(CHARACTER_CLASSES)))
    not_username = fields.Boolean()
    not_common = fields.Boolean()
    history = fields.Integer(validate=validate.Range(min=0, max=24))
    expiry_days = fields.Integer(validate=validate.Range(min=0, max=3650))
    change_first_login = fields.Boolean()
    lockout_attempts = fields.Integer(validate=validate.Range(min=0, max=100))
    lockout_minutes = fields.Integer(validate=validate.Range(min=1, max=24 * 60))
    idle_minutes = fields.Integer(validate=validate.Range(min=1, max=24 * 60))
    captcha = fields.Boolean()
    unused_days = fields.Integer(validate=validate.Range(min=1, max=3650))

    @validates_schema
    def _lengths_fit(self, data: dict[str, Any], **_kwargs: Any) -> None:
        from app.hooks.password_policy import PRESETS

        preset = PRESETS[data.get("preset", "default")]
        low = data.get("min_length", preset.min_length)
        high = data.get("max_length", preset.max_length)
        if low > high:
            raise ValidationError(f"min_length {low} is greater than max_length {high}",
                                  "min_length")
