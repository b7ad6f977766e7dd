"""The sandbox that autograded student code runs in (Linux, bubblewrap).

Each kernel runs under ``bwrap`` in new mount, PID, network, IPC and UTS namespaces. It sees
only the Python environment and system libraries (read-only), its own submission folder
(read-write, the notebooks in it read-only) and a private run folder with the kernel's
connection file and sockets. ``solutions/``, ``grading/`` (gradebook, other submissions,
feedback), the course root and the home folder do not exist inside. There is no network: the
only interface is the sandbox's own loopback, so the grader's loopback services are out of
reach too, and the kernel talks to the grader over ZMQ's ``ipc`` transport (Unix sockets in
the run folder).

Limits on memory (address space), CPU time, processes, open files and file size are set inside
the sandbox. When the grader runs as root, the kernel runs as an unprivileged user id of its own
(``uid_base`` plus the grading process's PID), because root ignores the process limit and
because the kernel counts processes per user: one student's fork bomb then cannot take the
process slots of another student graded at the same time. Otherwise bubblewrap makes a user
namespace, in which the limits count this sandbox's processes alone.

Where no sandbox can be made, grading refuses (:class:`SandboxUnavailable` says why) unless the
instructor sets ``c.Sandbox.unsafe = True``, which every feedback page then records.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile

from traitlets import Bool, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from mlcourse.grading.bwrap import SandboxRun

__all__ = ["Sandbox", "SandboxRun", "SandboxUnavailable"]

GIB = 1024**3
MIB = 1024**2
DEFAULT_ENV = [
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TZ",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "OPENBLAS_*",
    "OMP_*",
    "MKL_*",
    "NUMEXPR_*",
    "MPLBACKEND",
    "NBGRADER_EXECUTION",
    "MLCOURSE_AUTOMATED",
    "SOURCE_DATE_EPOCH",
]


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here; the message says why and how to override."""


def _override_hint() -> str:
    return (
        "To grade without a sandbox anyway (student code then runs as you, with your files and "
        "network), set c.Sandbox.unsafe = True in nbgrader_config.py, or pass "
        "--Sandbox.unsafe=True to nbgrader, or --unsafe to `python -m mlcourse autograde`; "
        "every feedback page will say that it was graded without a sandbox."
    )


class Sandbox(LoggingConfigurable):
    """Settings of the grading sandbox (``c.Sandbox.*`` in ``nbgrader_config.py``).

    Examples
    --------
    >>> from mlcourse.grading import Sandbox
    >>> Sandbox(memory_limit=2 * 1024**3).limits()["RLIMIT_AS"]
    (2147483648, 2147483648)
    """

    unsafe = Bool(
        False,
        help="Run student code WITHOUT a sandbox (as the grader, with the grader's files and "
        "network). Off by default; feedback records that it was on.",
    ).tag(config=True)
    bwrap = Unicode("bwrap", help="bubblewrap executable").tag(config=True)
    memory_limit = Integer(
        4 * GIB, help="Address space per process, bytes (RLIMIT_AS); 0 = no limit"
    ).tag(config=True)
    cpu_time_limit = Integer(
        600, help="CPU seconds per process (RLIMIT_CPU); the kernel is stopped past it; 0 = none"
    ).tag(config=True)
    max_processes = Integer(
        256, help="Processes and threads per sandbox (RLIMIT_NPROC); 0 = no limit"
    ).tag(config=True)
    max_open_files = Integer(1024, help="Open files per process (RLIMIT_NOFILE)").tag(config=True)
    max_file_size = Integer(
        1 * GIB, help="Largest file the kernel may write, bytes (RLIMIT_FSIZE); 0 = no limit"
    ).tag(config=True)
    tmp_size = Integer(512 * MIB, help="Size of the sandbox's private /tmp, bytes").tag(config=True)
    uid_base = Integer(
        1_800_000_000,
        help="When grading as root, kernels run as uid_base + the grader's PID (an unused "
        "user id: choose a range that no real user, LDAP or container mapping uses)",
    ).tag(config=True)
    extra_ro_paths = List(
        Unicode(), help="More paths the kernel may read (for example a shared data folder)"
    ).tag(config=True)
    env_keep = List(
        Unicode(),
        DEFAULT_ENV,
        help="Environment variables passed into the sandbox (shell-style patterns); all others, "
        "tokens and passwords included, are dropped",
    ).tag(config=True)

    # ------------------------------------------------------------------ limits

    def limits(self) -> dict[str, tuple[int, int]]:
        """The resource limits applied inside the sandbox (``resource`` names)."""
        out = {"RLIMIT_NOFILE": (self.max_open_files, self.max_open_files), "RLIMIT_CORE": (0, 0)}
        if self.memory_limit:
            out["RLIMIT_AS"] = (self.memory_limit, self.memory_limit)
        if self.cpu_time_limit:
            # SIGXCPU at the soft limit stops the kernel; SIGKILL follows if it is caught.
            out["RLIMIT_CPU"] = (self.cpu_time_limit, self.cpu_time_limit + 5)
        if self.max_processes:
            out["RLIMIT_NPROC"] = (self.max_processes, self.max_processes)
        if self.max_file_size:
            out["RLIMIT_FSIZE"] = (self.max_file_size, self.max_file_size)
        return out

    def describe_limits(self) -> str:
        parts = []
        if self.memory_limit:
            parts.append(f"{self.memory_limit / GIB:g} GiB of memory")
        if self.cpu_time_limit:
            parts.append(f"{self.cpu_time_limit} s of CPU time")
        if self.max_processes:
            parts.append(f"{self.max_processes} processes and threads")
        parts.append(f"{self.max_open_files} open files")
        return ", ".join(parts)

    # ------------------------------------------------------------------ availability

    def check(self) -> None:
        """Raise :class:`SandboxUnavailable` unless a sandbox can be made (cached per setting)."""
        problem = _probe(self.bwrap, self.uid_base)
        if problem:
            raise SandboxUnavailable(f"{problem}\n{_override_hint()}")

    def prepare(self, workdir: str) -> SandboxRun:
        """Make a run folder for one kernel whose working directory is ``workdir``."""
        return SandboxRun(self, os.path.abspath(workdir))


@functools.lru_cache(maxsize=8)
def _probe(bwrap: str, uid_base: int) -> str:
    """Why no sandbox can be made here ("" when one can), by making one."""
    if not sys.platform.startswith("linux"):
        return (
            f"Autograding needs a Linux sandbox (bubblewrap); this is {sys.platform}. "
            "Grade on a Linux machine, for example the course's JupyterHub server."
        )
    exe = shutil.which(bwrap)
    if exe is None:
        return (
            f"The sandbox program {bwrap!r} (bubblewrap) is not installed. Install it: "
            "`apt-get install bubblewrap` (Debian, Ubuntu), `dnf install bubblewrap` (Fedora)."
        )
    with tempfile.TemporaryDirectory(prefix="mlcsb-probe-") as work:
        probe = Sandbox(bwrap=exe, uid_base=uid_base)
        run = probe.prepare(work)
        try:
            cmd = run.command([sys.executable, "-I", "-S", "-c", "import os; os.getcwd()"])
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"The sandbox could not start: {exc}"
        finally:
            run.finish()
    if proc.returncode:
        detail = (proc.stderr or proc.stdout).strip()[-500:]
        hint = ""
        if os.geteuid() != 0:
            hint = (
                " Unprivileged user namespaces may be disabled: check the sysctls "
                "kernel.unprivileged_userns_clone and user.max_user_namespaces, and on Ubuntu "
                "24.04+ kernel.apparmor_restrict_unprivileged_userns (or give bwrap an AppArmor "
                "profile)."
            )
        return f"bubblewrap could not make a sandbox (exit {proc.returncode}): {detail}.{hint}"
    return ""
