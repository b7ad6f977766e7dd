"""The class list: reading it, and checking its ids and the accounts they name.

Part of ``setup_course.py`` (see there); it changes nothing on the machine.
"""

from __future__ import annotations

import csv
import grp
import pwd
import re
from dataclasses import dataclass

NAME_RE = re.compile(r"[a-z][a-z0-9_-]{0,30}\Z")
NAME_RULE = (
    "use lowercase letters, digits, '-' and '_', starting with a letter, at most 31 characters"
)
COLUMNS = ("id", "first_name", "last_name", "email")
UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f]")


class SetupError(Exception):
    """Bad input or a machine state the script will not change; the message says what and why."""


@dataclass(frozen=True)
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    where: str = ""  # "FILE line N", for messages


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


def find_user(name: str):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def find_group(name: str):
    try:
        return grp.getgrnam(name)
    except KeyError:
        return None


def account_problems(instructor: str, students: list[Student]) -> list[str]:
    """Why some account cannot be used as it is (system accounts, clashing groups)."""
    limits = _login_defs()
    problems = []
    for name, where in [(instructor, "--instructor")] + [(s.id, s.where) for s in students]:
        user = find_user(name)
        if user is None:
            if find_group(name) is not None:
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
    teacher = find_user(instructor)
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
