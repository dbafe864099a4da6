"""Schedules: the YAML's `schedules:` fire their action exactly once per planned time however
many schedulers tick at once (two apps on one database, as two hosts), and the run log page
shows the run to the administrators only."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import (
    SCHEMAS,
    apply_schema,
    dispose,
    ensure_admin,
    make_app,
    seed_people,
    sign_in,
)

SCHEDULES = """
schedules:
  - name: nightly_sweep
    label: {zh: 每日账号清理}
    cron: "0 2 * * *"
    action: accounts_sweep
"""


@pytest.fixture(scope="module")
def hosts(database_url: str, tmp_path_factory: Any) -> Any:
    folder = tmp_path_factory.mktemp("schema")
    schema = folder / "entities.yaml"
    text = (SCHEMAS / "io" / "entities.yaml").read_text(encoding="utf-8")
    schema.write_text(text.replace("\nentities:\n", SCHEDULES + "entities:\n", 1),
                      encoding="utf-8")
    files = tmp_path_factory.mktemp("files")
    first = make_app(database_url, schema, files, ADMIN_JOB_FOLDER=str(files / "jobs"))
    apply_schema(first)
    ensure_admin(first)
    with first.app_context():
        seed_people(first, {"350000": ("福建省", "province", None, None)},
                    {"idle": ("province", "350000"), "fj": ("province", "350000")},
                    "Pass@12345")
        session = first.appbuilder.session
        from app.security.models import AppUser

        idle = session.execute(select(AppUser).where(AppUser.username == "idle")).scalar_one()
        idle.last_login = idle.created_on = dt.datetime.now() - dt.timedelta(days=400)
        session.commit()
    second = make_app(database_url, schema, files, ADMIN_JOB_FOLDER=str(files / "jobs"))
    yield first, second
    dispose(first)
    dispose(second)


def test_two_schedulers_ticking_at_once_fire_once(hosts: Any) -> None:
    from app.jobs import scheduler
    from app.jobs.models import Job, ScheduleRun
    from app.security.models import AppUser

    now = dt.datetime.now().replace(hour=2, minute=0, second=5, microsecond=0)
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = []

    def tick(app: Any) -> None:
        barrier.wait()
        claimed.append(scheduler.tick(app, now))

    threads = [threading.Thread(target=tick, args=(app,)) for app in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(len(c) for c in claimed) == [0, 1]  # one host claimed it, the other not
    again = scheduler.tick(hosts[1], now + dt.timedelta(minutes=1))  # the same fire, later
    assert again == []
    app = hosts[0]
    with app.app_context():
        session = app.appbuilder.session
        runs = session.execute(select(ScheduleRun)).scalars().all()
        assert [(r.schedule, r.state, r.planned_at) for r in runs] == [
            ("procurement.nightly_sweep", "done", now.replace(second=0))]
        job = session.get(Job, runs[0].job_id)
        assert (job.kind, job.state) == ("schedule", "done")
        idle = session.execute(select(AppUser).where(AppUser.username == "idle")).scalar_one()
        assert idle.active is False
        session.rollback()

    page = sign_in(app, "admin").get("/system/schedules/")
    assert page.status_code == 200
    text = page.text
    assert "定时任务" in text and "每日账号清理" in text and "0 2 * * *" in text
    assert "已完成" in text and "停用账号 1" in text and "秒" in text
    assert sign_in(app, "fj").get("/system/schedules/").status_code in (302, 403)


def test_a_planned_time_long_past_is_not_made_up(hosts: Any) -> None:
    from app.jobs import scheduler

    late = dt.datetime.now().replace(hour=5, minute=0, second=0, microsecond=0)
    assert scheduler.tick(hosts[0], late) == []  # 02:00 was three hours ago


def test_every_action_of_the_catalogue_has_its_function() -> None:
    from app.jobs.actions import FUNCTIONS
    from generator.schedules import ACTIONS

    assert set(FUNCTIONS) == set(ACTIONS)


def test_schema_check_reports_every_schedule_mistake(tmp_path: Path) -> None:
    from app.hooks import CATALOGUE
    from generator import SchemaError, load_spec

    text = (SCHEMAS / "io" / "entities.yaml").read_text(encoding="utf-8").replace(
        "\nentities:\n", """
schedules:
  - {name: Bad, cron: "61 * * *", action: nothing}
  - {name: sweep, cron: "*/5 * * * *", action: accounts_sweep, params: {dry_run: maybe, who: x}}
  - {name: sweep, cron: "0 3 * * *", action: accounts_sweep}
entities:
""", 1)
    path = tmp_path / "entities.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as raised:
        load_spec(str(path), CATALOGUE)
    line = text.splitlines().index("schedules:") + 2
    assert [str(p) for p in raised.value.problems] == [
        f"SCHEMA-E005 entities.yaml:{line} schedules[0].name: 'Bad' is not allowed; expected "
        "lower-case letters, digits and _ starting with a letter",
        f"SCHEMA-E045 entities.yaml:{line} schedules[0].cron: '61 * * *' is not a cron "
        "expression; expected five fields: minute hour day-of-month month day-of-week, e.g. "
        "'0 2 * * *'",
        f"SCHEMA-E046 entities.yaml:{line} schedules[0].action: unknown action 'nothing'; "
        "expected one of accounts_sweep, deliver_messages, match_records, refresh_rollups, "
        "remind_time_limits, remind_window_closing, update_where",
        f"SCHEMA-E047 entities.yaml:{line + 1} schedules[1].params.who: unknown parameter; "
        "expected one of initial_deadline, dry_run",
        f"SCHEMA-E047 entities.yaml:{line + 1} schedules[1].params.dry_run: expected yes/no "
        "(true or false)",
        f"SCHEMA-E006 entities.yaml:{line + 2} schedules[2].name: schedule 'sweep' is defined "
        "twice; expected one schedule per name"]
