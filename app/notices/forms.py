"""The notice form: title, category, range, rich text body, one attachment.

An attachment that passed its checks is stored at once and travels with the form as a
signed token, so a form refused for another field keeps it (nothing uploaded is lost)."""

from __future__ import annotations

from typing import Any, cast

from flask import current_app
from flask_appbuilder.forms import DynamicForm
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import BooleanField, FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.context import generated
from app.hooks import upload_limit
from app.hooks.base import Denied
from app.labels import current_locale
from app.notices.board import clean, plain, the_board

SALT = "notice-attachment"


class NoticeForm(DynamicForm):
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=200)])
    category = SelectField(lazy_gettext("Notice category"), validators=[DataRequired()], choices=[])
    range_org = SelectField(lazy_gettext("Range"), validators=[DataRequired()], choices=[])
    body = TextAreaField(lazy_gettext("Body text"))
    attachment = FileField(lazy_gettext("Attachment"))
    kept = HiddenField()  # the signed attachment already uploaded with this form
    remove_attachment = BooleanField(lazy_gettext("Remove the attachment"))

    def __init__(self, ranges: list[Any], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        board, locale = the_board(), current_locale()
        self.category.choices = [(c.key, c.label.get(locale)) for c in board.categories]
        self.range_org.choices = [(str(o.id), _("Nationwide") if o.level == "national"
                                   else o.name) for o in ranges]

    def validate_body(self, field: Any) -> None:
        field.data = clean(field.data)
        if not plain(field.data):
            raise ValidationError(_("This field is required."))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def sign(key: str, name: str, size: int) -> str:
    return str(_signer().dumps([key, name, size]))


def unsign(token: str | None) -> tuple[str, str, int] | None:
    if not token:
        return None
    try:
        key, name, size = _signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(key), str(name), int(size)


def take_upload(form: NoticeForm, user: Any, session: Any) -> bool:
    """Check and store a newly chosen file (its token into `form.kept`); False, with the
    message on the field, when the upload limit refuses it."""
    upload = form.attachment.data
    ref = the_board().attachment
    if ref is None or upload is None or not getattr(upload, "filename", ""):
        return True
    try:
        upload_limit.check(ref, cast(Any, None), cast(Any, None), None, upload, user, session)
    except Denied as refused:
        form.attachment.errors = [_(refused.reason, **refused.params)]
        return False
    key, size = generated().storage.save(upload.stream, upload.filename)
    session.commit()  # the file stays even when the form goes back for another field
    form.kept.data = sign(key, upload.filename, size)
    return True
