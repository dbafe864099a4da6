"""The backup and restore drill of docs/deploy.md, end to end on a scratch installation.

    .venv/bin/python scripts/restore_drill.py [--postgres postgresql://postgres@127.0.0.1:5432]

1. A source installation: a fresh PostgreSQL database, `schema apply`, the administrator, rows
   and an uploaded file (the test schema tests/data/schemas/all_types).
2. The backup, as docs/deploy.md says: `pg_dump --format=custom`, then the upload folder with
   `rsync -a`.
3. The loss: the source database is dropped and its upload folder removed.
4. The restore: `createdb` + `pg_restore`, `rsync -a` back, `schema check --db`.
5. The proof: the restored app signs the administrator in, lists the same rows and sends the
   same bytes for the uploaded file. Scratch databases and folders are removed at the end.
Exit status 0 when every step held; each step prints what it ran.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCHEMA = ROOT / "tests" / "data" / "schemas" / "all_types" / "entities.yaml"
PASSWORD = "Drill@12345"


def step(*cmd: str) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def make_app(url: str, uploads: Path) -> Any:
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "ADMIN_SCHEMA": str(SCHEMA),
                       "ADMIN_UPLOAD_FOLDER": str(uploads), "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "AUTH_RATE_LIMITED": False,
                       "ADMIN_PASSWORD_POLICY": {"captcha": False,
                                                 "change_first_login": False}})


def signed_in(app: Any) -> Any:
    client = app.test_client()
    answer = client.post("/login/", data={"username": "admin", "password": PASSWORD})
    assert answer.headers.get("Location") == "/", "the administrator cannot sign in"
    return client


def source(url: str, uploads: Path) -> tuple[list[str], bytes]:
    from app.apply import apply_schema

    app = make_app(url, uploads)
    with app.app_context():
        apply_schema(app, False)
        sm = app.appbuilder.sm
        sm.add_user("admin", "系统", "管理员", "admin@localhost", sm.find_role("Admin"), PASSWORD)
    client = signed_in(app)
    body = b"%PDF-1.4 drill " + uuid.uuid4().hex.encode()
    for n in range(3):
        data: dict[str, Any] = {"title": f"演练需求{n}", "planned": str(10 * n)}
        if n == 0:
            data["letter"] = (io.BytesIO(body), "承诺函.pdf")
        answer = client.post("/demand/demand/add", data=data, content_type="multipart/form-data")
        assert answer.status_code == 302, answer.text[:500]
    titles = sorted(r["title"] for r in client.get("/api/v1/demand/").json["result"])
    with app.app_context():
        app.appbuilder.session.remove()
        app.appbuilder.session.get_bind().dispose()
    print(f"source: {len(titles)} rows, 1 file of {len(body)} bytes in {uploads}")
    return titles, body


def restored(url: str, uploads: Path) -> tuple[list[str], bytes]:
    app = make_app(url, uploads)
    client = signed_in(app)
    listed = client.get("/api/v1/demand/").json
    titles = sorted(r["title"] for r in listed["result"])
    with_file = [pk for pk, r in zip(listed["ids"], listed["result"], strict=True)
                 if r["title"] == "演练需求0"]
    download = client.get(f"/demand/demand/download/letter/{with_file[0]}")
    assert download.status_code == 200, download.status_code
    with app.app_context():
        app.appbuilder.session.remove()
        app.appbuilder.session.get_bind().dispose()
    return titles, download.data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    server = parser.parse_args().postgres.rstrip("/")
    os.environ.setdefault("SECRET_KEY", "restore-drill-" + "x" * 32)
    tag = uuid.uuid4().hex[:6]
    live, back = f"drill_live_{tag}", f"drill_restored_{tag}"
    work = Path(tempfile.mkdtemp(prefix="restore-drill-"))
    uploads, backup = work / "uploads", work / "backup"
    dump = backup / f"{live}.dump"
    try:
        step("createdb", "--maintenance-db", server + "/postgres", live)
        titles, body = source(f"{server}/{live}", uploads)
        backup.mkdir()
        step("pg_dump", "--format=custom", f"--file={dump}", f"{server}/{live}")
        step("rsync", "-a", f"{uploads}/", f"{backup}/uploads/")
        step("dropdb", "--maintenance-db", server + "/postgres", live)  # the loss
        shutil.rmtree(uploads)
        step("createdb", "--maintenance-db", server + "/postgres", back)
        step("pg_restore", "--no-owner", f"--dbname={server}/{back}", str(dump))
        step("rsync", "-a", f"{backup}/uploads/", f"{uploads}/")
        env = {**os.environ, "DATABASE_URL": f"{server}/{back}", "ADMIN_SCHEMA": str(SCHEMA),
               "ADMIN_UPLOAD_FOLDER": str(uploads)}
        print("$ flask --app wsgi schema check --db", flush=True)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "schema", "check",
                        "--db"], check=True, cwd=ROOT, env=env)
        again, data = restored(f"{server}/{back}", uploads)
        assert again == titles, (again, titles)
        assert data == body, "the restored file differs"
        print(f"restored: the same {len(again)} rows, the file's {len(data)} bytes identical")
        return 0
    finally:
        for name in (live, back):
            subprocess.run(["dropdb", "--if-exists", "--maintenance-db", server + "/postgres",
                            name], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
