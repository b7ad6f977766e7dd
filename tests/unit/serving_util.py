"""Helpers shared by the server tests: small models, registries, raw sockets, metrics."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import skops.io as sio
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
HAM = ["meeting notes for the project review", "dinner with the family on sunday", "your receipt"]
SPAM = ["cheap pills buy now", "win a free prize claim now", "replica watches cheap offer"]


def text_model(seed: int = 0):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(60):
        spam = bool(rng.random() < 0.5)
        texts.append(" ".join(rng.choice(SPAM if spam else HAM, size=2)))
        labels.append(int(spam))
    return make_pipeline(CountVectorizer(), LogisticRegression(C=1.0 + seed)).fit(texts, labels)


def numeric_model(n_features: int = 3):
    X = np.random.default_rng(0).normal(size=(80, n_features))
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, X[:, 0] > 0)


def write_version(registry: Path, version: str, model=None, *, metadata=None, raw: bytes = b""):
    """Write a version by hand, bypassing save_model's checks (what an attacker could do)."""
    folder = Path(registry) / version
    folder.mkdir(parents=True)
    if model is not None:
        sio.dump(model, folder / "model.skops")
    else:
        (folder / "model.skops").write_bytes(raw)
    if metadata is None:
        metadata = {"version": version, "input": {"kind": "text"}}
    text = metadata if isinstance(metadata, (str, bytes)) else json.dumps(metadata)
    (folder / "metadata.json").write_bytes(text.encode() if isinstance(text, str) else text)
    return folder


def copy_registry(src: Path, dst: Path, versions=("v1", "v2")) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for v in versions:
        shutil.copytree(src / v, dst / v)
    return dst


def segfault_model():
    """A model that passes the type audit but whose vocabulary points past the coefficients:
    scikit-learn itself dies with SIGSEGV on it."""
    model = text_model(0)
    model[0].vocabulary_["cheap"] = 10**8
    return model


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def raw_connection(url: str, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(address(url), timeout=timeout)
    return sock


def read_until_closed(sock: socket.socket, limit: float = 20.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    t0 = time.monotonic()
    chunks = []
    sock.settimeout(limit)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    except ConnectionResetError:
        pass
    return b"".join(chunks), time.monotonic() - t0


def samples(text: str) -> dict[str, float]:
    """Prometheus text -> {'name{labels}': value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_for(predicate, timeout: float = 15.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; return it (or fail)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"not true within {timeout} s: {predicate}")
