"""Reproduce the pretrained network shipped in ``mlcourse/assets/`` from scratch.

Usage: ``python scripts/pretrain.py [OUTDIR]`` (default: ``mlcourse/assets``). Writes
``pretrained_digits_mlp.skops`` and its model card ``pretrained_digits_mlp.md``.

The source task ("their task" in lesson 4): read the digits 0-4 of scikit-learn's bundled
``load_digits`` (no download) **and say which way up each one is**: upright, turned a quarter
left, upside down, turned a quarter right, mirrored or flipped, so 5 x 6 = 30 classes such as
``"3 upright"`` or ``"3 mirrored"``. Only the source digits 0-4 are used; the lesson's target
digits 5-9 are never seen. 80% of the original images are turned each of the six ways and then
distorted ``N_COPIES`` times, each copy by one of three processes in turn: a rotation-and-shift
jitter (:func:`mlcourse.transfer.jitter_digits`), lesson 3's geometric augmentation
(:func:`mlcourse.augment.affine`: rotation, shift, scale, slant, elastic warp) and another pen
and scanner (:func:`mlcourse.data.make_real_world_digits`). The other 20% (each orientation
distorted once) measure accuracy.

Why this source task: a network trained only to tell five digits apart keeps just the features
that separate those five, and they transfer poorly to other digits. Telling 30 shapes apart
keeps many more stroke and shape features, which is what a new task can reuse (the same reason
networks pretrained on many classes transfer better than ones pretrained on a few). The
distortions make those features robust to how handwriting, pens and scanners vary.

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

from mlcourse import augment  # noqa: E402
from mlcourse.data import make_real_world_digits  # noqa: E402
from mlcourse.transfer import ASSET_NAME, jitter_digits  # noqa: E402

SOURCE_DIGITS = (0, 1, 2, 3, 4)
#: Which way up: each turns a batch of 8x8 images (n, 8, 8).
ORIENTATIONS = {
    "upright": lambda im: im,
    "turned left": lambda im: np.rot90(im, 1, axes=(1, 2)),
    "upside down": lambda im: np.rot90(im, 2, axes=(1, 2)),
    "turned right": lambda im: np.rot90(im, 3, axes=(1, 2)),
    "mirrored": lambda im: im[:, :, ::-1],
    "flipped": lambda im: im[:, ::-1, :],
}
N_COPIES = 40  # distorted copies of each training image in each orientation
MAX_ROTATION = 15.0  # the jitter
MAX_SHIFT = 1.0
GEOMETRY = dict(  # lesson 3's augmentation, a little wider
    angle=(-20, 20),
    shift_x=(-1, 1),
    shift_y=(-1, 1),
    scale=(0.85, 1.15),
    slant=(-0.3, 0.3),
    warp=(0, 0.6),
)
HIDDEN = (64, 64)
EPOCHS = 30
ALPHA = 1e-4
SEED = 0


def distort(images: np.ndarray, copy: int, rng: np.random.RandomState) -> np.ndarray:
    """Copy number ``copy`` of ``images`` (n, 8, 8) in [0, 1]: jitter, geometry or pen, in turn."""
    kind = copy % 3
    if kind == 0:
        return jitter_digits(
            images, max_rotation=MAX_ROTATION, max_shift=MAX_SHIFT, random_state=rng
        )
    if kind == 1:
        return augment.affine(images, random_state=rng, **GEOMETRY)
    return make_real_world_digits(images * 16, random_state=rng) / 16


def source_task(random_state: int = SEED):
    """The source task: (X_train, y_train, X_test, y_test), pixels in [0, 1], 30 classes."""
    digits = load_digits()
    keep = np.isin(digits.target, SOURCE_DIGITS)
    images, labels = digits.images[keep] / 16.0, digits.target[keep]
    img_tr, img_te, y_tr, y_te = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=random_state
    )
    rng = np.random.RandomState(random_state)
    X_tr, Y_tr, X_te, Y_te = [], [], [], []
    for way, turn in ORIENTATIONS.items():
        train, test = np.ascontiguousarray(turn(img_tr)), np.ascontiguousarray(turn(img_te))
        names_tr = np.array([f"{d} {way}" for d in y_tr])
        for copy in range(N_COPIES):
            X_tr.append(distort(train, copy, rng))
            Y_tr.append(names_tr)
        X_te.append(distort(test, len(X_te), rng))
        Y_te.append(np.array([f"{d} {way}" for d in y_te]))
    X_tr, X_te = (np.concatenate(a).reshape(-1, 64) for a in (X_tr, X_te))
    return X_tr, np.concatenate(Y_tr), X_te, np.concatenate(Y_te)


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
        "test_digit_accuracy": float(
            np.mean([p.split()[0] == t.split()[0] for p, t in zip(net.predict(X_te), y_te)])
        ),
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
                f"ReLU hidden layers of 64 units, {len(net.classes_)} outputs) pretrained to "
                "recognise the handwritten digits 0-4 and which way up each one is (upright, "
                "turned left, upside down, turned right, mirrored, flipped): classes such as "
                "'3 upright' or '3 mirrored'. Its hidden layers are meant to be reused for other "
                "8x8 digit tasks (lesson 4 of mlcourse: transfer learning)."
            ),
            "Model description/Intended uses & limitations": (
                "Input: 8x8 grey images, flattened row by row to 64 features, pixels scaled to "
                "[0, 1] (scikit-learn `load_digits` pixels are 0-16: divide by 16). "
                "`mlcourse.transfer` raises a clear error for any other size or scale. "
                "Limits: it has only seen digits 0-4 (in six orientations) from one collection "
                "of handwriting (the UCI optical digits), with rotations up to 20 degrees, shifts "
                "up to 1 pixel, some scaling, slant, wobble, stroke width and blur. It is not "
                "meant for other image sizes, photographs, inverted (dark-on-light) images or "
                "letters, and its outputs are only digits 0-4 and their orientation: replace the "
                "output layer for a new task."
            ),
            "Model description/Training Procedure": (
                f"80% of the {metrics['n_originals']} original images of digits 0-4 in "
                f"`sklearn.datasets.load_digits`, each turned the {len(ORIENTATIONS)} ways and "
                f"distorted {N_COPIES} times, each copy by one of three processes in turn: a "
                f"jitter (rotation uniform in +-{MAX_ROTATION:g} degrees, shift uniform in "
                f"+-{MAX_SHIFT:g} pixels), `mlcourse.augment.affine` ({GEOMETRY}) and "
                "`mlcourse.data.make_real_world_digits` (another pen and scanner): "
                f"{metrics['n_train']} examples. Adam, learning rate 1e-3, "
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
            f"Accuracy on the held-out 20% of the original images, each orientation distorted "
            f"once ({metrics['n_test']} images; a digit counts as right only with its "
            f"orientation). 0 and 1 look much the same mirrored, flipped or upside down, so "
            "that accuracy cannot reach 1; the digit alone, whatever the orientation, is the "
            f"second metric. Training accuracy: {metrics['train_accuracy']:.4f}."
        ),
        **{
            "accuracy (held-out, distorted digits 0-4 and orientation)": round(
                metrics["test_accuracy"], 4
            ),
            "accuracy of the digit alone (held-out)": round(metrics["test_digit_accuracy"], 4),
        },
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
