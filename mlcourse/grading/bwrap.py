"""One kernel's bubblewrap sandbox: the mounts, the command line, the clean-up afterwards.

See :mod:`mlcourse.grading.sandbox` for what the sandbox allows; settings come from
:class:`~mlcourse.grading.sandbox.Sandbox`.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.metadata
import importlib.util
import json
import os
import shutil
import site
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlcourse.grading.sandbox import Sandbox

__all__ = ["SandboxRun"]

LAUNCHER = Path(__file__).with_name("_launch.py")
# /etc entries a Python kernel reads; the rest of /etc (service configs, keys) stays outside.
ETC = [
    "alternatives",
    "fonts",
    "group",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "passwd",
    "ssl/certs",
    "timezone",
]
# Files in the submission folder that the kernel may read but not change: notebooks (an earlier
# notebook's graded output must not be rewritten by a later one) and nbgrader's timestamp.
PROTECTED = ["*.ipynb", "timestamp.txt"]


@functools.lru_cache(maxsize=4)
def _bwrap_flags(bwrap: str) -> frozenset[str]:
    try:
        out = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(w for w in (out.stdout + out.stderr).split() if w.startswith("--"))


def _is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@functools.lru_cache(maxsize=1)
def _python_candidates() -> tuple[str, ...]:
    """Folders the kernel's Python needs: prefixes, site-packages, editable packages."""
    paths = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    paths.update(site.getsitepackages())
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        paths.add(site.getusersitepackages())
    # Editable installs (this course's own `pip install -e .` among them) live outside the
    # prefixes: bind their top-level packages only, never the project folder around them.
    for dist in importlib.metadata.distributions():
        direct = dist.read_text("direct_url.json")
        if not direct or not json.loads(direct).get("dir_info", {}).get("editable"):
            continue
        names = (dist.read_text("top_level.txt") or "").split()
        if not names:
            names = [dist.metadata["Name"].replace("-", "_")]
        for name in names:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            if spec.submodule_search_locations:
                paths.update(spec.submodule_search_locations)
            elif spec.origin and os.path.isfile(spec.origin):
                paths.add(spec.origin)
    return tuple(sorted(os.path.abspath(p) for p in paths if p and os.path.exists(p)))


@dataclass
class SandboxRun:
    """One kernel's sandbox: its run folder, command line and clean-up.

    ``workdir`` is the submission folder (read-write). The run folder holds the connection
    file, the ZMQ sockets, the kernel's home folder and its log (outside the sandbox's view).
    """

    sandbox: Sandbox
    workdir: str
    rundir: str = ""
    uid: int | None = None
    gid: int | None = None
    owner: tuple[int, int] = (0, 0)
    log_path: str = ""
    _log: object = field(default=None, repr=False)

    def __post_init__(self):
        base = tempfile.gettempdir()
        if len(base) > 60:  # Unix socket paths are limited to about 100 bytes
            base = "/tmp"
        self.rundir = tempfile.mkdtemp(prefix="mlcsb-", dir=base)
        os.makedirs(self.kernel_dir)
        os.makedirs(self.home)
        st = os.stat(self.workdir)
        self.owner = (st.st_uid, st.st_gid)
        if os.geteuid() == 0:
            self.uid = self.gid = self.sandbox.uid_base + os.getpid()
            for path in (self.kernel_dir, self.home):
                os.chown(path, self.uid, self.gid)
            _chown_tree(self.workdir, self.uid, self.gid)
        self.log_path = os.path.join(self.rundir, "kernel.log")
        _seed_matplotlib(self.home, self.uid, self.gid)

    @property
    def kernel_dir(self) -> str:
        """The only part of the run folder visible inside the sandbox."""
        return os.path.join(self.rundir, "k")

    @property
    def home(self) -> str:
        return os.path.join(self.kernel_dir, "home")

    @property
    def connection_file(self) -> str:
        return os.path.join(self.kernel_dir, "kernel.json")

    @property
    def ipc_prefix(self) -> str:
        return os.path.join(self.kernel_dir, "ipc")

    def share_connection_file(self) -> None:
        """Let the sandbox user read the connection file the grader wrote (mode 0600)."""
        if self.uid is not None and os.path.exists(self.connection_file):
            os.chown(self.connection_file, self.uid, self.gid)

    def env(self) -> dict[str, str]:
        keep = self.sandbox.env_keep
        env = {k: v for k, v in os.environ.items() if any(fnmatch.fnmatch(k, p) for p in keep)}
        env.update(
            HOME=self.home,
            TMPDIR="/tmp",
            PATH=os.pathsep.join(
                [os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
            ),
            MPLCONFIGDIR=os.path.join(self.home, ".config", "matplotlib"),
            # the sandbox user has no passwd entry: getpass.getuser() reads these first
            USER="student",
            LOGNAME="student",
        )
        return env

    def log_file(self):
        if self._log is None:
            self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in finish)
        return self._log

    def log_tail(self, n: int = 2000) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(max(0, os.path.getsize(self.log_path) - n))
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _mounts(self) -> list[str]:
        args: list[str] = []
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = "/" + top
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/dev/shm"]
        args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
        flags = _bwrap_flags(self.sandbox.bwrap)
        if "--size" in flags:
            args += ["--size", str(self.sandbox.tmp_size)]
        args += ["--tmpfs", "/tmp"]
        forbidden = [os.path.abspath(os.getcwd()), self.workdir, os.path.expanduser("~"), "/"]
        extra = [os.path.abspath(p) for p in self.sandbox.extra_ro_paths]
        binds = [
            ("--ro-bind", p)
            for p in [*_python_candidates(), *extra]
            # never bind a folder that holds the course, the home folder or the root
            if not any(_is_within(root, p) for root in forbidden)
        ]
        binds += [("--bind", self.kernel_dir), ("--bind", self.workdir)]
        for top, _dirs, files in os.walk(self.workdir):
            for name in files:
                path = os.path.join(top, name)
                if any(fnmatch.fnmatch(name, p) for p in PROTECTED) and not os.path.islink(path):
                    binds.append(("--ro-bind", path))
        # bubblewrap makes missing parent folders with mode 0700, which an unprivileged
        # sandbox user cannot enter: make them first, readable (they are empty).
        made, mounted = set(), ["/usr", "/proc", "/dev", "/sys/devices/system/cpu"]
        for how, path in binds:
            parents = []
            parent = os.path.dirname(path)
            while parent not in ("/", "") and parent not in made:
                parents.append(parent)
                parent = os.path.dirname(parent)
            for parent in reversed(parents):
                made.add(parent)
                if not any(_is_within(parent, m) for m in mounted):
                    args += ["--perms", "0755", "--dir", parent]
            args += [how, path, path]
            mounted.append(path)
        return args

    def command(self, kernel_cmd: list[str]) -> list[str]:
        """The full command line: bwrap, then the launcher, then ``kernel_cmd``."""
        flags = _bwrap_flags(self.sandbox.bwrap)
        bwrap = shutil.which(self.sandbox.bwrap) or self.sandbox.bwrap
        args = [bwrap, "--die-with-parent", "--new-session"]
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
        args += ["--unshare-cgroup-try", "--hostname", "sandbox"]
        if self.uid is None:  # unprivileged: bubblewrap needs a user namespace
            args += ["--unshare-user"]
            if "--disable-userns" in flags:
                args += ["--disable-userns"]
        args += self._mounts()
        args += ["--remount-ro", "/", "--chdir", self.workdir, "--clearenv"]
        for key, value in sorted(self.env().items()):
            args += ["--setenv", key, value]
        spec = {
            "uid": self.uid,
            "gid": self.gid,
            "home": self.home,
            "writable": ["/tmp", "/dev/shm"],
            "limits": self.sandbox.limits(),
        }
        launcher = [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--"]
        return args + ["--", *launcher, *kernel_cmd]

    def unsafe_command(self, kernel_cmd: list[str]) -> list[str]:
        """No sandbox (``unsafe``): the kernel as nbgrader starts it, with the limits only."""
        spec = {"uid": None, "gid": None, "home": None, "limits": self.sandbox.limits()}
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--", *kernel_cmd]

    def finish(self) -> list[str]:
        """After the kernel has stopped: make the submission folder safe for the grader.

        Removes every symbolic link and special file that student code left in it (nbgrader
        writes the graded notebook into this folder and would follow a link to the gradebook
        or a solution), gives the files back to the folder's owner, and deletes the run folder.
        Returns what was removed.
        """
        removed = _defuse(self.workdir, self.owner if self.uid is not None else None)
        if self._log is not None:
            self._log.close()
            self._log = None
        shutil.rmtree(self.rundir, ignore_errors=True)
        return removed


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(top, name), uid, gid, follow_symlinks=False)


def _defuse(workdir: str, owner: tuple[int, int] | None) -> list[str]:
    removed = []
    for top, dirs, files in os.walk(workdir):  # never follows links
        for name in dirs + files:
            path = os.path.join(top, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                if owner is not None:
                    os.chown(path, *owner, follow_symlinks=False)
                continue
            os.unlink(path)  # symlink, FIFO, socket or device node
            removed.append(os.path.relpath(path, workdir))
    if owner is not None:
        os.chown(workdir, *owner, follow_symlinks=False)
    return removed


def _seed_matplotlib(home: str, uid: int | None, gid: int | None) -> None:
    """Copy the grader's matplotlib font cache into the kernel's fresh home folder.

    Without it every kernel rebuilds the cache and prints a warning to stderr, which would
    differ from grading outside the sandbox.
    """
    src = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib"
    )
    dest = os.path.join(home, ".config", "matplotlib")
    os.makedirs(dest, exist_ok=True)
    try:
        names = [n for n in os.listdir(src) if n.startswith("fontlist-") and n.endswith(".json")]
    except OSError:
        names = []
    for name in names:
        shutil.copyfile(os.path.join(src, name), os.path.join(dest, name))
    if uid is not None:
        _chown_tree(os.path.join(home, ".config"), uid, gid)
