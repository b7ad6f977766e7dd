"""The sandbox's command line and settings, without starting a kernel (fast, any machine)."""

from __future__ import annotations

import json
import os

import pytest

from mlcourse.grading.bwrap import SandboxRun
from mlcourse.grading.report import Outcome, summary_table
from mlcourse.grading.sandbox import Sandbox


@pytest.fixture
def run(tmp_path, monkeypatch):
    course = tmp_path / "course"
    work = course / "grading" / "autograded" / "ann" / "a1"
    work.mkdir(parents=True)
    (work / "a1.ipynb").write_text("{}")
    (work / "data.csv").write_text("x")
    (course / "solutions").mkdir()
    monkeypatch.chdir(course)
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "secret-token")
    monkeypatch.setenv("LANG", "C.UTF-8")
    sandbox_run = SandboxRun(Sandbox(memory_limit=2**30, max_processes=64), str(work))
    yield sandbox_run
    sandbox_run.finish()


def _binds(cmd: list[str]) -> dict[str, str]:
    out = {}
    for i, arg in enumerate(cmd):
        if arg in ("--bind", "--ro-bind", "--ro-bind-try"):
            out[cmd[i + 2]] = arg
    return out


def test_no_network_and_own_namespaces(run):
    cmd = run.command(["python", "-m", "ipykernel_launcher"])
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in cmd
    assert "--share-net" not in cmd


def test_only_the_submission_is_writable_and_the_course_is_hidden(run):
    cmd = run.command(["python"])
    binds = _binds(cmd)
    writable = {path for path, how in binds.items() if how == "--bind"}
    assert writable == {run.workdir, run.kernel_dir}
    course = os.getcwd()
    for path in binds:
        assert not course.startswith(path.rstrip("/") + "/") and path != course, path
        assert not path.startswith(os.path.join(course, "solutions"))
    assert binds[os.path.join(run.workdir, "a1.ipynb")] == "--ro-bind", "notebooks read-only"
    assert os.path.join(run.workdir, "data.csv") not in binds


def test_environment_keeps_no_secrets(run):
    cmd = run.command(["python"])
    env = {cmd[i + 1]: cmd[i + 2] for i, a in enumerate(cmd) if a == "--setenv"}
    assert "JUPYTERHUB_API_TOKEN" not in env
    assert env["LANG"] == "C.UTF-8" and env["TMPDIR"] == "/tmp"
    assert "--clearenv" in cmd


def test_limits_reach_the_launcher(run):
    cmd = run.command(["python"])
    spec = json.loads(cmd[cmd.index("--") + 5])
    assert spec["limits"]["RLIMIT_AS"] == [2**30, 2**30]
    assert spec["limits"]["RLIMIT_NPROC"] == [64, 64]
    assert spec["limits"]["RLIMIT_CPU"] == [600, 605]
    if os.geteuid() == 0:
        assert spec["uid"] and spec["uid"] != 0, "as root the kernel must run as another user"


def test_finish_removes_links_and_fifos(run):
    work = run.workdir
    os.symlink("/etc/passwd", os.path.join(work, "link"))
    os.mkfifo(os.path.join(work, "fifo"))
    removed = run.finish()
    assert sorted(removed) == ["fifo", "link"]
    assert sorted(os.listdir(work)) == ["a1.ipynb", "data.csv"]


def test_zero_disables_a_limit():
    limits = Sandbox(memory_limit=0, cpu_time_limit=0, max_processes=0).limits()
    assert {"RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC"}.isdisjoint(limits)


def test_summary_table():
    table = summary_table(
        [Outcome("bob", "failed", 2.0, problem="boom"), Outcome("ann", "graded", 1.5, 3, 4)]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["student", "status", "score", "max", "time", "s", "problem"]
    assert lines[2].split() == ["ann", "graded", "3", "4", "1.5"]
    assert lines[3].split() == ["bob", "failed", "2.0", "boom"]


def test_the_kernel_is_stopped_at_once_after_the_last_cell():
    from traitlets.config import Config

    from mlcourse.grading import SandboxedExecute

    # a graceful shutdown leaves a core idle for about 0.4 s per notebook
    assert SandboxedExecute().shutdown_kernel == "immediate"
    graceful = Config({"Execute": {"shutdown_kernel": "graceful"}})
    assert SandboxedExecute(config=graceful).shutdown_kernel == "graceful", "config still wins"
