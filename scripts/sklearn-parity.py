#!/usr/bin/env python3
"""The Python estimator against scikit-learn's BernoulliRBM on the same data, in one run.

    python3 scripts/sklearn-parity.py --data ../shared/data/mnist [--train 20000] [--hidden 256] [--epochs 10]

Both fit MNIST intensities (pixel / 255, as probabilities) with the same hidden units, epochs,
batch size and learning rate; `rbm` also without momentum and weight decay (BernoulliRBM has
neither), so that the algorithms match. Reported per model: fit time, the accuracy of a logistic
regression on its features (train split → test split), and the test log-likelihood by this
project's evaluation (`score_samples`: log Z by AIS, 100 runs × 14,500 β, from the training
data's marginals) — BernoulliRBM's weights are scored by loading them into a checkpoint.
"""

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time

import h5py
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import BernoulliRBM

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from rbm import RBM  # noqa: E402


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as file:
        data = file.read()
    dimensions = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def load(folder, name):
    for suffix in ("", ".gz"):
        path = os.path.join(folder, name + suffix)
        if os.path.exists(path):
            return idx(path)
    raise SystemExit(f"{folder}: no {name}[.gz]")


def as_checkpoint_of(template, components, hidden_bias, visible_bias, folder):
    """`template`'s checkpoint with another model's parameters (same shapes), as an RBM."""
    path = os.path.join(folder, "imported.h5")
    template.save(path)
    with h5py.File(path, "r+") as file:
        file["/model/weights"][...] = components.T.astype(np.float32)
        file["/model/hidden_bias"][...] = hidden_bias.astype(np.float32)
        file["/model/visible_bias"][...] = visible_bias.astype(np.float32)
    return RBM.load(path, binary=template.binary, log_partition=template.log_partition)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="an MNIST IDX folder")
    parser.add_argument("--train", type=int, default=20000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    arguments = parser.parse_args()
    X = load(arguments.data, "train-images-idx3-ubyte").reshape(60000, -1)[:arguments.train] / 255.0
    y = load(arguments.data, "train-labels-idx1-ubyte")[:arguments.train]
    X_test = load(arguments.data, "t10k-images-idx3-ubyte").reshape(10000, -1) / 255.0
    y_test = load(arguments.data, "t10k-labels-idx1-ubyte")
    common = dict(n_components=arguments.hidden, n_iter=arguments.epochs, batch_size=arguments.batch_size,
                  learning_rate=arguments.learning_rate, random_state=0)
    models = [
        ("rbm, as BernoulliRBM (PCD-1, no momentum or weight decay)", RBM(momentum=0.0, weight_decay=0.0, **common)),
        ("rbm, its defaults (momentum 0.5, weight decay 1e-4)", RBM(**common)),
        ("scikit-learn BernoulliRBM", BernoulliRBM(**common)),
    ]
    print(f"MNIST: {arguments.train} training images, 10,000 test; {arguments.hidden} hidden, {arguments.epochs} epochs, "
          f"batch {arguments.batch_size}, learning rate {arguments.learning_rate}")
    print("| model | fit time | logistic regression on the features (test accuracy) | test log-likelihood (AIS) |")
    print("|---|---:|---:|---:|")
    folder = tempfile.mkdtemp(prefix="rbm-parity-")
    try:
        template = None
        for name, model in models:
            started = time.time()
            model.fit(X)
            seconds = time.time() - started
            classifier = LogisticRegression(max_iter=1000).fit(model.transform(X), y)
            accuracy = classifier.score(model.transform(X_test), y_test)
            if isinstance(model, RBM):
                template = template or model
                scored = model
            else:
                scored = as_checkpoint_of(template, model.components_, model.intercept_hidden_, model.intercept_visible_,
                                          folder)
            scored.log_partition_function(X)  # AIS's base model from the training data's marginals
            likelihood = scored.score_samples(X_test).mean()
            print(f"| {name} | {seconds:.1f} s | {100 * accuracy:.2f}% | {likelihood:.2f} nats |", flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
