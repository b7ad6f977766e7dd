"""JupyterHub for one course on one machine: real Unix users, PAM login, nbgrader's exchange.

Start it as root, from the course's Python environment, after ``setup_course.py``::

    MLCOURSE_CLASSROOM=/srv/mlcourse/classroom.json \\
        /opt/mlcourse/env/bin/jupyterhub -f classroom/jupyterhub_config.py

Everything specific to the machine (course, instructor, groups, folders, address) comes from the
site file that ``setup_course.py`` writes (``$MLCOURSE_CLASSROOM``, by default
``/srv/mlcourse/classroom.json``). See classroom/README.md.

- **Login:** ``PAMAuthenticator``, the machine's own accounts and passwords; only members of the
  course's two groups (``nbgrader-<course>`` for students, ``formgrade-<course>`` for the
  instructor) may log in. Nobody is a hub admin: an admin could open every student's server.
- **Servers:** ``LocalProcessSpawner`` starts each user's JupyterLab as that Unix user, from the
  same Python environment as the hub, in their home folder.
- **Proxy:** configurable-http-proxy from npm, pinned in ``classroom/package-lock.json``
  (``npm ci --prefix classroom``): the reference proxy that JupyterHub is developed against and
  that Zero to JupyterHub runs (the same version as its chart), and the one that can serve TLS
  itself (``ssl_cert``/``ssl_key`` below).
- **Grading:** nbgrader's "one class, one grader" setup: the formgrader runs in the
  instructor's own server (their Jupyter configuration points nbgrader at the course folder);
  students' servers have the instructor tools switched off (nbgrader's extension table).
"""

import json
import os
import sys

c = get_config()  # noqa: F821 (injected by traitlets)

SITE_FILE = os.environ.get("MLCOURSE_CLASSROOM", "/srv/mlcourse/classroom.json")
with open(SITE_FILE, encoding="utf-8") as fh:
    site = json.load(fh)
HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- the hub and its proxy
c.JupyterHub.bind_url = site["bind_url"]
if site.get("ssl_cert") and site.get("ssl_key"):
    c.JupyterHub.ssl_cert = site["ssl_cert"]
    c.JupyterHub.ssl_key = site["ssl_key"]
state = site["state_dir"]  # root only (0700)
c.JupyterHub.db_url = "sqlite:///" + os.path.join(state, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(state, "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = os.path.join(state, "proxy.pid")
_chp = os.path.join(HERE, "node_modules", ".bin", "configurable-http-proxy")
if os.path.exists(_chp):
    c.ConfigurableHTTPProxy.command = [_chp]
# When the hub stops, so do the proxy and every user's server.
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# ---------------------------------------------------------------- who may log in
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {site["students_group"], site["instructors_group"]}
c.Authenticator.admin_users = set()

# ---------------------------------------------------------------- each user's server
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [os.path.join(sys.prefix, "bin", "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
# A 2-core machine starting many servers at once (the start of a lab session) is slow.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 90


def _role(spawner) -> str:
    name = spawner.user.name
    if name == site["instructor"]:
        return "instructor"
    import grp

    try:
        if name in grp.getgrnam(site["students_group"]).gr_mem:
            return "student"
    except KeyError:
        pass
    raise RuntimeError(f"{name} is neither the instructor nor a student of {site['course_id']}")


def pre_spawn_hook(spawner):
    """Give the server its role's Jupyter configuration, before the course-wide one."""
    config = site["config"]
    path = os.pathsep.join([config[_role(spawner)], config["common"]])
    spawner.environment = {**spawner.environment, "JUPYTER_CONFIG_PATH": path}


c.Spawner.pre_spawn_hook = pre_spawn_hook
