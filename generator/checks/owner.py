"""`visible_to_owner: {field, roles}`: rows held by a regulator's region are also readable by
the organisation they name (an enterprise sees its own 信用档案). Reading only: the roles
named may list, show and export the entity, never write it nor fire its transitions, so no
door can let an owner change a row it merely reads."""

from __future__ import annotations

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.permissions import READING_ACTIONS
from generator.spec import Owner

OWNER_KEYS = ("field", "roles")


def read_owner(ctx: Context, entity: EntityDraft) -> Owner | None:
    body, at = entity.node, f"{entity.path}.visible_to_owner"
    node = ctx.mapping(body, "visible_to_owner", at)
    if node is None:
        return None
    ctx.keys(node, OWNER_KEYS, at, required=("field", "roles"))
    if entity.kw.get("scope") is None:
        ctx.err("SCHEMA-E017", body.where("visible_to_owner"), at,
                "only rows held by an organisation have an owner besides",
                "an entity with scope")
        return None
    texts = sorted(f.name for f in entity.fields if f.stored and f.kind.initials)
    name = node.get("field")
    if name is not None and name not in texts:
        ctx.err("SCHEMA-E019", node.where("field"), f"{at}.field",
                f"'{name}' is not a string field of {entity.key}",
                f"one of {listing(texts) or '(none)'}")
        name = None
    roles = [role for role, _where in ctx.names(node, "roles", at)]
    grants = {g.role: g for g in entity.kw.get("grants", ())}
    firing = {role for t in (entity.workflow.transitions if entity.workflow else ())
              for role in t.kw.get("roles", ())}
    if entity.workflow is not None:
        firing |= set(entity.workflow.kw.get("change_roles", ()))
    for role in roles:
        writes = [a for a in grants[role].actions if a not in READING_ACTIONS] \
            if role in grants else []
        if role not in grants:
            ctx.err("SCHEMA-E017", node.where("roles"), f"{at}.roles",
                    f"'{role}' has no permissions on {entity.key}",
                    "roles granted list or show on the entity")
        elif writes or role in firing:
            ctx.err("SCHEMA-E017", node.where("roles"), f"{at}.roles",
                    f"'{role}' may also change {entity.key} "
                    f"({listing(writes) or 'a transition'})",
                    f"roles that only {listing(READING_ACTIONS)} it: owners read, never write")
    if name is None or not roles:
        return None
    return Owner(str(name), tuple(roles))
