"""Download and extraction helpers for :mod:`mlcourse.data.fetch`: resumable, checked, safe."""

from __future__ import annotations

import base64
import hashlib
import http.client
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from pathlib import Path

_MAX_BYTES = 1 << 30  # no archive of this corpus comes near: a guard against archive bombs
_MAX_FILES = 100_000


class DownloadError(OSError):
    """The corpus could not be downloaded: offline, an HTTP error, cut short, bad checksum."""


class Unreachable(DownloadError):
    """No connection to the server at all (offline, DNS, refused)."""


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_url(url: str, part: Path, *, timeout: float, retries: int, log) -> None:
    """Download ``url`` into ``part``, resuming what is already there with HTTP ``Range``."""
    for attempt in range(retries + 1):
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": "mlcourse"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            response = urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=timeout
            )
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and have:  # nothing left to send: the file is complete
                return
            raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise Unreachable(f"could not reach {url} ({getattr(exc, 'reason', exc)})") from exc
        with response:
            start = 0
            if have and response.status == 206:
                if not response.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
                    part.unlink()  # not the range asked for: start again from the beginning
                    error = "the server answered with another range"
                    continue
                start = have
            length = response.headers.get("Content-Length", "")
            expected = int(length) if length.isdigit() else None
            written = 0
            try:
                with open(part, "r+b" if start else "wb") as fh:
                    fh.seek(start)
                    fh.truncate()
                    while block := response.read(1 << 16):
                        fh.write(block)
                        written += len(block)
            except (OSError, http.client.HTTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
            else:
                if expected is None or written >= expected:
                    return
                error = f"connection closed after {written:,} of {expected:,} bytes"
        if attempt < retries:
            size = part.stat().st_size if part.exists() else 0
            log(f"  interrupted ({error}); resuming from byte {size:,}")
    size = part.stat().st_size if part.exists() else 0
    raise DownloadError(
        f"the download of {url} was interrupted {retries + 1} times ({error}); {size:,} "
        f"bytes are kept in {part}, and the next try resumes from there"
    )


def safe_members(tar: tarfile.TarFile, name: str):
    """The archive's regular files with their path parts; refuse anything that could escape."""
    count = total = 0
    for member in tar:
        parts = [p for p in member.name.replace("\\", "/").split("/") if p not in ("", ".")]
        if member.name.startswith(("/", "\\")) or ".." in parts or "\0" in member.name:
            raise DownloadError(f"{name}: refusing the unsafe path {member.name!r}")
        if member.isdir():
            continue
        if not member.isreg():  # symbolic and hard links, devices, FIFOs
            raise DownloadError(f"{name}: refusing {member.name!r}, which is not a regular file")
        count, total = count + 1, total + member.size
        if count > _MAX_FILES or total > _MAX_BYTES:
            raise DownloadError(f"{name}: more files or bytes than this corpus has; refused")
        yield member, parts


def extract(tarball: Path, dest: Path, select: Callable[[list[str]], list[str] | None]) -> None:
    """Extract the files that ``select`` maps to a relative path, into the new folder ``dest``.

    Everything goes to a temporary folder first and is moved into place only once the whole
    archive has been read, so a truncated or refused archive leaves nothing behind.
    """
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with tarfile.open(tarball, "r:*") as tar:
            for member, parts in safe_members(tar, tarball.name):
                rel = select(parts)
                if rel is None:
                    continue
                target = tmp.joinpath(*rel)
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                with source, open(target, "xb") as fh:
                    shutil.copyfileobj(source, fh)
        if not any(tmp.iterdir()):
            raise DownloadError(f"{tarball.name}: no corpus files in the archive")
        tmp.rename(dest)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise DownloadError(f"{tarball.name} is truncated or not a valid archive ({exc})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def integrity(path: Path) -> str:
    """A file's hash as npm's ``integrity`` field writes it (``sha512-`` and base64)."""
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()
