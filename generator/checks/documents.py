"""`documents:` on an entity (文书): the template (a .docx beside the YAML file), the number
pattern ({year} and {seq}), who may generate it and in which states."""

from __future__ import annotations

import os
import re

from generator.checks.context import Context, listing
from generator.checks.drafts import EntityDraft
from generator.loader import Node
from generator.spec import Document

DOCUMENT_KEYS = ("label", "template", "number", "roles", "states")
DOCUMENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
NUMBER_PARTS = ("year", "seq")


def read_documents(ctx: Context, entity: EntityDraft) -> tuple[Document, ...]:
    raw = ctx.mapping(entity.node, "documents", f"{entity.path}.documents")
    if raw is None:
        return ()
    found = []
    for key, body in raw.items():
        path = f"{entity.path}.documents.{key}"
        if not isinstance(key, str) or not DOCUMENT_NAME.match(key):
            ctx.err("SCHEMA-E005", raw.where(key), path, f"document name '{key}' is not "
                    "allowed", "lower-case letters, digits and _ starting with a letter")
            continue
        if not ctx.expect(body, dict, raw.where(key), path):
            continue
        ctx.keys(body, DOCUMENT_KEYS, path, required=("label", "template", "number"))
        template = _template(ctx, body, path)
        number = body.get("number")
        if isinstance(number, str):
            parts = PLACEHOLDER.findall(number)
            wrong = [p for p in parts if p not in NUMBER_PARTS]
            if wrong or "seq" not in parts:
                ctx.err("SCHEMA-E017", body.where("number"), f"{path}.number",
                        f"'{number}' is not a number pattern", "text with {seq} and "
                        "optionally {year}, e.g. 宁药监罚〔{year}〕{seq}号")
                number = None
        roles = tuple(r for r, at in ctx.names(body, "roles", path)
                      if ctx.known_role(r, at, f"{path}.roles"))
        states = _states(ctx, entity, body, path)
        if template is not None and isinstance(number, str):
            found.append(Document(key, ctx.label(body, "label", path, key), template, number,
                                  roles, states))
    return tuple(found)


def _template(ctx: Context, body: Node, path: str) -> str | None:
    value = body.get("template")
    at = body.where("template")
    if not isinstance(value, str):
        return None
    full = os.path.normpath(os.path.join(ctx.base, os.path.dirname(at.file), value))
    if not value.endswith(".docx") or not os.path.isfile(full):
        ctx.err("SCHEMA-E030", at, f"{path}.template", f"'{value}' is not a .docx file that "
                "exists", "a .docx template, relative to the module's YAML file")
        return None
    return full


def _states(ctx: Context, entity: EntityDraft, body: Node, path: str) -> tuple[str, ...]:
    known = entity.workflow.state_keys if entity.workflow is not None else []
    out = []
    for state, at in ctx.names(body, "states", path):
        if state not in known:
            ctx.err("SCHEMA-E027", at, f"{path}.states", f"unknown state '{state}'",
                    f"one of {listing(known) or '(the entity has no workflow)'}")
        else:
            out.append(state)
    return tuple(out)
