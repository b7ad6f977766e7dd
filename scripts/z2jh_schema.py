"""Vendor Zero to JupyterHub's values schema for the classroom kit's offline test.

Usage: python scripts/z2jh_schema.py VALUES_SCHEMA_YAML CHART_VERSION COMMIT

VALUES_SCHEMA_YAML is ``jupyterhub/values.schema.yaml`` from a checkout of
jupyterhub/zero-to-jupyterhub-k8s at the chart's release tag. Writes
``classroom/k8s/values.schema.json``: the same schema with its ``description`` texts removed (as
the chart's packaged ``values.schema.json`` is) and a ``$comment`` saying where it came from.
The schema is BSD-3-Clause (Project Jupyter Contributors), see
``classroom/k8s/values.schema.LICENSE``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parents[1] / "classroom" / "k8s" / "values.schema.json"


def strip_descriptions(node: dict) -> None:
    """Remove schema ``description`` keys, but never a configuration key of that name."""
    node.pop("description", None)
    for key in ("properties", "patternProperties", "definitions"):
        for child in (node.get(key) or {}).values():
            if isinstance(child, dict):
                strip_descriptions(child)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            strip_descriptions(node[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for child in node.get(key) or []:
            if isinstance(child, dict):
                strip_descriptions(child)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, version, commit = argv
    schema = yaml.safe_load(Path(source).read_text(encoding="utf-8"))
    strip_descriptions(schema)
    schema = {
        "$comment": (
            f"Zero to JupyterHub (jupyterhub/zero-to-jupyterhub-k8s) chart {version}, commit "
            f"{commit}: jupyterhub/values.schema.yaml without its descriptions. BSD-3-Clause, "
            "Copyright (c) 2017, Project Jupyter Contributors; see values.schema.LICENSE. "
            "Regenerate with scripts/z2jh_schema.py."
        ),
        **schema,
    }
    OUT.write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
