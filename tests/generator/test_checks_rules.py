"""Cross-entity rules in the YAML (rollups, visible_to_owner, automatic actions and their
`where`, `org_from`, grants `assigned` to persons): every mistake reported at once, located,
with what is allowed."""

from __future__ import annotations

from pathlib import Path

from generator import check_path

BROKEN = """\
module: m
roles:
  boss: {label: 局, level: province}
  firm: {label: 企业, level: unit}
workflows:
  flow:
    states: {open: {label: 待办, edit: true}, done: {label: 办结}}
    transitions: {finish: {label: 办结, from: open, to: done, roles: [boss]}}
entities:
  Profile:
    scope: jurisdiction
    visible_to_owner: {field: points, roles: [firm]}
    fields:
      uscc: string
      points: integer
      total: {type: rollup, entity: Item, aggregate: sum, field: note}
      worst: {type: rollup, entity: Item, via: other, aggregate: max, field: points}
      many: {type: rollup, entity: Item, aggregate: median, field: points}
      again: {type: rollup, entity: Profile, aggregate: count}
    permissions:
      firm: {actions: [list, show, edit], scope: own}
  Item:
    scope: jurisdiction
    workflow: flow
    fields:
      profile: {type: reference, to: Profile}
      points: integer
      note: string
    rules:
      bad_on: {on: {transition: close}, create: Item, values: {note: note}}
      bad_values:
        on: {transition: finish}
        create: Profile
        values: {total: points, uscc: profile.nothing, points: "points +", nope: note}
      loop: {on: create, create: Item, values: {note: "concat('x', note)"}}
      moved: {on: {transition: finish}, create: Item, values: {org: note, note: note}}
"""


def test_every_rule_mistake_is_reported_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert [str(p) for p in check_path(str(path))] == [
        "SCHEMA-E019 entities.yaml:12 entities.Profile.visible_to_owner.field: 'points' is "
        'not a string field of Profile; expected one of uscc',
        "SCHEMA-E017 entities.yaml:12 entities.Profile.visible_to_owner.roles: 'firm' may "
        'also change Profile (edit); expected roles that only list, show, export it: owners '
        'read, never write',
        "SCHEMA-E019 entities.yaml:16 entities.Profile.fields.total.field: 'note' is not a "
        'number field of Item; expected one of points',
        "SCHEMA-E019 entities.yaml:17 entities.Profile.fields.worst.via: 'other' is not a "
        'reference of Item to Profile; expected one of profile',
        "SCHEMA-E017 entities.yaml:18 entities.Profile.fields.many.aggregate: 'median' is not"
        ' allowed; expected one of sum, count, min, max',
        'SCHEMA-E014 entities.yaml:19 entities.Profile.fields.again.via: Profile has no '
        'reference to Profile; expected a field of type reference with to: Profile in Profile',
        'SCHEMA-E027 entities.yaml:30 entities.Item.rules.bad_on.on.transition: unknown '
        "transition 'close'; expected one of finish",
        "SCHEMA-E019 entities.yaml:34 entities.Item.rules.bad_values.values.total: 'total' is"
        ' not a field the rule can set on Profile; expected one of points, uscc',
        'SCHEMA-E019 entities.yaml:34 entities.Item.rules.bad_values.values.uscc: '
        "'profile.nothing' is not a field read through a reference; expected reference.field,"
        ' with one of again, many, points, total, uscc, worst',
        'SCHEMA-E015 entities.yaml:34 entities.Item.rules.bad_values.values.points: Syntax '
        "error: invalid syntax (column 0); expected numbers, 'text', True/False/None, field "
        "names, unary + - not, binary + - * / // %, comparisons == != < <= > >= (and 'is "
        "None' / 'is not None'), and/or, 'a if c else b'",
        "SCHEMA-E019 entities.yaml:34 entities.Item.rules.bad_values.values.nope: 'nope' is "
        'not a field the rule can set on Profile; expected one of points, uscc',
        'SCHEMA-E033 entities.yaml:35 entities.Item.rules.loop.create: rules create rows in a'
        ' circle: Item -> Item; expected rules whose created rows do not lead back to Item',
        "SCHEMA-E020 entities.yaml:36 entities.Item.rules.moved.values.org: 'note' is not a "
        'reference to rows that belong to an organisation; expected one of profile',
    ]


KEYED = """\
module: m
roles:
  boss: {label: 局, level: province}
workflows:
  flow:
    states: {open: {label: 待办, edit: true}, done: {label: 办结}}
    transitions: {finish: {label: 办结, from: open, to: done, roles: [boss]}}
entities:
  Firm:
    fields: {name: string}
  Profile:
    fields:
      firm: {type: reference, to: Firm, unique: true}
      loose: {type: reference, to: Firm}
      grade: string
      total: {type: rollup, entity: Item, match: firm, aggregate: count}
      bad_match: {type: rollup, entity: Item, match: loose, aggregate: count}
      bad_via: {type: rollup, entity: Item, match: firm, via: profile, aggregate: count}
  Item:
    workflow: flow
    fields:
      firm: {type: reference, to: Firm}
      profile: {type: reference, to: Profile}
      note: string
    rules:
      both: {on: {transition: finish}, create: Profile, update: profile, values: {grade: note}}
      neither: {on: {transition: finish}, values: {grade: note}}
      bad_ref: {on: {transition: finish}, update: note, values: {grade: note}}
      bad_field: {on: {transition: finish}, update: profile, values: {total: note}}
      good: {on: {transition: finish}, update: profile, values: {grade: note}}
"""


def test_keyed_rollups_and_update_rules_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(KEYED, encoding="utf-8")
    assert [str(p) for p in check_path(str(path))] == [
        "SCHEMA-E019 entities.yaml:17 entities.Profile.fields.bad_match.match: 'loose' is "
        "not a unique reference of Profile; expected one of firm",
        "SCHEMA-E019 entities.yaml:18 entities.Profile.fields.bad_via.via: 'profile' is not "
        "a reference of Item to Firm; expected one of firm",
        "SCHEMA-E004 entities.yaml:26 entities.Item.rules.both: say either 'create' or "
        "'update'; expected create: <entity> (a new row), or update: <reference> (the row it "
        "points to)",
        "SCHEMA-E004 entities.yaml:27 entities.Item.rules.neither: say either 'create' or "
        "'update'; expected create: <entity> (a new row), or update: <reference> (the row it "
        "points to)",
        "SCHEMA-E019 entities.yaml:28 entities.Item.rules.bad_ref.update: 'note' is not a "
        "reference of Item; expected one of firm, profile",
        "SCHEMA-E019 entities.yaml:29 entities.Item.rules.bad_field.values.total: 'total' is "
        "not a field the rule can set on Profile; expected one of firm, grade, loose",
    ]


ASSIGNED = """\
module: m
roles:
  boss: {label: 局, level: province}
  staff: {label: 执法人员, level: province}
workflows:
  flow:
    states: {open: {label: 待办, edit: true}, done: {label: 办结}}
    transitions: {finish: {label: 办结, from: open, to: done, roles: [boss]}}
entities:
  Firm:
    scope: jurisdiction
    fields: {name: string}
  Plain:
    fields: {name: string}
  Task:
    scope: jurisdiction
    workflow: flow
    org_from: firm
    fields:
      firm: {type: reference, to: Firm}
      plain: {type: reference, to: Plain}
      handler: {type: user, roles: [staff]}
      result: string
    rules:
      failed: {on: {transition: finish}, where: "result ==", create: Plain, values: {name: result}}
      fine: {on: {transition: finish}, where: "result == 'x'", create: Plain, values: {name: "'x'"}}
    permissions:
      boss: [list, show, add, edit]
      staff: {actions: [list, show], assigned: [handler, result]}
  Loose:
    org_from: plain
    fields: {plain: {type: reference, to: Plain}, handler: {type: user, roles: [staff]}}
    permissions:
      staff: {actions: [list], assigned: [handler]}
  Imported:
    scope: jurisdiction
    org_from: plain
    fields: {plain: {type: reference, to: Plain}}
    permissions:
      boss: [list, import]
  Wrong:
    scope: jurisdiction
    org_from: plain
    fields: {plain: {type: reference, to: Plain}}
"""


def test_assigned_grants_org_from_and_rule_conditions_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "entities.yaml"
    path.write_text(ASSIGNED, encoding="utf-8")
    assert [str(p) for p in check_path(str(path))] == [
        "SCHEMA-E015 entities.yaml:25 entities.Task.rules.failed.where: Syntax error: invalid "
        "syntax (column 0); expected numbers, 'text', True/False/None, field names, unary + - "
        "not, binary + - * / // %, comparisons == != < <= > >= (and 'is None' / 'is not "
        "None'), and/or, 'a if c else b'",
        "SCHEMA-E019 entities.yaml:29 entities.Task.permissions.staff.assigned: 'result' is "
        "not a user field of Task; expected one of handler",
        "SCHEMA-E017 entities.yaml:31 entities.Loose.org_from: only rows held by an "
        "organisation take one from a reference; expected an entity with scope",
        "SCHEMA-E017 entities.yaml:34 entities.Loose.permissions.staff.assigned: only rows "
        "held by an organisation are narrowed to their persons; expected an entity with scope",
        "SCHEMA-E017 entities.yaml:37 entities.Imported.org_from: boss may import Imported, "
        "whose rows take their organisation from 'plain'; expected no import grant on an "
        "entity with org_from",
        "SCHEMA-E020 entities.yaml:43 entities.Wrong.org_from: 'plain' is not a reference to "
        "rows that belong to an organisation; expected one of (none)",
    ]
