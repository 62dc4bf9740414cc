#!/usr/bin/python3
"""sklearn.inspection on chapter 9's network: the reference for test-ch09-sklearn.

Reads the network and test rows that `ch09-shap --seed 1 --export FILE` writes
(committed as tests/ch09/diabetes_export.txt), rebuilds the same network in
numpy as a scikit-learn regressor, and computes with scikit-learn's own
functions:
  - sklearn.inspection.permutation_importance (n_repeats=5, random_state=0,
    the default scorer of a regressor: R^2);
  - sklearn.inspection.partial_dependence, one feature (kind='both': the
    average and every ICE curve) and two features (kind='average').

Permutation importance is random.  So that the kit can be compared with the
very numbers sklearn computes, this script also replays sklearn's draws: with
random_state=0, permutation_importance draws one seed, and for every column
shuffles an index array in place once per repeat with
RandomState(seed).shuffle, setting column <- column[index] each time, so the
rows used in repeat r are the composition of the shuffles so far.  The script
writes those effective row orders, checks that recomputing the importances
with them gives sklearn's numbers exactly, and the C test feeds the same
orders to the chapter's permutation_importance.

Run:  /usr/bin/python3 tests/ch09/sklearn_reference.py tests/ch09/diabetes_export.txt \
          > tests/ch09/sklearn_reference.txt
(Debian's python3-sklearn and python3-numpy.)"""
import sys

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.metrics import r2_score

REPEATS = 5
RANDOM_STATE = 0
PD_FEATURE = 2          # bmi
PD2_FEATURES = (2, 8)   # bmi, s5
GRID = 20
GRID2 = 8


def read_export(path):
    rec = {"X": []}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            key, vals = parts[0], parts[1:]
            if key == "names":
                rec[key] = vals
            elif key == "X":
                rec["X"].append([float(v) for v in vals])
            else:
                rec[key] = np.array([float(v) for v in vals])
    D, H = int(rec["D"][0]), int(rec["H"][0])
    net = {
        "x_mean": rec["x_mean"], "x_std": rec["x_std"],
        "t_mean": rec["t_mean"][0], "t_std": rec["t_std"][0],
        "W1": rec["W1"].reshape(H, D), "b1": rec["b1"], "W2": rec["W2"].reshape(1, H), "b2": rec["b2"],
    }
    return net, np.array(rec["X"]), rec["y"], rec["names"]


class KitMLP(RegressorMixin, BaseEstimator):
    """f(x) = t_mean + t_std (W2 tanh(W1 (x - x_mean) / x_std + b1) + b2), in float64."""

    def __init__(self, net=None):
        self.net = net

    def fit(self, X, y=None):
        self.n_features_in_ = X.shape[1]
        self.is_fitted_ = True
        return self

    def predict(self, X):
        n = self.net
        z = (np.asarray(X, dtype=np.float64) - n["x_mean"]) / n["x_std"]
        a = np.tanh(z @ n["W1"].T + n["b1"])
        return n["t_mean"] + n["t_std"] * (a @ n["W2"].T + n["b2"])[:, 0]


def replay_orders(n_rows):
    """The row orders permutation_importance uses, repeat by repeat."""
    seed = np.random.RandomState(RANDOM_STATE).randint(np.iinfo(np.int32).max + 1)
    rng = np.random.RandomState(seed)
    shuffling_idx = np.arange(n_rows)
    effective = np.arange(n_rows)
    orders = []
    for _ in range(REPEATS):
        rng.shuffle(shuffling_idx)
        effective = effective[shuffling_idx]
        orders.append(effective.copy())
    return orders


def fmt(values):
    return " ".join("%.10g" % v for v in values)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/ch09/diabetes_export.txt"
    net, X, y, names = read_export(path)
    model = KitMLP(net).fit(X, y)

    result = permutation_importance(model, X, y, n_repeats=REPEATS, random_state=RANDOM_STATE)
    orders = replay_orders(X.shape[0])
    baseline = r2_score(y, model.predict(X))
    replayed = np.zeros_like(result.importances)
    for j in range(X.shape[1]):
        for r, order in enumerate(orders):
            Xp = X.copy()
            Xp[:, j] = X[order, j]
            replayed[j, r] = baseline - r2_score(y, model.predict(Xp))
    gap = np.max(np.abs(replayed - result.importances))
    if gap > 1e-12:
        sys.exit("sklearn_reference.py: the replayed row orders do not reproduce sklearn's importances "
                 "(max difference %g): sklearn's permutation_importance draws differently now" % gap)

    pd1 = partial_dependence(model, X, [PD_FEATURE], kind="both", grid_resolution=GRID)
    pd2 = partial_dependence(model, X, [PD2_FEATURES], kind="average", grid_resolution=GRID2)

    print("# sklearn.inspection on the network of %s (scikit-learn %s, numpy %s)" %
          (path.split("/")[-1], sklearn.__version__, np.__version__))
    print("# regenerate: /usr/bin/python3 tests/ch09/sklearn_reference.py tests/ch09/diabetes_export.txt "
          "> tests/ch09/sklearn_reference.txt")
    print("rows %d" % X.shape[0])
    print("features %d" % X.shape[1])
    print("repeats %d" % REPEATS)
    for r, order in enumerate(orders):
        print("order %d %s" % (r, " ".join(str(i) for i in order)))
    for j in range(X.shape[1]):
        print("importances %d %s" % (j, fmt(result.importances[j])))
    print("importance_mean %s" % fmt(result.importances_mean))
    print("importance_std %s" % fmt(result.importances_std))
    print("pd_feature %d" % PD_FEATURE)
    print("pd_grid %s" % fmt(pd1["values"][0]))
    print("pd_average %s" % fmt(pd1["average"][0]))
    for i in range(X.shape[0]):
        print("ice %d %s" % (i, fmt(pd1["individual"][0][i])))
    print("pd2_features %d %d" % PD2_FEATURES)
    print("pd2_grid_j %s" % fmt(pd2["values"][0]))
    print("pd2_grid_k %s" % fmt(pd2["values"][1]))
    for a in range(len(pd2["values"][0])):
        print("pd2 %d %s" % (a, fmt(pd2["average"][0][a])))


if __name__ == "__main__":
    main()
