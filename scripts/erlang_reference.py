#!/usr/bin/env python3
"""Reference values for Erlang A (M/M/N+M) at 50 digits, for the wfm tests.

Independent of the Rust implementation: it sums the birth-death chain
exactly with mpmath and takes the regularised incomplete beta function from
mpmath.betainc, where the Rust code streams its negative-binomial form.
Usage: pip install mpmath; scripts/erlang_reference.py LAMBDA_PER_S AHT_S PATIENCE_S N T_S
"""
import sys

from mpmath import betainc, mp, mpf

mp.dps = 50


def erlang_a(lam, aht, patience, n, t):
    lam, mu, theta, t = mpf(lam), 1 / mpf(aht), 1 / mpf(patience), mpf(t)
    probs = [mpf(1)]  # relative to p_0
    for k in range(1, n + 1):
        probs.append(probs[-1] * lam / (k * mu))
    queue = []  # p_{N+j}
    p = probs[-1]
    j = 0
    while True:
        queue.append(p)
        j += 1
        p = p * lam / (n * mu + j * theta)
        if p < queue[0] * mpf(10) ** -40 and lam < n * mu + j * theta:
            break
    total = sum(probs[:-1]) + sum(queue)
    b = n * mu / theta
    x = 1 - mp.exp(-theta * t)
    no_wait = sum(probs[:-1]) / total
    lq = sum(j * q for j, q in enumerate(queue)) / total
    served_within = sum(
        q * b / (b + j + 1) * betainc(j + 1, b + 1, 0, x, regularized=True)
        for j, q in enumerate(queue)
    ) / total
    virtual = sum(
        q * betainc(j + 1, b, 0, x, regularized=True) for j, q in enumerate(queue)
    ) / total
    abandon = theta * lq / lam
    return {
        "waiting_probability": 1 - no_wait,
        "abandon_rate": abandon,
        "service_level_offered": no_wait + served_within,
        "service_level_virtual": no_wait + virtual,
    }


if __name__ == "__main__":
    lam, aht, patience, n, t = sys.argv[1:6]
    for key, value in erlang_a(float(lam), float(aht), float(patience), int(n), float(t)).items():
        print(key, mp.nstr(value, 20))
