"""Unit tests of mlcourse.transfer and of the shipped pretrained network."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline

from mlcourse.transfer import (
    TRUSTED_TYPES,
    FineTunedClassifier,
    PretrainedFeatures,
    check_pretrained_input,
    jitter_digits,
    load_distorted_digits,
    load_pretrained,
    pretrained_path,
)

ROOT = Path(__file__).resolve().parents[2]
# Every type in the shipped file that skops does not trust by default must be audited and listed
# here. The list is empty: the file holds a plain MLPClassifier without its optimizer state.
AUDITED_TYPES: list[str] = []


@pytest.fixture(scope="module")
def net():
    return load_pretrained()


@pytest.fixture(scope="module")
def task():
    X, y = load_distorted_digits(digits=[5, 6, 7, 8, 9], max_rotation=20, random_state=0)
    return X[:120], y[:120], X[500:], y[500:]


# --- the shipped file -----------------------------------------------------------------------


def test_shipped_file_is_small_and_has_a_card():
    path = pretrained_path()
    assert path.is_file()
    assert path.stat().st_size < 1_000_000
    card = path.with_suffix(".md").read_text()
    for needed in ["digits 0-4", "[0, 1]", "Limits", "accuracy", "scripts/pretrain.py"]:
        assert needed in card, needed


def test_shipped_file_loads_with_only_audited_types():
    untrusted = sio.get_untrusted_types(file=pretrained_path())
    assert sorted(untrusted) == sorted(AUDITED_TYPES) == sorted(TRUSTED_TYPES)
    net = sio.load(pretrained_path(), trusted=AUDITED_TYPES)
    assert isinstance(net, MLPClassifier)
    assert not hasattr(net, "_optimizer"), "optimizer state must not be shipped"


def test_load_pretrained_describes_the_source_task(net):
    assert net.n_features_in_ == 64
    ways = ["flipped", "mirrored", "turned left", "turned right", "upright", "upside down"]
    assert list(net.classes_) == [f"{d} {way}" for d in range(5) for way in ways]
    assert [c.shape for c in net.coefs_] == [(64, 64), (64, 64), (64, 30)]
    X, y = load_distorted_digits(digits=[0, 1, 2, 3, 4], random_state=123)
    digit = np.array([label.split()[0] for label in net.predict(X)])
    assert np.mean(digit == y.astype(str)) > 0.9  # the digit, whatever the orientation
    # 0 and 1 look the same mirrored; 2, 3 and 4 do not, so their orientation is known too.
    asym = np.isin(y, [2, 3, 4])
    mirrored = X[asym].reshape(-1, 8, 8)[:, :, ::-1].reshape(-1, 64)
    assert net.score(mirrored, [f"{d} mirrored" for d in y[asym]]) > 0.8


def test_load_pretrained_refuses_unaudited_types(tmp_path):

    path = tmp_path / "bad.skops"
    sio.dump({"model": LogisticRegression(), "x": np.float64(1.0)}, path)
    load_pretrained(path)  # only default-trusted types: fine
    mlp = MLPClassifier(max_iter=1000).fit(np.eye(4), [0, 1, 0, 1])  # keeps its Adam state
    sio.dump(mlp, path)
    with pytest.raises(ValueError, match="not audited"):
        load_pretrained(path)


def _load_pretrain_script():
    spec = importlib.util.spec_from_file_location("pretrain", ROOT / "scripts" / "pretrain.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_pretrain_script_reproduces_the_shipped_weights(tmp_path, net):
    """Regenerate from scratch; weights must match to floating-point rounding (atol 1e-6)."""
    path = _load_pretrain_script().main(tmp_path)
    rebuilt = sio.load(path, trusted=AUDITED_TYPES)
    assert sio.get_untrusted_types(file=path) == AUDITED_TYPES
    for a, b in zip(rebuilt.coefs_ + rebuilt.intercepts_, net.coefs_ + net.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert path.with_suffix(".md").is_file()


# --- input checks ---------------------------------------------------------------------------


def test_check_input_accepts_the_documented_format():
    X = np.random.default_rng(0).uniform(0, 1, (3, 64))
    np.testing.assert_array_equal(check_pretrained_input(X), X)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros((2, 784)), "28x28"),
        (np.zeros((2, 63)), "64 features"),
        (np.zeros((2, 8, 8)), "flatten"),
        (np.zeros(64), "2D"),
        (np.full((2, 64), 16.0), "divide by 16"),
        (np.full((2, 64), 255.0), "divide by 255"),
        (np.full((2, 64), -0.5), r"\[0, 1\]"),
        (np.full((2, 64), np.nan), "NaN"),
    ],
)
def test_check_input_errors(X, match):
    with pytest.raises(ValueError, match=match):
        check_pretrained_input(X)


def test_check_input_type_error():
    with pytest.raises(TypeError):
        check_pretrained_input([["a"] * 64])


# --- option 1: frozen features ----------------------------------------------------------------


def test_features_shape_and_frozen(net, task):
    X, y, _, _ = task
    before = [c.copy() for c in net.coefs_]
    feats = PretrainedFeatures(net).fit(X, y)
    Z = feats.transform(X)
    assert Z.shape == (len(X), 64)
    assert (Z >= 0).all()  # ReLU activations
    assert PretrainedFeatures(net, n_layers=1).fit(X).transform(X).shape == (len(X), 64)
    assert len(feats.get_feature_names_out()) == 64
    for a, b in zip(before, net.coefs_):
        np.testing.assert_array_equal(a, b)
    # the last hidden layer as computed by scikit-learn itself
    hidden = np.maximum(
        np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0) @ net.coefs_[1] + net.intercepts_[1],
        0,
    )
    np.testing.assert_allclose(Z, hidden)


def test_features_default_network_and_clone(task):
    X, y, X_te, y_te = task
    pipe = make_pipeline(PretrainedFeatures(), LogisticRegression(max_iter=1000))
    assert cross_val_score(pipe, X, y, cv=3).mean() > 0.5
    net = load_pretrained()
    cloned = clone(PretrainedFeatures(net))
    assert cloned.network is net  # shared, not re-initialised


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"network": "resnet"}, TypeError),
        ({"n_layers": 3}, ValueError),
        ({"n_layers": 0}, ValueError),
        ({"network": MLPClassifier()}, Exception),
    ],
)
def test_features_bad_parameters(kwargs, err, task):
    with pytest.raises(err):
        PretrainedFeatures(**kwargs).fit(task[0])


def test_features_reject_wrong_input(net, task):
    feats = PretrainedFeatures(net).fit(task[0])
    with pytest.raises(ValueError, match="28x28"):
        feats.transform(np.zeros((1, 784)))
    with pytest.raises(ValueError, match="divide by 16"):
        feats.transform(task[0] * 16)


# --- option 2: fine-tuning --------------------------------------------------------------------


def test_fine_tune_starts_from_pretrained_and_trains_all_layers(net, task):
    X, y, X_te, y_te = task
    model = FineTunedClassifier(net, epochs=5, random_state=0).fit(X, y)
    mlp = model.mlp_
    assert list(model.classes_) == [5, 6, 7, 8, 9]
    assert [c.shape for c in mlp.coefs_] == [(64, 64), (64, 64), (64, 5)]
    assert mlp.n_iter_ == 5
    assert len(mlp.loss_curve_) == 5
    assert not hasattr(mlp, "_optimizer")
    for new, old in zip(mlp.coefs_[:-1], net.coefs_[:-1]):
        assert not np.allclose(new, old)  # trained ...
        assert np.abs(new - old).max() < 0.1  # ... starting from the pretrained weights
    zero = FineTunedClassifier(net, epochs=1, learning_rate=1e-12, random_state=0).fit(X, y)
    np.testing.assert_allclose(zero.mlp_.coefs_[0], net.coefs_[0], atol=1e-9)
    assert model.predict(X_te).shape == y_te.shape
    np.testing.assert_allclose(model.predict_proba(X_te).sum(axis=1), 1.0)


def test_fine_tune_is_seeded_and_random_init_differs(net, task):
    X, y, _, _ = task
    a = FineTunedClassifier(net, epochs=3, random_state=1).fit(X, y)
    b = FineTunedClassifier(net, epochs=3, random_state=1).fit(X, y)
    np.testing.assert_array_equal(a.mlp_.coefs_[0], b.mlp_.coefs_[0])
    scratch = FineTunedClassifier(
        net, init="random", epochs=1, learning_rate=1e-12, random_state=1
    ).fit(X, y)
    assert not np.allclose(scratch.mlp_.coefs_[0], net.coefs_[0], atol=0.05)


def test_fine_tune_clone_and_default_network(task):
    X, y, _, _ = task
    net = load_pretrained()
    est = FineTunedClassifier(net, epochs=2, random_state=0)
    assert clone(est).network is net
    model = FineTunedClassifier(epochs=2, random_state=0).fit(X, y)  # default: shipped network
    np.testing.assert_allclose(model.mlp_.coefs_[0], net.coefs_[0], atol=0.05)


@pytest.mark.parametrize(
    ("kwargs", "err"),
    [
        ({"init": "imagenet"}, ValueError),
        ({"epochs": 0}, ValueError),
        ({"learning_rate": 0.0}, ValueError),
        ({"network": object()}, TypeError),
    ],
)
def test_fine_tune_bad_parameters(kwargs, err, task):
    with pytest.raises(err):
        FineTunedClassifier(**kwargs).fit(task[0], task[1])


def test_fine_tune_rejects_wrong_input(net, task):
    X, y, _, _ = task
    with pytest.raises(ValueError, match="28x28"):
        FineTunedClassifier(net, epochs=1).fit(np.zeros((4, 784)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="divide by 255"):
        FineTunedClassifier(net, epochs=1).fit(X * 255, y)
    with pytest.raises(ValueError, match="two classes"):
        FineTunedClassifier(net, epochs=1).fit(X[:3], [1, 1, 1])
    with pytest.raises(ValueError, match="labels"):
        FineTunedClassifier(net, epochs=1).fit(X, y[:-1])
    model = FineTunedClassifier(net, epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="64 features"):
        model.predict(np.zeros((1, 100 - 1)))


# --- data helpers ---------------------------------------------------------------------------


def test_jitter_is_seeded_and_keeps_shape_and_range():
    imgs = load_distorted_digits(digits=[3], max_rotation=0, max_shift=0)[0][:10]
    a = jitter_digits(imgs, random_state=0)
    b = jitter_digits(imgs.reshape(-1, 8, 8), random_state=0)
    assert a.shape == imgs.shape and b.shape == (10, 8, 8)
    np.testing.assert_allclose(a, b.reshape(10, 64))
    assert a.min() >= 0 and a.max() <= 1
    assert not np.allclose(a, imgs)
    np.testing.assert_allclose(jitter_digits(imgs, max_rotation=0, max_shift=0), imgs, atol=1e-12)
    with pytest.raises(ValueError):
        jitter_digits(np.zeros((2, 100)))


def test_load_distorted_digits():
    X, y = load_distorted_digits(digits=[5, 6], n_copies=2, random_state=0)
    assert X.shape == (len(y), 64) and set(y.tolist()) == {5, 6}
    X2, y2 = load_distorted_digits(digits=[5, 6], n_copies=2, random_state=0)
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError):
        load_distorted_digits(digits=[42])
    with pytest.raises(ValueError):
        load_distorted_digits(n_copies=0)


def test_fine_tuned_network_saves_with_default_trusted_types_only(net, task, tmp_path):
    X, y, X_te, _ = task
    model = FineTunedClassifier(net, epochs=2, random_state=0).fit(X, y)
    path = tmp_path / "mine.skops"
    sio.dump(model.mlp_, path)
    assert sio.get_untrusted_types(file=path) == []
    reloaded = sio.load(path, trusted=[])
    np.testing.assert_array_equal(reloaded.predict(X_te), model.predict(X_te))
