"""6. Refused sign-ins: an unknown user, a wrong password and a locked account take as long.

Ours: POST /login/ through Flask's test client on PostgreSQL, the default password policy with
its lockout (no captcha, no rate limit: bench/ourapp.py), the three refusals interleaved so that
a change of the machine's load reaches all three alike; a successful sign-in beside them.
`tests/app/test_login.py` asserts that the three do the same work (one hash check of the same
cost, the same statements); this scenario measures what that work costs in time.
No anchor and no floor: the figure that matters is the ratio between the three.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from bench.common import (
    PASSWORD,
    SCHEMAS,
    Row,
    Section,
    drop_database,
    emit,
    log,
    median,
    our_child,
    recreate_database,
)

DB = "bench_sign_in"
SCHEMA = SCHEMAS / "demand.yaml"
CASES = ("unknown user", "wrong password", "locked account", "right password")


def sizes(quick: bool) -> dict[str, int]:
    return {"rounds": 5} if quick else {"rounds": 40}


def child_ours(dbname: str, rounds: str) -> None:
    from sqlalchemy import update

    from app.security.models import AppUser
    from bench.ourapp import apply, make_app

    app = make_app(dbname, SCHEMA)
    apply(app)
    with app.app_context():
        sm = app.appbuilder.sm
        for name in ("s6_known", "s6_locked"):
            user = sm.add_user(name, name, "bench", f"{name}@bench.invalid",
                               sm.find_role("Admin"), PASSWORD)
            if not user:
                raise RuntimeError(f"user {name} was not created")
            user.must_change_password = False
        app.appbuilder.session.commit()

    def reset() -> None:
        """Keep the wrong-password account below the lockout, the locked one locked."""
        with app.app_context():
            session = app.appbuilder.session
            session.execute(update(AppUser).where(AppUser.username == "s6_known")
                            .values(fail_login_count=0, locked_until=None))
            session.execute(update(AppUser).where(AppUser.username == "s6_locked").values(
                locked_until=dt.datetime.now() + dt.timedelta(hours=1)))
            session.commit()

    attempts = {CASES[0]: ("s6_nobody", PASSWORD), CASES[1]: ("s6_known", "Wrong@12345"),
                CASES[2]: ("s6_locked", PASSWORD), CASES[3]: ("s6_known", PASSWORD)}
    seconds: dict[str, list[float]] = {case: [] for case in CASES}
    for _ in range(int(rounds) + 1):  # the first round warms up and is not kept
        for case, (username, password) in attempts.items():
            reset()
            client = app.test_client()
            started = time.perf_counter()
            response = client.post("/login/", data={"username": username,
                                                    "password": password})
            took = time.perf_counter() - started
            home = response.headers.get("Location") == "/"
            if response.status_code != 302 or home != (case == CASES[3]):
                raise RuntimeError(f"{case}: {response.status_code} "
                                   f"{response.headers.get('Location')}")
            seconds[case].append(took)
    emit({case: values[1:] for case, values in seconds.items()})


def run(quick: bool) -> Section:
    size = sizes(quick)
    section = Section(6, "Refused sign-ins take as long whoever signs in",
                      "PostgreSQL, Flask's test client, the default password policy with its "
                      f"lockout; {size['rounds']} rounds of the four sign-ins interleaved, "
                      "median per case.", "", "")
    recreate_database(DB)
    try:
        result = our_child("bench.s6_sign_in", "child-ours", DB, str(size["rounds"]))
    finally:
        drop_database(DB)
    ms = {case: median(result[case]) * 1000 for case in CASES}
    refused = [ms[case] for case in CASES[:3]]
    ratio = max(refused) / min(refused)
    log("s6 " + ", ".join(f"{case} {value:.1f} ms" for case, value in ms.items()))
    section.rows = [Row(case, ms[case], unit="ms") for case in CASES[:3]]
    section.rows.append(Row("slowest refusal / fastest refusal", ratio, unit="x",
                            target="< 2", met=ratio < 2,
                            note="the suite's former timed assertion"))
    section.rows.append(Row(CASES[3], ms[CASES[3]], unit="ms",
                            note="for comparison: the same hash check, then the session"))
    section.notes = ["What each refusal does is asserted by "
                     "tests/app/test_login.py::test_unknown_user_wrong_password_and_locked_"
                     "account_look_the_same: one scrypt check of the same parameters (a fake "
                     "hash for an unknown name), the same writes."]
    return section


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child-ours":
        child_ours(*sys.argv[2:])
    else:
        from bench.run import main

        main(["--only", "6", *sys.argv[1:]])
