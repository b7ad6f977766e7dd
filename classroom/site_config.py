"""The site folder's files: the hub's site file and the Jupyter configuration by role.

Part of ``setup_course.py`` (see there).
"""

from __future__ import annotations

import json
import os

STUDENT_EXTENSIONS_OFF = {  # nbgrader's table for students in a one-grader class
    "server": ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"],
    "lab": [
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:create-assignment",
        "@jupyter/nbgrader:course-list",
    ],
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
