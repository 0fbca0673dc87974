#!/usr/bin/python3
"""Tables from the JSON lines of bench_search and optuna_reference.py (benchmarks/search/run.sh
calls this; it can also be run on saved files).

    summarize.py FILE.jsonl... [--cbo METHOD] [--section regret,concurrency,latency]

regret: mean log10 regret +- its standard error over the seeds, per function and number of
        evaluations, for Kyper's CBO, Optuna TPE (default and multivariate) and random search.
        A target is met when CBO's mean is at most the best reference's mean plus two standard
        errors of the difference (sqrt(se_cbo^2 + se_ref^2)).
concurrency: the same with 1, 8, 64 simulated asynchronous workers, against random search at
        the same concurrency; target: at 64 workers, within 0.2 of the sequential run after
        200 evaluations.
latency: ask latency after n observations in 10-D.
"""
import argparse
import json
import math


def mean_se(values):
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    var = sum((v - m) ** 2 for v in values) / (n - 1)
    return m, math.sqrt(var / n)


def fmt(ms):
    return f"{ms[0]:7.2f} ±{ms[1]:5.2f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+")
    parser.add_argument("--cbo", default="kyper_cbo", help="the method label of Kyper's CBO")
    parser.add_argument("--section", default="regret,concurrency,latency")
    args = parser.parse_args()
    rows = [json.loads(line) for path in args.files for line in open(path) if line.strip().startswith("{")]
    sections = args.section.split(",")

    regret = {(r["method"], r["function"]): r for r in rows if r["kind"] == "regret"}
    functions = list(dict.fromkeys(r["function"] for r in rows if r["kind"] in ("regret", "concurrency")))
    cbo = args.cbo
    if "regret" in sections and any(m == cbo for m, _ in regret):
        refs = [m for m in ("optuna_tpe", "optuna_tpe_mv", "kyper_random") if any(mm == m for mm, _ in regret)]
        seeds = next(r["seeds"] for (m, _), r in regret.items() if m == cbo)
        describe = next(r.get("describe", "") for (m, _), r in regret.items() if m == cbo)
        print(f"Sequential search: mean log10 regret ± standard error over {seeds} seeds (lower is better)")
        print(f"Kyper CBO = {describe} (on {next(f for (m, f) in regret if m == cbo)})")
        header = f"{'function':<12}{'evals':>6}  {'Kyper CBO':>14}" + "".join(f"  {m:>14}" for m in refs) + "  target"
        print(header)
        met = {}
        for f in functions:
            k = regret.get((cbo, f))
            if not k:
                continue
            for evals, values in k["log10_regret"].items():
                ours = mean_se(values)
                line = f"{f:<12}{evals:>6}  {fmt(ours):>14}"
                best = None
                for m in refs:
                    r = regret.get((m, f))
                    if not r or evals not in r["log10_regret"]:
                        line += f"  {'-':>14}"
                        continue
                    ref = mean_se(r["log10_regret"][evals])
                    line += f"  {fmt(ref):>14}"
                    if best is None or ref[0] < best[0]:
                        best = ref
                if best is not None:
                    ok = ours[0] <= best[0] + 2 * math.sqrt(ours[1] ** 2 + best[1] ** 2)
                    met.setdefault(evals, []).append(ok)
                    line += "  " + ("met" if ok else "MISSED") + f" ({ours[0] - best[0]:+.2f} vs best)"
                print(line)
        for evals, oks in met.items():
            print(f"at {evals} evaluations: CBO at least as good as the best reference (2 SE) on {sum(oks)}/{len(oks)}")
        print()

    conc = {(r["method"], r["function"], r["workers"]): r for r in rows if r["kind"] == "concurrency"}
    if "concurrency" in sections and conc:
        workers = sorted({w for _, _, w in conc})
        methods = [m for m in (cbo, "kyper_random") if any(mm == m for mm, _, _ in conc)]
        seeds = next(iter(conc.values()))["seeds"]
        print(f"Asynchronous workers (durations ~ Exponential(1)): mean log10 regret ± SE after n finished "
              f"evaluations, {seeds} seeds")
        print(f"{'function':<12}{'evals':>6}" + "".join(f"  {m[:8] + ' W=' + str(w):>15}" for m in methods for w in workers))
        within = []
        for f in functions:
            for evals in ("50", "100", "200"):
                cells = []
                for m in methods:
                    for w in workers:
                        r = conc.get((m, f, w))
                        cells.append(f"  {fmt(mean_se(r['log10_regret'][evals])) if r and evals in r['log10_regret'] else '-':>15}")
                if any(c.strip() != "-" for c in cells):
                    print(f"{f:<12}{evals:>6}" + "".join(cells))
            seq, par = conc.get((cbo, f, 1)), conc.get((cbo, f, max(workers)))
            if seq and par and "200" in seq["log10_regret"] and max(workers) > 1:
                gap = mean_se(par["log10_regret"]["200"])[0] - mean_se(seq["log10_regret"]["200"])[0]
                within.append((f, gap))
        if within:
            ok = sum(g <= 0.2 for _, g in within)
            print(f"at {max(workers)} workers, 200 evaluations: log10 regret minus the sequential run's: " +
                  ", ".join(f"{f} {g:+.2f}" for f, g in within) +
                  f" -> within 0.2 on {ok}/{len(within)} (target: >= 4/5)")
        print()

    lat = [r for r in rows if r["kind"] == "latency"]
    if "latency" in sections and lat:
        print("Ask latency (refit included), 10-D, 21 asks after n observations: median / 90th percentile / max "
              "wall ms, median CPU ms")
        print(f"{'method':<22}{'surrogate':>10}{'n':>7}{'median':>9}{'p90':>9}{'max':>9}{'CPU':>9}")
        for r in lat:
            if "p90_ms" in r:
                print(f"{r['method']:<22}{r['surrogate']:>10}{r['observations']:>7}{r['ms']:>9.2f}{r['p90_ms']:>9.2f}"
                      f"{r['max_ms']:>9.2f}{r['cpu_ms']:>9.2f}")
            else:
                print(f"{r['method']:<22}{'':>10}{r['observations']:>7}{r['ms']:>9.2f}")
        for r in lat:
            if r["method"] == cbo and r["observations"] in (1000, 5000):
                limit = 5 if r["observations"] == 1000 else 20
                print(f"target ask <= {limit} ms at {r['observations']} observations: "
                      f"{'met' if r['ms'] <= limit else 'NOT met'} ({r['ms']:.2f} ms median)")


if __name__ == "__main__":
    main()
