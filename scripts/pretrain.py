"""Reproduce the pretrained network shipped in ``mlcourse/assets/`` from scratch.

Usage: ``python scripts/pretrain.py [OUTDIR]`` (default: ``mlcourse/assets``). Writes
``pretrained_digits_mlp.skops`` and its model card ``pretrained_digits_mlp.md``.

The source task: digits 0-4 of scikit-learn's bundled ``load_digits`` (no download). 80% of the
original images are each jittered ``N_COPIES`` times (random rotation and shift, see
:func:`mlcourse.transfer.jitter_digits`); the other 20% (jittered once) measure accuracy.
Training runs on one BLAS thread with fixed seeds, so the weights are reproducible bit for bit
on one machine and to within floating-point rounding elsewhere (``tests/unit/test_transfer.py``
checks ``atol=1e-6``).

The file holds only the fitted weights: the Adam optimizer state is deleted before saving
(skops does not trust ``AdamOptimizer``, and a published model does not need it), as are the
random-number generator and the best-weights copies used during training.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlcourse.transfer import ASSET_NAME, jitter_digits  # noqa: E402

SOURCE_DIGITS = (0, 1, 2, 3, 4)
N_COPIES = 25
MAX_ROTATION = 15.0
MAX_SHIFT = 1.0
HIDDEN = (64, 64)
EPOCHS = 30
ALPHA = 1e-4
SEED = 0


def source_task(random_state: int = SEED):
    """The jittered digits 0-4: (X_train, y_train, X_test, y_test), pixels in [0, 1]."""
    digits = load_digits()
    keep = np.isin(digits.target, SOURCE_DIGITS)
    images, labels = digits.images[keep] / 16.0, digits.target[keep]
    img_tr, img_te, y_tr, y_te = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=random_state
    )
    rng = np.random.RandomState(random_state)
    X_tr = np.concatenate(
        [
            jitter_digits(img_tr, max_rotation=MAX_ROTATION, max_shift=MAX_SHIFT, random_state=rng)
            for _ in range(N_COPIES)
        ]
    ).reshape(-1, 64)
    y_tr = np.tile(y_tr, N_COPIES)
    X_te = jitter_digits(
        img_te, max_rotation=MAX_ROTATION, max_shift=MAX_SHIFT, random_state=rng
    ).reshape(-1, 64)
    return X_tr, y_tr, X_te, y_te


def pretrain(random_state: int = SEED) -> tuple[MLPClassifier, dict]:
    """Train the network; return it (without optimizer state) and its metrics."""
    X_tr, y_tr, X_te, y_te = source_task(random_state)
    net = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        activation="relu",
        solver="adam",
        alpha=ALPHA,
        batch_size=128,
        learning_rate_init=1e-3,
        max_iter=EPOCHS,
        tol=0.0,
        n_iter_no_change=EPOCHS + 1,  # always run EPOCHS epochs
        random_state=random_state,
    )
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # A fixed number of epochs is the recipe, so "not converged" is expected here.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        net.fit(X_tr, y_tr)
    for attr in ("_optimizer", "_random_state", "_best_coefs", "_best_intercepts"):
        if hasattr(net, attr):
            delattr(net, attr)
    metrics = {
        "n_originals": int(np.isin(load_digits().target, SOURCE_DIGITS).sum()),
        "n_train": len(X_tr),
        "n_test": len(X_te),
        "train_accuracy": float(accuracy_score(y_tr, net.predict(X_tr))),
        "test_accuracy": float(accuracy_score(y_te, net.predict(X_te))),
    }
    return net, metrics


def write_card(net: MLPClassifier, metrics: dict, model_path: Path) -> Path:
    """Write the skops model card next to the model file; return its path."""
    from skops import card

    model_card = card.Card(net, model_diagram=False, trusted=[])
    model_card.add(
        **{
            "Model description": (
                "A small multilayer perceptron (scikit-learn `MLPClassifier`: 64 inputs, two "
                "ReLU hidden layers of 64 units, 5 outputs) pretrained to recognise the "
                "handwritten digits 0-4. Its hidden layers are meant "
                "to be reused for other 8x8 digit tasks (lesson 4 of mlcourse: transfer learning)."
            ),
            "Model description/Intended uses & limitations": (
                "Input: 8x8 grey images, flattened row by row to 64 features, pixels scaled to "
                "[0, 1] (scikit-learn `load_digits` pixels are 0-16: divide by 16). "
                "`mlcourse.transfer` raises a clear error for any other size or scale. "
                "Limits: it has only seen digits 0-4, small rotations (up to 15 degrees) and "
                "shifts (up to 1 pixel) of one collection of handwriting (the UCI optical "
                "digits). It is not meant for other image sizes, photographs, inverted "
                "(dark-on-light) images or letters, and its 5 outputs are only digits 0-4: "
                "replace the output layer for a new task."
            ),
            "Model description/Training Procedure": (
                f"80% of the {metrics['n_originals']} original images of digits 0-4 in "
                f"`sklearn.datasets.load_digits`, each jittered {N_COPIES} times (rotation "
                f"uniform in +-{MAX_ROTATION:g} degrees, shift uniform in +-{MAX_SHIFT:g} "
                f"pixels, bilinear): {metrics['n_train']} examples. Adam, learning rate 1e-3, "
                f"batch 128, L2 alpha 1e-4, {EPOCHS} epochs, seed {SEED}, one BLAS thread. "
                "Reproduce with `python scripts/pretrain.py`."
            ),
            "Model description/Security": (
                "Saved with skops. The Adam optimizer state was removed before saving (skops does "
                "not trust `AdamOptimizer`, and inference does not need it), so the file loads "
                "with skops' default trusted types only: "
                "`skops.io.load(path, trusted=[])` or `mlcourse.transfer.load_pretrained()`."
            ),
        }
    )
    model_card.add_metrics(
        description=(
            f"Accuracy on the held-out 20% of the original images, each jittered once "
            f"({metrics['n_test']} images). Training accuracy: {metrics['train_accuracy']:.4f}."
        ),
        **{"accuracy (held-out, jittered digits 0-4)": round(metrics["test_accuracy"], 4)},
    )
    model_card.delete("Model description/Training Procedure/Model Plot")
    model_card.add(
        **{
            "How to Get Started with the Model": (
                "```python\n"
                "from mlcourse.transfer import load_pretrained, PretrainedFeatures\n"
                "net = load_pretrained()  # X: (n, 64) in [0, 1]\n"
                "features = PretrainedFeatures(net).fit(X).transform(X)\n"
                "```"
            ),
            "Model Card Authors": "The mlcourse maintainers (`scripts/pretrain.py`).",
            "Model Card Contact": "Open an issue in the mlcourse repository.",
            "Citation": (
                "Data: E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten Digits, "
                "UCI Machine Learning Repository, 1998 (bundled with scikit-learn as "
                "`load_digits`)."
            ),
        }
    )
    card_path = model_path.with_suffix(".md")
    model_card.save(card_path)
    return card_path


def main(outdir: Path = ROOT / "mlcourse" / "assets") -> Path:
    import skops.io as sio

    outdir.mkdir(parents=True, exist_ok=True)
    net, metrics = pretrain()
    path = outdir / ASSET_NAME
    sio.dump(net, path)
    write_card(net, metrics, path)
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} kB): {metrics}")
    return path


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "mlcourse" / "assets")
