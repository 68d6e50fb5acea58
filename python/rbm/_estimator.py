"""`RBM`: a scikit-learn-compatible estimator whose training runs in the `rbm` executable."""

import io
import json
import math
import os
import tempfile
import numbers

import h5py
import numpy as np

from ._binary import RBMError, find_binary, run

try:  # scikit-learn is optional: with it, RBM is a BaseEstimator that pipelines and searches take.
    from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.validation import check_is_fitted, validate_data
    HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised by the tests without scikit-learn
    HAVE_SKLEARN = False

    class BaseEstimator:
        """get_params / set_params by the constructor's signature, as scikit-learn does."""

        @classmethod
        def _get_param_names(cls):
            import inspect
            return sorted(p.name for p in inspect.signature(cls.__init__).parameters.values()
                          if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for name, value in params.items():
                if name not in valid:
                    raise ValueError(f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                                     f"Valid parameters are: {valid!r}.")
                setattr(self, name, value)
            return self

    class TransformerMixin:
        def fit_transform(self, X, y=None, **fit_params):
            return self.fit(X, y, **fit_params).transform(X)

    class ClassNamePrefixFeaturesOutMixin:
        pass

    def check_random_state(seed):
        if seed is None or seed is np.random:
            return np.random.mtrand._rand
        if isinstance(seed, numbers.Integral):
            return np.random.RandomState(seed)
        if isinstance(seed, np.random.RandomState):
            return seed
        raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")

    class NotFittedError(ValueError, AttributeError):
        pass

    def check_is_fitted(estimator, attributes=None):
        if not hasattr(estimator, "components_"):
            raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                                 "Call 'fit' with appropriate arguments before using this estimator.")

    def validate_data(estimator, X, reset=True, dtype=np.float64, **_):
        if hasattr(X, "toarray") or hasattr(X, "tocsr"):
            raise TypeError("sparse input is not supported: pass a dense array")
        X = np.asarray(X, dtype=dtype)
        if X.ndim != 2:
            raise ValueError(f"Expected 2D array, got {X.ndim}D array instead: reshape your data")
        if X.shape[0] < 1 or X.shape[1] < 1:
            raise ValueError(f"Found array with shape {X.shape}: at least one sample and one feature are required")
        if not np.isfinite(X).all():
            raise ValueError("Input X contains NaN or infinity")
        if reset:
            estimator.n_features_in_ = X.shape[1]
        elif X.shape[1] != estimator.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is expecting "
                             f"{estimator.n_features_in_} features as input")
        return X


VISIBLE_KINDS = ("bernoulli", "gaussian", "categorical", "binomial")
SAMPLERS = ("cd", "pcd", "fpcd", "pt")
# Config keys the estimator sets itself from the data it is given.
MANAGED_KEYS = {"data.path", "data.format", "data.validation", "data.train_key", "data.validation_key", "data.test_key",
                "data.labels_key", "data.train_samples", "output.folder", "output.name"}


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class RBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Restricted Boltzmann Machine with Bernoulli hidden units, trained by the `rbm` executable.

    The data go to the trainer in a ``.npy`` file, the trainer runs (data-parallel, bit-for-bit
    reproducible for a given ``random_state``) and the fitted parameters are read back from its
    checkpoint. Energy for Bernoulli visible units: E(v, h) = −bᵀv − cᵀh − vᵀWh;
    ``transform`` gives P(h = 1 | v) = σ(c + vW).

    Parameters
    ----------
    n_components : int, default=256
        Hidden units.
    visible : {"bernoulli", "gaussian", "categorical", "binomial"}, default="bernoulli"
        Visible units: values in [0, 1]; real values (standardised by the trainer with the
        training data's mean and deviation, kept in the model); integer codes
        0 … ``categories`` − 1 (one-hot groups inside the model); counts 0 … ``trials``.
    sampler : {"cd", "pcd", "fpcd", "pt"}, default="pcd"
        Contrastive divergence, persistent CD (as scikit-learn's ``BernoulliRBM``), fast PCD,
        parallel tempering.
    learning_rate : float, default=0.1
        Step size on the batch-averaged gradient (as ``BernoulliRBM``), constant over the run.
    batch_size : int, default=10
        Samples per minibatch (at most the number of samples).
    n_iter : int, default=10
        Epochs (passes over the data).
    random_state : int, RandomState instance or None, default=None
        Seeds the trainer (an int is used as the seed itself) and ``gibbs``.
    gibbs_steps : int, default=1
        k of CD-k / PCD-k.
    momentum : float, default=0.5
        Momentum, constant over the run.
    weight_decay : float, default=0.0001
        L2 weight decay.
    categories, trials : int, default=0
        States per variable (categorical units), trials per count (binomial units).
    learn_variance : bool, default=False
        Gaussian units: learn a variance per feature (``variances_``) instead of fixing it at
        the standardised data's 1 — on Fashion-MNIST worth about 240 nats of test log-density.
    log_partition : {"auto", "exact", "ais"}, default="auto"
        How ``score_samples`` gets log Z: exact when the hidden layer (or, for Bernoulli units,
        the smaller layer) has at most 24 units, else annealed importance sampling.
    workers : int or None, default=None
        Threads the trainer uses (None: every core). Results do not depend on it.
    verbose : int, default=0
        Print the trainer's progress lines.
    config : dict or None, default=None
        Any other config key of the trainer, as ``{"section.key": value}`` (``rbm train --help``
        lists them), e.g. ``{"model.centering": True, "training.temperatures": 5}``.
    binary : str or None, default=None
        The ``rbm`` executable (default: $RBM_BINARY, ``rbm`` on PATH, or the repository's build).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_visible_units)
        W transposed, as ``BernoulliRBM``. For categorical units there are ``categories`` visible
        units per feature (its one-hot group).
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_visible_units,)
    n_features_in_ : int
    standardization_ : tuple of (mean, std) arrays, or None
        What Gaussian units' data are standardised with (applied by ``transform`` and
        ``score_samples``).
    variances_ : ndarray of shape (n_visible_units,), or None
        Gaussian units trained with ``config={"model.learn_variance": True}``: σ² per unit of the
        standardised values (``transform`` and ``score_samples`` divide them by σ).
    checkpoint_ : bytes
        The trainer's checkpoint (HDF5), for ``score_samples`` and for saving: ``save(path)``.
    n_iter_ : int
        Epochs trained.
    """

    def __init__(self, n_components=256, *, visible="bernoulli", sampler="pcd", learning_rate=0.1, batch_size=10,
                 n_iter=10, random_state=None, gibbs_steps=1, momentum=0.5, weight_decay=0.0001, categories=0,
                 trials=0, learn_variance=False, log_partition="auto", workers=None, verbose=0, config=None, binary=None):
        self.n_components = n_components
        self.visible = visible
        self.sampler = sampler
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.random_state = random_state
        self.gibbs_steps = gibbs_steps
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.categories = categories
        self.trials = trials
        self.learn_variance = learn_variance
        self.log_partition = log_partition
        self.workers = workers
        self.verbose = verbose
        self.config = config
        self.binary = binary

    # MARK: fitting

    def fit(self, X, y=None):
        """Train on X (n_samples × n_features) for ``n_iter`` epochs. ``y`` is ignored."""
        path = _npy_file_of(X)
        X = validate_data(self, X, reset=True, dtype=np.float64)
        self._check_parameters()
        self._check_values(X)
        seed = self._seed()
        with tempfile.TemporaryDirectory(prefix="rbm-fit-") as folder:
            data = path
            if data is None:
                data = os.path.join(folder, "data.npy")
                np.save(data, np.ascontiguousarray(X, dtype=np.float32))
            config_path = os.path.join(folder, "config.json")
            with open(config_path, "w") as file:
                json.dump(self._trainer_config(data, X.shape[0], seed, folder), file)
            arguments = ["train", config_path] + ([] if self.verbose else ["--quiet"])
            if self.workers is not None:
                arguments += ["--workers", str(int(self.workers))]
            run(find_binary(self.binary), arguments, verbose=bool(self.verbose))
            with open(os.path.join(folder, "runs", "fit", "checkpoint.h5"), "rb") as file:
                self._set_from_checkpoint(file.read())
        self.random_state_ = check_random_state(self.random_state)
        return self

    def _check_parameters(self):
        if self.visible not in VISIBLE_KINDS:
            raise ValueError(f"visible must be one of {', '.join(VISIBLE_KINDS)} (got {self.visible!r})")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)} (got {self.sampler!r})")
        for name in ("n_components", "batch_size", "n_iter", "gibbs_steps"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer ≥ 1 (got {value!r})")
        if not (isinstance(self.learning_rate, numbers.Real) and self.learning_rate > 0 and math.isfinite(self.learning_rate)):
            raise ValueError(f"learning_rate must be a finite number > 0 (got {self.learning_rate!r})")
        if not (isinstance(self.momentum, numbers.Real) and 0 <= self.momentum < 1):
            raise ValueError(f"momentum must be in [0, 1) (got {self.momentum!r})")
        if not (isinstance(self.weight_decay, numbers.Real) and 0 <= self.weight_decay < math.inf):
            raise ValueError(f"weight_decay must be a finite number ≥ 0 (got {self.weight_decay!r})")
        if self.visible == "categorical" and not (isinstance(self.categories, numbers.Integral) and self.categories >= 2):
            raise ValueError(f"categorical visible units need categories ≥ 2, the states of every feature (got {self.categories!r})")
        if self.visible == "binomial" and not (isinstance(self.trials, numbers.Integral) and self.trials >= 1):
            raise ValueError(f"binomial visible units need trials ≥ 1, the n every count is out of (got {self.trials!r})")
        if not isinstance(self.learn_variance, (bool, np.bool_)):
            raise ValueError(f"learn_variance must be True or False (got {self.learn_variance!r})")
        if self.learn_variance and self.visible != "gaussian":
            raise ValueError(f"learn_variance is for Gaussian visible units (visible='gaussian'; got {self.visible!r})")
        if self.log_partition not in ("auto", "exact", "ais"):
            raise ValueError(f"log_partition must be auto, exact or ais (got {self.log_partition!r})")
        if self.workers is not None and not (isinstance(self.workers, numbers.Integral) and self.workers >= 1):
            raise ValueError(f"workers must be None or an integer ≥ 1 (got {self.workers!r})")
        for key in (self.config or {}):
            if key in MANAGED_KEYS:
                raise ValueError(f"config key {key!r} is set by the estimator from the data it is given")
            if not isinstance(key, str) or key.count(".") != 1:
                raise ValueError(f"config keys are 'section.key' strings, as `rbm train --help` lists them (got {key!r})")

    def _check_values(self, X):
        """The values the visible units read, checked here so that the error is a ValueError
        naming the first bad value (the trainer would refuse them too)."""
        if self.visible == "bernoulli":
            bad = (X < 0) | (X > 1)
            rule = "Bernoulli visible units take values in [0, 1]"
        elif self.visible == "categorical":
            bad = (X != np.round(X)) | (X < 0) | (X >= self.categories)
            rule = f"categorical visible units take the codes 0 to {self.categories - 1} (categories={self.categories})"
        elif self.visible == "binomial":
            bad = (X != np.round(X)) | (X < 0) | (X > self.trials)
            rule = f"binomial visible units take the counts 0 to {self.trials} (trials={self.trials})"
        else:
            return
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(f"X[{row}, {column}] = {X[row, column]!r}: {rule}")

    def _seed(self):
        if isinstance(self.random_state, numbers.Integral) and not isinstance(self.random_state, bool):
            if not 0 <= self.random_state < 2 ** 64:
                raise ValueError(f"random_state must be in 0 … 2^64 − 1 (got {self.random_state})")
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2 ** 31 - 1))

    def _trainer_config(self, data, samples, seed, folder):
        batch = min(self.batch_size, samples)
        config = {
            "data": {"path": data, "format": "npy", "validation": 0, "binarization": "none",
                     "categories": int(self.categories) if self.visible == "categorical" else 0,
                     "trials": int(self.trials) if self.visible == "binomial" else 0},
            "model": {"visible": self.visible, "hidden": int(self.n_components),
                      **({"learn_variance": True} if self.learn_variance else {})},
            "training": {"sampler": self.sampler, "gibbs_steps": int(self.gibbs_steps), "epochs": int(self.n_iter),
                         "batch_size": int(batch), "shards": min(2, int(batch)),
                         "learning_rate": float(self.learning_rate), "learning_rate_decay": "none",
                         "momentum": float(self.momentum), "final_momentum": float(self.momentum),
                         "weight_decay": float(self.weight_decay), "seed": seed},
            "evaluation": {"every": 0, "monitor_samples": int(min(samples, 1000))},
            "output": {"folder": os.path.join(folder, "runs"), "name": "fit", "features": False, "pictures": False},
        }
        for key, value in (self.config or {}).items():
            section, name = key.split(".")
            if isinstance(value, np.generic):
                value = value.item()
            config.setdefault(section, {})[name] = value
        return config

    def _set_from_checkpoint(self, contents):
        """The fitted attributes from a checkpoint's bytes."""
        with h5py.File(io.BytesIO(contents), "r") as file:
            weights = np.asarray(file["/model/weights"], dtype=np.float64)
            self.components_ = np.ascontiguousarray(weights.T)
            self.intercept_visible_ = np.asarray(file["/model/visible_bias"], dtype=np.float64)
            self.intercept_hidden_ = np.asarray(file["/model/hidden_bias"], dtype=np.float64)
            units = file.attrs.get("visible_units", "bernoulli")
            self.visible_units_ = units.decode() if isinstance(units, bytes) else str(units)
            self.categories_ = int(file.attrs["visible_states"]) if "visible_states" in file.attrs else 0
            self.trials_ = int(file.attrs["visible_trials"]) if "visible_trials" in file.attrs else 0
            self.n_iter_ = int(file.attrs["epoch"])
            if "/data/mean" in file:
                self.standardization_ = (np.asarray(file["/data/mean"], dtype=np.float64),
                                         np.asarray(file["/data/std"], dtype=np.float64))
            else:
                self.standardization_ = None
            # Learned variances (model.learn_variance): the model is the unit-variance RBM on v/σ.
            if "/model/visible_log_variance" in file:
                self.variances_ = np.exp(np.asarray(file["/model/visible_log_variance"], dtype=np.float64))
            else:
                self.variances_ = None
        self.checkpoint_ = contents
        self.log_partition_ = None
        self.log_partition_method_ = None

    # MARK: using the model

    def _visible(self, X):
        """X as the visible units read it: standardised (Gaussian), one-hot (categorical)."""
        if self.visible_units_ == "categorical":
            q = self.categories_
            codes = X.astype(np.int64)
            if (codes != X).any() or (codes < 0).any() or (codes >= q).any():
                row, column = np.argwhere((codes != X) | (codes < 0) | (codes >= q))[0]
                raise ValueError(f"X[{row}, {column}] = {X[row, column]!r}: the model takes the codes 0 to {q - 1}")
            one_hot = np.zeros((X.shape[0], X.shape[1] * q))
            one_hot[np.arange(X.shape[0])[:, None], np.arange(X.shape[1]) * q + codes] = 1
            return one_hot
        if self.standardization_ is not None:
            mean, std = self.standardization_
            X = (X - mean) / std
        if getattr(self, "variances_", None) is not None:
            X = X / np.sqrt(self.variances_)
        return X

    def transform(self, X):
        """P(h = 1 | v) for every row of X: σ(c + vW), shape (n_samples, n_components)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return _sigmoid(self._visible(X) @ self.components_.T + self.intercept_hidden_)

    def free_energy(self, X):
        """F(v) per row, so that log p(v) = −F(v) − log Z: −Σ_j softplus(c_j + (vW)_j) plus the
        visible term −bᵀv (Bernoulli, categorical), Σ_i (v_i − b_i)²/2 (Gaussian, on the
        standardised values), −bᵀv − Σ_i log C(n, v_i) (binomial)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        v = self._visible(X)
        hidden = _softplus(v @ self.components_.T + self.intercept_hidden_).sum(axis=1)
        b = self.intercept_visible_
        if self.visible_units_ == "gaussian":
            visible = 0.5 * ((v - b) ** 2).sum(axis=1)
        else:
            visible = -(v @ b)
            if self.visible_units_ == "binomial":
                # log C(n, k) from a table of log k!, k = 0 … n (the counts were checked to be in range).
                n = self.trials_
                log_factorials = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, n + 1)))))
                counts = v.astype(np.int64)
                visible -= (log_factorials[n] - log_factorials[counts] - log_factorials[n - counts]).sum(axis=1)
        return visible - hidden

    def score_samples(self, X):
        """log p(v) per row, in nats: −F(v) − log Z, with log Z exact or by annealed importance
        sampling (``log_partition``; computed once per fitted model by the trainer and kept).
        Not the pseudo-likelihood ``BernoulliRBM.score_samples`` returns. For Gaussian units a
        log-density of the standardised values."""
        free_energy = self.free_energy(X)
        return -free_energy - self.log_partition_function(X)

    def log_partition_function(self, X=None):
        """log Z of the fitted model (exact or AIS, see ``log_partition``), computed once by the
        trainer and kept. X is needed the first time: AIS's base model is fit to its marginals."""
        check_is_fitted(self)
        if getattr(self, "log_partition_", None) is not None:
            return self.log_partition_
        if X is None:
            raise ValueError("log Z is not known yet: pass data (for AIS's base model) or call score_samples first")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with tempfile.TemporaryDirectory(prefix="rbm-score-") as folder:
            checkpoint = os.path.join(folder, "checkpoint.h5")
            with open(checkpoint, "wb") as file:
                file.write(self.checkpoint_)
            data = os.path.join(folder, "data.npy")
            np.save(data, np.ascontiguousarray(X, dtype=np.float32))
            config_path = os.path.join(folder, "data.json")
            with open(config_path, "w") as file:
                json.dump(self._trainer_config(data, X.shape[0], 1, folder), file)
            arguments = ["evaluate", checkpoint, "--data", config_path, "--split", "train", "--samples", "1",
                         "--no-pseudo-likelihood", "--json"]
            arguments += {"auto": [], "exact": ["--exact"], "ais": ["--ais"]}[self.log_partition]
            if self.workers is not None:
                arguments += ["--workers", str(int(self.workers))]
            report = json.loads(run(find_binary(self.binary), arguments))
        self.log_partition_ = float(report["log_z"])
        self.log_partition_method_ = report["log_z_method"]
        return self.log_partition_

    def gibbs(self, v):
        """One Gibbs step from v: h ~ P(h | v), then v' ~ P(v | h) (drawn with
        ``random_state_``), in the data's coding (codes for categorical units, counts for
        binomial ones, standardised values mapped back for Gaussian ones)."""
        check_is_fitted(self)
        v = validate_data(self, v, reset=False, dtype=np.float64)
        rng = self.random_state_
        hidden = (rng.uniform(size=(v.shape[0], self.n_components_)) < self.transform(v)).astype(np.float64)
        activation = hidden @ self.components_ + self.intercept_visible_
        units = self.visible_units_
        if units == "bernoulli":
            return (rng.uniform(size=activation.shape) < _sigmoid(activation)).astype(np.float64)
        if units == "binomial":
            return rng.binomial(self.trials_, _sigmoid(activation)).astype(np.float64)
        if units == "gaussian":
            drawn = activation + rng.standard_normal(activation.shape)
            if getattr(self, "variances_", None) is not None:
                drawn = drawn * np.sqrt(self.variances_)
            if self.standardization_ is not None:
                mean, std = self.standardization_
                drawn = drawn * std + mean
            return drawn
        q = self.categories_
        logits = activation.reshape(v.shape[0], -1, q)
        probabilities = np.exp(logits - logits.max(axis=2, keepdims=True))
        probabilities /= probabilities.sum(axis=2, keepdims=True)
        cumulative = probabilities.cumsum(axis=2)
        draws = rng.uniform(size=cumulative.shape[:2] + (1,))
        return np.minimum((draws > cumulative).sum(axis=2), q - 1).astype(np.float64)

    @property
    def n_components_(self):
        return self.components_.shape[0]

    # MARK: files

    def save(self, path):
        """Writes the trainer's checkpoint (HDF5): `rbm evaluate`, `rbm features` and
        `RBM.load` read it."""
        check_is_fitted(self)
        with open(path, "wb") as file:
            file.write(self.checkpoint_)

    @classmethod
    def load(cls, path, **params):
        """An RBM fitted by a run of the trainer (its ``checkpoint.h5``); ``params`` as for the
        constructor (the unit type, its categories or trials and the hidden units come from the
        checkpoint)."""
        with open(path, "rb") as file:
            contents = file.read()
        model = cls(**params)
        model._set_from_checkpoint(contents)
        model.visible = model.visible_units_
        model.n_components = model.components_.shape[0]
        model.categories = model.categories_
        model.trials = model.trials_
        visible_units = model.components_.shape[1]
        model.n_features_in_ = visible_units // model.categories_ if model.visible_units_ == "categorical" else visible_units
        model.random_state_ = check_random_state(model.random_state)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags


def _npy_file_of(X):
    """The .npy file X is a whole memory map of (np.load(…, mmap_mode="r")), which the
    trainer can read itself without a copy; else None."""
    if not isinstance(X, np.memmap) or not getattr(X, "filename", None):
        return None
    filename = str(X.filename)
    if not filename.endswith(".npy") or X.dtype not in (np.float32, np.float64) or not X.flags.c_contiguous:
        return None
    try:
        whole = np.load(filename, mmap_mode="r")
    except (OSError, ValueError):
        return None
    if whole.shape != X.shape or whole.dtype != X.dtype or getattr(whole, "offset", None) != getattr(X, "offset", None):
        return None
    return filename


__all__ = ["RBM", "RBMError"]
