#!/usr/bin/env python3
"""Switchboard's forecasts beside Python's statsforecast on the same split.

Key pieces: `ensure_venv` (installs statsforecast and pandas into
target/compare-forecast-venv, then re-runs this script there),
`arrivals` (the bank log as 30-minute arrivals, by the rules of
wfm::forecast::bank), `switchboard_backtest` (runs the release binary
with --json), `main` (prints the table).

The split: the Anonymous Bank log of February 1999 (data/, Technion SEE
lab), arrivals per 30-minute interval, trained on 1-21 February and
forecast for 22-28 February. statsforecast fits MSTL (daily and weekly
seasons, AutoETS trend, its default) and MFLES on the raw series, as a
user would; negative forecasts are clipped to 0 and counted, as
Switchboard does. WAPE = sum |actual - forecast| / sum actual.

Needs the network once (PyPI) and a Rust toolchain. Usage:
    scripts/compare_forecast.py
"""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "compare-forecast-venv"
BANK = ROOT / "data" / "anonymous_bank_february.tsv"
PACKAGES = ["statsforecast==2.*", "pandas", "scikit-learn"]  # MFLES needs scikit-learn
INTERVAL_MINUTES = 30
PER_DAY = 24 * 60 // INTERVAL_MINUTES
TRAIN_DAYS = 21
TEST_DAYS = 7


def ensure_venv():
    """Re-runs this script inside a venv that has statsforecast."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    check = subprocess.run(
        [str(python), "-c", "import statsforecast, pandas, sklearn"], capture_output=True
    )
    if check.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES], check=True
        )
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


def arrivals():
    """30-minute arrivals per day of the log: every call but PHANTOM, in
    the interval of its vru_entry; every date in the log gets all 48
    intervals."""
    import pandas as pd

    calls = pd.read_csv(BANK, sep="\t", dtype=str)
    calls = calls[calls["outcome"].str.strip() != "PHANTOM"]
    day = pd.to_datetime("19" + calls["date"].str.strip(), format="%Y%m%d")
    clock = pd.to_timedelta(calls["vru_entry"].str.strip())
    start = (day + clock).dt.floor(f"{INTERVAL_MINUTES}min")
    counts = start.value_counts()
    days = pd.date_range(day.min(), day.max(), freq="D")
    grid = pd.date_range(
        days[0], days[-1] + pd.Timedelta(days=1), freq=f"{INTERVAL_MINUTES}min", inclusive="left"
    )
    grid = grid[grid.normalize().isin(days)]
    return pd.Series(counts.reindex(grid, fill_value=0).astype(float).values, index=grid)


def switchboard_backtest():
    """Switchboard's one-fold backtest at 22 February, as JSON."""
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "-p", "switchboard"], cwd=ROOT, check=True
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    out = subprocess.run(
        [
            str(target / "release" / "switchboard"),
            "forecast",
            "--bank-tsv",
            str(BANK),
            "--interval",
            str(INTERVAL_MINUTES),
            "--backtest",
            "--horizon",
            str(TEST_DAYS),
            "--folds",
            "1",
            "--json",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)["backtest"]


def scores(actual, forecast):
    import numpy as np

    actual, forecast = np.asarray(actual), np.asarray(forecast)
    error = actual - forecast
    positive = actual > 0
    return (
        np.abs(error).sum() / actual.sum(),
        np.mean(np.abs(error[positive]) / actual[positive]),
        float(np.sqrt(np.mean(error**2))),
    )


def main():
    ensure_venv()
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import MFLES, MSTL, SeasonalNaive

    series = arrivals()
    assert len(series) == (TRAIN_DAYS + TEST_DAYS) * PER_DAY, len(series)
    train, test = series[: TRAIN_DAYS * PER_DAY], series[TRAIN_DAYS * PER_DAY :]

    ours = switchboard_backtest()
    ours_actual = [p["actual"] for p in ours["intervals"]]
    if not np.array_equal(ours_actual, test.values):
        sys.exit("Switchboard's actuals differ from this script's: the split is not the same")

    seasons = [PER_DAY, 7 * PER_DAY]
    models = [
        MSTL(season_length=seasons, alias="MSTL"),
        MFLES(season_length=seasons, alias="MFLES"),
        SeasonalNaive(season_length=7 * PER_DAY, alias="SeasonalNaive"),
    ]
    frame = pd.DataFrame({"unique_id": "bank", "ds": train.index, "y": train.values})
    fitted = StatsForecast(models=models, freq=f"{INTERVAL_MINUTES}min").forecast(
        df=frame, h=len(test)
    )

    rows = []
    for s in ours["scores"]:
        rows.append(
            (f"switchboard {s['method']}", s["wape"], s["mape"], s["rmse"], s["clipped"]["intervals"])
        )
    for model in models:
        raw = fitted[model.alias].to_numpy()
        clipped = int((raw < 0).sum())
        rows.append(
            (f"statsforecast {model.alias}", *scores(test.values, np.maximum(raw, 0.0)), clipped)
        )
        if clipped:
            wape, mape, rmse = scores(test.values, raw)
            rows.append((f"statsforecast {model.alias} (unclipped)", wape, mape, rmse, 0))

    print(
        f"Anonymous Bank, {INTERVAL_MINUTES}-minute arrivals, trained on "
        f"{train.index[0]:%d %b} - {train.index[-1]:%d %b %Y}, "
        f"forecast {test.index[0]:%d %b} - {test.index[-1]:%d %b %Y} "
        f"({len(test)} intervals, {test.sum():.0f} calls)"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'method':<{width}}  {'WAPE':>6}  {'MAPE':>6}  {'RMSE':>6}  clipped")
    for name, wape, mape, rmse, clipped in sorted(rows, key=lambda r: r[1]):
        print(f"{name:<{width}}  {100 * wape:5.1f}%  {100 * mape:5.1f}%  {rmse:6.2f}  {clipped:7d}")


if __name__ == "__main__":
    main()
