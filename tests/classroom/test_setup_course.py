"""``classroom/setup_course.py`` refuses bad class lists, saying which line and why.

These run anywhere: a refused class list stops the script before it checks for root or
changes anything. (Set-up itself, and running it twice, is tested on a real machine in
``test_round.py``.)
"""

from __future__ import annotations

import pwd
import subprocess
import sys

import pytest

from tests.classroom.hub import KIT

sys.path.insert(0, str(KIT))
from class_list import parse_class_list  # noqa: E402 (the kit's own module)

GOOD = "id,first_name,last_name,email\nana,Ana,Lima,ana@example.edu\n"


def _write(tmp_path, text: str):
    path = tmp_path / "class_list.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _setup(tmp_path, csv_path, *extra):
    return subprocess.run(
        [
            sys.executable,
            str(KIT / "setup_course.py"),
            str(csv_path),
            "--instructor",
            "teachr",
            "--site",
            str(tmp_path / "site"),
            "--exchange",
            str(tmp_path / "exchange"),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Ana", "'Ana' is not a safe user name"),
        ("ana lima", "'ana lima' is not a safe user name"),
        ("1ana", "'1ana' is not a safe user name"),
        ("../etc", "'../etc' is not a safe user name"),
        ("ana+x", "'ana+x' is not a safe user name"),
        ("a" * 32, "is not a safe user name"),
        ("teachr", "'teachr' is the instructor, not a student"),
        ("", "no id"),
    ],
)
def test_unsafe_ids_are_refused_with_their_line(tmp_path, row, message):
    path = _write(tmp_path, GOOD + f"{row},X,Y,\n")
    students, problems = parse_class_list(str(path), "teachr")
    assert [s.id for s in students] == ["ana"]
    assert len(problems) == 1 and "line 3" in problems[0] and message in problems[0], problems


def test_duplicates_and_bad_columns_are_all_reported(tmp_path):
    path = _write(tmp_path, "id,first_name,nickname\nbo,B,x\nana,A,y\nbo,Bo,z\n")
    _, problems = parse_class_list(str(path), "teachr")
    text = "\n".join(problems)
    assert "line 1: unknown column 'nickname'" in text
    assert "line 4: duplicate id 'bo' (first on line 2)" in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the class list is empty"),
        ("name,email\nana,a@x\n", "with 'id' among them"),
        ("id\n\n\n", "no students in the class list"),
        ("id,first_name\nana,Ana\x07\n", "first_name has control characters"),
    ],
)
def test_unusable_files_are_refused(tmp_path, text, message):
    _, problems = parse_class_list(str(_write(tmp_path, text)), "teachr")
    assert any(message in p for p in problems), problems


def test_the_script_refuses_before_changing_anything(tmp_path):
    """Exit 2, every problem named with its line, no user created, no folder written."""
    path = _write(tmp_path, GOOD + "bo,B,,\nBo Smith,B,,\nbo,again,,\nroot,R,,\n")
    existed = {name for name in ("ana", "bo") if _exists(name)}
    proc = _setup(tmp_path, path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    err = proc.stderr
    assert "nothing was changed" in err
    assert "line 4: 'Bo Smith' is not a safe user name" in err
    assert "line 5: duplicate id 'bo' (first on line 3)" in err
    assert "line 6: 'root' is a system account (uid 0)" in err
    assert "Traceback" not in err
    assert not (tmp_path / "site").exists() and not (tmp_path / "exchange").exists()
    assert {name for name in ("ana", "bo") if _exists(name)} == existed


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def test_the_script_checks_its_options(tmp_path):
    proc = _setup(tmp_path, _write(tmp_path, GOOD), "--home-base", "relative/homes")
    assert proc.returncode == 2 and "--home-base must be an absolute path" in proc.stderr
    proc = _setup(tmp_path, tmp_path / "missing.csv")
    assert proc.returncode == 2 and "cannot read the class list" in proc.stderr
    proc = _setup(tmp_path, _write(tmp_path, GOOD), "--ssl-cert", "/etc/ssl/hub.pem")
    assert proc.returncode == 2 and "--ssl-cert and --ssl-key go together" in proc.stderr
    proc = _setup(tmp_path, _write(tmp_path, GOOD), "--ssl-cert", "hub.pem", "--ssl-key", "/k")
    assert proc.returncode == 2 and "--ssl-cert must be an absolute path" in proc.stderr
