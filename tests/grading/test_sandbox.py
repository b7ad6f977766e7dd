"""Hostile students against the grading sandbox, graded by ``python -m mlcourse autograde``.

One temporary course, the small assignment ``s1`` (tests/grading/course.py) and two honest
students graded first (alice with a solution and a private file, bob with the stub). Then one
hostile student per attack, each appending the attack to a correct answer: reading and writing
the solutions, the gradebook, alice's submission, the course root and the home folder (by
relative and absolute path, through ``/proc/self/cwd`` and through symlinks it makes), sockets
to the grader's loopback and to an outside address, a fork bomb graded at the same time as
alice, 8 GB of memory, a 10 MB line of output, ``os._exit`` and an infinite loop (stopped by
the CPU-time limit, set to 5 s here). Afterwards the gradebook, alice's and bob's grades, the
files the attacks aimed at and every feedback page are checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import stat
import threading
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from tests.grading.course import (
    HIDDEN_CANARY,
    SOLUTION_CANARY,
    STUB,
    TINY,
    add_tiny_assignment,
    gradebook_state,
    integrity_ok,
    make_course,
    mlcourse_autograde,
    nbgrader,
    require_sandbox,
    scores,
    submit,
    tiny_submission,
)

pytestmark = pytest.mark.grading

ALICE_CANARY = "ALICE_PRIVATE_CANARY_5c2e"
ROOT_CANARY = "COURSE_ROOT_CANARY_0d4b"
HOME_CANARY = "HOME_FOLDER_CANARY_77aa"
DB_MAGIC = "SQLite format 3"
CANARIES = [HIDDEN_CANARY, SOLUTION_CANARY, ALICE_CANARY, ROOT_CANARY, HOME_CANARY, DB_MAGIC]
FULL = 3.0  # points of s1's two autograded test cells
REPORT = re.compile(r"REPORT (\{.*\})")

READ = """
import json, os
targets = {targets!r}
found = {{}}
def attempt(label, path):
    try:
        with open(path, "rb") as fh:
            found[label] = fh.read(200).decode("latin-1")
    except OSError:
        pass
    try:
        found[label + " (listing)"] = sorted(os.listdir(path))
    except OSError:
        pass
for name, absolute in targets.items():
    attempt(f"absolute {{name}}", absolute)
    attempt(f"relative {{name}}", os.path.relpath(absolute))
    tail = os.path.relpath(absolute, {course!r})
    for depth in range(1, 10):
        attempt(f"relative {{depth}} {{name}}", "../" * depth + tail)
        attempt(f"proc-cwd {{depth}} {{name}}", "/proc/self/cwd/" + "../" * depth + tail)
    try:
        os.symlink(absolute, "link_" + name)
        attempt(f"symlink {{name}}", "link_" + name)
    except OSError:
        pass
try:
    os.symlink("/", "rootlink")
    for name, absolute in targets.items():
        attempt(f"root symlink {{name}}", "rootlink" + absolute)
except OSError:
    pass
print("REPORT " + json.dumps({{"readable": sorted(found)}}))
print(json.dumps(found)[:20000])
"""

WRITE = """
import json, os
done = []
for path in {targets!r}:
    for candidate in (path, "../../../" + os.path.basename(path)):
        try:
            with open(candidate, "ab") as fh:
                fh.write(b"PWNED")
            done.append(candidate)
        except OSError:
            pass
for name in os.listdir("."):
    if name.endswith(".ipynb"):
        try:
            os.remove(name)
            os.symlink({gradebook!r}, name)  # the grader would write the graded notebook here
            done.append("replaced " + name)
        except OSError:
            pass
for link, target in [("evil_link", {gradebook!r}), ("evil_dir", {course!r})]:
    try:
        os.symlink(target, link)
    except OSError:
        pass
try:
    os.mkfifo("evil_fifo")
except OSError:
    pass
print("REPORT " + json.dumps({{"written": done}}))
"""

NET = """
import json, socket
out = {{}}
for host in ("127.0.0.1", "localhost"):
    try:
        socket.create_connection((host, {port}), timeout=3).sendall(b"stolen")
        out[host] = "connected"
    except OSError as exc:
        out[host] = type(exc).__name__
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.connect(("192.0.2.1", 9))  # a route lookup only: connect() on UDP sends nothing
    out["outside"] = "routable"
except OSError as exc:
    out["outside"] = type(exc).__name__
out["interfaces"] = [name for _, name in socket.if_nameindex()]
print("REPORT " + json.dumps(out))
"""

FORK = """
import os, time
try:
    while True:
        os.fork()
except OSError as exc:
    print("REPORT " + '{"stopped": "%s"}' % type(exc).__name__, flush=True)
    time.sleep(8)  # every process holds its slot while alice is graded alongside
"""

ATTACKS = {
    "zz_mem": "x = bytearray(8 * 1024**3)",
    "zz_flood": 'print("x" * 10_000_000)',
    "zz_exit": "import os\nos._exit(1)",
    "zz_loop": "while True:\n    pass",
}


@dataclass
class Hostile:
    course: Path
    home: Path
    listener_hits: list = field(default_factory=list)
    before: dict = field(default_factory=dict)  # alice's and bob's gradebook entries
    solutions_hash: str = ""
    runs: dict = field(default_factory=dict)

    def autograded(self, student: str) -> Path:
        return self.course / "grading" / "autograded" / student / TINY

    def notebook(self, student: str):
        return nbformat.read(self.autograded(student) / f"{TINY}.ipynb", as_version=4)

    def cell(self, student: str, grade_id: str):
        nb = self.notebook(student)
        return next(
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
        )

    def answer_text(self, student: str) -> str:
        cell = self.cell(student, "answer")
        return "\n".join(
            o.get("text", "")
            + o.get("ename", "")
            + str(o.get("evalue", ""))
            + str(o.get("data", ""))
            for o in cell.outputs
        )

    def report(self, student: str) -> dict:
        found = REPORT.search(self.answer_text(student))
        assert found, f"{student}'s attack printed no report: {self.answer_text(student)[:2000]}"
        return json.loads(found.group(1))

    def feedback(self, student: str) -> str:
        page = self.course / "grading" / "feedback" / student / TINY / f"{TINY}.html"
        return page.read_text(encoding="utf-8")


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _listen(hits: list) -> int:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(1)

    def serve():
        for _ in range(600):  # at most ten minutes, then stop by itself
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(conn.recv(100))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Hostile:
    require_sandbox()
    base = tmp_path_factory.mktemp("hostile")
    course = make_course(base / "course", "c.Execute.timeout = 30\nc.Sandbox.cpu_time_limit = 5\n")
    add_tiny_assignment(course)
    home = base / "home"
    home.mkdir()
    (home / "HOME_CANARY.txt").write_text(HOME_CANARY)
    (course / "ROOT_CANARY.txt").write_text(ROOT_CANARY)
    env = {"HOME": str(home)}
    h = Hostile(course, home)
    submit(course, "alice", TINY, tiny_submission(), {"alice_secret.txt": ALICE_CANARY})
    submit(course, "bob", TINY, tiny_submission(answer=STUB))
    h.runs["honest"] = mlcourse_autograde(course, TINY, "--jobs", "2", env=env)
    h.before = {s: v for s, v in gradebook_state(course, TINY).items() if s in ("alice", "bob")}
    h.solutions_hash = _tree_hash(course / "solutions")

    grading = course / "grading"
    targets = {
        "solution": str(course / "solutions" / TINY / f"{TINY}.ipynb"),
        "gradebook": str(grading / "gradebook.db"),
        "alice": str(grading / "submitted" / "alice" / TINY / "alice_secret.txt"),
        "alice_graded": str(grading / "autograded" / "alice" / TINY / "alice_secret.txt"),
        "root": str(course / "ROOT_CANARY.txt"),
        "home": str(home / "HOME_CANARY.txt"),
        "config": str(course / "nbgrader_config.py"),
    }
    writes = [
        targets["solution"],
        targets["gradebook"],
        str(grading / "submitted" / "alice" / TINY / "pwned.txt"),
        str(grading / "feedback" / "pwned.html"),
        str(course / "pwned.txt"),
        str(home / "pwned.txt"),
    ]
    port = _listen(h.listener_hits)
    attacks = dict(ATTACKS)
    attacks["zz_read"] = READ.format(targets=targets, course=str(course))
    attacks["zz_write"] = WRITE.format(
        targets=writes, gradebook=targets["gradebook"], course=str(course)
    )
    attacks["zz_net"] = NET.format(port=port)
    for student, code in attacks.items():
        submit(course, student, TINY, tiny_submission(code))
    h.runs["hostile"] = mlcourse_autograde(course, TINY, "--jobs", "2", env=env)
    # The fork bomb, graded at the same time as alice (regraded): her grades must not change.
    submit(course, "zz_fork", TINY, tiny_submission(FORK))
    h.runs["fork"] = mlcourse_autograde(
        course, TINY, "--jobs", "2", "--force", "--student", "alice", "zz_fork", env=env
    )
    h.runs["feedback"] = nbgrader(course, "generate_feedback", TINY, env=env)
    return h


def _ok(proc) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"


def test_every_run_grades_every_student(hostile: Hostile):
    for name, proc in hostile.runs.items():
        assert proc.returncode == 0, f"{name} run failed: {_ok(proc)}"
    graded = set(gradebook_state(hostile.course, TINY))
    assert graded >= {"alice", "bob", "zz_fork", *ATTACKS, "zz_read", "zz_write", "zz_net"}


def test_honest_grades_unchanged_and_gradebook_intact(hostile: Hostile):
    assert integrity_ok(hostile.course)
    assert hostile.before["alice"]["cells"], "alice was not graded"
    after = gradebook_state(hostile.course, TINY)
    for student in ("alice", "bob"):
        assert after[student] == hostile.before[student], f"{student}'s grades changed"
    got = scores(hostile.course, TINY)
    assert got["alice"] == FULL and got["bob"] == 0


def test_reading_outside_the_submission_finds_nothing(hostile: Hostile):
    readable = hostile.report("zz_read")["readable"]
    assert not readable, f"student code read or listed: {readable}"
    assert scores(hostile.course, TINY)["zz_read"] == FULL


def test_writing_outside_the_submission_changes_nothing(hostile: Hostile):
    assert hostile.report("zz_write")["written"] == []
    course = hostile.course
    assert _tree_hash(course / "solutions") == hostile.solutions_hash, "solutions/ changed"
    assert b"PWNED" not in (course / "grading" / "gradebook.db").read_bytes()
    for path in [*course.rglob("pwned*"), *hostile.home.rglob("pwned*")]:
        pytest.fail(f"student code created {path}")
    # The links and the FIFO it left are gone, and the graded notebook is a real notebook.
    for folder in (hostile.autograded("zz_write"), course / "grading" / "feedback" / "zz_write"):
        for path in folder.rglob("*"):
            mode = path.lstat().st_mode
            assert stat.S_ISREG(mode) or stat.S_ISDIR(mode), f"{path} is a link or special file"
    assert hostile.notebook("zz_write").cells, "the graded notebook is not a notebook"


def test_no_network_not_even_the_graders_loopback(hostile: Hostile):
    report = hostile.report("zz_net")
    assert report["127.0.0.1"] != "connected" and report["localhost"] != "connected", report
    assert report["outside"] == "OSError" or report["outside"].endswith("Error"), report
    assert report["interfaces"] == ["lo"], report
    assert hostile.listener_hits == [], "a sandboxed kernel reached the grader's loopback"


def test_fork_bomb_is_contained(hostile: Hostile):
    assert hostile.report("zz_fork")["stopped"] in ("BlockingIOError", "OSError")
    # The bomber is graded; its own tests may fail, since its leftover processes write errors to
    # the kernel's stderr. Alice, graded at the same time, is untouched (checked above).
    for grade_id in ("answer", "test_visible", "test_hidden"):
        assert hostile.cell("zz_fork", grade_id).execution_count, f"{grade_id} did not run"
    assert "zz_fork" in gradebook_state(hostile.course, TINY)


def test_eight_gigabytes_is_refused_with_a_clear_message(hostile: Hostile):
    assert "MemoryError" in hostile.answer_text("zz_mem")
    assert "ran out of memory" in hostile.feedback("zz_mem")
    assert scores(hostile.course, TINY)["zz_mem"] == FULL


def test_ten_megabyte_line_is_truncated(hostile: Hostile):
    size = (hostile.autograded("zz_flood") / f"{TINY}.ipynb").stat().st_size
    assert size < 1_000_000, f"graded notebook is {size:,} bytes"
    assert len(hostile.feedback("zz_flood")) < 1_000_000
    assert scores(hostile.course, TINY)["zz_flood"] == FULL


@pytest.mark.parametrize(
    ("student", "reason"),
    [("zz_exit", "exited with status 1"), ("zz_loop", "CPU time limit (5 s)")],
)
def test_dead_kernel_is_graded_zero_for_what_did_not_run(hostile: Hostile, student, reason):
    assert scores(hostile.course, TINY)[student] == 0
    assert reason in hostile.answer_text(student), hostile.answer_text(student)
    for cell in (hostile.cell(student, "test_visible"), hostile.cell(student, "test_hidden")):
        assert [o.ename for o in cell.outputs if o.output_type == "error"] == ["NotRun"]
    page = hostile.feedback(student)
    assert "did not run because the kernel stopped" in page
    assert reason in page


def test_feedback_shows_no_secret(hostile: Hostile):
    pages = sorted((hostile.course / "grading" / "feedback").rglob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        text = page.read_text(encoding="utf-8")
        leaked = [c for c in CANARIES if c in text]
        assert not leaked, f"{page.relative_to(hostile.course)} shows {leaked}"
