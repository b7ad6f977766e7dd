#!/usr/bin/env python3
"""Set up one machine for the course from a class list: users, course folder, exchange, gradebook.

Run it as root with the course's Python environment, the one JupyterHub will run from::

    sudo /opt/mlcourse/env/bin/python classroom/setup_course.py class_list.csv --instructor ada

The class list is a CSV file whose header row names the columns: ``id`` (required: the student's
Unix user name, which is also their JupyterHub and nbgrader id), and optionally ``first_name``,
``last_name`` and ``email``. See ``class_list.example.csv``.

What it does (see classroom/README.md):

- creates the Unix users that do not exist yet (the instructor and each student), each with a
  private group and a home folder only they can read (0700), and puts them in the groups the hub
  lets in (``nbgrader-<course>`` for students, ``formgrade-<course>`` for the instructor);
- copies the course (``nbgrader_config.py`` and ``solutions/``) into the instructor's course
  folder, owned by the instructor and closed to everyone else, without overwriting a file that is
  already there;
- makes nbgrader's exchange with nbgrader's permissions, the course's folder in it owned by the
  instructor (so that no student can take its name first);
- writes the hub's site file and the Jupyter configuration of students and instructor;
- enrols the students in the instructor's gradebook, as the instructor.

Running it again changes only what differs, so it is safe to rerun after adding students. Bad
input (a duplicate id, an unsafe user name, a system account) stops it before anything changes,
with a message that names the line. ``--dry-run`` prints what it would do.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from class_list import (
    COLUMNS,
    NAME_RE,
    NAME_RULE,
    SetupError,
    Student,
    account_problems,
    find_group,
    find_user,
    parse_class_list,
)
from site_config import site_files

REPO = Path(__file__).resolve().parents[1]
COURSE_FILES = ["nbgrader_config.py", "solutions"]
DEFAULT_SITE = "/srv/mlcourse"
DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"  # nbgrader's default Exchange.root
# nbgrader's exchange permissions (nbgrader/exchange/default/release_assignment.py), plus the
# sticky bit on the two folders everyone may write to, so that nobody can rename or remove what
# another user put there (nbgrader checks only the lower nine bits).
EXCHANGE_ROOT_MODE = 0o1777
COURSE_MODES = {"": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}


@dataclass
class Plan:
    """What to change, as (description, action) pairs, so that --dry-run can print it."""

    steps: list = field(default_factory=list)

    def add(self, description: str, action) -> None:
        self.steps.append((description, action))


# ---------------------------------------------------------------------------- plan


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise SetupError(f"{' '.join(cmd)} failed: {(proc.stderr or proc.stdout).strip()}")


def _mode(path: str) -> int | None:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def plan_users(plan: Plan, args, students: list[Student], course_id: str) -> None:
    groups = {"student": f"nbgrader-{course_id}", "instructor": f"formgrade-{course_id}"}
    for group in groups.values():
        if find_group(group) is None:
            plan.add(f"create group {group}", lambda g=group: _run(["groupadd", g]))
    people = [(args.instructor, "instructor")] + [(s.id, "student") for s in students]
    for name, role in people:
        user = find_user(name)
        if user is None:
            cmd = ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash"]
            cmd += ["--comment", f"{course_id} {role}"]
            if args.home_base:
                cmd += ["--base-dir", args.home_base]
            plan.add(f"create user {name} ({role})", lambda c=[*cmd, name]: _run(c))
        group = groups[role]
        existing = find_group(group)
        if existing is None or name not in existing.gr_mem:
            plan.add(
                f"add {name} to group {group}",
                lambda n=name, g=group: _run(["usermod", "--append", "--groups", g, n]),
            )


def _home(name: str) -> str:
    return pwd.getpwnam(name).pw_dir


def ensure_private_homes(names: list[str]) -> list[str]:
    changed = []
    for name in names:
        home = _home(name)
        if _mode(home) != 0o700:
            os.chmod(home, 0o700)
            changed.append(home)
    return changed


def plan_exchange(plan: Plan, exchange: str, course_id: str, instructor: str) -> None:
    mode = _mode(exchange)
    if mode is None:
        plan.add(f"create the exchange {exchange} (mode 1777)", lambda: _mkdir(exchange, 0o1777))
    elif mode != EXCHANGE_ROOT_MODE:
        plan.add(f"exchange {exchange}: mode {mode:o} -> 1777", lambda: os.chmod(exchange, 0o1777))
    course = os.path.join(exchange, course_id)
    teacher = find_user(instructor)
    if os.path.isdir(course) and teacher is not None:
        owner = os.stat(course).st_uid
        if owner != teacher.pw_uid:
            try:
                who = pwd.getpwuid(owner).pw_name
            except KeyError:
                who = f"uid {owner}"
            raise SetupError(
                f"{course} belongs to {who}, not to the instructor {instructor}: whoever owns it "
                "controls what students fetch and receives their submissions. Remove it (or "
                "give it to the instructor) and run this again."
            )
    for sub, want in COURSE_MODES.items():
        path = os.path.join(course, sub) if sub else course
        have = _mode(path)
        if have != want:
            what = "create" if have is None else f"mode {have:o} ->"
            plan.add(
                f"exchange: {what} {path} ({want:o}, owned by {instructor})",
                lambda p=path, m=want: _mkdir(p, m, owner=instructor),
            )


def _mkdir(path: str, mode: int, owner: str | None = None) -> None:
    os.makedirs(path, exist_ok=True)
    if owner is not None:
        user = pwd.getpwnam(owner)
        os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, mode)


def plan_course(plan: Plan, course_dir: str, instructor: str) -> None:
    missing = []
    for name in COURSE_FILES:
        src = REPO / name
        paths = [src] if src.is_file() else sorted(p for p in src.rglob("*") if p.is_file())
        for path in paths:
            if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(REPO)
            if not os.path.exists(os.path.join(course_dir, rel)):
                missing.append(rel)
    if missing:
        plan.add(
            f"course folder {course_dir}: copy {len(missing)} files from {REPO} "
            "(files already there are kept)",
            lambda: _copy_course(course_dir, instructor, missing),
        )


def _copy_course(course_dir: str, instructor: str, files: list[Path]) -> None:
    user = pwd.getpwnam(instructor)
    for rel in files:
        dest = Path(course_dir) / rel
        _makedirs_owned(dest.parent, user)
        shutil.copyfile(REPO / rel, dest)
        os.chown(dest, user.pw_uid, user.pw_gid)


def _makedirs_owned(folder: Path, user) -> None:
    """Make ``folder`` and its missing parents, each owned by ``user``."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        os.chown(path, user.pw_uid, user.pw_gid)


def plan_site(plan: Plan, args, course_id: str, course_dir: str) -> None:
    for rel, text in site_files(args, course_id, course_dir).items():
        path = os.path.join(args.site, rel)
        try:
            with open(path, encoding="utf-8") as fh:
                same = fh.read() == text
        except OSError:
            same = False
        if not same:
            plan.add(f"write {path}", lambda p=path, t=text: _write(p, t))
    state = os.path.join(args.site, "hub")
    if _mode(state) != 0o700:
        plan.add(f"hub state folder {state} (0700, root only)", lambda: _mkdir(state, 0o700))


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o644)


# ---------------------------------------------------------------------------- gradebook


def enrol(course_dir: str, instructor: str, students: list[Student]) -> str:
    """Add or update the students in the gradebook, running as the instructor."""
    user = pwd.getpwnam(instructor)
    env = {
        "HOME": user.pw_dir,
        "USER": instructor,
        "LOGNAME": instructor,
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
    }
    payload = json.dumps([{k: getattr(s, k) for k in COLUMNS} for s in students])
    proc = subprocess.run(
        [sys.executable, "-c", ENROL],
        input=payload,
        capture_output=True,
        text=True,
        cwd=course_dir,
        env=env,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
    )
    if proc.returncode:
        raise SetupError(f"enrolling the students failed:\n{proc.stderr.strip()[-3000:]}")
    return proc.stdout.strip()


# Run by the instructor's own Python, in the course folder (nbgrader reads the course's
# nbgrader_config.py there); the students arrive as JSON on stdin.
ENROL = """
import json, sys
from nbgrader.api import Gradebook
from nbgrader.apps import NbGrader

app = NbGrader()
app.initialize([])
added = updated = 0
with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
    known = {s.id for s in gb.students}
    for s in json.load(sys.stdin):
        names = {k: s.get(k) or None for k in ("first_name", "last_name", "email")}
        gb.update_or_create_student(s["id"], **names)
        updated += s["id"] in known
        added += s["id"] not in known
print(f"gradebook: {added} students added, {updated} already enrolled (details updated)")
"""


def check_environment() -> None:
    """Fail unless an unprivileged user can run this Python environment (every server does)."""
    nobody = find_user("nobody")
    if nobody is None:
        return
    try:
        proc = _run_as_nobody(nobody)
    except PermissionError as exc:
        proc = subprocess.CompletedProcess([], 1, "", str(exc))
    if proc.returncode:
        detail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise SetupError(
            f"other users cannot run the course's Python environment {sys.prefix} ({detail}). "
            "Every student's server runs from it: install it where everyone can read it, for "
            "example python3 -m venv /opt/mlcourse/env (see classroom/README.md)."
        )


def _run_as_nobody(nobody) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import jupyterhub, nbgrader, mlcourse.grading"],
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        extra_groups=[],
    )


# ---------------------------------------------------------------------------- main


def course_id_of(config: Path) -> str:
    """The course id that the course's nbgrader_config.py sets."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(config.name, str(config.parent)).load_config()
    cid = cfg.CourseDirectory.get("course_id")
    if not cid or not NAME_RE.match(cid):
        raise SetupError(f"{config}: CourseDirectory.course_id must be set to a plain name")
    return cid


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Set up one machine for the course from a class list (run as root).",
        epilog="See classroom/README.md.",
    )
    p.add_argument("class_list", help="CSV with a header row: id[,first_name,last_name,email]")
    p.add_argument("--instructor", required=True, help="the instructor's Unix user name")
    p.add_argument(
        "--course-dir", help="the course folder (default: <instructor's home>/courses/<course id>)"
    )
    p.add_argument("--site", default=DEFAULT_SITE, help="hub settings and state (%(default)s)")
    p.add_argument("--exchange", default=DEFAULT_EXCHANGE, help="nbgrader exchange (%(default)s)")
    p.add_argument("--home-base", help="where new users' home folders go (useradd --base-dir)")
    p.add_argument(
        "--bind-url", default="http://127.0.0.1:8000", help="where the hub listens (%(default)s)"
    )
    p.add_argument("--ssl-cert", help="TLS certificate for the hub (with --ssl-key)")
    p.add_argument("--ssl-key", help="TLS private key for the hub (with --ssl-cert)")
    p.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    try:
        return _setup(args)
    except SetupError as exc:
        print(f"setup_course: {exc}", file=sys.stderr)
        return 2


def _setup(args) -> int:
    if not NAME_RE.match(args.instructor):
        raise SetupError(f"--instructor {args.instructor!r} is not a safe user name: {NAME_RULE}")
    if bool(args.ssl_cert) != bool(args.ssl_key):
        raise SetupError("--ssl-cert and --ssl-key go together")
    for opt in ("site", "exchange", "home_base", "course_dir", "ssl_cert", "ssl_key"):
        value = getattr(args, opt)
        if value is not None and not os.path.isabs(value):
            raise SetupError(f"--{opt.replace('_', '-')} must be an absolute path, not {value!r}")
    students, problems = parse_class_list(args.class_list, args.instructor)
    problems += account_problems(args.instructor, students)
    if problems:
        raise SetupError(
            "the class list has problems; nothing was changed:\n  " + "\n  ".join(problems)
        )
    if os.geteuid() != 0 and not args.dry_run:
        raise SetupError("run this as root (it creates users); --dry-run shows what it would do")
    if os.geteuid() == 0:
        check_environment()
    if shutil.which("bwrap") is None:
        print(
            "warning: bubblewrap (bwrap) is not installed: autograding refuses to run student "
            "code without its sandbox. Install it: apt-get install bubblewrap",
            file=sys.stderr,
        )
    course_id = course_id_of(REPO / "nbgrader_config.py")

    plan = Plan()
    plan_users(plan, args, students, course_id)
    _apply(plan, args.dry_run)  # the users must exist before folders can be given to them

    names = [args.instructor] + [s.id for s in students]
    # Not <home>/<course id>: a folder named "mlcourse" in the folder a server or kernel starts
    # in would shadow an editable install of the mlcourse package (the current folder comes
    # first on sys.path).
    home = _home(args.instructor) if find_user(args.instructor) else "~" + args.instructor
    course_dir = args.course_dir or os.path.join(home, "courses", course_id)
    plan = Plan()
    plan_exchange(plan, args.exchange, course_id, args.instructor)
    plan_course(plan, course_dir, args.instructor)
    plan_site(plan, args, course_id, course_dir)
    _apply(plan, args.dry_run)
    if args.dry_run:
        print(f"(dry run) would enrol {len(students)} students in the gradebook")
        return 0
    for home in ensure_private_homes(names):
        print(f"  made {home} private (0700)")
    if _mode(course_dir) != 0o700:
        os.chmod(course_dir, 0o700)
    print(enrol(course_dir, args.instructor, students))
    print(
        f"done: {len(students)} students, instructor {args.instructor}, course folder "
        f"{course_dir}. Set passwords (passwd NAME) and start the hub:\n"
        f"  MLCOURSE_CLASSROOM={os.path.join(args.site, 'classroom.json')} "
        f"{sys.prefix}/bin/jupyterhub -f {REPO / 'classroom' / 'jupyterhub_config.py'}"
    )
    return 0


def _apply(plan: Plan, dry_run: bool) -> None:
    for description, action in plan.steps:
        print(("(dry run) " if dry_run else "") + description)
        if not dry_run:
            action()


if __name__ == "__main__":
    sys.exit(main())
