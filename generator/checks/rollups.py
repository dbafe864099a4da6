"""`rollup` fields, once every module is read: the rows they aggregate (`entity`), the
reference of those rows back to this entity (`via`), the number aggregated (`field`) and
the rows counted (`where` on their fields and workflow state). With `match` (a unique reference
of this entity) the rows are those whose `via` points where `match` points: a 信用档案 keyed
by its enterprise sums the 扣分记录 that name the same enterprise."""

from __future__ import annotations

import dataclasses

from generator.checks.context import Context, listing
from generator.checks.features import check_condition_fields, conditions
from generator.checks.references import Index


def resolve_rollups(ctx: Context, index: Index) -> None:
    for entity in index.by_name.values():
        for f in entity.fields:
            rollup = f.get("rollup")
            rows = index.by_name.get(f.get("entity") or "")
            if rollup is None or rows is None:
                continue
            path = f"{entity.path}.fields.{f.name}"
            match = f.node.get("match")
            target = entity.qualified
            if match is not None:
                keyed = sorted(x.name for x in entity.fields if x.kind.refers
                               and x.get("unique") is True and x.get("to"))
                if match not in keyed:
                    ctx.err("SCHEMA-E019", f.node.where("match"), f"{path}.match",
                            f"'{match}' is not a unique reference of {entity.key}",
                            f"one of {listing(keyed) or '(none: add unique: true)'}")
                    continue
                target = str(entity.field(str(match)).get("to"))  # type: ignore[union-attr]
            links = sorted(x.name for x in rows.fields
                           if x.kind.refers and x.get("to") == target)
            via = f.node.get("via")
            if via is None and len(links) == 1:
                via = links[0]
            if via not in links:
                at = f.node.where("via") if "via" in f.node else f.node.where("entity")
                to = entity.key if match is None else index.by_name[target].key
                if not links:
                    ctx.err("SCHEMA-E014", at, f"{path}.via", f"{rows.key} has no reference "
                            f"to {to}", f"a field of type reference with to: {to} in "
                            f"{rows.key}")
                elif via is None:
                    ctx.err("SCHEMA-E019", at, f"{path}.via", f"{rows.key} has several "
                            f"references to {to}: say which one", f"one of {listing(links)}")
                else:
                    ctx.err("SCHEMA-E019", at, f"{path}.via", f"'{via}' is not a reference "
                            f"of {rows.key} to {to}", f"one of {listing(links)}")
                continue
            numbers = sorted(x.name for x in rows.fields
                             if x.stored and x.kind.summable and not x.kind.kept)
            counted = f.node.get("field")
            if counted is not None and counted not in numbers:
                # a rollup of rollups would be kept by nobody: only stored numbers
                ctx.err("SCHEMA-E019", f.node.where("field"), f"{path}.field",
                        f"'{counted}' is not a number field of {rows.key}",
                        f"one of {listing(numbers) or '(none)'}")
                continue
            where = conditions(ctx, f.node, "where", path)
            check_condition_fields(ctx, where, rows.condition_pool(), f.node, "where", path)
            f.kw["rollup"] = dataclasses.replace(
                rollup, via=str(via), field=None if rollup.aggregate == "count" else counted,
                where=where, match=None if match is None else str(match))
