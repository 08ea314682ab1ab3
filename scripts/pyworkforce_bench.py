#!/usr/bin/env python3
"""pyworkforce's side of `switchboard bench wfm`: the same staffing work,
timed, printed as one JSON object. Run by the bench with the interpreter of
the venv that scripts/bench-wfm sets up; not meant to be run by hand.

Work (must match crates/switchboard/src/bench/wfm.rs):
- staff one interval at A = 10,000 Erlangs: AHT 300 s, 90 % within 30 s,
  Erlang C;
- a day of 96 15-minute intervals, A_i = 2000 + 8000 sin^2(pi i / 96),
  AHT 300 s, 80 % within 20 s, Erlang C;
- one Erlang A evaluation where its exp() underflows: 1000 calls/min,
  AHT 3 min, patience 5 min, 3050 agents, service level within 60 s.
"""
import json
import math
import time

from pyworkforce.queuing import ErlangC
from pyworkforce.queuing.abandonment import ErlangA


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def staff(load, aht_min, sl, asa_min):
    interval = 15
    transactions = load * interval / aht_min
    erlang = ErlangC(transactions=transactions, aht=aht_min, asa=asa_min, interval=interval)
    return erlang.required_positions(service_level=sl, max_occupancy=1.0)["raw_positions"]


def main():
    one, one_s = timed(lambda: staff(10_000, 5.0, 0.9, 0.5))
    loads = [2000 + 8000 * math.sin(math.pi * i / 96) ** 2 for i in range(96)]
    day, day_s = timed(lambda: [staff(a, 5.0, 0.8, 20 / 60) for a in loads])
    erlang_a = ErlangA(transactions=1000 * 30, aht=3, asa=1, interval=30, patience=5)
    sl60, sl60_s = timed(lambda: erlang_a.service_level(3050, asa=1))
    print(json.dumps({
        "staff_a10000_agents": one,
        "staff_a10000_s": one_s,
        "day96_agents": sum(day),
        "day96_s": day_s,
        "erlang_a_sl60": sl60,
        "erlang_a_s": sl60_s,
    }))


if __name__ == "__main__":
    main()
