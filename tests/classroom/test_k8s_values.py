"""The Zero to JupyterHub route, checked without a cluster (none is reachable here).

``classroom/k8s/values.yaml`` must parse, and, merged into the chart's own default values as
``helm`` merges them, validate against the chart's values schema: the chart rejects unknown
keys, so a misspelt key fails here as it would at ``helm install``. The schema and the default
values are those of chart 4.4.0, vendored in ``classroom/k8s/`` (BSD-3-Clause, see
``values.schema.LICENSE``) because the tests run offline. The hub's Python in
``hub.extraConfig`` is run against stand-ins for the spawner. Nothing here shows that the chart
installs, or that the single-user image builds: neither a cluster nor a Docker engine is
available.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from traitlets.config import Config

from tests.classroom.hub import KIT

sys.path.insert(0, str(KIT))
from site_config import jupyter_configs  # noqa: E402 (the kit's own module)

K8S = Path(__file__).resolve().parents[2] / "classroom" / "k8s"
ROOT = K8S.parents[1]
CHART = "4.4.0"
CHART_JUPYTERHUB = "5.5.0"  # the hub image's JupyterHub in that chart (its appVersion)


def _merge(base: dict, override: dict) -> dict:
    """Helm's merge of user values into chart values: maps merge, lists replace, null removes."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads((K8S / "values.schema.json").read_text())


@pytest.fixture(scope="module")
def values() -> dict:
    return yaml.safe_load((K8S / "values.yaml").read_text())


def _errors(schema: dict, values: dict) -> list[str]:
    defaults = yaml.safe_load((K8S / "chart-values.yaml").read_text())
    merged = _merge(defaults, values)
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged)
    ]


def test_vendored_files_are_the_charts(schema):
    assert f"chart {CHART}" in schema["$comment"]
    head = (K8S / "values.yaml").read_text().splitlines()[0]
    assert f"chart {CHART} (JupyterHub {CHART_JUPYTERHUB})" in head
    assert "BSD 3-Clause" in (K8S / "values.schema.LICENSE").read_text()
    jsonschema.Draft7Validator.check_schema(schema)


def test_values_are_valid_for_the_chart(schema, values):
    assert _errors(schema, values) == []


@pytest.mark.parametrize(
    ("path", "key"),
    [
        (("singleuser",), "storag"),  # a typo
        (("singleuser", "storage"), "extraVolume"),
        (("hub",), "extra_config"),
        ((), "singleusr"),
    ],
)
def test_a_misspelt_key_is_refused(schema, values, path, key):
    bad = copy.deepcopy(values)
    node = bad
    for part in path:
        node = node[part]
    node[key] = {}
    errors = _errors(schema, bad)
    assert any(repr(key) in e for e in errors), errors


def test_the_image_is_the_lock_files(values):
    """The single-user image installs this repository's pins, JupyterHub at the chart's."""
    dockerfile = (K8S / "Dockerfile").read_text()
    base = re.search(r"^FROM \S+:python-(3\.\d+)$", dockerfile, re.M)
    assert base, "the base image should name its Python version"
    lock = "lock-py310.txt" if base.group(1) == "3.10" else "lock-py311.txt"
    assert f"-c /tmp/mlcourse/requirements/{lock}" in dockerfile
    assert f"jupyterhub=={CHART_JUPYTERHUB}" in (ROOT / "requirements" / lock).read_text()
    assert "bubblewrap" in dockerfile, "the instructor's autograding needs the sandbox"
    assert "COPY lab /tmp/kit/lab" in dockerfile, "students' settings come from lab/learner/"
    assert values["singleuser"]["image"]["name"].endswith("/mlcourse/singleuser")


def _spawner(user_id: int, groups: list[str]):
    user = SimpleNamespace(
        id=user_id, name=f"u{user_id}", groups=[SimpleNamespace(name=g) for g in groups]
    )
    return SimpleNamespace(user=user, environment={"KEEP": "1"})


def test_each_user_gets_a_uid_and_a_role(values):
    c = Config()
    for name, code in values["hub"]["extraConfig"].items():
        exec(compile(code, f"hub.extraConfig.{name}", "exec"), {"c": c})  # noqa: S102
    hook = c.KubeSpawner.pre_spawn_hook
    ada, alice, bob = _spawner(1, ["formgrade-mlcourse"]), _spawner(2, []), _spawner(3, [])
    for spawner in (ada, alice, bob):
        hook(spawner)
        assert spawner.environment["KEEP"] == "1", "the hook must keep the existing variables"
    uids = {s.environment["NB_UID"] for s in (ada, alice, bob)}
    assert len(uids) == 3, "every user needs a uid of their own"
    assert alice.environment["NB_GID"] == alice.environment["NB_UID"], "and a group of their own"
    assert ada.environment["JUPYTER_CONFIG_PATH"].split(":")[0].endswith("/instructor")
    assert alice.environment["JUPYTER_CONFIG_PATH"].split(":")[0].endswith("/students")
    hook(alice)
    assert alice.environment["NB_UID"] == str(200000 + 2), "the same uid at every start"
    # ...and those folders are the ones the image writes (classroom/site_config.py).
    written = {rel.split("/")[0] for rel in jupyter_configs("mlcourse", "/x", "/y")}
    for spawner in (ada, alice):
        folders = spawner.environment["JUPYTER_CONFIG_PATH"].split(":")
        assert {Path(f).name for f in folders} <= written
        assert all(f.startswith("/etc/mlcourse/jupyter/") for f in folders)
