"""What the `upload_limit` parameters of a file field mean together with its entity: `any`
stands alone in `types` (SCHEMA-E064), and a `quota_mb` is counted against the organisation
a row belongs to, so the entity's rows must belong to one (SCHEMA-E065). The parameters
themselves are checked with the hook (app/hooks/params.py, SCHEMA-E026)."""

from __future__ import annotations

from generator.checks.context import Context
from generator.checks.drafts import EntityDraft

ANY = "any"  # upload_limit types: every file type, served as a download only


def check_uploads(ctx: Context, entity: EntityDraft) -> None:
    for f in entity.fields:
        ref = f.get("hook")
        if ref is None or ref.name != "upload_limit":
            continue
        body = entity.node["fields"][f.name]
        at = body.where("params") if hasattr(body, "where") else entity.node.where("fields")
        path = f"{entity.path}.fields.{f.name}.params"
        types = list(ref.get("types") or [])
        if ANY in types and len(types) > 1:
            ctx.err("SCHEMA-E064", at, f"{path}.types",
                    f"'{ANY}' accepts every file type and cannot be combined with "
                    + ", ".join(t for t in types if t != ANY),
                    f"[{ANY}] alone, or a list of the types to accept")
        if ref.get("quota_mb") is not None and not entity.scoped:
            ctx.err("SCHEMA-E065", at, f"{path}.quota_mb",
                    f"the rows of {entity.key} belong to no organisation, so there is no "
                    "space to count the files against",
                    "an entity with scope (or lines of one), or no quota_mb")
