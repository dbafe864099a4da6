"""Imports and large exports run as jobs: a double click submits one run; a worker process
killed in the middle of an import leaves no row behind and a run that says it failed (a real
`flask worker` process on Redis); an export above the configured row count ends with a link
that only its user can open, holding exactly the rows of that user's list."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import SCHEMAS, apply_schema, dispose, ensure_admin, make_app, seed_people

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = SCHEMAS / "io" / "entities.yaml"
PASSWORD = "Pass@12345"
PROVINCE, OTHER = "350000", "440000"
EXPORT_JOB_ROWS = 10
REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    files = tmp_path_factory.mktemp("files")
    folders = {"ADMIN_IMPORT_FOLDER": str(files / "imports"),
               "ADMIN_JOB_FOLDER": str(files / "jobs")}
    app = make_app(database_url, SCHEMA, files, **folders, ADMIN_JOB_STALE_SECONDS=1.5,
                   ADMIN_EXPORT_JOB_ROWS=EXPORT_JOB_ROWS)
    apply_schema(app)
    ensure_admin(app)
    with app.app_context():
        orgs = seed_people(app, {PROVINCE: ("福建省", "province", None, None),
                                 OTHER: ("广东省", "province", None, None)},
                           {"fj": ("province", PROVINCE), "gd": ("province", OTHER)}, PASSWORD)
        session = app.appbuilder.session
        models = app.extensions["admin"].models
        drug = models["procurement.Drug"](name="阿莫西林")
        session.add(drug)
        for i in range(2 * EXPORT_JOB_ROWS + 2):  # fj sees the F rows, gd the G rows
            session.add(models["procurement.Demand"](
                code=f"{'F' if i % 2 else 'G'}{i:03d}", drug=drug, planned=i,
                org=orgs[PROVINCE if i % 2 else OTHER]))
        session.commit()
    yield {"app": app, "url": database_url, "files": files, "folders": folders}
    dispose(app)


def sign_in(app: Any, username: str = "fj") -> Any:
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    return client


def csv_file(rows: int, prefix: str) -> bytes:
    lines = ["需求编号,品规,预采购量"] + [f"{prefix}{i:06d},阿莫西林,{i % 50}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def upload(client: Any, data: bytes, submit_key: str) -> Any:
    return client.post("/procurement/demand/import/", data={
        "file": (io.BytesIO(data), "需求.csv"), "submit_key": submit_key},
        content_type="multipart/form-data")


def count(app: Any, model_name: str) -> int:
    from app.io.models import ImportRun
    from app.jobs.models import Job

    models = {"Job": Job, "ImportRun": ImportRun}
    with app.app_context():
        model = models.get(model_name) or app.extensions["admin"].models[model_name]
        session = app.appbuilder.session
        found = session.execute(select(func.count()).select_from(model)).scalar_one()
        session.rollback()
        return int(found)


def test_a_double_click_submits_one_run(world: Any) -> None:
    app = world["app"]
    client = sign_in(app)
    runs, jobs = count(app, "ImportRun"), count(app, "Job")
    key = uuid.uuid4().hex
    first = upload(client, csv_file(3, "A"), key)
    second = upload(client, csv_file(3, "A"), key)  # the same form sent again
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert (count(app, "ImportRun"), count(app, "Job")) == (runs + 1, jobs + 1)
    run_url = first.headers["Location"]
    assert "全部 3 行正确" in client.get(run_url).text
    demands = count(app, "procurement.Demand")
    assert client.post(run_url + "/commit").status_code == 302
    assert client.post(run_url + "/commit").headers["Location"].endswith(run_url)
    assert count(app, "procurement.Demand") == demands + 3
    assert count(app, "Job") == jobs + 2  # the check and one commit
    assert "已导入：新增 3 条" in client.get(run_url).text


def job_rows(page: str) -> list[list[str]]:
    """The jobs list: submitted at, job, state, rows processed, finished at, result."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr class=\"job-row[^>]*>(.*?)</tr>", body, re.S)]


def test_the_jobs_list_names_an_imports_entity_and_says_what_each_pass_found(
        world: Any) -> None:
    """导入：采购需求（需求.csv）; the check says its verdict, the import its counts; blank lines
    are not rows processed."""
    app = world["app"]
    client = sign_in(app)
    data = csv_file(3, "J").replace(b"\nJ000001", b"\n,,\nJ000001") + b",,\n"
    run_url = upload(client, data, uuid.uuid4().hex).headers["Location"]
    checked = job_rows(client.get("/jobs/").text)[0]
    assert checked[1:4] == ["导入：采购需求（需求.csv）", "已完成", "3"]
    assert checked[5] == "校验通过：全部 3 行正确，待确认导入。 查看详情"
    assert f'href="{run_url}"' in client.get("/jobs/").text
    client.post(run_url + "/commit")
    done, checked = job_rows(client.get("/jobs/").text)[:2]
    assert done[1:4] == ["导入：采购需求（需求.csv）", "已完成", "3"]
    assert done[5] == "已导入：新增 3 条，更新 0 条，无变化 0 条。 查看详情"
    assert checked[5] == "校验通过：全部 3 行正确。 查看详情"
    bad = upload(client, "需求编号,品规,预采购量\nK1,无此品规,x\n".encode(), uuid.uuid4().hex)
    assert bad.status_code == 302
    invalid = job_rows(client.get("/jobs/").text)[0]
    assert re.fullmatch(r"校验未通过：发现 \d+ 处问题，未导入。 查看详情", invalid[5]), invalid


def test_the_same_key_is_one_job(world: Any) -> None:
    from app.jobs import jobs

    app = world["app"]
    with app.app_context():
        session = app.appbuilder.session
        first, made = jobs(app).submit(session, "import", {"run": 0}, None, "same-key")
        again, made_again = jobs(app).submit(session, "import", {"run": 0}, None, "same-key")
        assert (made, made_again, again.id) == (True, False, first.id)


def _codes(data: bytes) -> set[str]:
    return {line.split(",")[0] for line in data.decode("utf-8-sig").splitlines()[1:]}


def _fj_codes(app: Any) -> set[str]:
    with app.app_context():
        from app.security.models import Organisation

        session = app.appbuilder.session
        demand = app.extensions["admin"].models["procurement.Demand"]
        org = session.execute(select(Organisation).where(Organisation.code == PROVINCE)
                              ).scalar_one()
        found = set(session.execute(select(demand.code).where(demand.org_id == org.id))
                    .scalars())
        session.rollback()
        return found


def test_a_large_export_is_a_job_with_a_link_for_its_user_only(world: Any) -> None:
    app = world["app"]
    fj, gd = sign_in(app), sign_in(app, "gd")
    response = fj.get("/procurement/demand/export/csv")
    assert response.status_code == 302 and response.headers["Location"].endswith("/jobs/")
    page = fj.get("/jobs/").text
    assert "后台" in page and "导出" in page and "已完成" in page
    link = re.search(r'href="(/jobs/\d+/download)"', page).group(1)
    expected = _fj_codes(app)
    assert len(expected) > EXPORT_JOB_ROWS
    assert _codes(fj.get(link).data) == expected  # fj's list, nothing of gd's
    assert gd.get(link).status_code == 404  # somebody else's export: not even its existence
    assert link not in gd.get("/jobs/").text

    api = fj.get("/api/v1/demand/export?format=csv")
    assert api.status_code == 202
    status = fj.get(api.json["status_url"]).json
    assert (status["state"], status["progress"]) == ("done", len(expected))
    assert _codes(fj.get(status["download_url"]).data) == expected
    assert gd.get(api.json["status_url"]).status_code == 404


def test_an_export_job_cut_by_the_row_limit_says_so(world: Any) -> None:
    """导出最大行数 above the job threshold and below the rows listed: the job's file holds
    that many rows, and its line on the jobs list says 「仅导出前 N 条，共 M 条」."""
    from app.system import settings

    app = world["app"]
    fj = sign_in(app)
    expected = _fj_codes(app)
    most = EXPORT_JOB_ROWS + 1
    extra = [f"X{i:06d}" for i in range(most + 1 - len(expected))]
    if extra:
        upload_run = upload(fj, "需求编号,品规,预采购量\n".encode() + "".join(
            f"{c},阿莫西林,1\n" for c in extra).encode(), uuid.uuid4().hex)
        fj.post(upload_run.headers["Location"] + "/commit")
    total = len(_fj_codes(app))
    assert total > most
    with app.test_request_context():
        settings.save(app.appbuilder.session, {"export_row_limit": most})
        app.appbuilder.session.commit()
    try:
        response = fj.get("/procurement/demand/export/csv?cut=1")  # a job of its own
        assert response.headers["Location"].endswith("/jobs/")
        page = fj.get("/jobs/").text
        line = job_rows(page)[0]
        assert line[5] == (f"下载 仅导出前 {most} 条，共 {total} 条（参数设置：导出最大行数）。")
        link = re.search(r'href="(/jobs/\d+/download)"', page).group(1)
        assert len(_codes(fj.get(link).data)) == most
    finally:
        with app.test_request_context():
            settings.save(app.appbuilder.session, {"export_row_limit": 0})
            app.appbuilder.session.commit()


def _worker(world: Any, namespace: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": world["url"], "ADMIN_SCHEMA": str(SCHEMA),
           "JOB_BROKER_URL": REDIS, "ADMIN_JOB_NAMESPACE": namespace,
           "ADMIN_JOB_HEARTBEAT_SECONDS": "0.2", "ADMIN_UPLOAD_FOLDER":
           str(world["files"] / "uploads"), **world["folders"]}
    return subprocess.Popen([sys.executable, str(Path(__file__).with_name("slow_worker.py")),
                             "--threads", "1", "--no-scheduler"], cwd=ROOT, env=env)


def _wait(what: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("waited in vain")


def test_a_worker_killed_mid_import_leaves_no_rows_and_a_failed_run(world: Any) -> None:
    from app.jobs import Jobs

    namespace = f"test-jobs-{uuid.uuid4().hex[:8]}"
    app = world["app"]
    app.config.update(ADMIN_JOB_BROKER_URL=REDIS, ADMIN_JOB_NAMESPACE=namespace,
                      ADMIN_JOBS_SYNC=False)
    app.extensions["jobs"] = Jobs(app)  # this web host now queues on Redis
    worker = _worker(world, namespace)
    try:
        client = sign_in(app)
        run_url = upload(client, csv_file(20_000, "K"), uuid.uuid4().hex).headers["Location"]
        status_url = run_url + "/status"
        _wait(lambda: client.get(status_url).json["status"] == "valid", 120)
        demands = count(app, "procurement.Demand")
        client.post(run_url + "/commit")
        _wait(lambda: client.get(status_url).json["processed"] > 0)  # rows being written
        assert client.get(status_url).json["status"] == "importing"
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        _wait(lambda: client.get(status_url).json["status"] == "failed", 30)
        assert count(app, "procurement.Demand") == demands
        page = client.get(run_url).text
        assert "导入失败" in page and "执行它的进程已停止" in page
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        app.config.update(ADMIN_JOB_BROKER_URL="", ADMIN_JOBS_SYNC=True)
        app.extensions["jobs"] = Jobs(app)
        import redis

        client_redis = redis.Redis.from_url(REDIS)
        for name in client_redis.scan_iter(f"{namespace}*"):
            client_redis.delete(name)

