#!/usr/bin/env python3
"""Test accuracy of a logistic-regression classifier on the features of one or more
features.h5 files (and, with --pixels FOLDER, on an IDX folder's raw pixels), trained on the
train split, measured on the test split: how much of the label information the hidden units
keep. Needs h5py, numpy and scikit-learn (pip install scikit-learn).

    python3 scripts/classify-features.py runs/dbn-layer1/features.h5 runs/dbn-layer2/features.h5 \
        --pixels /usr/share/datasets/fashion-mnist
"""
import argparse, gzip, struct, sys, time

import h5py
import numpy as np
from sklearn.linear_model import LogisticRegression


def idx(path):
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        magic = f.read(4)
        dims = struct.unpack(">" + "I" * magic[3], f.read(4 * magic[3]))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)


def score(name, X_train, y_train, X_test, y_test):
    start = time.time()
    model = LogisticRegression(max_iter=1000, C=1.0)
    model.fit(X_train, y_train)
    accuracy = (model.predict(X_test) == y_test).mean()
    print(f"| {name} | {X_train.shape[1]} | {100 * accuracy:.2f}% | {time.time() - start:.0f} s |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("features", nargs="*")
    parser.add_argument("--pixels", help="an IDX folder: also score its raw pixels (/255)")
    args = parser.parse_args()
    print("| features | dimensions | test accuracy | fit time |")
    print("|---|---:|---:|---:|")
    if args.pixels:
        folder = args.pixels.rstrip("/")
        X = idx(folder + "/train-images-idx3-ubyte.gz").reshape(60000, -1) / 255.0
        y = idx(folder + "/train-labels-idx1-ubyte.gz")
        Xt = idx(folder + "/t10k-images-idx3-ubyte.gz").reshape(10000, -1) / 255.0
        yt = idx(folder + "/t10k-labels-idx1-ubyte.gz")
        score("pixels", X[:50000], y[:50000], Xt, yt)
    for path in args.features:
        with h5py.File(path, "r") as f:
            score(path, f["train/features"][:], f["train/labels"][:], f["test/features"][:], f["test/labels"][:])


if __name__ == "__main__":
    sys.exit(main())
