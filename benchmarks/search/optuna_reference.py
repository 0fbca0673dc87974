#!/usr/bin/python3
"""Reference numbers for benchmarks/search: Optuna's TPE (Debian's python3-optuna, 3.1), with its
default settings ("optuna_tpe") and multivariate ("optuna_tpe_mv": TPESampler(multivariate=True)),
on the functions of a functions JSON file, and scikit-learn ExtraTrees fit+predict at 100, 1,000
and 5,000 observations in 10-D (what DeepHyper's CBO pays per ask). Prints JSON lines in the
same format as bench_search: the best-so-far log10 regret of every seed after 50, 100, 200
evaluations.

    /usr/bin/python3 optuna_reference.py FUNCTIONS.json [--seeds 10] [--budget 200]
                     [--only NAME[,NAME]] [--samplers tpe,tpe_mv] [--no-latency] [--no-regret]
"""
import argparse
import json
import math
import time

import numpy as np


def make_function(problem):
    name = problem["name"]
    if name.startswith("branin"):
        b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
        return lambda x: (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10
    if name.startswith("hartmann"):
        k = problem["constants"]
        alpha = np.array(k["alpha"])
        A = np.array(k["A"], dtype=float)
        P = np.array(k["P_times_1e4"], dtype=float) * 1e-4
        return lambda x: float(-np.sum(alpha * np.exp(-np.sum(A * (np.asarray(x) - P) ** 2, axis=1))))
    if name.startswith("ackley"):
        def ackley(x):
            x = np.asarray(x)
            d = len(x)
            return float(-20 * np.exp(-0.2 * np.sqrt(np.sum(x ** 2) / d))
                         - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + np.e)
        return ackley
    if name.startswith("levy"):
        def levy(x):
            w = 1 + (np.asarray(x) - 1) / 4
            f = np.sin(np.pi * w[0]) ** 2
            f += np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
            f += (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2)
            return float(f)
        return levy
    if name.startswith("rosenbrock"):
        def rosenbrock(x):
            x = np.asarray(x)
            return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))
        return rosenbrock
    return None


def tpe_log10_regrets(problem, f, seed, checkpoints, multivariate):
    import optuna
    params = problem["params"]

    def objective(trial):
        return f([trial.suggest_float(p["name"], p["low"], p["high"]) for p in params])

    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=checkpoints[-1])
    values = [t.value for t in study.trials]
    return [math.log10(max(min(values[:c]) - problem["f_min"], 1e-12)) for c in checkpoints]


def extra_trees_latency(n, repeats=5):
    # DeepHyper's CBO refits ExtraTreesRegressor(n_estimators=100, min_samples_leaf=3) each ask
    # and scores 10,000 sampled candidates (scikit-optimize's n_points).
    from sklearn.ensemble import ExtraTreesRegressor
    rng = np.random.default_rng(0)
    X = rng.random((n, 10))
    y = np.sum((X - 0.3) ** 2, axis=1)
    C = rng.random((10000, 10))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model = ExtraTreesRegressor(n_estimators=100, min_samples_leaf=3, n_jobs=1, random_state=0)
        model.fit(X, y)
        per_tree = np.stack([t.predict(C) for t in model.estimators_])
        per_tree.mean(axis=0), per_tree.std(axis=0)
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("functions")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--only")
    parser.add_argument("--samplers", default="tpe,tpe_mv")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-regret", action="store_true")
    args = parser.parse_args()
    import warnings
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    checkpoints = [c for c in (50, 100, 200) if c <= args.budget]
    if not checkpoints or checkpoints[-1] != args.budget:
        checkpoints.append(args.budget)
    with open(args.functions) as fh:
        problems = json.load(fh)["problems"]
    for problem in [] if args.no_regret else problems:
        if args.only and problem["name"] not in args.only.split(","):
            continue
        f = make_function(problem)
        if f is None:
            continue
        for sampler in args.samplers.split(","):
            start = time.perf_counter()
            runs = [tpe_log10_regrets(problem, f, seed, checkpoints, sampler == "tpe_mv")
                    for seed in range(args.seeds)]
            print(json.dumps({"kind": "regret", "method": "optuna_" + sampler, "function": problem["name"],
                              "workers": 1, "seeds": args.seeds,
                              "seconds": round(time.perf_counter() - start, 2),
                              "describe": "TPESampler(multivariate=%s)" % (sampler == "tpe_mv"),
                              "log10_regret": {str(c): [round(r[k], 5) for r in runs]
                                               for k, c in enumerate(checkpoints)}}), flush=True)
    if not args.no_latency:
        for n in (100, 1000, 5000):
            print(json.dumps({"kind": "latency", "method": "sklearn_extratrees", "observations": n,
                              "ms": round(extra_trees_latency(n), 3)}), flush=True)


if __name__ == "__main__":
    main()
