"""First program inside the grading sandbox: apply limits, drop privileges, start the kernel.

Run by :mod:`mlcourse.grading.sandbox` as ``python -I -S _launch.py SPEC -- KERNEL COMMAND``, so
it imports only the standard library and nothing from the submission folder (isolated mode
puts neither the script's folder nor the working directory on ``sys.path``). SPEC is JSON::

    {"uid": 1800012345 | null, "gid": ..., "home": "/path", "writable": ["/tmp"],
     "limits": {"RLIMIT_AS": [soft, hard], ...}}

When ``uid`` is given (the grader runs as root) the program makes the writable folders usable
by that user, then drops to it for good: no supplementary groups, real, effective and saved ids
all changed, ``no_new_privs`` set. The limits are set after that, inside the sandbox's own
namespaces, so a user namespace created by bubblewrap counts this sandbox's processes alone.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys

PR_SET_NO_NEW_PRIVS = 38


def _no_new_privs() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: nothing to set
        pass


def _chown_tree(path: str, uid: int, gid: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(top, name), uid, gid, follow_symlinks=False)


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: _launch.py SPEC -- COMMAND...", file=sys.stderr)
        return 2
    spec = json.loads(argv[1])
    command = argv[3:]
    uid, gid = spec.get("uid"), spec.get("gid")
    home = spec.get("home")
    if home:
        os.makedirs(home, mode=0o700, exist_ok=True)
    if uid is not None:
        for path in spec.get("writable", []):
            os.chmod(path, 0o1777)
        if home:
            _chown_tree(home, uid, gid)
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:  # never run student code as root
            print("mlcourse sandbox: could not drop privileges", file=sys.stderr)
            return 3
    _no_new_privs()
    for name, (soft, hard) in spec.get("limits", {}).items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    os.umask(0o022)
    os.execv(command[0], command)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
