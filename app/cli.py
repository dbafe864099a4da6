"""`flask --app wsgi schema ...` and `flask --app wsgi users ...`.

Registered as Flask plugin commands (see pyproject.toml), so `schema check` works without
building the app: it must be able to report on a schema the app would refuse.
"""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from generator import check_path
from generator.problems import report


@click.group("schema", help="Check the YAML schema and bring the database to it.")
def schema_cli() -> None:
    pass


@schema_cli.command("check")
@click.argument("path", required=False)
def check_command(path: str | None) -> None:
    """Report every problem of the schema at PATH (default: $ADMIN_SCHEMA)."""
    from app.config import defaults

    path = path or os.environ.get("ADMIN_SCHEMA") or defaults()["ADMIN_SCHEMA"]
    problems = check_path(path)
    if problems:
        click.echo(report(problems), err=True)
        sys.exit(1)
    click.echo(f"{path}: no problems.")


@schema_cli.command("apply")
@click.option("--allow-destructive", is_flag=True,
              help="Also drop or narrow tables and columns the schema no longer has.")
@click.option("--dry-run", is_flag=True, help="Only say what would be done.")
@with_appcontext
def apply_command(allow_destructive: bool, dry_run: bool) -> None:
    """Create what is missing (tables, columns, indexes), keeping every existing row."""
    from app.apply import apply_schema

    applied = apply_schema(current_app, allow_destructive, dry_run)
    result = applied.tables
    if applied.permissions is not None:
        perms = applied.permissions
        click.echo(f"permissions: {perms.added} granted, {perms.removed} withdrawn "
                   f"({perms.statements} statements)")
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
@click.option("--first-name", default="")
@click.option("--last-name", default="")
@click.option("--email", default=None)
@with_appcontext
def create_user(username: str, password: str, role: str, first_name: str, last_name: str,
                email: str | None) -> None:
    """Create a user with one role."""
    sm = current_app.appbuilder.sm
    found = sm.find_role(role)
    if found is None:
        names = ", ".join(sorted(r.name for r in sm.get_all_roles()))
        raise click.ClickException(f"unknown role '{role}'; expected one of {names}")
    if sm.find_user(username=username) is not None:
        raise click.ClickException(f"user '{username}' already exists")
    user = sm.add_user(username, first_name or username, last_name,
                       email or f"{username}@localhost", found, password)
    if not user:
        raise click.ClickException("the user could not be created (see the log)")
    click.echo(f"user '{username}' created with role {role}.")


@users_cli.command("bootstrap")
@click.option("--username", default="admin", show_default=True)
@with_appcontext
def bootstrap_admin(username: str) -> None:
    """Create the first administrator with a random password, once; print the password."""
    import secrets
    import string

    sm = current_app.appbuilder.sm
    if sm.find_user(username=username) is not None:
        click.echo(f"administrator '{username}' exists (its password is unchanged).")
        return
    alphabet = string.ascii_letters + string.digits
    password = "".join(secrets.choice(alphabet) for _ in range(12)) + "@1a"
    user = sm.add_user(username, "系统", "管理员", f"{username}@localhost",
                       sm.find_role(current_app.config["AUTH_ROLE_ADMIN"]), password)
    if not user:
        raise click.ClickException("the administrator could not be created (see the log)")
    click.echo(f"administrator created: username {username}  password {password}")
