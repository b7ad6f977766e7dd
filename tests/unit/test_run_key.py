"""The cache key of an executed lesson (``scripts/site.py run_key``) sees what a run reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _site(root: Path):
    spec = importlib.util.spec_from_file_location("site_under_test", ROOT / "scripts" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ROOT = root
    return module


def test_the_key_changes_with_the_code_the_style_and_the_assets(tmp_path):
    (tmp_path / "mlcourse" / "assets").mkdir(parents=True)
    (tmp_path / "mlcourse" / "__pycache__").mkdir()
    code, style = tmp_path / "mlcourse" / "plots.py", tmp_path / "mlcourse" / "course.mplstyle"
    asset = tmp_path / "mlcourse" / "assets" / "tags.csv"
    for path in (code, style, asset):
        path.write_text("a")
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text("{}")
    site = _site(tmp_path)
    keys = {site.run_key(notebook)}
    for path in (code, style, asset, notebook):
        path.write_text("b")
        keys.add(site.run_key(notebook))
    assert len(keys) == 5, "a change to the code, the figure style or an asset must re-run"
    (tmp_path / "mlcourse" / "__pycache__" / "plots.cpython-311.pyc").write_bytes(b"\0")
    assert site.run_key(notebook) in keys, "bytecode caches are not part of the key"
