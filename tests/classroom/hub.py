"""A real classroom for tests: Unix users, ``classroom/setup_course.py``, JupyterHub on loopback.

:class:`Classroom` creates an instructor and students (real Unix users with random names and
passwords) with the kit's own setup script, starts JupyterHub with the kit's
``jupyterhub_config.py`` on free 127.0.0.1 ports, and undoes all of it afterwards: it stops the
hub by its PID (the hub stops the proxy and every user's server), kills by PID any process the
test users still own, removes the users and the groups it created and deletes its folder.
:class:`HubUser` is one user's session: logged in through the hub's login form (PAM), then an API
token of their own for the hub's REST API and their own server.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.classroom.view import view_command
from tests.ui.lab import free_port

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "classroom"
COURSE = "mlcourse"
GROUPS = (f"nbgrader-{COURSE}", f"formgrade-{COURSE}")
SERVER_TIMEOUT = 120


@dataclass
class Person:
    name: str
    password: str
    first_name: str
    last_name: str


@dataclass
class Classroom:
    """One course on this machine, for one test module; see the module docstring."""

    base: Path
    instructor: Person
    students: list[Person]
    port: int = 0
    proc: subprocess.Popen | None = None  # what was started (bwrap, or the hub itself)
    hub_pid: int | None = None
    groups_made: list[str] = field(default_factory=list)
    users_made: list[str] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ paths

    @property
    def site(self) -> Path:
        return self.base / "site"

    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    @property
    def homes(self) -> Path:
        return self.base / "home"

    @property
    def class_list(self) -> Path:
        return self.base / "class_list.csv"

    @property
    def course_dir(self) -> Path:
        return self.homes / self.instructor.name / "courses" / COURSE

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def home(self, person: Person) -> Path:
        return self.homes / person.name

    # ------------------------------------------------------------ set-up

    @classmethod
    def create(cls, n_students: int = 3) -> Classroom:
        tag = secrets.token_hex(3)
        base = Path(tempfile.mkdtemp(prefix="mlcourse-classroom-", dir="/tmp"))
        os.chmod(base, 0o755)  # users' homes and the exchange live below it

        def person(name, first, last):
            return Person(name, secrets.token_urlsafe(12), first, last)

        room = cls(
            base=base,
            port=free_port(),
            instructor=person(f"mlc{tag}t", "Tess", "Teacher"),
            students=[person(f"mlc{tag}s{i}", f"Stu{i}", "Dent") for i in range(1, n_students + 1)],
        )
        room.homes.mkdir()
        rows = ["id,first_name,last_name,email"]
        rows += [
            f"{s.name},{s.first_name},{s.last_name},{s.name}@example.edu" for s in room.students
        ]
        room.class_list.write_text("\n".join(rows) + "\n")
        return room

    def setup_command(self, *extra: str, class_list: Path | None = None) -> list[str]:
        return view_command(
            [
                sys.executable,
                str(KIT / "setup_course.py"),
                str(class_list or self.class_list),
                "--instructor",
                self.instructor.name,
                "--site",
                str(self.site),
                "--exchange",
                str(self.exchange),
                "--home-base",
                str(self.homes),
                "--bind-url",
                self.url,
                *extra,
            ]
        )

    def run_setup(self, *extra: str, class_list: Path | None = None) -> subprocess.CompletedProcess:
        before = {g for g in GROUPS if _group_exists(g)}
        users_before = {p.name for p in self.people if _user_exists(p.name)}
        proc = subprocess.run(
            self.setup_command(*extra, class_list=class_list),
            capture_output=True,
            text=True,
            timeout=300,
        )
        self.groups_made += [g for g in GROUPS if _group_exists(g) and g not in before]
        self.users_made += [
            p.name for p in self.people if _user_exists(p.name) and p.name not in users_before
        ]
        return proc

    @property
    def people(self) -> list[Person]:
        return [self.instructor, *self.students]

    def set_passwords(self) -> None:
        text = "".join(f"{p.name}:{p.password}\n" for p in self.people)
        subprocess.run(["chpasswd"], input=text, text=True, check=True, timeout=60)

    def start_hub(self, timeout_s: float = 90) -> None:
        env = dict(os.environ)
        env["MLCOURSE_CLASSROOM"] = str(self.site / "classroom.json")
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        cmd = [
            sys.executable,
            "-m",
            "jupyterhub",
            "-f",
            str(KIT / "jupyterhub_config.py"),
            f"--JupyterHub.hub_bind_url=http://127.0.0.1:{free_port()}",
            f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{free_port()}",
        ]
        log = open(self.base / "hub.log", "wb")  # noqa: SIM115 (open while the hub runs)
        self.proc = subprocess.Popen(
            view_command(cmd), env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.base
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/hub/api", timeout=2).status_code == 200:
                    self.hub_pid = self._find_hub_pid()
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer in {timeout_s} s:\n{self.log_tail()}")

    def _find_hub_pid(self) -> int:
        """The hub's own PID: the process started, or its child when bwrap wraps it."""
        proc = psutil.Process(self.proc.pid)
        for child in [proc, *proc.children(recursive=True)]:
            if "jupyterhub" in " ".join(child.cmdline()) and child.name() != "bwrap":
                return child.pid
        return proc.pid

    def log_tail(self, n: int = 4000) -> str:
        try:
            return (self.base / "hub.log").read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # ------------------------------------------------------------ tear-down

    def stop(self) -> None:
        """Stop the hub, kill what the test users still run, remove users, groups, folders."""
        if self.proc is not None and self.proc.poll() is None:
            pid = self.hub_pid or self.proc.pid
            _signal(pid, signal.SIGTERM)  # the hub stops the proxy and the users' servers
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _signal(pid, signal.SIGKILL)
                _signal(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        uids = {pwd.getpwnam(n).pw_uid for n in self.users_made if _user_exists(n)}
        for proc in psutil.process_iter(["pid", "uids", "name"]):
            try:
                if proc.info["uids"] and proc.info["uids"].real in uids:
                    self.killed.append(f"{proc.info['pid']} {proc.info['name']}")
                    proc.kill()  # by PID
                    proc.wait(timeout=10)
            except (psutil.NoSuchProcess, psutil.TimeoutExpired):
                pass
        for name in self.users_made:
            subprocess.run(["userdel", "--remove", name], capture_output=True, timeout=60)
        for group in self.groups_made:
            subprocess.run(["groupdel", group], capture_output=True, timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    # ------------------------------------------------------------ acting as a user

    def login(self, person: Person) -> HubUser:
        return HubUser(self, person)

    def as_user(self, person: Person, func, *args):
        """Run ``func(*args)`` in a child process with ``person``'s uid and groups only."""
        user = pwd.getpwnam(person.name)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: drop to the user for good, run, report, exit
            try:
                os.close(read)
                os.setgroups(os.getgrouplist(person.name, user.pw_gid))
                os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
                os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
                result = {"ok": func(*args)}
            except BaseException as exc:  # noqa: BLE001 (reported to the parent)
                result = {"error": repr(exc)}
            with os.fdopen(write, "w") as fh:
                json.dump(result, fh)
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as fh:
            text = fh.read()
        os.waitpid(pid, 0)
        result = json.loads(text)
        if "error" in result:
            raise RuntimeError(f"as {person.name}: {result['error']}")
        return result["ok"]


class HubUser:
    """One user's session: login through the form (PAM), then their own API token."""

    def __init__(self, room: Classroom, person: Person):
        self.room, self.person, self.name = room, person, person.name
        web = httpx.Client(base_url=room.url, follow_redirects=True, timeout=60)
        web.get("/hub/login")
        form = {"username": person.name, "password": person.password}
        form["_xsrf"] = web.cookies.get("_xsrf", path="/hub/")
        # Logging in starts the user's server (JupyterHub's default).
        resp = web.post("/hub/login", data=form, follow_redirects=False)
        if resp.status_code != 302:
            raise RuntimeError(
                f"login as {person.name} failed: {resp.status_code} {resp.text[:500]}"
            )
        resp = web.post(
            f"/hub/api/users/{person.name}/tokens",
            json={"note": "classroom test", "expires_in": 3600},
            headers={"X-XSRFToken": web.cookies.get("_xsrf", path="/hub/")},
        )
        resp.raise_for_status()
        self.token = resp.json()["token"]
        web.close()
        self.api = httpx.Client(
            base_url=room.url, headers={"Authorization": f"token {self.token}"}, timeout=600
        )

    def start_server(self) -> float:
        """Start this user's server (if it is not running) and wait until it answers."""
        start = time.monotonic()
        resp = self.api.post(f"/hub/api/users/{self.name}/server")
        if resp.status_code not in (201, 202, 400):  # 400: already running
            raise RuntimeError(f"spawn {self.name}: {resp.status_code} {resp.text[:500]}")
        while time.monotonic() - start < SERVER_TIMEOUT:
            model = self.api.get(f"/hub/api/users/{self.name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                return time.monotonic() - start
            time.sleep(0.3)
        raise RuntimeError(f"{self.name}'s server not ready after {SERVER_TIMEOUT} s")

    def server(self, method: str, path: str, **kw) -> httpx.Response:
        return self.api.request(method, f"/user/{self.name}/{path.lstrip('/')}", **kw)

    def nbgrader(self, action: str, assignment: str) -> dict:
        """A student's Assignments-panel action (fetch, submit, fetch_feedback)."""
        resp = self.server(
            "POST",
            f"assignments/{action}",
            data={"course_id": COURSE, "assignment_id": assignment},
        )
        resp.raise_for_status()
        return resp.json()

    def formgrader(self, path: str) -> dict:
        """POST to the formgrader's API in this (the instructor's) own server."""
        resp = self.server("POST", f"formgrader/api/{path}")
        resp.raise_for_status()
        return resp.json()


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False
