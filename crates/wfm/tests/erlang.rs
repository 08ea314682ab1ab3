//! Erlang B, C and A against published values and against values
//! computed with 50-digit arithmetic (mpmath) far beyond the sizes where
//! naive formulas overflow or underflow.
//!
//! Each row names its source; `check` compares with a relative tolerance.

use wfm::erlang::{ErlangError, Patience, Traffic, erlang_b, erlang_c, performance};

#[track_caller]
fn check(what: &str, actual: f64, expected: f64, tolerance: f64) {
    let error = (actual - expected).abs() / expected.abs();
    assert!(
        error <= tolerance,
        "{what}: {actual} vs {expected} (relative error {error:e} > {tolerance:e})"
    );
}

#[test]
fn erlang_c_published_rows() {
    // pyworkforce tests; R package ErlangC 0.1.0 docs: 100 calls / 30 min,
    // AHT 180 s, 14 agents, T = 20 s.
    let t = Traffic::new(100.0, 1800.0, 180.0).unwrap();
    let p = performance(t, Patience::Unlimited, 14, 20.0).unwrap();
    check("Pw", p.waiting_probability, 0.1741319336, 1e-9);
    check("SL", p.service_level.answered, 0.8883500192, 1e-9);
    check("ASA", p.asa, 7.8359, 1e-4);
    check("occupancy", p.occupancy, 0.714286, 1e-6);
    let p = performance(t, Patience::Unlimited, 15, 20.0).unwrap();
    check("Pw 15", p.waiting_probability, 0.1020424, 1e-6);
    // pyworkforce's test_over_occupancy publishes SL 0.9411267 here; the
    // exact value (50 digits) is 1 − C·e^(−(15−10)·20/180) = 0.94145284...
    check("SL 15", p.service_level.offered, 0.9414528428690223, 1e-12);

    // mitan.co.uk worked example: 360 calls / 30 min, AHT 240 s, 55 agents,
    // T = 15 s.
    let t = Traffic::new(360.0, 1800.0, 240.0).unwrap();
    let p = performance(t, Patience::Unlimited, 55, 15.0).unwrap();
    check("Pw", p.waiting_probability, 0.2387009364, 1e-9);
    check("ASA", p.asa, 8.1840, 1e-4);
    check("SL", p.service_level.answered, 0.8458830922, 1e-9);

    // call-center-tools README: 1000 calls / h, AHT 120 s, T = 20 s.
    let t = Traffic::new(1000.0, 3600.0, 120.0).unwrap();
    let p = performance(t, Patience::Unlimited, 40, 20.0).unwrap();
    check("Pw 40", p.waiting_probability, 0.19073729, 1e-7);
    check("SL 40", p.service_level.answered, 0.93721062, 1e-7);
    check("ASA 40", p.asa, 3.43327, 1e-5);
    let p = performance(t, Patience::Unlimited, 35, 20.0).unwrap();
    check("Pw 35", p.waiting_probability, 0.69651293, 1e-7);
    check("SL 35", p.service_level.answered, 0.47241574, 1e-7);
    check("ASA 35", p.asa, 50.1489, 1e-5);
}

#[test]
fn erlang_b_and_c_published_rows() {
    check(
        "B(123,132)",
        erlang_b(123.0, 132).unwrap(),
        0.031242821046996373,
        1e-13,
    );
    check(
        "C(123,132)",
        erlang_c(123.0, 132).unwrap(),
        0.3211161793,
        1e-9,
    );
    check("B(10,17)", erlang_b(10.0, 17).unwrap(), 0.0129489, 1e-5);
    check("B(10,16)", erlang_b(10.0, 16).unwrap(), 0.0223019, 1e-5);
    // call-center-tools unit tests.
    check(
        "C(12345,12421)",
        erlang_c(12345.0, 12421).unwrap(),
        0.381225015061751,
        1e-12,
    );
}

#[test]
fn erlang_c_at_thousands_of_agents_matches_50_digit_values() {
    // (load, agents, C) from mpmath at 50 digits.
    for (load, agents, expected) in [
        (1000.0, 1030, 0.248908785843602),
        (3000.0, 3050, 0.262716278665860),
        (5000.0, 5050, 0.368172926153194),
        (10000.0, 10100, 0.224762906466532),
        (1950.5, 2000, 0.182465158049641),
    ] {
        check(
            &format!("C({load}, {agents})"),
            erlang_c(load, agents).unwrap(),
            expected,
            1e-11,
        );
    }
}

#[test]
fn erlang_a_published_row() {
    // pyworkforce abandonment tests (first five) and 50-digit values:
    // 10/3 calls per minute, AHT 3 min, mean patience 5 min, 14 agents,
    // T = 20 s.
    let t = Traffic::new(10.0, 180.0, 180.0).unwrap();
    let p = performance(t, Patience::mean(300.0).unwrap(), 14, 20.0).unwrap();
    check("Pw", p.waiting_probability, 0.145260114, 1e-8);
    check("P(abandon)", p.abandon_rate, 0.0139837441, 1e-8);
    check("occupancy", p.occupancy, 0.704297326, 1e-8);
    check(
        "wait of all callers",
        p.average_wait,
        0.069918721 * 60.0,
        1e-8,
    );
    check("SL offered", p.service_level.offered, 0.916792092, 1e-8);
    check("SL answered", p.service_level.answered, 0.929794095, 1e-8);
    check(
        "SL virtual",
        p.service_level.virtual_wait,
        0.918713624,
        1e-8,
    );
    check(
        "SL abandon-neutral",
        p.service_level.abandon_neutral,
        0.920767117,
        1e-8,
    );
}

#[test]
fn erlang_a_where_pyworkforce_underflows() {
    // 1000 calls per minute, AHT 3 min, patience 5 min, 3050 agents: 50-digit
    // values. pyworkforce returns 0.7989 at T = 60 s, its P(no wait).
    let t = Traffic::new(1000.0, 60.0, 180.0).unwrap();
    let patience = Patience::mean(300.0).unwrap();
    let p20 = performance(t, patience, 3050, 20.0).unwrap();
    check("Pw", p20.waiting_probability, 0.2011278052, 1e-8);
    check("P(abandon)", p20.abandon_rate, 0.001392238, 1e-6);
    check("occupancy", p20.occupancy, 0.982237, 1e-6);
    check(
        "SL offered 20 s",
        p20.service_level.offered,
        0.9986077579,
        1e-9,
    );
    let p60 = performance(t, patience, 3050, 60.0).unwrap();
    check(
        "SL offered 60 s",
        p60.service_level.offered,
        0.9986077618,
        1e-9,
    );
    assert!(p60.service_level.offered >= p20.service_level.offered);
}

#[test]
fn erlang_a_overloaded_at_ten_thousand_erlangs() {
    // 10,000 Erlangs on 9,950 agents (AHT 300 s, patience 600 s, T = 20 s):
    // beyond Erlang C's reach; 50-digit values from scripts/erlang_reference.py.
    let t = Traffic::from_erlangs(10_000.0, 300.0).unwrap();
    let p = performance(t, Patience::mean(600.0).unwrap(), 9950, 20.0).unwrap();
    check("Pw", p.waiting_probability, 0.7988431643033552, 1e-9);
    check("P(abandon)", p.abandon_rate, 0.006293177513098749, 1e-9);
    check(
        "SL offered",
        p.service_level.offered,
        0.993671009828419,
        1e-9,
    );
    check(
        "SL virtual",
        p.service_level.virtual_wait,
        0.9999629133327608,
        1e-9,
    );
}

#[test]
fn erlang_a_with_long_patience_approaches_erlang_c() {
    let t = Traffic::new(100.0, 1800.0, 180.0).unwrap();
    let c = performance(t, Patience::Unlimited, 14, 20.0).unwrap();
    let a = performance(t, Patience::mean(1e9).unwrap(), 14, 20.0).unwrap();
    check("Pw", a.waiting_probability, c.waiting_probability, 1e-5);
    check("SL", a.service_level.offered, c.service_level.offered, 1e-5);
    check("ASA", a.asa, c.asa, 1e-4);
    assert!(a.abandon_rate < 1e-6);
}

#[test]
fn erlang_a_settles_even_above_capacity() {
    // 120 Erlangs on 100 agents: abandonment carries the excess.
    let t = Traffic::from_erlangs(120.0, 300.0).unwrap();
    let p = performance(t, Patience::mean(60.0).unwrap(), 100, 20.0).unwrap();
    assert!(p.abandon_rate > 1.0 / 6.0 - 0.01, "{p:?}");
    assert!(p.occupancy < 1.0 && p.occupancy > 0.97, "{p:?}");
    assert!((0.0..=1.0).contains(&p.service_level.offered));
}

#[test]
fn huge_centers_stay_finite_and_consistent() {
    // 100,000 agents, 99,000 Erlangs: no overflow, no underflow to nonsense.
    let t = Traffic::from_erlangs(99_000.0, 300.0).unwrap();
    let c = performance(t, Patience::Unlimited, 100_000, 20.0).unwrap();
    assert!(c.waiting_probability > 0.0 && c.waiting_probability < 1.0);
    let a = performance(t, Patience::mean(120.0).unwrap(), 100_000, 20.0).unwrap();
    // Abandonment shortens the line: less waiting, but the few who hang up
    // are not answered, so "offered" service level may dip below Erlang C's.
    assert!(a.waiting_probability <= c.waiting_probability);
    assert!(a.service_level.virtual_wait >= c.service_level.virtual_wait - 1e-12);
    assert!(a.abandon_rate > 0.0 && a.abandon_rate < 1e-5, "{a:?}");
    for sl in [
        a.service_level.offered,
        a.service_level.answered,
        a.service_level.virtual_wait,
    ] {
        assert!(sl.is_finite() && (0.0..=1.0).contains(&sl), "{a:?}");
    }
}

#[test]
fn bad_inputs_are_named() {
    assert_eq!(
        Traffic::new(-5.0, 1800.0, 180.0),
        Err(ErlangError::NotPositive {
            field: "contacts",
            value: -5.0
        })
    );
    assert!(matches!(
        Traffic::new(100.0, 1800.0, 0.0),
        Err(ErlangError::NotPositive { field: "aht", .. })
    ));
    let t = Traffic::from_erlangs(10.0, 180.0).unwrap();
    let err = performance(t, Patience::Unlimited, 10, 20.0).unwrap_err();
    assert!(err.to_string().contains("at or above"), "{err}");
    assert_eq!(
        performance(t, Patience::Unlimited, 0, 20.0),
        Err(ErlangError::NoAgents)
    );
    assert!(Patience::mean(0.0).is_err());
}
