"""`flask --app wsgi schema ...` and `flask --app wsgi users ...`.

Registered as Flask plugin commands (see pyproject.toml), so `schema check` works without
building the app: it must be able to report on a schema the app would refuse.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext

from app.context import db_session, flask_app, generated, security
from generator import check_path
from generator.problems import report
from generator.spec import USER_CLASSES


@click.group("schema", help="Check the YAML schema and bring the database to it.")
def schema_cli() -> None:
    pass


@schema_cli.command("check")
@click.argument("path", required=False)
@click.option("--db", "against_db", is_flag=True,
              help="Also compare the permissions in the database with the YAML.")
def check_command(path: str | None, against_db: bool) -> None:
    """Report every problem of the schema at PATH (default: $ADMIN_SCHEMA)."""
    from app.config import defaults

    path = path or os.environ.get("ADMIN_SCHEMA") or defaults()["ADMIN_SCHEMA"]
    from app.hooks import CATALOGUE

    problems = check_path(path, CATALOGUE)
    if problems:
        click.echo(report(problems), err=True)
        sys.exit(1)
    click.echo(f"{path}: no problems.")
    if against_db:
        from flask.cli import ScriptInfo

        from app.apply import permission_drift

        os.environ["ADMIN_SCHEMA"] = path
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            lines = permission_drift(app)
        for line in lines:
            click.echo(f"DRIFT {line}", err=True)
        if lines:
            click.echo(f"{len(lines)} difference(s) between the database and the YAML; "
                       "`schema apply` restores the YAML's matrix.", err=True)
            sys.exit(1)
        click.echo("The permissions in the database match the YAML.")


@schema_cli.command("apply")
@click.option("--allow-destructive", is_flag=True,
              help="Also drop or narrow tables and columns the schema no longer has.")
@click.option("--dry-run", is_flag=True, help="Only say what would be done.")
@click.option("--compare", is_flag=True,
              help="Compare every table with the database even when the fingerprint the "
                   "last apply stored says nothing changed.")
@with_appcontext
def apply_command(allow_destructive: bool, dry_run: bool, compare: bool) -> None:
    """Create what is missing (tables, columns, indexes), keeping every existing row."""
    from app.apply import ApplyRefused, apply_schema

    try:
        applied = apply_schema(current_app, allow_destructive, dry_run, compare)
    except ApplyRefused as exc:
        raise click.ClickException(str(exc)) from None
    result = applied.tables
    if applied.permissions is not None:
        perms = applied.permissions
        click.echo(f"permissions: {perms.added} granted, {perms.removed} withdrawn "
                   f"({perms.statements} statements, {perms.seconds:.2f} s)")
    if not result.changes:
        click.echo("The database already matches the schema.")
        return
    for change in result.changes:
        if change.destructive and not allow_destructive:
            mark = "refused" if not dry_run else "would need --allow-destructive"
            click.echo(f"! {change.text} [{mark}]")
        else:
            click.echo(f"{'would ' if dry_run else ''}+ {change.text}")
    if result.destructive and not allow_destructive:
        click.echo(f"{len(result.destructive)} destructive change(s) not made; run again with "
                   "--allow-destructive to make them.", err=True)
        sys.exit(2 if not dry_run else 0)


@click.group("users", help="Manage user accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", required=True, help="Name of an existing role, e.g. Admin.")
@click.option("--org", "org_code", default=None,
              help="Code of the user's organisation (GB/T 2260 code or 统一社会信用代码).")
@click.option("--user-class", default=None, type=click.Choice(USER_CLASSES),
              help="Default: the role's user class.")
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--email", default=None)
@with_appcontext
def create_user(username: str, password: str, role: str, org_code: str | None,
                user_class: str | None, first_name: str, last_name: str,
                email: str | None) -> None:
    """Create a user with one role, in one organisation."""
    from sqlalchemy import select

    from app.security.models import Organisation

    sm = security()
    found = sm.find_role(role)
    if found is None:
        names = ", ".join(sorted(r.name for r in sm.get_all_roles()))
        raise click.ClickException(f"unknown role '{role}'; expected one of {names}")
    if sm.find_user(username=username) is not None:
        raise click.ClickException(f"user '{username}' already exists")
    org = None
    if org_code:
        org = db_session().execute(select(Organisation).where(
            Organisation.code == org_code)).scalar_one_or_none()
        if org is None:
            raise click.ClickException(f"organisation '{org_code}' does not exist "
                                       "(flask --app wsgi org add ...)")
    spec = generated().spec
    spec_role = next((r for r in spec.roles if r.key == role), None)
    if spec_role is not None and org is not None and org.level not in spec_role.levels:
        raise click.ClickException(f"role '{role}' lives at {', '.join(spec_role.levels)}; "
                                   f"'{org_code}' is a {org.level}")
    from app.hooks.password_policy import PasswordRejected

    try:
        user = sm.add_user(username, first_name or username, last_name,
                           email or f"{username}@localhost", found, password)
    except PasswordRejected as exc:
        raise click.ClickException(_refusal(exc)) from None
    if not user:
        raise click.ClickException("the user could not be created (see the log)")
    user.org = org
    user.user_class = user_class or (spec_role.user_class if spec_role else None)
    db_session().commit()
    where = f" in {org.name} ({org.code})" if org is not None else ""
    click.echo(f"user '{username}' created with role {role}{where}.")


@users_cli.command("bootstrap")
@click.option("--username", default="admin", show_default=True)
@with_appcontext
def bootstrap_admin(username: str) -> None:
    """Create the first administrator with a random password, once; print the password."""
    from app.hooks.password_policy import PasswordRejected, check_password

    sm = security()
    if sm.find_user(username=username) is not None:
        click.echo(f"administrator '{username}' exists (its password is unchanged).")
        return
    policy = sm.password_policy
    password = _random_password(policy.min_length, policy.max_length)
    while check_password(policy, password, username):
        password = _random_password(policy.min_length, policy.max_length)
    try:
        user = sm.add_user(username, "系统", "管理员", f"{username}@localhost",
                           sm.find_role(current_app.config["AUTH_ROLE_ADMIN"]), password)
    except PasswordRejected as exc:
        raise click.ClickException(_refusal(exc)) from None
    if not user:
        raise click.ClickException("the administrator could not be created (see the log)")
    click.echo(f"administrator created: username {username}  password {password}")
    if user.must_change_password:
        click.echo("The password must be changed at the first sign-in.")


def _random_password(min_length: int, max_length: int) -> str:
    """Upper, lower, digit and special, 16 characters (or the policy's bounds)."""
    import secrets
    import string

    length = max(min(16, max_length), min_length)
    pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "@#$%&*!?"]
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def _refusal(exc: Any) -> str:
    """A refused password, in English and in Chinese."""
    from flask_babel import force_locale, gettext

    from app.hooks.password_policy import english

    values = exc.policy.placeholders()
    with force_locale("zh_CN"):
        chinese = [gettext(msgid, **values) for msgid in exc.problems]
    return ("the password breaks the password policy: " + " ".join(english(exc.problems,
                                                                         exc.policy))
            + "\n密码不符合密码策略：" + "".join(chinese))


@click.group("org", help="The organisation tree: divisions and units.")
def org_cli() -> None:
    pass


@org_cli.command("add")
@click.option("--code", required=True,
              help="GB/T 2260 code, or 统一社会信用代码 for a unit (a person: ZR + 14 digits).")
@click.option("--name", required=True)
@click.option("--level", required=True,
              type=click.Choice(["province", "city", "county", "unit"]))
@click.option("--parent", default=None, help="Code of the parent (not for provinces).")
@click.option("--kind", default=None, type=click.Choice(["enterprise", "institution", "person"]))
@with_appcontext
def org_add(code: str, name: str, level: str, parent: str | None, kind: str | None) -> None:
    """Add one organisation to the tree."""
    from app.security.orgs import OrgError, add_org

    session = db_session()
    try:
        org = add_org(session, code, name, level, parent, kind)
    except OrgError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(f"{org.level} {org.code} {org.name} added under {org.parent.name}.")


@org_cli.command("load-divisions")
@click.option("--file", "path", default=None, help="Default: app/data/divisions.csv.")
@with_appcontext
def org_load_divisions(path: str | None) -> None:
    """Add the GB/T 2260 provinces, cities and counties that are missing."""
    from app.security.orgs import DIVISIONS_CSV, load_divisions

    session = db_session()
    added = load_divisions(session, path or DIVISIONS_CSV)
    session.commit()
    click.echo(f"{added} divisions added.")


@schema_cli.command("matrix")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The xlsx workbook to write (sheets 权限矩阵 and 角色).")
@with_appcontext
def matrix_command(output: str) -> None:
    """Write the permission matrix (roles x entities x actions, scope, field rights) to xlsx."""
    from app.security.matrix_table import write_xlsx

    count = write_xlsx(generated().spec, output,
                       current_app.config["AUTH_ROLE_ADMIN"])
    click.echo(f"wrote {count} rows to {output}")


@org_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def org_import(path: str) -> None:
    """Add units (enterprises, medical institutions) from an .xlsx or .csv file.

    Columns: 统一社会信用代码, 单位名称, 单位类型 (企业 or 医疗机构), 上级区划代码. Every row is
    checked first; if any row is wrong nothing is added and every wrong row is listed."""
    from app.security.orgs import import_units, read_table

    session = db_session()
    added, errors = import_units(session, read_table(path))
    if errors:
        session.rollback()
        for line in errors:
            click.echo(line, err=True)
        raise click.ClickException(f"{len(errors)} row(s) wrong; nothing was imported")
    session.commit()
    click.echo(f"{added} units imported.")


@click.group("accounts", help="Account hygiene under the password policy.")
def accounts_cli() -> None:
    pass


@accounts_cli.command("sweep")
@click.option("--initial-deadline", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Also disable accounts that still have not changed their initial password "
                   "by the end of this day (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Only say who would be disabled.")
@with_appcontext
def accounts_sweep(initial_deadline: Any, dry_run: bool) -> None:
    """Disable (never delete) accounts unused for the policy's unused_days (default 90) and,
    with --initial-deadline, accounts that never changed their initial password by then; sign
    out the sessions idle past the policy's idle_minutes that nobody came back to."""
    from app.security import sessions
    from app.security.accounts import sweep

    sm = security()
    session = db_session()
    policy = sm.password_policy
    findings = sweep(session, policy, current_app.config["AUTH_ROLE_ADMIN"],
                     initial_deadline=initial_deadline.date() if initial_deadline else None,
                     dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        session.commit()
    verb = "would disable" if dry_run else "disabled"
    for finding in findings:
        click.echo(f"{verb if finding.disabled else 'kept'} {finding.username}: "
                   f"{finding.reason}")
    count = sum(1 for f in findings if f.disabled)
    outcome = "would be disabled" if dry_run else "disabled"
    click.echo(f"{count} account(s) {outcome}; unused means no sign-in for "
               f"{policy.unused_days} days.")
    minutes = int(policy.idle_minutes)
    if dry_run:
        idle = sessions.idle_count(session, minutes)
        click.echo(f"{idle} idle session(s) would be signed out (idle for {minutes} minutes).")
    else:
        idle = sessions.expire_idle(session, minutes)
        click.echo(f"{idle} idle session(s) signed out (idle for {minutes} minutes).")


@schema_cli.command("verify-rollups")
@click.option("--fix", is_flag=True, help="Also store the recomputed values.")
@with_appcontext
def verify_rollups_command(fix: bool) -> None:
    """Recompute every rollup field and report the rows whose stored value drifted."""
    from app import rollups

    admin = current_app.extensions["admin"]
    session = admin.session
    drift = rollups.verify(session, admin.spec, admin.models, fix=fix)
    for d in drift:
        click.echo(f"{d.entity}.{d.field} #{d.record_id}: stored {d.stored}, exact {d.exact}"
                   + (" (fixed)" if fix else ""))
    if fix:
        session.commit()
    click.echo(f"{len(drift)} rollup value(s) drifted" + ("; fixed." if fix and drift else "."))
    if drift and not fix:
        sys.exit(1)



@click.group("demo", help="The demo data set of the bundled schema.")
def demo_cli() -> None:
    pass


@demo_cli.command("load")
@with_appcontext
def demo_load() -> None:
    """Add the demo organisations, accounts and records; again: nothing changes."""
    from app.demo import PASSWORD, DemoError, accounts_table, load

    app = flask_app()  # type: ignore[attr-defined]
    try:
        result = load(app)
    except DemoError as exc:
        raise click.ClickException(str(exc)) from None
    if result.skipped:
        click.echo(f"demo data skipped: {result.skipped}.")
        return
    if not result.changed:
        click.echo("demo data already loaded; nothing changed.")
        return
    click.echo("demo data loaded: " + ", ".join(
        f"{what} {count}" for what, count in result.created.items() if count) + ".")
    rows = accounts_table(app)
    width = max(len(name) for name, _, _ in rows)
    change = (", to be changed at the first sign-in"
              if security().password_policy.change_first_login else "")
    click.echo(f"demo accounts (password {PASSWORD}{change}):")
    for name, role, org in rows:
        click.echo(f"  {name:<{width}}  {role}（{org}）")
