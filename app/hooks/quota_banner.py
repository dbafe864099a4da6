"""企业空间 用量: above the list and forms of an entity whose files count against the
organisation's quota (`upload_limit.quota_mb`), the person's organisation reads
「企业空间：已用 12.5 MB / 200 MB」 with a bar. The figure is the counter the uploads charge
(hook_org_quota), so it is what the next upload is measured against; one query per page."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from app.hooks.upload_limit import MB, mb, used_bytes
from generator.spec import Entity

WARN_AT = 0.9  # the bar turns amber from 90 % used, red when full


def quota_mb(entity: Entity) -> float | None:
    """The largest quota a file field of the entity names (None: the entity has none)."""
    quotas = [float(f.hook.get("quota_mb")) for f in entity.fields
              if f.hook is not None and f.hook.name == "upload_limit"
              and f.hook.get("quota_mb") is not None]
    return max(quotas) if quotas else None


def usage(entity: Entity, user: Any, session: Any) -> tuple[int, int] | None:
    """(bytes used, bytes allowed) of the person's organisation, or None."""
    limit = quota_mb(entity)
    org_id = getattr(user, "org_id", None)
    if limit is None or org_id is None:
        return None
    return used_bytes(session, int(org_id)), int(limit * MB)


def banner(entity: Entity, user: Any, session: Any) -> Markup | None:
    figures = usage(entity, user, session)
    if figures is None:
        return None
    used, limit = figures
    share = min(1.0, used / limit) if limit else 1.0
    css = "danger" if share >= 1.0 else ("warning" if share >= WARN_AT else "success")
    text = _("Enterprise space: %(used)s MB used of %(limit)s MB", used=mb(used) if used
             else "0", limit=mb(limit))
    return Markup(
        '<div class="panel panel-default quota-banner" role="status" style="padding: 8px 12px;'
        ' margin-bottom: 10px"><i class="fa fa-hdd-o"></i> <strong>{}</strong>'
        '<div class="progress" style="margin: 6px 0 0; height: 10px"><div class="progress-bar '
        'progress-bar-{}" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100" style="width: {}%"></div></div></div>'
    ).format(text, css, round(share * 100), round(share * 100, 1))
