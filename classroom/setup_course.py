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
import csv
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COURSE_FILES = ["nbgrader_config.py", "solutions"]
NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,30}\Z")
NAME_RULE = (
    "use lowercase letters, digits, '-' and '_', starting with a letter, at most 31 characters"
)
COLUMNS = ("id", "first_name", "last_name", "email")
UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f]")
DEFAULT_SITE = "/srv/mlcourse"
DEFAULT_EXCHANGE = "/usr/local/share/nbgrader/exchange"  # nbgrader's default Exchange.root
# nbgrader's exchange permissions (nbgrader/exchange/default/release_assignment.py), plus the
# sticky bit on the two folders everyone may write to, so that nobody can rename or remove what
# another user put there (nbgrader checks only the lower nine bits).
EXCHANGE_ROOT_MODE = 0o1777
COURSE_MODES = {"": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
STUDENT_EXTENSIONS_OFF = {  # nbgrader's table for students in a one-grader class
    "server": ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"],
    "lab": [
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:create-assignment",
        "@jupyter/nbgrader:course-list",
    ],
}


class SetupError(Exception):
    """Bad input or a machine state the script will not change; the message says what and why."""


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    where: str = ""  # "FILE line N", for messages


@dataclass
class Plan:
    """What to change, as (description, action) pairs, so that --dry-run can print it."""

    steps: list = field(default_factory=list)

    def add(self, description: str, action) -> None:
        self.steps.append((description, action))


# ---------------------------------------------------------------------------- input


def read_class_list(path: str, instructor: str) -> list[Student]:
    """Read and check the class list; raise :class:`SetupError` listing every problem."""
    students, problems = parse_class_list(path, instructor)
    if problems:
        raise SetupError(
            "the class list has problems; nothing was changed:\n  " + "\n  ".join(problems)
        )
    return students


def parse_class_list(path: str, instructor: str) -> tuple[list[Student], list[str]]:
    """The valid rows of the class list, and a message for each bad one."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise SetupError(f"{path}: cannot read the class list: {exc}") from None
    except csv.Error as exc:
        raise SetupError(f"{path}: not a CSV file: {exc}") from None
    if not rows:
        return [], [f"{path}: the class list is empty"]
    header = [h.strip().lower() for h in rows[0]]
    if "id" not in header:
        return [], [
            f"{path}: the first row must name the columns, with 'id' among them "
            f"(id,first_name,last_name,email); found {rows[0]!r}"
        ]
    unknown = [h for h in header if h not in COLUMNS]
    problems = [
        f"{path} line 1: unknown column {h!r} (known: {', '.join(COLUMNS)})" for h in unknown
    ]
    if len(set(header)) != len(header):
        problems.append(f"{path} line 1: a column is named twice: {rows[0]!r}")
    students, first_seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if len(row) > len(header):
            problems.append(f"{path} line {line}: {len(row)} fields but {len(header)} columns")
            continue
        values = dict(zip(header, (cell.strip() for cell in row)))
        sid = values.get("id", "")
        where = f"{path} line {line}"
        if not sid:
            problems.append(f"{where}: no id")
            continue
        if not NAME_RE.match(sid):
            problems.append(f"{where}: {sid!r} is not a safe user name: {NAME_RULE}")
            continue
        if sid in first_seen:
            problems.append(f"{where}: duplicate id {sid!r} (first on line {first_seen[sid]})")
            continue
        if sid == instructor:
            problems.append(f"{where}: {sid!r} is the instructor, not a student")
            continue
        for key in ("first_name", "last_name", "email"):
            if UNSAFE_TEXT.search(values.get(key, "")) or len(values.get(key, "")) > 200:
                problems.append(f"{where}: {key} has control characters or is too long")
        first_seen[sid] = line
        students.append(Student(sid, *(values.get(k, "") for k in COLUMNS[1:]), where=where))
    if not students and not problems:
        problems.append(f"{path}: no students in the class list")
    return students, problems


def _login_defs() -> dict[str, int]:
    out = {"UID_MIN": 1000, "UID_MAX": 60000}
    try:
        with open("/etc/login.defs") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 2 and parts[0] in out and parts[1].isdigit():
                    out[parts[0]] = int(parts[1])
    except OSError:
        pass
    return out


def _user(name: str):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _group(name: str):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def account_problems(instructor: str, students: list[Student]) -> list[str]:
    """Why some account cannot be used as it is (system accounts, clashing groups)."""
    limits = _login_defs()
    problems = []
    for name, where in [(instructor, "--instructor")] + [(s.id, s.where) for s in students]:
        user = _user(name)
        if user is None:
            if _group(name) is not None:
                problems.append(
                    f"{where}: a group named {name!r} exists but no such user, so the user's "
                    "private group cannot be made; pick another id or remove the group"
                )
            continue
        if not limits["UID_MIN"] <= user.pw_uid <= limits["UID_MAX"]:
            problems.append(
                f"{where}: {name!r} is a system account (uid {user.pw_uid}); a course account "
                f"must be a regular user (uid {limits['UID_MIN']}-{limits['UID_MAX']})"
            )
    teacher = _user(instructor)
    if teacher is not None:
        # Submissions are readable by the instructor's group: no student may be in it.
        group = grp.getgrgid(teacher.pw_gid)
        ids = {s.id for s in students}
        members = set(group.gr_mem) | {
            u.pw_name for u in pwd.getpwall() if u.pw_gid == group.gr_gid
        }
        shared = sorted(members & ids)
        if shared:
            problems.append(
                f"students {shared} are in the instructor's group {group.gr_name!r}, which can "
                "read every submission; give the instructor a private group"
            )
    return problems


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
        if _group(group) is None:
            plan.add(f"create group {group}", lambda g=group: _run(["groupadd", g]))
    people = [(args.instructor, "instructor")] + [(s.id, "student") for s in students]
    for name, role in people:
        user = _user(name)
        if user is None:
            cmd = ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash"]
            cmd += ["--comment", f"{course_id} {role}"]
            if args.home_base:
                cmd += ["--base-dir", args.home_base]
            plan.add(f"create user {name} ({role})", lambda c=[*cmd, name]: _run(c))
        group = groups[role]
        existing = _group(group)
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
    teacher = _user(instructor)
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


def site_files(args, course_id: str, course_dir: str) -> dict[str, str]:
    """Every file the site folder holds, by path relative to it, as text."""
    etc = os.path.join(args.site, "etc")
    classroom = {
        "course_id": course_id,
        "instructor": args.instructor,
        "students_group": f"nbgrader-{course_id}",
        "instructors_group": f"formgrade-{course_id}",
        "course_dir": course_dir,
        "exchange": args.exchange,
        "bind_url": args.bind_url,
        "state_dir": os.path.join(args.site, "hub"),
        # Jupyter configuration folders by role (JUPYTER_CONFIG_PATH, before "common")
        "config": {
            "common": os.path.join(etc, "common"),
            "student": os.path.join(etc, "students"),
            "instructor": os.path.join(etc, "instructor"),
        },
    }
    generated = "# Written by classroom/setup_course.py; it rewrites this file when run again.\n"
    common = (
        generated + "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {args.exchange!r}\n"
        "# Submissions that only their student and the instructor can open (see that module).\n"
        'c.ExchangeFactory.submit = "mlcourse.grading.exchange.ExchangeSubmit"\n'
    )
    instructor = (
        generated + "c = get_config()  # noqa: F821\n"
        "# nbgrader's one class, one grader: the formgrader runs in the instructor's own server.\n"
        f"c.CourseDirectory.root = {course_dir!r}\n"
    )
    off = {name: False for name in STUDENT_EXTENSIONS_OFF["server"]}
    return {
        "classroom.json": json.dumps(classroom, indent=2) + "\n",
        "etc/common/nbgrader_config.py": common,
        "etc/instructor/nbgrader_config.py": instructor,
        "etc/students/jupyter_server_config.json": json.dumps(
            {"ServerApp": {"jpserver_extensions": off}}, indent=2
        )
        + "\n",
        "etc/students/labconfig/page_config.json": json.dumps(
            {"disabledExtensions": {name: True for name in STUDENT_EXTENSIONS_OFF["lab"]}},
            indent=2,
        )
        + "\n",
    }


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
        [sys.executable, os.path.abspath(__file__), "_enrol"],
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


def _enrol_here() -> int:
    """(Run as the instructor, in the course folder.) Read students as JSON from stdin."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGrader

    app = NbGrader()
    app.initialize([])
    added = updated = 0
    with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
        known = {s.id for s in gb.students}
        for s in json.load(sys.stdin):
            gb.update_or_create_student(s["id"], **_fields(s))
            if s["id"] in known:
                updated += 1
            else:
                added += 1
    print(f"gradebook: {added} students added, {updated} already enrolled (details updated)")
    return 0


def _fields(student: dict) -> dict:
    return {k: (student.get(k) or None) for k in ("first_name", "last_name", "email")}


def check_environment() -> None:
    """Fail unless an unprivileged user can run this Python environment (every server does)."""
    nobody = _user("nobody")
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
    p.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_enrol"]:
        return _enrol_here()
    args = parse_args(argv)
    try:
        return _setup(args)
    except SetupError as exc:
        print(f"setup_course: {exc}", file=sys.stderr)
        return 2


def _setup(args) -> int:
    if not NAME_RE.match(args.instructor):
        raise SetupError(f"--instructor {args.instructor!r} is not a safe user name: {NAME_RULE}")
    for opt in ("site", "exchange", "home_base", "course_dir"):
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
    home = _home(args.instructor) if _user(args.instructor) else "~" + args.instructor
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
