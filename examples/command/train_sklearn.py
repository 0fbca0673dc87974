#!/usr/bin/python3
"""A training script to tune from outside (examples/command/sklearn.json): an SVM on scikit-learn's
bundled digits data (no download), its configuration read as JSON from stdin, the mean 3-fold
cross-validated accuracy printed as one JSON line. Needs Debian's python3-sklearn."""
import json
import sys
import time

from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC

config = json.load(sys.stdin)  # {"C": ..., "gamma": ..., "kernel": "poly", "degree": 3}; degree only with poly
features, labels = load_digits(return_X_y=True)
model = SVC(C=config["C"], gamma=config["gamma"], kernel=config["kernel"], degree=config.get("degree", 3))
print("training", model, file=sys.stderr)
start = time.time()
scores = cross_val_score(model, features / 16.0, labels, cv=3)
print(json.dumps({"accuracy": scores.mean(), "std": scores.std(), "fit_seconds": time.time() - start}))
