"""``make demo LESSON=1``: a lesson pre-run before class, opened instantly with its outputs.

The demo script runs the lesson in the kernel of a JupyterLab session; the teacher's browser then
attaches to that session. The page must show every output without running anything. (Widgets do
not come back live in the pre-run copy: this test showed the quiz missing. Re-running a widget's
cell is the documented way; making them live is issue 18's open part.)
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


def test_demo_opens_pre_run_with_its_outputs(browser, tmp_path):
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
        start = time.monotonic()
        page.goto(url)
        page.wait_for_selector(".jp-NotebookPanel .jp-OutputArea-output img", timeout=60_000)
        prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputPrompt").all_inner_texts()
        run = [p for p in prompts if re.search(r"\[\d+\]", p)]
        assert len(run) == len(prompts), f"cells without outputs in the pre-run copy: {prompts}"
        shown = time.monotonic() - start

        assert not error_outputs(page)
        print(f"pre-run copy on screen in {shown:.1f} s")
    finally:
        context.close()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        pid_file = tmp_path / "runtime" / "lab.pid"  # the Lab has a session of its own
        if pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass  # the script stopped it
        (LESSON.parent / f"demo-{LESSON.name}").unlink(missing_ok=True)
    assert LESSON.read_bytes() == before, "the demo must not change the lesson itself"
