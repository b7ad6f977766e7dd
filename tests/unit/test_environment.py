"""The start page's environment check says plainly what differs from the lock, and how to fix it."""

from importlib.metadata import version

from mlcourse.environment import KEY_LIBRARIES, check_environment, lock_path, read_lock


def _lock(tmp_path, **changes):
    pins = {name: version(name) for name in KEY_LIBRARIES if name not in {"nbgrader"}}
    pins.update(changes)
    path = tmp_path / "lock.txt"
    path.write_text("# header\n" + "".join(f"{k}=={v}\n" for k, v in pins.items()))
    return path


def test_the_course_venv_matches_its_own_lock():
    report = check_environment()
    assert report.lock == lock_path()
    assert report.ok, report.message


def test_a_different_version_is_named_with_the_fix(tmp_path):
    report = check_environment(_lock(tmp_path, **{"scikit-learn": "1.0.0"}))
    assert not report.ok
    assert "scikit-learn" in report.message and "(course: 1.0.0)" in report.message
    assert "make lab" in report.message
    row = report.table.set_index("library").loc["scikit-learn"]
    assert row["status"] == "differs" and row["locked"] == "1.0.0"


def test_the_grading_tools_do_not_count_against_a_learner(tmp_path):
    report = check_environment(_lock(tmp_path, nbgrader="0.0.1"))
    assert report.ok, report.message
    assert "lessons don't use them" in report.message


def test_no_lock_file_says_so(tmp_path):
    report = check_environment(tmp_path / "absent.txt")
    assert report.lock is None and "No lock file" in report.message and "make lab" in str(report)


def test_read_lock_normalises_names_and_skips_comments(tmp_path):
    path = tmp_path / "l.txt"
    path.write_text("# c\nScikit_Learn==1.2.3\nuvloop==0.1; sys_platform != 'win32'\n\n")
    assert read_lock(path) == {"scikit-learn": "1.2.3", "uvloop": "0.1"}
