"""A live classroom quiz in a real Chromium: a teacher and two students, each in a browser
context of their own (separate cookies and websockets, as separate phones are). One
student reloads mid-session and is back in the same seat with the same answer."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import TEACHER_KEY
from tests.e2e.test_browser import no_exception, settle, shoot
from ui.i18n import catalogue

pytestmark = pytest.mark.e2e
EN = catalogue("en")
# The watch fragment polls every 2 s; a full rerun follows a change.
LIVE_TIMEOUT_MS = 20_000


def _context(browser, width: int = 1400, height: int = 1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    return context, tab


def _click(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).first.click()
    settle(page, charts=False)


def _answer(page, wait_ms: int = 0) -> str:
    """Answer the open question with its first option (or the number 1) and submit,
    ``wait_ms`` after choosing (the live part redraws every 2 s meanwhile: the choice must
    survive it). Returns what the saved answer must show."""
    form = page.locator("[data-testid='stForm']").first
    radios = form.locator("[data-testid='stRadio'] label")
    boxes = form.locator("[data-testid='stCheckbox'] label")
    if radios.count():
        radios.first.click()
        expected = "A)"
    elif boxes.count():
        boxes.first.click()
        expected = "A)"
    else:
        form.locator("input[type='text']").fill("1")
        expected = "Your answer: 1"
    page.wait_for_timeout(wait_ms)
    form.get_by_role("button", name=EN["q.submit"]).click()
    settle(page, charts=False)
    return expected


def _success(page) -> str:
    return page.locator("[data-testid='stAlertContentSuccess']").first.inner_text()


def _join(browser, server, code: str, nickname: str):
    context, page = _context(browser, 420, 900)  # a phone-sized window
    page.goto(f"{server}/quiz?join={code}&lang=en")
    settle(page, charts=False)
    page.get_by_label(EN["q.join.nickname"]).fill(nickname)
    _click(page, EN["q.join.button"])
    page.get_by_text(EN["q.student.waiting"]).wait_for()
    assert "quiz=" in page.url, page.url
    return context, page


def test_a_teacher_and_two_students_run_a_session(browser, server):
    teacher_context, teacher = _context(browser)
    contexts = [teacher_context]
    try:
        teacher.goto(f"{server}/quiz?q_mode=teacher&lang=en")
        settle(teacher, charts=False)
        teacher.get_by_label(EN["q.teacher.passcode"]).fill("not the key")
        _click(teacher, EN["q.teacher.enter"])
        assert teacher.get_by_text(EN["q.teacher.wrong"]).count() == 1
        teacher.get_by_label(EN["q.teacher.passcode"]).fill(TEACHER_KEY)
        _click(teacher, EN["q.teacher.enter"])
        _click(teacher, EN["q.teacher.create"])
        code_text = teacher.locator("h1 code").first.inner_text()
        assert re.fullmatch(r"[A-Z2-9]{6}", code_text), code_text
        assert teacher.locator("[data-testid='stImage'] img").count() >= 1  # the QR code
        shoot(teacher, "quiz-teacher-session")

        first_context, first = _join(browser, server, code_text, "Lan")
        second_context, second = _join(browser, server, code_text, "Minh")
        contexts += [first_context, second_context]
        shoot(first, "quiz-student-waiting")

        _click(teacher, EN["q.teacher.next"])
        for student in (first, second):
            student.get_by_role("button", name=EN["q.submit"]).wait_for(timeout=LIVE_TIMEOUT_MS)
        expected = _answer(first)
        assert "Saved." in _success(first) and expected in _success(first), _success(first)
        shoot(first, "quiz-student-saved")

        # The second student's phone reloads (a refresh, a locked screen): same seat.
        seat_url = second.url
        second.reload()
        settle(second, charts=False)
        assert second.url == seat_url
        assert second.get_by_text("You are Minh").count() == 1
        # A choice made, then 5 s (two live redraws) before the tap: it is still the choice.
        expected = _answer(second, wait_ms=5_000)
        assert "Saved." in _success(second) and expected in _success(second), _success(second)
        second.reload()
        settle(second, charts=False)
        assert "Saved." in _success(second), "the answer is still there after a reload"

        teacher.get_by_text("2 of 2").wait_for(timeout=LIVE_TIMEOUT_MS)
        shoot(teacher, "quiz-teacher-live")
        _click(teacher, EN["q.teacher.close"])
        for student in (first, second):
            student.get_by_text(EN["q.correct_is"].split(":")[0].strip("*")).first.wait_for(
                timeout=LIVE_TIMEOUT_MS)
            no_exception(student)
        shoot(second, "quiz-student-closed")
        teacher.get_by_text(EN["q.teacher.hardest"]).wait_for(timeout=LIVE_TIMEOUT_MS)
        shoot(teacher, "quiz-teacher-results")
        no_exception(teacher)
    finally:
        for context in contexts:
            context.close()
