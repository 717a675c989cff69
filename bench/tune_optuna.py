"""Optuna on Branin, the peer of bench/tune.sh: trials to regret < 0.1 per seed.

usage: python3 bench/tune_optuna.py ALGORITHM SEEDS MAX_TRIALS   (ALGORITHM: tpe | cmaes | random)
Prints one line per seed: the trial (1-based) at which the best value came
within 0.1 of Branin's minimum 0.397887, or "none" within MAX_TRIALS; then the
mean suggestion time in ms at the last 10 trials.
"""
import math
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
MINIMUM = 0.397887


def branin(x1, x2):
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def main():
    name, seeds, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    for seed in range(seeds):
        study = optuna.create_study(sampler=sampler(name, seed))
        best, hit, times = float("inf"), None, []
        for i in range(budget):
            t0 = time.perf_counter()
            trial = study.ask()
            x1, x2 = trial.suggest_float("x1", -5, 10), trial.suggest_float("x2", 0, 15)
            times.append(time.perf_counter() - t0)
            value = branin(x1, x2)
            study.tell(trial, value)
            best = min(best, value)
            if hit is None and best - MINIMUM < 0.1:
                hit = i + 1
                break
        print(hit if hit else "none", "%.2f" % (1000 * sum(times[-10:]) / len(times[-10:])))


main()
