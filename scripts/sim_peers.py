#!/usr/bin/env python3
"""The Python peers of `switchboard bench sim`: the same M/M/14 model run in
SimPy and in Ciw, timed, with the Erlang C values it should reproduce.

Model (the Rust side of `switchboard bench sim` must run the same):
14 agents, offered load A = 10 Erlangs, i.e. Poisson arrivals at
lambda = 10/180 per second and exponential handle time with mean 180 s; one
FIFO queue, infinite patience (no abandonment), empty at t = 0. A run is N
calls: N arrivals that are all answered and finished. No warm-up is cut: over
1,000,000 calls the empty start moves the figures by far less than their
sampling noise.

Run by scripts/bench-sim with the interpreter of its venv (simpy, ciw);
`scripts/bench-sim --help` lists the options, which it passes on unchanged.

Output, on stdout, one line per item, stable for the Rust bench to parse:
each line is space-separated key=value pairs, the first pair names the kind
of line; parse by key, not by position (keys may be added at the end).
Lines starting with '#' are notes for people; skip them.

  # M/M/14, A = 10 Erlangs, AHT 180 s, FIFO, no abandonment; python 3.11.7
  peer=simpy version=4.1.1 calls=1000000 seconds=9.048 calls_per_s=110519 wait_prob=0.1732 asa_s=7.81 sl20=0.8892 seed=1
  peer=ciw version=3.2.7 calls=1000000 seconds=19.941 calls_per_s=50148 wait_prob=0.1732 asa_s=7.82 sl20=0.8892 seed=1
  reference=erlang_c servers=14 erlang=10 aht_s=180 wait_prob=0.1741 asa_s=7.84 sl20=0.8884

  peer        simpy | ciw: the library that ran the model
  version     that library's version
  calls       calls simulated (Ciw may run fewer than SimPy: see --ciw-calls)
  seconds     wall time of the simulation run only: building the model and
              running it to the last call; not the imports, not the
              statistics computed from the waits afterwards
  calls_per_s calls / seconds: the figure the bench compares
  wait_prob   share of calls that waited at all (wait > 0)
  asa_s       mean wait over all calls (those answered at once count 0), s
  sl20        share of calls answered within 20 s (wait <= 20 s)
  seed        the seed given to the library's random streams
  (reference=erlang_c: the same three figures from the formula, and the model)

Both libraries draw from Python's Mersenne Twister (SimPy through our
random.Random(seed), Ciw through random.seed in ciw.seed), so with the same
seed their sample paths nearly coincide and their figures agree to three or
four digits: that shows they run the same model, not two independent
confirmations of Erlang C. Over seeds 1-6 at 1,000,000 calls SimPy gave wait_prob
0.1736 +- 0.0032 (sd), asa_s 7.80 +- 0.33, sl20 0.8887 +- 0.0030.

A full run of both at 1,000,000 calls takes about 30 s on the 2-core bench
machine and peaks near 0.8 GB (Ciw's records).
"""
import argparse
import math
import platform
import sys
import time

SERVERS = 14
ERLANGS = 10.0
AHT_S = 180.0
ARRIVAL_RATE = ERLANGS / AHT_S  # calls per second
SL_THRESHOLD_S = 20.0
DEFAULT_CALLS = 1_000_000


def erlang_c(servers, erlangs, aht, threshold):
    """Waiting probability, ASA and service level of M/M/N (Erlang C).

    The Erlang B recursion keeps every term below 1, so no factorials."""
    b = 1.0
    for k in range(1, servers + 1):
        b = erlangs * b / (k + erlangs * b)
    rho = erlangs / servers
    c = b / (1.0 - rho + rho * b)
    asa = c * aht / (servers - erlangs)
    sl = 1.0 - c * math.exp(-(servers - erlangs) * threshold / aht)
    return c, asa, sl


def summarise(waits):
    n = len(waits)
    waited = sum(1 for w in waits if w > 0.0)
    within = sum(1 for w in waits if w <= SL_THRESHOLD_S)
    return waited / n, math.fsum(waits) / n, within / n


def run_simpy(calls, seed):
    """The model as a SimPy tutorial would write it: a Resource for the
    agents, one generator for the arrivals, one process per call."""
    import random

    import simpy

    rng = random.Random(seed)
    expo = rng.expovariate
    service_rate = 1.0 / AHT_S
    waits = []
    record = waits.append

    def call(env, agents):
        arrived = env.now
        with agents.request() as answered:
            yield answered
            record(env.now - arrived)
            yield env.timeout(expo(service_rate))

    def arrivals(env, agents):
        for _ in range(calls):
            yield env.timeout(expo(ARRIVAL_RATE))
            env.process(call(env, agents))

    start = time.perf_counter()
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=SERVERS)
    env.process(arrivals(env, agents))
    env.run()  # no horizon: runs until the last call has hung up
    seconds = time.perf_counter() - start

    assert len(waits) == calls, (len(waits), calls)
    return simpy.__version__, seconds, waits


def run_ciw(calls, seed):
    """The model the Ciw way: a one-node network, run until `calls`
    customers have left it."""
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1.0 / AHT_S)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    start = time.perf_counter()
    sim = ciw.Simulation(network)
    # 'Finish' counts every customer that reached the exit node; with no
    # baulking or reneging that is exactly the calls that were served.
    sim.simulate_until_max_customers(calls, method="Finish")
    seconds = time.perf_counter() - start

    # Only customers that have left: those still in service at the stop
    # would bias nothing but are not part of the N.
    waits = [r.waiting_time for r in sim.get_all_records(only=["service"])]
    assert len(waits) == calls, (len(waits), calls)
    return ciw.__version__, seconds, waits


def line(pairs):
    return " ".join(f"{k}={v}" for k, v in pairs)


def peer_line(peer, version, calls, seconds, waits, seed):
    wait_prob, asa, sl = summarise(waits)
    return line([
        ("peer", peer),
        ("version", version),
        ("calls", calls),
        ("seconds", f"{seconds:.3f}"),
        ("calls_per_s", f"{calls / seconds:.0f}"),
        ("wait_prob", f"{wait_prob:.4f}"),
        ("asa_s", f"{asa:.2f}"),
        ("sl20", f"{sl:.4f}"),
        ("seed", seed),
    ])


def positive_int(text):
    value = int(text.replace("_", "").replace(",", ""))
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="M/M/14 at A = 10 in SimPy and Ciw, timed (the peers of `switchboard bench sim`).")
    parser.add_argument("--calls", type=positive_int, default=DEFAULT_CALLS,
                        help=f"calls for SimPy (default {DEFAULT_CALLS})")
    # Ciw is about 2x slower than SimPy and keeps a record per call (~0.8 GB
    # at a million), so a quick look may want a smaller run; its calls per
    # second barely moves with the run length (55k/s at 1e5, 50k/s at 1e6).
    parser.add_argument("--ciw-calls", type=positive_int, default=None,
                        help="calls for Ciw (default: --calls)")
    parser.add_argument("--seed", type=int, default=1, help="seed of both peers' random streams (default 1)")
    parser.add_argument("--only", choices=["simpy", "ciw"], help="run one peer only")
    args = parser.parse_args(argv)
    ciw_calls = args.ciw_calls or args.calls

    print(f"# M/M/{SERVERS}, A = {ERLANGS:g} Erlangs, AHT {AHT_S:g} s, FIFO, no abandonment; "
          f"python {platform.python_version()}", flush=True)
    if args.only != "ciw":
        version, seconds, waits = run_simpy(args.calls, args.seed)
        print(peer_line("simpy", version, args.calls, seconds, waits, args.seed), flush=True)
        del waits
    if args.only != "simpy":
        if ciw_calls != args.calls:
            print(f"# ciw runs {ciw_calls} calls, not {args.calls} (--ciw-calls): "
                  f"its calls_per_s is from that run", flush=True)
        version, seconds, waits = run_ciw(ciw_calls, args.seed)
        print(peer_line("ciw", version, ciw_calls, seconds, waits, args.seed), flush=True)
    c, asa, sl = erlang_c(SERVERS, ERLANGS, AHT_S, SL_THRESHOLD_S)
    print(line([
        ("reference", "erlang_c"),
        ("servers", SERVERS),
        ("erlang", f"{ERLANGS:g}"),
        ("aht_s", f"{AHT_S:g}"),
        ("wait_prob", f"{c:.4f}"),
        ("asa_s", f"{asa:.2f}"),
        ("sl20", f"{sl:.4f}"),
    ]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
