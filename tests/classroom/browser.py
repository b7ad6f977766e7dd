"""The classroom seen in Chromium: a student's Assignments panel, the instructor's formgrader.

Both log in through the hub's own login page (PAM). The formgrader opens in its own tab, at
``/user/<instructor>/formgrader``: JupyterHub 4.1 and later forbid the iframe that the Lab's
Formgrader panel would use, and the kit keeps that protection (see classroom/README.md).
Set ``MLCOURSE_SCREENSHOTS`` to a folder to keep a screenshot of each screen.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from tests.classroom.hub import Classroom, Person

TIMEOUT_MS = 120_000


@dataclass
class Seen:
    seconds: float
    texts: dict


def _shot(page, name: str) -> None:
    folder = os.environ.get("MLCOURSE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def log_in(page, room: Classroom, person: Person, shot: str) -> None:
    page.goto(f"{room.url}/hub/login")
    page.wait_for_selector("input[name=username]", timeout=TIMEOUT_MS)
    page.fill("input[name=username]", person.name)
    page.fill("input[name=password]", person.password)
    _shot(page, f"{shot}-login")
    page.locator("form [type=submit]").first.click()
    # The hub starts the user's server and sends the browser on to it.
    page.wait_for_url("**/user/**/lab**", timeout=TIMEOUT_MS)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=TIMEOUT_MS)


def fetch_in_assignments_panel(page, room: Classroom, person: Person, assignment: str) -> Seen:
    """Log in as a student, open Nbgrader > Assignment List, see the assignment, Fetch it."""
    start = time.monotonic()
    log_in(page, room, person, "1-student")
    page.locator(".lm-MenuBar-itemLabel:text-is('Nbgrader')").click()
    items = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    _shot(page, "1b-student-nbgrader-menu")
    tools = [i for i in items if any(w in i.lower() for w in ("formgrader", "course", "create"))]
    assert not tools, f"a student's Nbgrader menu shows instructor tools: {items}"
    page.locator(".lm-Menu-itemLabel:text-is('Assignment List')").click()
    released = page.locator("#released_assignments_list")
    row = released.locator(f".list_item:has-text('{assignment}')")
    row.wait_for(timeout=TIMEOUT_MS)
    _shot(page, "2-student-assignments-panel")
    row.locator("button:has-text('Fetch')").click()
    page.locator(f"#fetched_assignments_list :text('{assignment}')").first.wait_for(
        timeout=TIMEOUT_MS
    )
    _shot(page, "3-student-fetched")
    texts = {
        "menu": items,
        "released": released.inner_text(),
        "fetched": page.locator("#fetched_assignments_list").inner_text(),
    }
    return Seen(time.monotonic() - start, texts)


def grade_by_hand(
    page, room: Classroom, student: Person, assignment: str, grade_id: str, score: float, answer
) -> Seen:
    """Log in as the instructor, open the student's submission in the formgrader, give a score.

    Afterwards the formgrader's list of submissions is opened again: ``texts["row before"]`` and
    ``texts["row after"]`` are the student's row there (overall score first) before and after.
    """
    start = time.monotonic()
    log_in(page, room, room.instructor, "4-instructor")
    page.goto(f"{room.url}/user/{room.instructor.name}/formgrader")
    page.locator("a:text-is('Manual Grading')").first.click()
    page.locator(f"a:text-is('{assignment}')").click()
    page.locator("a:text-is('iterative_loop')").click()
    name, row = _submission_row(page, student)
    before = row.inner_text()
    _shot(page, "5-formgrader-submissions")
    name.click()
    box = page.locator(f"input.score#{grade_id}")
    box.wait_for(timeout=TIMEOUT_MS)
    assert page.locator(f"text={answer[:40]}").count(), "the written answer is not on the page"
    box.scroll_into_view_if_needed()
    box.fill(f"{score:g}")
    box.press("Tab")  # the formgrader saves a score when its box loses focus
    _wait_saved(page, room, student, grade_id, score)
    _shot(page, "6-formgrader-graded")
    # Back to the list of submissions (the formgrader's view of the gradebook): the new total.
    page.locator("a:text-is('iterative_loop')").first.click()
    _, row = _submission_row(page, student)
    after = row.inner_text()
    _shot(page, "7-formgrader-after")
    return Seen(time.monotonic() - start, {"row before": before, "row after": after})


def _submission_row(page, student: Person):
    """The student's link and table row in the formgrader's list of a notebook's submissions."""
    # The table fills in after the page loads; names are hidden until asked for.
    page.locator("a:has-text('Submission #')").first.wait_for(timeout=TIMEOUT_MS)
    page.locator("button:has-text('Show All Names')").click()
    name = page.locator(f"a.name-shown:has-text('{student.last_name}, {student.first_name}')")
    name.wait_for(state="visible", timeout=TIMEOUT_MS)
    return name, page.locator("tbody tr").filter(has=name)


def _wait_saved(page, room, student, grade_id, score, timeout_s: float = 30) -> None:
    from tests.classroom.test_round import _gradebook

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = _gradebook(room).get(student.name, {}).get(grade_id)
        if got and got[1] == score:
            return
        time.sleep(0.3)
    raise AssertionError(f"the formgrader did not save {score} for {grade_id}: {got}")


def autograde_with_button(page, room: Classroom, student: Person, assignment: str) -> Seen:
    """Log in as the instructor and press the formgrader's Autograde button for one student.

    The button (Manage Submissions, the lightning icon in the student's row) posts to the same
    API as the shell's ``nbgrader autograde``; ``texts["modal"]`` is the dialog it opens, with
    nbgrader's log of the run.
    """
    start = time.monotonic()
    log_in(page, room, room.instructor, "4a-instructor")
    page.goto(f"{room.url}/user/{room.instructor.name}/formgrader/manage_submissions/{assignment}")
    row = page.locator("#main-table tr").filter(
        has=page.locator(f"td.student-id:text-is('{student.name}')")
    )
    row.wait_for(timeout=TIMEOUT_MS)
    _shot(page, "4b-formgrader-manage-submissions")
    row.locator("td.autograde a").click()
    modal = page.locator("#success-modal, #error-modal")
    modal.first.wait_for(state="visible", timeout=TIMEOUT_MS)
    _shot(page, "4c-formgrader-autograded")
    texts = {"modal": modal.first.inner_text(), "ok": page.locator("#success-modal").count() > 0}
    log = page.locator("#success-modal pre, #error-modal pre")
    texts["log"] = "\n".join(log.all_inner_texts())
    return Seen(time.monotonic() - start, texts)
