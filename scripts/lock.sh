#!/usr/bin/env bash
# Regenerate requirements/lock-py*.txt: resolve the ranges in pyproject.toml in a fresh venv for
# each supported Python line and freeze the result. Usage: scripts/lock.sh PYTHON3.10 PYTHON3.11
set -euo pipefail
cd "$(dirname "$0")/.."
for py in "$@"; do
    tag=$("$py" -c 'import sys; print("310" if sys.version_info < (3, 11) else "311")')
    tmp=$(mktemp -d)
    "$py" -m venv "$tmp/venv"
    "$tmp/venv/bin/pip" install -q --upgrade "pip>=23"
    "$tmp/venv/bin/pip" install -q -e ".[course,classroom,test]"
    {
        echo "# Pinned versions for Python 3.${tag#3}. Regenerate with scripts/lock.sh."
        "$tmp/venv/bin/pip" freeze --exclude-editable | grep -viE '^(mlcourse|pip|setuptools)[=@ ]'
    } > "requirements/lock-py$tag.txt"
    rm -rf "$tmp"
done
