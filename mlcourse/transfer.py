"""Transfer learning with a small pretrained network shipped in the package (lesson 4).

The network is a scikit-learn :class:`~sklearn.neural_network.MLPClassifier` pretrained on a
large source task built from bundled data: digits 0-4 of :func:`sklearn.datasets.load_digits`
*and which way up each one is* (upright, turned left, upside down, turned right, mirrored,
flipped: 30 classes such as ``"3 mirrored"``), each image distorted many times over (jitter,
:mod:`mlcourse.augment`, another pen and scanner). It is stored with skops next to a model card
(``mlcourse/assets/pretrained_digits_mlp.md``) and reproduced from scratch by
``scripts/pretrain.py``.

Input format (the same as in pretraining): 8x8 grey images flattened to 64 features, scaled to
``[0, 1]`` (``load_digits`` pixels are 0-16, so divide by 16).

=====================================  =====================================================
:func:`load_pretrained`                the shipped network, loaded with audited types only
:class:`PretrainedFeatures`            frozen hidden layers as a transformer (option 1)
:class:`FineTunedClassifier`           all layers trained from the pretrained ones (option 2)
:func:`check_pretrained_input`         clear errors for the wrong size or scale
:func:`jitter_digits`                  seeded rotation/shift jitter of 8x8 images
:func:`load_distorted_digits`          jittered digits of chosen classes, scaled to [0, 1]
=====================================  =====================================================
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
from scipy import ndimage
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.neural_network import MLPClassifier
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "ASSET_NAME",
    "IMAGE_SHAPE",
    "TRUSTED_TYPES",
    "FineTunedClassifier",
    "PretrainedFeatures",
    "check_pretrained_input",
    "jitter_digits",
    "load_distorted_digits",
    "load_pretrained",
    "pretrained_path",
]

ASSET_NAME = "pretrained_digits_mlp.skops"
IMAGE_SHAPE = (8, 8)
N_FEATURES = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]

#: The only types the shipped file may contain that skops does not trust by default. The file
#: holds a fitted MLPClassifier *without* its optimizer state (skops does not trust
#: ``AdamOptimizer``): only weights, biases, the label binarizer and plain numbers.
TRUSTED_TYPES: tuple[str, ...] = ()

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0.0),
    "tanh": np.tanh,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "identity": lambda z: z,
}


def pretrained_path() -> Path:
    """Path of the shipped pretrained network (a ``.skops`` file inside the package).

    Examples
    --------
    >>> from mlcourse.transfer import pretrained_path
    >>> pretrained_path().name
    'pretrained_digits_mlp.skops'
    """
    return Path(str(resources.files("mlcourse") / "assets" / ASSET_NAME))


def load_pretrained(path: str | Path | None = None) -> MLPClassifier:
    """Load the shipped pretrained digits network, trusting only audited types.

    Parameters
    ----------
    path : str or Path, optional
        A ``.skops`` file; by default the network shipped with mlcourse.

    Returns
    -------
    MLPClassifier
        Fitted on digits 0-4 in six orientations: 64 inputs in ``[0, 1]``, hidden layers,
        30 outputs, one per digit and orientation.

    Examples
    --------
    >>> from mlcourse.transfer import load_pretrained
    >>> net = load_pretrained()
    >>> net.n_features_in_, len(net.classes_), net.classes_[:2].tolist()
    (64, 30, ['0 flipped', '0 mirrored'])
    """
    import skops.io as sio

    path = pretrained_path() if path is None else Path(path)
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unexpected:
        raise ValueError(
            f"{path} contains types that were not audited: {unexpected}. Refusing to load it."
        )
    return sio.load(path, trusted=list(TRUSTED_TYPES))


def check_pretrained_input(X, *, n_features: int = N_FEATURES) -> np.ndarray:
    """Check that ``X`` looks like what the network was pretrained on; return it as floats.

    Parameters
    ----------
    X : array-like of shape (n_samples, 64)
        Flattened 8x8 images with pixels scaled to ``[0, 1]``.
    n_features : int, default=64
        The number of inputs the network expects.

    Returns
    -------
    ndarray of shape (n_samples, n_features)

    Raises
    ------
    ValueError
        Wrong number of features (for example 28x28 = 784 images), images not flattened, or
        pixels outside ``[0, 1]`` (for example raw 0-16 or 0-255 values).

    Examples
    --------
    >>> import numpy as np
    >>> from mlcourse.transfer import check_pretrained_input
    >>> check_pretrained_input(np.zeros((2, 64))).shape
    (2, 64)
    """
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"expected a numeric array of images, got {type(X).__name__}") from exc
    side = int(round(np.sqrt(n_features)))
    if X.ndim == 3:
        raise ValueError(
            f"got images of shape {X.shape[1:]}: flatten them first, "
            f"X.reshape(len(X), -1), and make sure they are {side}x{side}."
        )
    if X.ndim != 2:
        raise ValueError(f"expected a 2D array (n_samples, {n_features}), got shape {X.shape}")
    if X.shape[1] != n_features:
        found = int(round(np.sqrt(X.shape[1])))
        hint = (
            f" That looks like {found}x{found} images: downsample them to {side}x{side} first "
            "(for example scipy.ndimage.zoom), then scale to [0, 1]."
            if found * found == X.shape[1]
            else ""
        )
        raise ValueError(
            f"the network was pretrained on {side}x{side} images ({n_features} features), "
            f"got {X.shape[1]} features.{hint}"
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("the images contain NaN or infinite pixels")
    lo, hi = float(X.min(initial=0.0)), float(X.max(initial=0.0))
    if lo < 0.0 or hi > 1.0 + 1e-9:
        guess = " (raw 0-255 pixels? divide by 255)" if hi > 16 else ""
        guess = guess or (" (raw load_digits pixels? divide by 16)" if hi > 1 else "")
        raise ValueError(
            f"the network was pretrained on pixels scaled to [0, 1], got values in "
            f"[{lo:g}, {hi:g}]{guess}."
        )
    return X


def _hidden_activations(network: MLPClassifier, X: np.ndarray, n_layers: int) -> np.ndarray:
    act = _ACTIVATIONS[network.activation]
    h = X
    for W, b in zip(network.coefs_[:n_layers], network.intercepts_[:n_layers]):
        h = act(h @ W + b)
    return h


def _check_network(network) -> MLPClassifier:
    if not isinstance(network, MLPClassifier):
        raise TypeError(f"network must be a fitted MLPClassifier, got {type(network).__name__}")
    check_is_fitted(network, "coefs_")
    return network


class PretrainedFeatures(TransformerMixin, BaseEstimator):
    """The hidden activations of a pretrained network, with its layers frozen.

    ``fit`` only checks the input: the pretrained weights never change. Put a new output layer
    after it (for example a :class:`~sklearn.linear_model.LogisticRegression`, which is a softmax
    layer) to train only the output-layer parameters: option 1 of transfer learning.

    Parameters
    ----------
    network : MLPClassifier, optional
        A fitted network; by default the shipped one (:func:`load_pretrained`). It is shared,
        not copied, by :func:`~sklearn.base.clone`, since it is never modified.
    n_layers : int, optional
        How many hidden layers to keep (default: all of them).

    Attributes
    ----------
    network_ : MLPClassifier
        The frozen network.
    n_features_in_ : int
        Always 64.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from mlcourse.transfer import PretrainedFeatures, load_distorted_digits
    >>> X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], n_copies=1, random_state=0)
    >>> option1 = make_pipeline(PretrainedFeatures(), LogisticRegression(max_iter=1000))
    >>> option1.fit(X[:100], y[:100]).score(X[100:], y[100:]) > 0.5
    True
    """

    def __init__(self, network: MLPClassifier | None = None, n_layers: int | None = None):
        self.network = network
        self.n_layers = n_layers

    def __sklearn_clone__(self):
        # The frozen network is shared: cloning it would drop its pretrained weights.
        return type(self)(network=self.network, n_layers=self.n_layers)

    def fit(self, X, y=None):
        """Check the input and the network; the pretrained weights stay frozen."""
        net = load_pretrained() if self.network is None else _check_network(self.network)
        n_hidden = len(net.coefs_) - 1
        n_layers = n_hidden if self.n_layers is None else self.n_layers
        if not isinstance(n_layers, (int, np.integer)) or not 1 <= n_layers <= n_hidden:
            raise ValueError(f"n_layers must be an int in [1, {n_hidden}], got {n_layers!r}")
        check_pretrained_input(X, n_features=net.n_features_in_)
        self.network_ = net
        self.n_layers_ = int(n_layers)
        self.n_features_in_ = net.n_features_in_
        return self

    def transform(self, X) -> np.ndarray:
        """Hidden activations of the last kept layer, shape (n_samples, n_units)."""
        check_is_fitted(self, "network_")
        X = check_pretrained_input(X, n_features=self.n_features_in_)
        return _hidden_activations(self.network_, X, self.n_layers_)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        check_is_fitted(self, "network_")
        n_units = self.network_.coefs_[self.n_layers_ - 1].shape[1]
        return np.array([f"hidden{self.n_layers_}_{i}" for i in range(n_units)], dtype=object)


class FineTunedClassifier(ClassifierMixin, BaseEstimator):
    """Option 2: a network for the new classes that starts from the pretrained hidden layers.

    ``fit`` builds an :class:`~sklearn.neural_network.MLPClassifier` with the pretrained
    network's architecture, copies its hidden-layer weights, draws a fresh output layer sized for
    the new classes (Glorot initialisation, as scikit-learn does), and trains *all* parameters
    with Adam for exactly ``epochs`` passes of a ``partial_fit`` loop, reshuffling the
    examples each epoch. A ``partial_fit`` loop (rather than ``warm_start``) is used because
    ``fit`` with ``warm_start`` keeps the early-stopping state of the previous call, which
    stops some seeds after a couple of epochs.

    Parameters
    ----------
    network : MLPClassifier, optional
        A fitted network to start from; by default the shipped one.
    init : {"pretrained", "random"}, default="pretrained"
        ``"random"`` trains the same architecture from scratch, with the same optimiser and
        budget, for comparison.
    learning_rate : float, default=1e-3
        Adam's step size. Small, so the pretrained features are adjusted rather than erased;
        it is the scikit-learn default for training from scratch too.
    epochs : int, default=100
        Passes over the training set. Fixed (no early stopping), because small training sets
        leave no room for a validation split.
    batch_size : int, default=32
        Mini-batch size (capped at the number of examples).
    alpha : float, default=1e-3
        L2 penalty on the weights.
    random_state : int, optional
        Seeds the output layer's initialisation and the shuffling.

    Attributes
    ----------
    mlp_ : MLPClassifier
        The trained network.
    classes_ : ndarray
        The new classes.

    Examples
    --------
    >>> from mlcourse.transfer import FineTunedClassifier, load_distorted_digits
    >>> X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], n_copies=1, random_state=0)
    >>> option2 = FineTunedClassifier(epochs=20, random_state=0).fit(X[:100], y[:100])
    >>> option2.score(X[100:], y[100:]) > 0.5
    True
    """

    def __init__(
        self,
        network: MLPClassifier | None = None,
        *,
        init: str = "pretrained",
        learning_rate: float = 1e-3,
        epochs: int = 100,
        batch_size: int = 32,
        alpha: float = 1e-3,
        random_state: int | None = None,
    ):
        self.network = network
        self.init = init
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.alpha = alpha
        self.random_state = random_state

    def __sklearn_clone__(self):
        # Share the pretrained network instead of cloning it (cloning would drop its weights).
        params = self.get_params(deep=False)
        return type(self)(**params)

    def fit(self, X, y):
        """Train all layers, starting from the pretrained hidden layers."""
        if self.init not in ("pretrained", "random"):
            raise ValueError(f"init must be 'pretrained' or 'random', got {self.init!r}")
        if not isinstance(self.epochs, (int, np.integer)) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive int, got {self.epochs!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")
        net = load_pretrained() if self.network is None else _check_network(self.network)
        X = check_pretrained_input(X, n_features=net.n_features_in_)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be 1D with {len(X)} labels, got shape {y.shape}")
        classes = unique_labels(y)
        if len(classes) < 2:
            raise ValueError("need at least two classes to train a classifier")
        rng = check_random_state(self.random_state)
        mlp = MLPClassifier(
            hidden_layer_sizes=tuple(c.shape[1] for c in net.coefs_[:-1]),
            activation=net.activation,
            solver="adam",
            alpha=self.alpha,
            batch_size=min(self.batch_size, len(X)),
            learning_rate_init=self.learning_rate,
            shuffle=False,  # shuffled below with our own generator, a new order every epoch
            random_state=int(rng.randint(2**31 - 1)),
        )
        # One partial_fit call sets up the classes and every attribute; then the weights are
        # replaced and the optimizer is dropped, so training starts cleanly from them.
        mlp.partial_fit(X, y, classes=classes)
        last = len(mlp.coefs_) - 1
        if self.init == "pretrained":
            mlp.coefs_[:last] = [c.copy() for c in net.coefs_[:last]]
            mlp.intercepts_[:last] = [b.copy() for b in net.intercepts_[:last]]
        for i in [last] if self.init == "pretrained" else range(last + 1):
            fan_in, fan_out = mlp.coefs_[i].shape
            bound = np.sqrt((2.0 if mlp.activation == "logistic" else 6.0) / (fan_in + fan_out))
            mlp.coefs_[i] = rng.uniform(-bound, bound, (fan_in, fan_out))
            mlp.intercepts_[i] = rng.uniform(-bound, bound, fan_out)
        del mlp._optimizer  # a fresh Adam state for the copied weights
        mlp.n_iter_, mlp.t_, mlp.loss_curve_ = 0, 0, []
        for _ in range(self.epochs):
            order = rng.permutation(len(X))
            mlp.partial_fit(X[order], y[order])
        mlp.n_iter_ = self.epochs  # partial_fit counts one call at a time
        del mlp._optimizer  # not needed after training, and skops does not trust it
        self.mlp_ = mlp
        self.classes_ = mlp.classes_
        self.n_features_in_ = net.n_features_in_
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "mlp_")
        return self.mlp_.predict(check_pretrained_input(X, n_features=self.n_features_in_))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "mlp_")
        return self.mlp_.predict_proba(check_pretrained_input(X, n_features=self.n_features_in_))


def jitter_digits(
    images,
    *,
    max_rotation: float = 15.0,
    max_shift: float = 1.0,
    random_state: int | np.random.RandomState | None = None,
) -> np.ndarray:
    """Rotate and shift each 8x8 image by a random amount (realistic handwriting jitter).

    Parameters
    ----------
    images : array-like of shape (n_samples, 8, 8) or (n_samples, 64)
    max_rotation : float, default=15.0
        Angles are drawn uniformly in ``[-max_rotation, max_rotation]`` degrees.
    max_shift : float, default=1.0
        Shifts are drawn uniformly in ``[-max_shift, max_shift]`` pixels along each axis.
    random_state : int or RandomState, optional

    Returns
    -------
    ndarray of the input's shape, clipped to the input's value range.

    Examples
    --------
    >>> import numpy as np
    >>> from mlcourse.transfer import jitter_digits
    >>> jitter_digits(np.ones((3, 64)), random_state=0).shape
    (3, 64)
    """
    images = np.asarray(images, dtype=float)
    flat = images.ndim == 2
    imgs = images.reshape(-1, *IMAGE_SHAPE)
    if flat and images.shape[1] != N_FEATURES:
        raise ValueError(f"expected 8x8 images (64 features), got {images.shape[1]} features")
    rng = check_random_state(random_state)
    angles = np.deg2rad(rng.uniform(-max_rotation, max_rotation, len(imgs)))
    shifts = rng.uniform(-max_shift, max_shift, (len(imgs), 2))
    center = (np.array(IMAGE_SHAPE) - 1) / 2.0
    out = np.empty_like(imgs)
    for i, (a, s) in enumerate(zip(angles, shifts)):
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        offset = center - rot @ (center + s)
        out[i] = ndimage.affine_transform(imgs[i], rot, offset=offset, order=1, mode="constant")
    lo, hi = (imgs.min(), imgs.max()) if len(imgs) else (0.0, 1.0)
    return np.clip(out, lo, hi).reshape(images.shape)


def load_distorted_digits(
    digits=(5, 6, 7, 8, 9),
    *,
    n_copies: int = 1,
    max_rotation: float = 15.0,
    max_shift: float = 1.0,
    random_state: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Jittered copies of some classes of scikit-learn's bundled digits, scaled to [0, 1].

    Parameters
    ----------
    digits : sequence of int, default=(5, 6, 7, 8, 9)
    n_copies : int, default=1
        Jittered copies of each original image.
    max_rotation, max_shift : float
        See :func:`jitter_digits`.
    random_state : int, optional
        Seeds the jitter and the (shuffled) order of the examples.

    Returns
    -------
    X : ndarray of shape (n_copies * n_images, 64), in ``[0, 1]``
    y : ndarray of shape (n_copies * n_images,)
        The digit labels. Examples come shuffled; with ``n_copies > 1``, copies of one
        original image may land on both sides of a train/test split, so use ``n_copies=1``
        to evaluate.

    Examples
    --------
    >>> from mlcourse.transfer import load_distorted_digits
    >>> X, y = load_distorted_digits(digits=[0, 1], random_state=0)
    >>> X.shape[1], float(X.max()) <= 1.0, sorted(set(y.tolist()))
    (64, True, [0, 1])
    """
    from sklearn.datasets import load_digits

    if not isinstance(n_copies, (int, np.integer)) or n_copies < 1:
        raise ValueError(f"n_copies must be a positive int, got {n_copies!r}")
    data = load_digits()
    keep = np.isin(data.target, list(digits))
    if not keep.any():
        raise ValueError(f"digits must be among 0-9, got {digits!r}")
    images, labels = data.images[keep] / 16.0, data.target[keep]
    rng = check_random_state(random_state)
    X = np.concatenate(
        [
            jitter_digits(images, max_rotation=max_rotation, max_shift=max_shift, random_state=rng)
            for _ in range(n_copies)
        ]
    ).reshape(-1, N_FEATURES)
    y = np.tile(labels, n_copies)
    order = rng.permutation(len(X))
    return X[order], y[order]
