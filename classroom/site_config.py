"""The site folder's files: the hub's site file and the Jupyter configuration by role.

Part of ``setup_course.py`` (see there). Run on its own, it writes only the Jupyter
configuration, for a single-user image (``k8s/Dockerfile``)::

    python classroom/site_config.py /etc/mlcourse/jupyter \\
        --course-dir /home/jovyan/courses/mlcourse --exchange /srv/nbgrader/exchange
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# A student's Jupyter is a learner's Lab: the same settings as `make lab` (lab/learner/, one
# source): of nbgrader only the Assignments panel and Validate, and no news prompt.
LEARNER = Path(__file__).resolve().parents[1] / "lab" / "learner"


def _learner_settings() -> dict[str, list[str]]:
    """The server extensions and Lab plugins that lab/learner/ switches off."""
    server = json.loads((LEARNER / "jupyter_server_config.json").read_text())
    lab = json.loads((LEARNER / "labconfig" / "page_config.json").read_text())
    extensions = server["ServerApp"]["jpserver_extensions"]
    return {
        "server": sorted(name for name, on in extensions.items() if on is False),
        "lab": sorted(name for name, off in lab["disabledExtensions"].items() if off is True),
    }


STUDENT_EXTENSIONS_OFF = _learner_settings()
ROLES = {"common": "common", "student": "students", "instructor": "instructor"}  # -> folder
GENERATED = (
    "# Written by the classroom kit (classroom/site_config.py); running it again rewrites this.\n"
)


def _json(value) -> str:
    return json.dumps(value, indent=2) + "\n"


def jupyter_configs(course_id: str, exchange: str, course_dir: str) -> dict[str, str]:
    """The Jupyter configuration of each role, by path relative to the configuration folder.

    A server's ``JUPYTER_CONFIG_PATH`` is its role's folder, then ``common``.
    """
    common = (
        GENERATED + "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {exchange!r}\n"
        "# Submissions that only their student and the instructor can open (see that module).\n"
        'c.ExchangeFactory.submit = "mlcourse.grading.exchange.ExchangeSubmit"\n'
    )
    instructor = (
        GENERATED + "c = get_config()  # noqa: F821\n"
        "# nbgrader's one class, one grader: the formgrader runs in the instructor's own server.\n"
        f"c.CourseDirectory.root = {course_dir!r}\n"
    )
    server_off = {name: False for name in STUDENT_EXTENSIONS_OFF["server"]}
    lab_off = {name: True for name in STUDENT_EXTENSIONS_OFF["lab"]}
    return {
        "common/nbgrader_config.py": common,
        "instructor/nbgrader_config.py": instructor,
        "students/jupyter_server_config.json": _json(
            {"ServerApp": {"jpserver_extensions": server_off}}
        ),
        "students/labconfig/page_config.json": _json({"disabledExtensions": lab_off}),
    }


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
        "ssl_cert": getattr(args, "ssl_cert", None),
        "ssl_key": getattr(args, "ssl_key", None),
        "state_dir": os.path.join(args.site, "hub"),
        # Jupyter configuration folders by role (JUPYTER_CONFIG_PATH, before "common")
        "config": {role: os.path.join(etc, folder) for role, folder in ROLES.items()},
    }
    files = {"classroom.json": _json(classroom)}
    for rel, text in jupyter_configs(course_id, args.exchange, course_dir).items():
        files[f"etc/{rel}"] = text
    return files


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="Write the course's Jupyter configuration by role.")
    p.add_argument("folder", help="where to write common/, students/ and instructor/")
    p.add_argument("--course-id", default="mlcourse")
    p.add_argument("--course-dir", required=True, help="the instructor's course folder")
    p.add_argument("--exchange", required=True, help="nbgrader's exchange folder")
    args = p.parse_args(argv)
    for rel, text in jupyter_configs(args.course_id, args.exchange, args.course_dir).items():
        path = os.path.join(args.folder, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
