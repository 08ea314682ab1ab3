//! Staffing against values computed with 50-digit arithmetic, against
//! brute force over agent counts, and on bad targets.

use wfm::erlang::{Patience, Traffic, performance};
use wfm::staffing::{
    ServiceLevelTarget, Shrinkage, SlDefinition, StaffingError, Targets, compare_pooling, staff,
};

fn sl(fraction: f64, threshold: f64) -> Targets {
    Targets {
        service_level: Some(ServiceLevelTarget {
            fraction,
            threshold,
            definition: SlDefinition::Offered,
        }),
        ..Targets::default()
    }
}

fn none() -> Shrinkage {
    Shrinkage::new(0.0).unwrap()
}

#[test]
fn erlang_c_staffing_matches_50_digit_values() {
    // (load, AHT, SL target, T, agents, SL achieved) from mpmath.
    for (load, aht, target, t, agents, achieved) in [
        (1000.0, 180.0, 0.8, 20.0, 1011, 0.8137965),
        (1000.0, 180.0, 0.9, 20.0, 1015, f64::NAN),
        (5000.0, 300.0, 0.8, 20.0, 5019, 0.8017086),
        (10000.0, 300.0, 0.9, 30.0, 10021, 0.9067192),
    ] {
        let traffic = Traffic::from_erlangs(load, aht).unwrap();
        let s = staff(traffic, Patience::Unlimited, &sl(target, t), none(), false).unwrap();
        assert_eq!(s.agents, agents, "A = {load}, {target}/{t}");
        if achieved.is_finite() {
            let got = s.performance.service_level.offered;
            assert!((got - achieved).abs() < 1e-7, "{got} vs {achieved}");
        }
    }
}

#[test]
fn every_target_binds_and_shrinkage_scales_the_schedule() {
    let traffic = Traffic::new(100.0, 1800.0, 180.0).unwrap();
    // The fewest agents by brute force over every count.
    let minimal = |targets: &Targets, patience: Patience| {
        (1..200)
            .find(|&n| performance(traffic, patience, n, 20.0).is_ok_and(|p| targets.met_by(&p)))
            .unwrap()
    };
    let cases = [
        sl(0.8, 20.0),
        Targets {
            max_asa: Some(5.0),
            ..Targets::default()
        },
        Targets {
            max_occupancy: Some(0.7),
            ..sl(0.8, 20.0)
        },
    ];
    for targets in &cases {
        let s = staff(traffic, Patience::Unlimited, targets, none(), false).unwrap();
        assert_eq!(
            s.agents,
            minimal(targets, Patience::Unlimited),
            "{targets:?}"
        );
    }
    // pyworkforce: 80/20 with occupancy at most 70% → 15 agents.
    let s = staff(traffic, Patience::Unlimited, &cases[2], none(), false).unwrap();
    assert_eq!(s.agents, 15);
    let shrunk = staff(
        traffic,
        Patience::Unlimited,
        &cases[2],
        Shrinkage::new(0.25).unwrap(),
        false,
    )
    .unwrap();
    assert_eq!(shrunk.scheduled, 20.0);
}

#[test]
fn erlang_a_staffing_is_the_fewest_that_meets_the_targets() {
    let patience = Patience::mean(120.0).unwrap();
    for (load, targets) in [
        (10.0, sl(0.8, 20.0)),
        (48.0, sl(0.9, 15.0)),
        (
            200.0,
            Targets {
                max_abandon: Some(0.02),
                ..Targets::default()
            },
        ),
        (
            300.0,
            Targets {
                max_asa: Some(10.0),
                ..sl(0.85, 30.0)
            },
        ),
    ] {
        let traffic = Traffic::from_erlangs(load, 240.0).unwrap();
        let s = staff(traffic, patience, &targets, none(), false).unwrap();
        let threshold = targets.service_level.map_or(20.0, |sl| sl.threshold);
        let ok = |n: u32| targets.met_by(&performance(traffic, patience, n, threshold).unwrap());
        assert!(ok(s.agents), "A = {load}: {} should meet", s.agents);
        assert!(!ok(s.agents - 1), "A = {load}: {} should not", s.agents - 1);
    }
}

#[test]
fn fractional_staffing_lies_between_the_neighbours() {
    let traffic = Traffic::from_erlangs(10.0, 180.0).unwrap();
    let s = staff(traffic, Patience::Unlimited, &sl(0.8, 20.0), none(), true).unwrap();
    let f = s.fractional_agents.unwrap();
    assert!(
        f > f64::from(s.agents - 1) && f <= f64::from(s.agents),
        "{f}"
    );
    assert_eq!(s.scheduled, f);
}

#[test]
fn pooling_needs_fewer_agents_than_splitting() {
    let queues: Vec<Traffic> = [(8.0, 180.0), (12.0, 240.0), (5.0, 300.0)]
        .iter()
        .map(|&(load, aht)| Traffic::from_erlangs(load, aht).unwrap())
        .collect();
    let c = compare_pooling(&queues, Patience::Unlimited, &sl(0.8, 20.0), none()).unwrap();
    assert_eq!(c.split.len(), 3);
    assert!(c.pooled.agents < c.split_agents, "{c:?}");
    assert!((c.pooled.performance.offered_load - 25.0).abs() < 1e-9);
}

#[test]
fn impossible_or_malformed_targets_are_refused() {
    let traffic = Traffic::from_erlangs(10.0, 180.0).unwrap();
    let err = staff(traffic, Patience::Unlimited, &sl(1.0, 0.0), none(), false).unwrap_err();
    assert!(err.to_string().contains("100%"), "{err}");
    assert!(matches!(
        staff(traffic, Patience::Unlimited, &sl(1.2, 20.0), none(), false),
        Err(StaffingError::Target {
            field: "service level",
            ..
        })
    ));
    assert_eq!(
        staff(
            traffic,
            Patience::Unlimited,
            &Targets::default(),
            none(),
            false
        ),
        Err(StaffingError::NoTarget)
    );
    let abandon = Targets {
        max_abandon: Some(0.05),
        ..Targets::default()
    };
    assert_eq!(
        staff(traffic, Patience::Unlimited, &abandon, none(), false),
        Err(StaffingError::AbandonWithoutPatience)
    );
    assert!(Shrinkage::new(1.0).is_err());
    assert!(Shrinkage::new(-0.1).is_err());
}
