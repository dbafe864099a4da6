"""药监网校 in a real browser on the demo data: 孙浩然 (bj_person) opens 在线考试, sees his
passed and failed papers and the year's credits, starts the GSP exam, answers the paper (the
page holds no answer), hands it in and reads the result with the right answers; 京康's legal
person (bj_legal) and the regulator (bj_reg) read the results from their side."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import SHOTS, shot
from tests.browser.demo_server import serve, sign_in, submit

pytestmark = pytest.mark.browser
EXAM = "/training/course/exam/"


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    yield from serve(tmp_path_factory.mktemp("training"))


def test_a_person_takes_an_exam(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_person")
    page.goto(url + EXAM)
    text = page.locator(".exam-page").inner_text()
    assert "89分，合格" in text and "43分，不合格" in text and "题库尚未完善" in text
    assert "2026年度已获学分：2" in text
    shot(page, "training-01-exams")
    row = page.locator("tr", has_text="药品经营质量管理规范")
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, row.locator("button.exam-start"))
    assert "/paper/" in page.url
    assert page.locator(".exam-question").count() == 20
    assert page.locator(".exam-remaining").inner_text().startswith(("29:", "30:"))
    html = page.content()
    assert "解析" not in html and "exam-correct" not in html
    for question in page.locator(".exam-question").all():  # the first option of each
        question.locator("input").first.check()
    shot(page, "training-02-paper")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "training-02-paper-top.png"))  # the clock, as seen
    page.once("dialog", lambda dialog: dialog.accept())
    submit(page, page.locator("button.exam-hand-in"))
    assert re.search(r"/paper/\d+/result$", page.url)
    score = page.locator(".exam-score").inner_text()
    assert re.search(r"成绩：\d+分（满分100分）", score)
    assert page.locator(".exam-question .exam-correct").count() >= 20
    shot(page, "training-03-result")
    page.goto(url + "/training/exam_attempt/list/")
    assert page.locator("table tbody tr").count() >= 3
    shot(page, "training-04-results")


def test_the_regulator_reads_the_results(server: dict[str, Any], page: Any) -> None:
    url = server["url"]
    sign_in(page, url, "bj_reg")
    page.goto(url + "/training/exam_attempt/list/")
    assert "孙浩然" in page.locator("table").first.inner_text()
    page.goto(url + "/analytics/training/")
    shot(page, "training-05-statistics")
    page.goto(url + EXAM)
    assert "在线考试" not in page.locator("body").inner_text() or "/login" in page.url \
        or page.locator(".exam-page").count() == 0
