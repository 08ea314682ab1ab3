#!/usr/bin/env python3
"""Side by side: `switchboard schedule` against pyworkforce's
MinRequiredResources (OR-Tools CP-SAT) on the same requirement and shifts.

Usage: scripts/compare_schedule.py [REQUIREMENT.csv SHIFTS.toml]
(default: the example week under examples/schedule).

It makes a virtual environment under target/compare-schedule-venv, installs
pyworkforce there (the newest release this Python supports: 0.5.4 needs
Python 3.12; on 3.11 pip takes 0.5.1, whose scheduling code is the same),
builds switchboard in release mode, runs both, and prints cost and coverage
measured the same way for each.

pyworkforce's model is narrower than ours, so its input is a translation:
- coverage is 0/1 per period, so each break sits at a fixed place (the
  middle of its window) and an agent counts in a period only when on the
  phone for all of it (a 15-minute break blanks a 30-minute period);
- requirements must be integers: fractional ones are rounded up;
- costs must be integers (they are in the example);
- one cap for every shift (max_shift_concurrency), not one per template,
  and every shift runs every day, so `max_agents` and `days` are dropped
  (the script says so when a template has them);
- no opening hours: periods are the hours the requirement spans.
Both plans are then scored against the original, fractional requirement.
A last case shows what each says when an interval cannot be covered
(pyworkforce issue 45).
"""

import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "compare-schedule-venv")


def in_venv():
    """Re-runs this script inside the venv, creating it when missing."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        print(f"creating {VENV} and installing pyworkforce…", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "pyworkforce>=0.5.1"], check=True
        )
    os.execv(python, [python, *sys.argv])


def clock(text):
    h, m = text.strip().split(":")
    return int(h) * 60 + int(m)


def read_requirement(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    points = {datetime.fromisoformat(r["start"]): float(r["agents"] or 0) for r in rows}
    starts = sorted(points)
    interval = min((b - a for a, b in zip(starts, starts[1:]) if b > a), default=timedelta(minutes=30))
    minutes = int(interval.total_seconds() // 60)
    days = sorted({s.date() for s in starts})
    first = min(s.hour * 60 + s.minute for s in starts)
    last = max(s.hour * 60 + s.minute for s in starts) + minutes
    periods = (last - first) // minutes
    need = [[0.0] * periods for _ in days]
    for s, agents in points.items():
        need[days.index(s.date())][(s.hour * 60 + s.minute - first) // minutes] = agents
    return days, first, minutes, periods, need


def pyworkforce_shifts(templates, first, minutes, periods):
    """(name, cost, 0/1 coverage, minute share on the phone) per template ×
    start, breaks fixed mid-window."""
    shifts = []
    for t in templates["shift"]:
        if "max_agents" in t or "days" in t:
            print(
                f"note: pyworkforce cannot express max_agents/days of `{t['name']}`; dropped",
                file=sys.stderr,
            )
        length = clock(t["length"])
        step = clock(t["start_step"]) if "start_step" in t else minutes
        paid = length - sum(clock(b["length"]) for b in t.get("break", []) if not b.get("paid"))
        cost = t.get("cost", paid / 60)
        if cost != int(cost):
            sys.exit(f"pyworkforce needs integer costs; `{t['name']}` costs {cost}")
        for spec in t["starts"]:
            a, _, b = spec.partition("-")
            for start in range(clock(a), clock(b or a) + 1, step):
                off = []
                for br in t.get("break", []):
                    lo, hi = (clock(x) for x in br["window"].split("-"))
                    blen = clock(br["length"])
                    slots = list(range(lo, hi - blen + 1, minutes))
                    at = start + slots[len(slots) // 2]
                    off.append((at, at + blen))
                cover, share = [], []
                for p in range(periods):
                    ps, pe = first + p * minutes, first + (p + 1) * minutes
                    overlap = lambda a, b: max(0, min(b, pe) - max(a, ps))
                    on_phone = overlap(start, start + length) - sum(overlap(a, b) for a, b in off)
                    cover.append(1 if on_phone == minutes else 0)
                    share.append(on_phone / minutes)
                if start >= first and start + length <= first + periods * minutes:
                    name = f"{t['name']}@{start // 60:02d}:{start % 60:02d}"
                    shifts.append((name, int(cost), cover, share))
    return shifts


def run_pyworkforce(days, periods, need, shifts, limit=120.0):
    """MinRequiredResources on the translated input; (solution, seconds)."""
    from pyworkforce.scheduling import MinRequiredResources

    required = [[math.ceil(x - 1e-9) for x in day] for day in need]
    scheduler = MinRequiredResources(
        num_days=len(days),
        periods=periods,
        shifts_coverage={name: cover for name, _, cover, _ in shifts},
        required_resources=required,
        max_period_concurrency=1000,
        max_shift_concurrency=max(1, max(max(d) for d in required)),
        cost_dict={name: cost for name, cost, _, _ in shifts},
        max_search_time=limit,
        num_search_workers=2,
    )
    started = time.perf_counter()
    solution = scheduler.solve()
    return solution, time.perf_counter() - started


def score_pyworkforce(solution, days, minutes, periods, need, shifts):
    # Scored by the minute, as switchboard's plans are: an agent on a
    # 15-minute break is half there in a 30-minute period.
    cover = {name: share for name, _, _, share in shifts}
    cost_of = {name: cost for name, cost, _, _ in shifts}
    staff = [[0.0] * periods for _ in days]
    cost = agents = 0
    for r in solution["resources_shifts"]:
        if r["resources"] > 0:
            agents += r["resources"]
            cost += r["resources"] * cost_of[r["shift"]]
            for p, c in enumerate(cover[r["shift"]]):
                staff[r["day"]][p] += r["resources"] * c
    hours = minutes / 60
    short = sum(max(0, n - s) for dn, ds in zip(need, staff) for n, s in zip(dn, ds)) * hours
    over = sum(max(0, s - n) for dn, ds in zip(need, staff) for n, s in zip(dn, ds)) * hours
    short_intervals = sum(1 for dn, ds in zip(need, staff) for n, s in zip(dn, ds) if s < n - 1e-9)
    return cost, agents, short, over, short_intervals


def run_switchboard(requirement, shifts_path):
    binary = os.path.join(ROOT, "target", "release", "switchboard")
    started = time.perf_counter()
    out = subprocess.run(
        [binary, "schedule", "--requirement", requirement, "--templates", shifts_path, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"},
    )
    return out, time.perf_counter() - started


def main():
    in_venv()
    args = sys.argv[1:]
    requirement = args[0] if args else os.path.join(ROOT, "examples/schedule/requirement.csv")
    shifts_path = args[1] if len(args) > 1 else os.path.join(ROOT, "examples/schedule/shifts.toml")
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "switchboard"], cwd=ROOT, check=True
    )
    import pyworkforce

    print(f"python {sys.version.split()[0]}, pyworkforce {pyworkforce.__version__}")
    with open(shifts_path, "rb") as f:
        templates = tomllib.load(f)
    days, first, minutes, periods, need = read_requirement(requirement)
    shifts = pyworkforce_shifts(templates, first, minutes, periods)
    print(
        f"{len(days)} days × {periods} periods of {minutes} min, "
        f"{len(shifts)} shifts per day, {sum(map(sum, need)) * minutes / 60:.2f} agent-hours needed\n"
    )

    plans = []
    with tempfile.TemporaryDirectory() as tmp:
        rounded = os.path.join(tmp, "rounded.csv")
        with open(requirement, newline="") as f, open(rounded, "w") as out:
            rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
            out.write("start,agents\n")
            for r in rows:
                out.write(f"{r['start']},{math.ceil(float(r['agents'] or 0) - 1e-9)}\n")
        for path in (requirement, rounded):
            ours, seconds = run_switchboard(path, shifts_path)
            if ours.returncode != 0:
                sys.exit(ours.stderr)
            plans.append((json.loads(ours.stdout)["plan"], seconds))
    solution, py_s = run_pyworkforce(days, periods, need, shifts)
    if solution["status"] not in ("OPTIMAL", "FEASIBLE"):
        sys.exit(f"pyworkforce: {solution['status']}")
    py = score_pyworkforce(solution, days, minutes, periods, need, shifts)

    # Every plan is scored against the original, fractional requirement.
    def score(plan):
        staff = {r["start"]: r["scheduled"] for r in plan["coverage"]}
        pairs = []
        for d, day in enumerate(days):
            for p in range(periods):
                start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=first + p * minutes)
                pairs.append((need[d][p], staff.get(start.isoformat(), 0.0)))
        hours = minutes / 60
        return (
            sum(max(0, n - s) for n, s in pairs) * hours,
            sum(max(0, s - n) for n, s in pairs) * hours,
            sum(1 for n, s in pairs if s < n - 1e-9),
        )

    (a, a_s), (b, b_s) = plans
    sa, sb = score(a), score(b)
    print(f"{'':30}{'switchboard':>14}{'switchboard':>14}{'pyworkforce':>14}")
    print(f"{'need':30}{'as given':>14}{'rounded up':>14}{'rounded up':>14}")
    print(f"{'breaks':30}{'in windows':>14}{'in windows':>14}{'fixed':>14}")
    rows = [
        ("status", a["status"], b["status"], solution["status"].lower()),
        ("cost", f"{a['cost']:.2f}", f"{b['cost']:.2f}", f"{py[0]:.2f}"),
        ("agent-shifts", a["agent_shifts"], b["agent_shifts"], py[1]),
        ("short agent-hours", f"{sa[0]:.2f}", f"{sb[0]:.2f}", f"{py[2]:.2f}"),
        ("intervals short", sa[2], sb[2], py[4]),
        ("over agent-hours", f"{sa[1]:.2f}", f"{sb[1]:.2f}", f"{py[3]:.2f}"),
        ("wall seconds", f"{a_s:.2f}", f"{b_s:.2f}", f"{py_s:.2f}"),
    ]
    for name, x, y, z in rows:
        print(f"{name:30}{x!s:>14}{y!s:>14}{z!s:>14}")
    print(
        "(short and over against the requirement as given, counted by the minute; "
        "wall seconds include start-up)"
    )
    print(
        f"\npyworkforce pays {py[0] - a['cost']:+.2f} ({(py[0] / a['cost'] - 1) * 100:+.1f} %) "
        f"against switchboard on the requirement as given, "
        f"{py[0] - b['cost']:+.2f} ({(py[0] / b['cost'] - 1) * 100:+.1f} %) on the same rounded one."
    )

    # pyworkforce issue 45: an interval no shift can cover.
    print("\nAn interval no shift can cover (08:00 needs 1; shifts start at 09:00):")
    with tempfile.TemporaryDirectory() as tmp:
        req = os.path.join(tmp, "req.csv")
        tpl = os.path.join(tmp, "shifts.toml")
        with open(req, "w") as f:
            f.write("start,agents\n2025-03-03T08:00,1\n2025-03-03T09:00,2\n2025-03-03T10:00,2\n")
        with open(tpl, "w") as f:
            f.write('[[shift]]\nname = "three"\nlength = "3:00"\nstarts = ["09:00"]\n')
        out, _ = run_switchboard(req, tpl)
        message = out.stderr.strip().splitlines()
        print("  switchboard: " + " / ".join(line.strip() for line in message if line.strip()))
        d, f0, m, p, n = read_requirement(req)
        with open(tpl, "rb") as fh:
            s = pyworkforce_shifts(tomllib.load(fh), f0, m, p)
        solution, _ = run_pyworkforce(d, p, n, s, limit=10.0)
        print(f"  pyworkforce: status {solution['status']}, cost {solution['cost']}, "
              f"resources_shifts {solution['resources_shifts']}")


if __name__ == "__main__":
    main()
