"""The audit of a skops file, before anything in it is loaded: its size and the types it names.

skops stores a model as a zip: ``schema.json`` describes every object and its type, and the
arrays are ``.npy`` members. A member never decompresses to more than the size its directory
entry declares (:mod:`zipfile` stops there and checks the CRC), so the sum of declared sizes
bounds what loading could allocate: a 391 KB file holding a 400 MB array is refused from its
directory alone.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

__all__ = ["MAX_ZIP_MEMBERS", "TRUSTED_TYPES", "AuditError", "audit_file"]

MAX_ZIP_MEMBERS = 1_000_000


class AuditError(ValueError):
    """A file too large, unreadable, or naming untrusted types."""


#: Every type a model file may contain. Audited: these classes only hold arrays and parameters,
#: loading them runs no code chosen by the file, and each estimator has a structural check in
#: :mod:`mlcourse.serving.checks`. Anything else is refused.
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "builtins.bool",
        "builtins.dict",
        "builtins.float",
        "builtins.frozenset",
        "builtins.int",
        "builtins.list",
        "builtins.NoneType",
        "builtins.set",
        "builtins.slice",
        "builtins.str",
        "builtins.tuple",
        "numpy.bool_",
        "numpy.dtype",
        "numpy.float32",
        "numpy.float64",
        "numpy.int32",
        "numpy.int64",
        "numpy.ndarray",
        "numpy.str_",
        "scipy.sparse._csr.csr_matrix",
        "sklearn.dummy.DummyClassifier",
        "sklearn.feature_extraction.text.CountVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.linear_model._stochastic_gradient.SGDClassifier",
        "sklearn.model_selection._classification_threshold.FixedThresholdClassifier",
        "sklearn.naive_bayes.ComplementNB",
        "sklearn.naive_bayes.MultinomialNB",
        "sklearn.pipeline.FeatureUnion",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.MaxAbsScaler",
        "sklearn.preprocessing._data.StandardScaler",
    }
)
# skops node kinds that only rebuild data or the audited classes above (no functions, methods,
# partials or reduce calls).
_TRUSTED_LOADERS = frozenset(
    {
        "DictNode",
        "ListNode",
        "SetNode",
        "TupleNode",
        "JsonNode",
        "TypeNode",
        "NdArrayNode",
        "ObjectNode",
        "SparseMatrixNode",
        "SliceNode",
        "DTypeNode",
    }
)


def audit_file(path: Path, max_bytes: int) -> list[str]:
    """Check a skops file's decompressed size, then list every type its schema names.

    Reads only the zip's central directory and ``schema.json``: a member never decompresses to
    more than the size its directory entry declares (zipfile stops there and checks the CRC),
    so the sum of declared sizes bounds what loading could allocate from the file.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise AuditError(
                    f"{path.name} holds {len(members)} files (at most {MAX_ZIP_MEMBERS})"
                )
            total = sum(m.file_size for m in members)
            if total > max_bytes:
                raise AuditError(
                    f"{path.name} decompresses to {total:,} bytes; the limit is {max_bytes:,} "
                    "(max_model_bytes). Sizes are checked before anything is loaded."
                )
            schema = json.loads(zf.read("schema.json"))
    except AuditError:
        raise
    except (
        zipfile.BadZipFile,
        KeyError,
        OSError,
        UnicodeDecodeError,
        ValueError,
        RecursionError,
    ) as exc:
        raise AuditError(f"{path.name} is not a readable skops file ({exc!r})") from None
    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                loader = node["__loader__"]
                if not isinstance(loader, str) or loader not in _TRUSTED_LOADERS:
                    found.append(f"<skops {loader}>")
                if "__module__" in node and "__class__" in node:
                    found.append(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found
