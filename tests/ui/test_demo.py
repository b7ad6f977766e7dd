"""``make demo LESSON=1``: a lesson pre-run before class, opened instantly with its outputs.

The demo script runs the lesson in the kernel of a JupyterLab session; the teacher's browser then
attaches to that session. The page must show every output without running anything, the lesson's
quiz must be a live widget that answers a click (not its text fallback), and the kernel must hold
the lesson's variables: a cell re-run live uses them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from .lab import _SETTINGS, error_outputs, free_port

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "notebooks" / "01_iterative_loop.ipynb"
READY = re.compile(r"ready in \d+ s: (http://127\.0\.0\.1:\d+/lab/tree/\S+)")


RERUN = "difference = encodings.loc"  # a fast cell of lesson 1 that uses an earlier variable


def _count(prompt: str) -> int:
    m = re.search(r"\[(\d+)\]", prompt)
    assert m, f"no execution count in the prompt {prompt!r}"
    return int(m.group(1))


def _alive_groups(runtime: Path, timeout_s: float) -> list[int]:
    """The process groups (the Lab's, the kernel's) still alive after ``timeout_s``."""
    groups = [int((runtime / n).read_text()) for n in ("lab.pid", "kernel.pid")]
    deadline = time.monotonic() + timeout_s
    while True:
        alive = []
        for group in groups:
            try:
                os.killpg(group, 0)
                alive.append(group)
            except ProcessLookupError:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.5)


def test_demo_opens_pre_run_with_live_widgets_and_kernel(browser, tmp_path):
    from playwright.sync_api import expect

    before = LESSON.read_bytes()
    port, log = free_port(), tmp_path / "demo.log"
    settings = tmp_path / "settings"  # every cell rendered, no news: as in tests/ui/lab.py
    for rel, value in _SETTINGS.items():
        (settings / rel).parent.mkdir(parents=True, exist_ok=True)
        (settings / rel).write_text(json.dumps(value))
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings))
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "demo.py"), "1", "--port", str(port),
             "--runtime", str(tmp_path / "runtime")],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )  # fmt: skip
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        deadline, url = time.monotonic() + 900, None
        while url is None and time.monotonic() < deadline:
            assert proc.poll() is None, f"the demo script exited:\n{log.read_text()[-3000:]}"
            m = READY.search(log.read_text())
            url = m.group(1) if m else None
            time.sleep(1)
        assert url, f"no 'ready' line within 15 minutes:\n{log.read_text()[-3000:]}"
        page = context.new_page()
        console = []  # the browser's console errors, from opening the page to the end
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        start = time.monotonic()
        page.goto(url)
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output img", timeout=60_000)
        prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        run = [p for p in prompts if re.search(r"\[\d+\]", p)]
        assert len(run) == len(prompts), f"cells without outputs in the pre-run copy: {prompts}"
        shown = time.monotonic() - start

        # The quiz is live, without re-running its cell: its view renders and answers a click.
        quiz = page.locator(".mlc-quiz")
        expect(quiz).to_have_count(1, timeout=30_000)
        fallback = page.locator(".jp-OutputArea-output:has-text('children=(')")
        assert fallback.count() == 0, (
            "a widget shows as its text fallback: the pre-run copy is not trusted, or the "
            f"kernel's widgets were not restored: {fallback.all_inner_texts()[:1]}"
        )
        quiz.scroll_into_view_if_needed()
        first = quiz.locator(".mlc-quiz-question").first
        first.locator(".mlc-quiz-choice button", has_text="variance").first.click()
        first.locator("button.mlc-quiz-check").click()
        expect(first.locator(".mlc-quiz-feedback")).to_contain_text("Right")
        expect(quiz.locator(".mlc-quiz-score")).to_contain_text("Score: 1 /")

        # The kernel holds the lesson's variables: re-run a cell that uses `encodings` live.
        cell = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text=RERUN))
        expect(cell).to_have_count(1)
        before_count = _count(cell.locator(".jp-InputPrompt").inner_text())
        cell.locator(".jp-InputPrompt").click()  # select the cell (command mode)
        page.keyboard.press("Control+Enter")  # run it, stay on it
        expect(cell.locator(".jp-InputPrompt")).not_to_have_text(f"[{before_count}]:")
        expect(cell.locator(".jp-InputPrompt")).not_to_have_text("[*]:", timeout=30_000)
        after_count = _count(cell.locator(".jp-InputPrompt").inner_text())
        assert after_count > before_count, (before_count, after_count)
        expect(cell.locator(".jp-OutputArea-output")).to_contain_text("binary minus counts")
        assert not error_outputs(page), error_outputs(page)

        # The teacher reloads the page: the quiz comes back live, with the answer given above.
        page.reload()
        quiz = page.locator(".mlc-quiz")
        expect(quiz).to_have_count(1, timeout=60_000)
        expect(quiz.locator(".mlc-quiz-score")).to_contain_text("Score: 1 /")
        second = quiz.locator(".mlc-quiz-question").nth(1)
        second.locator(".mlc-quiz-choice button").first.click()
        second.locator("button.mlc-quiz-check").click()
        expect(second.locator(".mlc-quiz-feedback")).not_to_be_empty()
        expect(quiz.locator(".mlc-quiz-score")).to_contain_text(" 2 of ")
        assert not error_outputs(page), error_outputs(page)
        assert not console, f"console errors in the pre-run copy: {console}"
        ready = READY.search(log.read_text()).group(0).split(":")[0]
        print(f"demo script: {ready}; the pre-run copy on screen in {shown:.1f} s")

        # Stopping the script (kill, as a teacher's terminal closing does) stops its Lab and
        # the kernel's processes: none of them outlives the demo.
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        left = _alive_groups(tmp_path / "runtime", timeout_s=30)
        assert not left, f"the demo's processes outlived it (process groups {left})"
    finally:
        context.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        # The Lab and its kernel each lead a process group of their own (the kernel's holds
        # joblib's workers, which outlive the kernel's shutdown): the script stops both.
        for name in ("lab.pid", "kernel.pid"):
            pid_file = tmp_path / "runtime" / name
            if pid_file.exists():
                try:
                    os.killpg(int(pid_file.read_text()), signal.SIGKILL)
                except ProcessLookupError:
                    pass  # the script stopped it
        (LESSON.parent / f"demo-{LESSON.name}").unlink(missing_ok=True)
    assert LESSON.read_bytes() == before, "the demo must not change the lesson itself"
