//! Forecasting on real and on long synthetic history.
//!
//! Key pieces: `bank(minutes)` loads the Anonymous Bank month from the
//! repository's `data/`; `synthetic(seed)` makes six months of 5-minute,
//! weekdays-only 7:00–21:00 history with holidays missing, a trend, a
//! month-start bump, day-level and Poisson noise; `wape(backtest, method)`
//! reads one score. Accuracy assertions are relations measured on these
//! data (the numbers are in the comments), with some room, not results
//! copied in.

use std::collections::HashMap;

use jiff::Span;
use jiff::civil::{Date, DateTime, date};
use wfm::forecast::{
    Backtest, DEFAULT_ANOMALY_Z, History, Horizon, InputError, Method, backtest, bank, forecast,
    select,
};
use wfm::series::{Demand, IntervalLength};

fn minutes(m: u32) -> IntervalLength {
    IntervalLength::from_minutes(m).unwrap()
}

fn days(d: u32) -> Horizon {
    Horizon::days_ahead(d).unwrap()
}

fn plus(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).unwrap()
}

fn bank(m: u32) -> bank::BankImport {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/anonymous_bank_february.tsv"
    );
    bank::load(std::fs::File::open(path).unwrap(), minutes(m)).unwrap()
}

fn wape(b: &Backtest, method: Method) -> f64 {
    b.scores.iter().find(|s| s.method == method).unwrap().wape
}

#[test]
fn the_bank_loader_accounts_for_every_call() {
    let import = bank(30);
    let r = &import.report;
    assert_eq!(r.arrivals + r.phantom, r.calls);
    assert_eq!(r.abandoned + r.answered, r.arrivals);
    assert_eq!(
        r.aht_calls + r.answered_by_no_server + r.answered_without_service_start,
        r.answered
    );
    assert!(r.phantom > 0 && r.answered_by_no_server > 0 && r.answered_without_service_start > 0);
    let h = &import.history;
    let total: f64 = h.observations().iter().map(|o| o.contacts).sum();
    assert_eq!(total, r.arrivals as f64);
    assert_eq!(h.observations().len() as u64, r.days * 48);
    assert_eq!(h.date_range(), Some((date(1999, 2, 1), date(1999, 2, 28))));
}

/// Train on 1–21 February, forecast 22–28 February at 30 minutes.
/// Measured WAPE: seasonal naive 0.279, weekday average 0.231, profile
/// 0.227, Holt–Winters 0.217, MSTL 0.213 (123 intervals clipped),
/// combined 0.210.
#[test]
fn on_the_bank_month_smoothing_and_the_combination_beat_the_profile() {
    let history = bank(30).history;
    let b = backtest(&history, days(7), &[date(1999, 2, 22)], DEFAULT_ANOMALY_Z).unwrap();
    assert_eq!(b.folds[0].training_days, 21);
    assert_eq!(b.folds[0].intervals, 7 * 48);
    let naive = wape(&b, Method::SeasonalNaive);
    let profile = wape(&b, Method::Profile);
    assert!(profile < 0.85 * naive, "{:?}", b.scores);
    assert!(
        wape(&b, Method::HoltWinters) < 0.97 * profile,
        "{:?}",
        b.scores
    );
    assert!(
        wape(&b, Method::Combined) < 0.95 * profile,
        "{:?}",
        b.scores
    );
    assert_eq!(b.best, Method::Combined);

    // Three weeks are too few for MSTL's weekly season: it forecasts
    // negative counts at night, which are clipped and reported.
    let mstl = b.scores.iter().find(|s| s.method == Method::Mstl).unwrap();
    assert!(mstl.clipped.intervals > 0);
    assert!(
        b.intervals
            .iter()
            .all(|p| p.forecasts.values().all(|&f| f >= 0.0))
    );

    // Handle time: measured 0.205 against 0.238 for last week's value.
    let aht = b.aht.as_ref().unwrap();
    assert!(aht.wape < aht.last_week_wape, "{aht:?}");

    // The month's spike: 407 calls from 13:00 on Wednesday 3 February
    // against a usual 65. It is listed for the planner to trace and kept
    // out of training; left in, it inflated every later Wednesday 13:00
    // forecast so much that the ordinary 45 calls of 24 February were
    // flagged as a collapse.
    let spike: DateTime = "1999-02-03T13:00".parse().unwrap();
    let outlier = b.outliers.iter().find(|o| o.start == spike).unwrap();
    assert_eq!(outlier.actual, 407.0);
    assert!(outlier.typical < 100.0, "{outlier:?}");
    let later: DateTime = "1999-02-24T13:00".parse().unwrap();
    assert!(
        b.anomalies.iter().all(|a| a.start != later),
        "{:?}",
        b.anomalies
    );
    let p = b.intervals.iter().find(|p| p.start == later).unwrap();
    assert!(p.forecasts[&Method::Combined] < 2.0 * p.actual, "{p:?}");
}

struct Rng(u64);

impl Rng {
    /// SplitMix64: tiny, deterministic, good enough for test data.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform().max(f64::MIN_POSITIVE), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// By inversion: the rates here stay far below where exp(−λ)
    /// underflows.
    fn poisson(&mut self, lambda: f64) -> f64 {
        let u = self.uniform();
        let (mut k, mut p) = (0u32, (-lambda).exp());
        let mut cdf = p;
        while u > cdf && k < 1000 {
            k += 1;
            p *= lambda / f64::from(k);
            cdf += p;
        }
        f64::from(k)
    }
}

const SYNTHETIC_START: Date = date(2023, 1, 2);
const SYNTHETIC_WEEKS: i64 = 28;
const HOLIDAYS: [Date; 3] = [date(2023, 4, 7), date(2023, 4, 10), date(2023, 5, 29)];

/// 28 weeks of 5-minute history of a center open weekdays 7:00–21:00
/// (about 2,700 calls on a Monday): a morning and an afternoon peak with a
/// lunch dip, Fridays quieter after lunch, weekday levels from Monday
/// 1.25 to Friday 0.85, +15% over the half year, +8% on the first four
/// days of a month, day-to-day noise of 7% and Poisson arrivals; AHT near
/// 240 s rising through the day. Holidays have no rows. Also returns the
/// rate each interval was drawn from without the day noise: the best any
/// forecast could know.
fn synthetic(seed: u64) -> (History, HashMap<DateTime, f64>) {
    let mut rng = Rng(seed);
    let mut observations = Vec::new();
    let mut rate = HashMap::new();
    for d in 0..SYNTHETIC_WEEKS * 7 {
        let day = plus(SYNTHETIC_START, d);
        let weekday = day.weekday().to_monday_zero_offset() as usize;
        if weekday >= 5 || HOLIDAYS.contains(&day) {
            continue;
        }
        let level = 20.0
            * [1.25, 1.1, 1.0, 0.95, 0.85][weekday]
            * (1.0 + 0.15 * d as f64 / (SYNTHETIC_WEEKS * 7) as f64)
            * if day.day() <= 4 { 1.08 } else { 1.0 };
        let noise = (0.07 * rng.normal() - 0.07f64.powi(2) / 2.0).exp();
        for slot in 84..252 {
            let hour = slot as f64 / 12.0 + 1.0 / 24.0;
            let bump = |centre: f64, width: f64| (-((hour - centre) / width).powi(2)).exp();
            let mut shape = 0.25 + bump(10.5, 1.5) + 0.8 * bump(14.5, 2.0) - 0.2 * bump(12.75, 0.6);
            if weekday == 4 && hour > 13.0 {
                shape *= 0.8;
            }
            let contacts = rng.poisson(level * shape * noise);
            let aht = (contacts > 0.0).then(|| {
                240.0 * (1.0 + (hour - 14.0) / 70.0) * (0.3 * rng.normal() / contacts.sqrt()).exp()
            });
            let start = day.at((slot / 12) as i8, (slot % 12 * 5) as i8, 0, 0);
            rate.insert(start, level * shape);
            observations.push(Demand {
                start,
                contacts,
                aht,
            });
        }
    }
    (History::new(minutes(5), observations).unwrap(), rate)
}

/// The goal: with months of 5-minute history, WAPE at least 25% below
/// seasonal naive over a four-week horizon, and better than the profile.
/// The method is chosen as `--method auto` would, from the training part
/// only. Measured WAPE: seasonal naive 0.286, profile 0.2075 (0.725 of
/// naive), Holt–Winters 0.2013 (0.703, chosen), and 0.2016 (0.704) for
/// forecasting with the rates the data were drawn from — the floor that
/// Poisson and day noise leave. AHT: 0.061 against 0.084 for last week's.
#[test]
fn with_months_of_five_minute_history_the_chosen_method_meets_the_goal() {
    let (history, rate) = synthetic(1);
    let origin = plus(SYNTHETIC_START, (SYNTHETIC_WEEKS - 4) * 7);
    let chosen = select(&history.before(origin)).unwrap().best;
    let b = backtest(&history, days(28), &[origin], DEFAULT_ANOMALY_Z).unwrap();
    let naive = wape(&b, Method::SeasonalNaive);
    let achieved = wape(&b, chosen);
    let profile = wape(&b, Method::Profile);
    let (mut miss, mut actual) = (0.0, 0.0);
    for p in &b.intervals {
        miss += (p.actual - rate[&p.start]).abs();
        actual += p.actual;
    }
    let floor = miss / actual;
    assert!(
        achieved <= 0.75 * naive,
        "{chosen}: {achieved} vs naive {naive}"
    );
    assert!(
        achieved < profile,
        "{chosen}: {achieved} vs profile {profile}"
    );
    assert!(
        achieved < floor * 1.05,
        "{chosen}: {achieved} vs floor {floor}"
    );
    let aht = b.aht.as_ref().unwrap();
    assert!(aht.wape < 0.8 * aht.last_week_wape, "{aht:?}");
}

#[test]
fn business_hours_weekdays_and_holidays_shape_the_forecast() {
    let (history, _) = synthetic(2);
    let history = history.with_special_days([date(2023, 7, 18)]);
    let f = forecast(&history, Method::HoltWinters, "4w".parse().unwrap()).unwrap();
    assert_eq!(f.origin, date(2023, 7, 15));
    // 20 weekdays of 7:00–21:00 in 5-minute intervals; no nights, no
    // weekends, whatever the history's missing days.
    assert_eq!(f.demand.len(), 20 * 168);
    for d in &f.demand {
        assert!(d.start.date().weekday().to_monday_zero_offset() < 5);
        assert!((7..21).contains(&d.start.hour()), "{}", d.start);
        assert!(d.contacts >= 0.0 && d.aht.is_some_and(|a| a > 0.0));
    }
    assert_eq!(f.special_days, vec![date(2023, 7, 18)]);
    assert_eq!(f.clipped.intervals, 0);
}

#[test]
fn a_special_day_in_training_is_left_out() {
    let (history, _) = synthetic(3);
    let spike_day = date(2023, 7, 5);
    let mut observations = history.observations().to_vec();
    let without: Vec<Demand> = observations
        .iter()
        .filter(|o| o.start.date() != spike_day)
        .copied()
        .collect();
    for o in observations
        .iter_mut()
        .filter(|o| o.start.date() == spike_day)
    {
        o.contacts *= 10.0;
    }
    let spiked = History::new(minutes(5), observations)
        .unwrap()
        .with_special_days([spike_day]);
    let clean = History::new(minutes(5), without).unwrap();
    for method in [Method::Profile, Method::HoltWinters, Method::SeasonalNaive] {
        let a = forecast(&spiked, method, days(7)).unwrap();
        let b = forecast(&clean, method, days(7)).unwrap();
        assert_eq!(a.demand, b.demand, "{method}");
    }
}

#[test]
fn a_malformed_row_names_its_line_field_and_value() {
    let csv = "start,contacts,aht\n\
               2024-03-04T07:00,12,180\n\
               2024-03-04T07:30,twelve,180\n";
    let err = History::from_csv(csv.as_bytes(), None).unwrap_err();
    assert!(
        matches!(&err, InputError::Field { line: 3, field, value, .. } if field == "contacts" && value == "twelve"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "line 3: field `contacts` has value \"twelve\": not a number"
    );

    let csv = "start,contacts\r\n2024-03-04T07:00,1\r\n2024-03-04T07:30\r\n";
    let err = History::from_csv(csv.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "line 3: 1 fields where the header has 2");

    let csv = "start,contacts\n2024-03-04T07:00,1\n2024-03-04T07:30,0\n2024-03-04T25:00,1\n";
    let err = History::from_csv(csv.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("line 4: field `start` has value \"2024-03-04T25:00\""),
        "{err}"
    );

    let csv = "start,calls\n2024-03-04T07:00,1\n";
    let err = History::from_csv(csv.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "line 1: unknown column `calls` in the header (expected start, contacts, aht)"
    );

    let csv = "start,contacts,aht\n2024-03-04T07:00,1,0\n";
    let err = History::from_csv(csv.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "line 2: field `aht` has value \"0\": must be > 0 seconds"
    );
}

#[test]
fn an_interval_of_20_minutes_is_refused() {
    assert_eq!(
        IntervalLength::from_minutes(20).unwrap_err().to_string(),
        "interval length must be 5, 15, 30 or 60 minutes, got 20"
    );
    let csv = "start,contacts\n2024-03-04T07:00,1\n2024-03-04T07:20,2\n2024-03-04T07:40,3\n";
    let err = History::from_csv(csv.as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "interval length must be 5, 15, 30 or 60 minutes, got 20 \
         (inferred from the gap between lines 2 and 3)"
    );
}

#[test]
fn too_short_a_history_is_an_error_not_a_guess() {
    let csv: String = std::iter::once("start,contacts\n".to_owned())
        .chain((1..=10).map(|d| format!("2024-03-{d:02}T09:00,5\n")))
        .collect();
    let history = History::from_csv(csv.as_bytes(), Some(minutes(60))).unwrap();
    let err = forecast(&history, Method::Profile, days(7))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "forecasting from 2024-03-11 needs at least 14 days of history before it, got 10"
    );
}
