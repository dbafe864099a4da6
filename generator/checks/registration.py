"""`registration:` of the root file: who may ask for an account on the public 注册账号 form.

    registration:
      regions: ["110000"]   # GB/T 2260 province codes whose units may register
      kind: enterprise      # what registers: enterprise (the default) or institution
      role: legal_person    # the role the approved applicant's account holds
      id_no_roles: [legal_person, agent, citizen]   # must give a 身份证号 before business

Without the key nobody registers (the form answers that registration is closed).
"""

from __future__ import annotations

from generator.checks.context import Context, listing, where
from generator.loader import Node
from generator.spec import Registration

REGISTRATION_KEYS = ("regions", "kind", "role", "id_no_roles")
KINDS = ("enterprise", "institution")


def _province(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and code.endswith("0000") and code != "000000"


def read_registration(ctx: Context, data: Node) -> Registration | None:
    node = ctx.mapping(data, "registration", "registration")
    if node is None:
        return None
    ctx.keys(node, REGISTRATION_KEYS, "registration", required=("regions", "role"))
    regions = []
    for code, at in ctx.names(node, "regions", "registration"):
        if not _province(code):
            ctx.err("SCHEMA-E067", at, "registration.regions",
                    f"'{code}' is not a province's GB/T 2260 code",
                    "six digits ending in 0000, e.g. '110000' (北京市); quote it")
        else:
            regions.append(code)
    if "regions" in node and not isinstance(node["regions"], list):
        regions = []
    kind = "enterprise"
    if "kind" in node:
        value = node["kind"]
        if value not in KINDS:
            ctx.err("SCHEMA-E068", where(node, "kind"), "registration.kind",
                    f"'{value}' cannot register", f"one of {listing(KINDS)}")
        else:
            kind = str(value)
    unit_roles = sorted(k for k, r in ctx.roles.items() if "unit" in r.levels and r.admin is None)
    id_no_roles = []
    for name, at in ctx.names(node, "id_no_roles", "registration"):
        if not ctx.known_role(name, at, "registration.id_no_roles"):
            continue
        if name not in unit_roles:
            ctx.err("SCHEMA-E066", at, "registration.id_no_roles",
                    f"role '{name}' is not held by a unit's account",
                    f"one of {listing(unit_roles)}")
        else:
            id_no_roles.append(name)
    role = node.get("role")
    if role is None:
        return None
    if not isinstance(role, str):
        ctx.expect(role, str, where(node, "role"), "registration.role")
        return None
    if not ctx.known_role(role, where(node, "role"), "registration.role"):
        return None
    held = ctx.roles[role]
    if "unit" not in held.levels or held.admin is not None:
        ctx.err("SCHEMA-E066", where(node, "role"), "registration.role",
                f"role '{role}' is not held by a unit's account",
                f"a role of level unit without an administrator duty, one of "
                f"{listing(unit_roles)}")
        return None
    return Registration(regions=tuple(regions), kind=kind, role=role,
                        id_no_roles=tuple(id_no_roles))
