"""药监网校 (`exam:`, `visible_to_employer:`) on SQLite and PostgreSQL: a random paper per
attempt by the declared composition, no answer before hand-in and none in REST for takers,
the time limit kept by the server, scoring, the pass mark, credits once per course, person
and year, the employer reading its staff's results only, everybody else nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from typing import Any

import pytest

from app.security.orgs import person_code
from generator.identifiers import compose_uscc, id_card_check_char
from tests.conftest import PASSWORD, ROOT, apply_schema, dispose, make_app, seed_people, sign_in

SCHEMA = ROOT / "tests" / "data" / "schemas" / "training" / "entities.yaml"
BASE = "/school/course/exam"


def id_card(first17: str) -> str:
    return first17 + id_card_check_char(first17)


ID_STAFF = id_card("11010519880312123")  # 孙浩然, on 京康's staff
ID_OTHER = id_card("11010519900101002")  # 李想, on nobody's staff
MAKER = compose_uscc("91", "110105", "MA8JK001")
OTHER = compose_uscc("91", "110105", "MA8JK002")
P1, P2 = person_code("110105", 1), person_code("110105", 2)
ORGS = {
    "110000": ("北京市", "province", None, None),
    "110105": ("朝阳区", "county", "110000", None),
    MAKER: ("北京京康医药科技有限公司", "unit", "110105", "enterprise"),
    OTHER: ("北京另一医药有限公司", "unit", "110105", "enterprise"),
    P1: ("孙浩然", "unit", "110105", "person"),
    P2: ("李想", "unit", "110105", "person"),
}
USERS = {
    "reg": ("regulator", "110000", "regulator"),
    "legal": ("legal_person", MAKER, "legal_person"),
    "other_legal": ("legal_person", OTHER, "legal_person"),
    "person": ("citizen", P1, "citizen"),
    "person2": ("citizen", P2, "citizen"),
}


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: Any) -> Any:
    app = make_app(database_url, SCHEMA, tmp_path_factory.mktemp("files"))
    apply_schema(app)
    with app.app_context():
        session = app.appbuilder.session
        orgs = seed_people(app, ORGS, USERS, PASSWORD)
        sm = app.appbuilder.sm
        sm.find_user(username="person").id_no = ID_STAFF
        sm.find_user(username="person2").id_no = ID_OTHER
        models = app.extensions["admin"].models
        course_m, question_m, option_m = (models[f"school.{n}"] for n in
                                          ("Course", "Question", "Option"))
        staff_m = models["school.Staff"]
        session.add(staff_m(name="孙浩然", id_no=ID_STAFF, org=orgs[MAKER]))
        courses = {}
        for title, credits in (("药品管理法", 2), ("GSP", 1.5)):
            course = course_m(title=title, credit_hours=credits)
            session.add(course)
            courses[title] = course
            for kind, count in (("single", 4), ("multiple", 2), ("judge", 3)):
                for n in range(count):
                    q = question_m(course=course, kind=kind, stem=f"{title}{kind}{n}题",
                                   explanation=f"解析{title}{kind}{n}")
                    texts = ("正确", "错误") if kind == "judge" else ("甲", "乙", "丙", "丁")
                    right = {0, 2} if kind == "multiple" else {n % len(texts)}
                    q.options = [option_m(text=f"{t}{n}", correct=i in right)
                                 for i, t in enumerate(texts)]
                    session.add(q)
        session.add(course_m(title="空课程", credit_hours=1))  # no bank: no exam
        session.commit()
        ids = {t: c.id for t, c in courses.items()}
    yield {"app": app, "courses": ids}
    dispose(app)


def _session(app: Any) -> Any:
    session = app.appbuilder.session
    session.expire_all()
    return session


def start(client: Any, course_id: int) -> int:
    response = client.post(f"{BASE}/{course_id}/start")
    assert response.status_code == 302, response.text[:300]
    match = re.search(r"/paper/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def paper_rows(app: Any, attempt_id: int) -> list[Any]:
    from app.exam.paper import ExamPaper

    with app.app_context():
        return list(_session(app).query(ExamPaper).filter_by(attempt_id=attempt_id)
                    .order_by(ExamPaper.position))


def right_answers(app: Any, attempt_id: int) -> dict[str, list[str]]:
    """The form a person knowing every answer sends."""
    with app.app_context():
        option_m = app.extensions["admin"].models["school.Option"]
        session = _session(app)
        out = {}
        for row in paper_rows(app, attempt_id):
            right = [o.id for o in session.query(option_m).filter_by(
                question_id=row.question_id, correct=True)]
            out[f"q{row.position}"] = [str(o) for o in right]
        return out


def attempt(app: Any, attempt_id: int) -> Any:
    with app.app_context():
        return _session(app).get(app.extensions["admin"].models["school.Attempt"], attempt_id)


def test_a_paper_is_drawn_at_random_by_the_composition(world: Any) -> None:
    app = world["app"]
    client = sign_in(app, "person")
    seen = set()
    for _round in range(4):
        pk = start(client, world["courses"]["药品管理法"])
        rows = paper_rows(app, pk)
        assert Counter(r.kind for r in rows) == {"single": 2, "multiple": 1, "judge": 1}
        judge = next(r for r in rows if r.kind == "judge")  # shuffle: false keeps 正确, 错误
        assert json.loads(judge.options) == sorted(json.loads(judge.options))
        with app.app_context():
            question_m = app.extensions["admin"].models["school.Question"]
            courses = {_session(app).get(question_m, r.question_id).course_id for r in rows}
        assert courses == {world["courses"]["药品管理法"]}
        seen.add(tuple(r.question_id for r in rows))
        # starting again while the paper is open leads back to it, no second paper
        again = client.post(f"{BASE}/{world['courses']['药品管理法']}/start")
        assert again.headers["Location"].endswith(f"/paper/{pk}")
        client.post(f"{BASE}/paper/{pk}/submit", data={})
    assert len(seen) > 1  # 4 × 6 × 2 × 3 papers: four draws alike would be a broken draw


def test_no_answer_reaches_the_taker_before_hand_in(world: Any) -> None:
    app = world["app"]
    client = sign_in(app, "person")
    pk = start(client, world["courses"]["GSP"])
    page = client.get(f"{BASE}/paper/{pk}").text
    assert "GSP" in page and "exam-remaining" in page
    assert "解析" not in page and "exam-correct" not in page and "正确答案" not in page
    rows = paper_rows(app, pk)
    for row in rows:  # every option shown, as an opaque id, the same markup right or wrong
        for option in json.loads(row.options):
            assert re.search(rf'name="q{row.position}" value="{option}">', page)
    # the bank has no door for takers: screens, REST, lines
    for url in ("/school/question/list/", "/api/v1/question/", "/api/v1/option/",
                f"/api/v1/question/{rows[0].question_id}"):
        assert client.get(url).status_code in (302, 401, 403, 404), url
    assert client.get(f"{BASE}/paper/{pk}/result").headers["Location"].endswith(
        f"/paper/{pk}")  # no result before hand-in
    # another person cannot open, answer or read the paper
    other = sign_in(app, "person2")
    assert other.get(f"{BASE}/paper/{pk}").status_code == 404
    assert other.post(f"{BASE}/paper/{pk}/submit", data={}).status_code == 404
    assert other.get(f"{BASE}/paper/{pk}/result").status_code == 404
    client.post(f"{BASE}/paper/{pk}/submit", data={})
    result = client.get(f"{BASE}/paper/{pk}/result").text
    assert "exam-correct" in result  # the answers, after hand-in


def test_scoring_pass_mark_and_credits_once_a_year(world: Any) -> None:
    app, course = world["app"], world["courses"]["药品管理法"]
    client = sign_in(app, "person2")
    # all wrong but the single choices: 2 × 20 = 40 < 60, not passed
    pk = start(client, course)
    answers = right_answers(app, pk)
    wrong = {k: v if paper_rows(app, pk)[int(k[1:]) - 1].kind == "single" else []
             for k, v in answers.items()}
    client.post(f"{BASE}/paper/{pk}/submit", data=wrong)
    failed = attempt(app, pk)
    assert (failed.score, failed.passed, failed.credited) == (40, False, False)
    assert failed.submitted_at is not None and failed.person_name == "person2"
    assert failed.id_no == ID_OTHER and failed.year == dt.date.today().year
    # a multiple choice with one right option of two chosen earns nothing
    pk = start(client, course)
    answers = right_answers(app, pk)
    multiple = next(f"q{r.position}" for r in paper_rows(app, pk) if r.kind == "multiple")
    answers[multiple] = answers[multiple][:1]
    client.post(f"{BASE}/paper/{pk}/submit", data=answers)
    assert attempt(app, pk).score == 70 and attempt(app, pk).passed
    assert attempt(app, pk).credited and float(attempt(app, pk).credits) == 2.0
    # passed again the same year: no credits a second time
    pk2 = start(client, course)
    response = client.post(f"{BASE}/paper/{pk2}/submit", data=right_answers(app, pk2))
    assert attempt(app, pk2).score == 100 and attempt(app, pk2).passed
    assert not attempt(app, pk2).credited and float(attempt(app, pk2).credits) == 0
    # handing in twice scores once
    again = client.post(f"{BASE}/paper/{pk2}/submit", data={})
    assert again.headers["Location"].endswith(f"/paper/{pk2}/result")
    assert attempt(app, pk2).score == 100
    assert response.status_code == 302
    # 学分统计: the year's credits of the person, summed once
    summary = client.get("/api/v1/attempt/summary/credits").get_json()
    mine = [r for r in summary["rows"] if r["values"]["id_no"] == ID_OTHER]
    assert [float(r["sums"]["credits"]) for r in mine] == [2.0]
    page = client.get(f"{BASE}/").text
    assert "2" in page and "exam-credits" in page


def test_the_time_limit_is_the_servers(world: Any) -> None:
    app, course = world["app"], world["courses"]["GSP"]
    client = sign_in(app, "person2")
    Attempt = app.extensions["admin"].models["school.Attempt"]

    def move_deadline(pk: int, seconds_ago: int) -> None:
        with app.app_context():
            session = _session(app)
            row = session.get(Attempt, pk)
            row.deadline = dt.datetime.now() - dt.timedelta(seconds=seconds_ago)
            row.started_at = row.deadline - dt.timedelta(minutes=20)
            session.commit()

    # handed in within the grace after the limit: scored with what it holds
    pk = start(client, course)
    move_deadline(pk, 10)
    client.post(f"{BASE}/paper/{pk}/submit", data=right_answers(app, pk))
    assert attempt(app, pk).score == 100
    # later than that: refused, closed as it stood at the limit (nothing handed in)
    pk = start(client, course)
    move_deadline(pk, 600)
    response = client.post(f"{BASE}/paper/{pk}/submit", data=right_answers(app, pk),
                           follow_redirects=True)
    late = attempt(app, pk)
    assert (late.score, late.passed, late.credited) == (0, False, False)
    assert late.submitted_at == late.deadline
    assert "未被接受" in response.text
    # a paper left open past its limit is closed when it is opened again
    pk = start(client, course)
    move_deadline(pk, 600)
    page = client.get(f"{BASE}/paper/{pk}", follow_redirects=True).text
    assert attempt(app, pk).score == 0 and "考试时间已到" in page


def test_results_reach_the_person_the_employer_of_its_staff_and_the_region(world: Any
                                                                           ) -> None:
    app = world["app"]
    person = sign_in(app, "person")
    pk = start(person, world["courses"]["GSP"])
    person.post(f"{BASE}/paper/{pk}/submit", data=right_answers(app, pk))
    with app.app_context():
        Attempt = app.extensions["admin"].models["school.Attempt"]
        by_id = {a.id: a.id_no for a in _session(app).query(Attempt)}
    staff = {i for i, n in by_id.items() if n == ID_STAFF}
    others = {i for i, n in by_id.items() if n == ID_OTHER}
    assert staff and others

    def listed(client: Any) -> set[int]:
        body = client.get("/api/v1/attempt/?q=(page_size:100)").get_json()
        return {int(i) for i in body["ids"]}

    assert listed(person) == staff  # the person's own
    assert listed(sign_in(app, "person2")) == others
    legal = sign_in(app, "legal")
    assert listed(legal) == staff  # 京康 reads 孙浩然's, who is on its staff, not 李想's
    assert legal.get(f"/api/v1/attempt/{min(others)}").status_code == 404
    assert legal.get(f"/school/attempt/show/{min(staff)}").status_code == 200
    assert legal.put(f"/api/v1/attempt/{min(staff)}", json={"score": 100}).status_code in (
        403, 405)
    credits = legal.get("/api/v1/attempt/summary/credits").get_json()
    assert {r["values"]["id_no"] for r in credits["rows"]} == {ID_STAFF}
    assert listed(sign_in(app, "other_legal")) == set()  # another enterprise: nothing
    assert listed(sign_in(app, "reg")) == staff | others  # the region's regulator: all
    # the enterprise takes no exam, and the regulator neither
    assert legal.get(f"{BASE}/").status_code in (302, 403)
    # a person off the staff list is read no more by the enterprise
    with app.app_context():
        session = _session(app)
        staff_m = app.extensions["admin"].models["school.Staff"]
        session.query(staff_m).delete()
        session.commit()
    assert listed(legal) == set()


def test_the_exam_page_offers_what_may_be_taken(world: Any) -> None:
    app = world["app"]
    client = sign_in(app, "person2")
    page = client.get(f"{BASE}/").text
    assert "空课程" in page and "题库尚未完善" in page
    with app.app_context():
        course_m = app.extensions["admin"].models["school.Course"]
        empty = _session(app).query(course_m).filter_by(title="空课程").one().id
    response = client.post(f"{BASE}/{empty}/start", follow_redirects=True)
    assert "题库尚未完善" in response.text
    assert client.post(f"{BASE}/999999/start").status_code == 404
