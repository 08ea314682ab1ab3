//! Bad scenarios are refused with an error that names the key, or the file
//! and line, at fault.

use std::path::Path;

use sim::{Scenario, ScenarioError};

const BASE: &str = r#"
skills = ["billing", "sales"]
[simulation]
start = "2025-03-04T00:00"
time_zone = "Europe/Paris"
duration = "24h"
[[queue]]
name = "Billing"
skills = { billing = 3 }
arrivals = { per_hour = 60 }
handle = { exponential = "3m" }
[[group]]
name = "team"
count = 5
skills = { billing = 5 }
queues = { Billing = 1 }
"#;

/// The error of `BASE` with `from` replaced by `to`.
fn error_of(from: &str, to: &str) -> ScenarioError {
    assert!(BASE.contains(from), "{from:?} is not in the base scenario");
    let text = BASE.replacen(from, to, 1);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    match Scenario::from_toml_in(&text, &data) {
        Ok(_) => panic!("accepted a scenario with {to:?}"),
        Err(e) => e,
    }
}

/// Asserts the message holds every piece.
fn says(error: &ScenarioError, pieces: &[&str]) {
    let message = error.to_string();
    println!("{message}");
    for piece in pieces {
        assert!(message.contains(piece), "{message:?} lacks {piece:?}");
    }
}

#[test]
fn the_base_scenario_is_valid() {
    Scenario::from_toml(BASE).expect("valid");
}

#[test]
fn unknown_skill_in_a_queue() {
    let e = error_of("skills = { billing = 3 }", "skills = { biling = 3 }");
    assert!(
        matches!(e, ScenarioError::Unknown { kind: "skill", .. }),
        "{e:?}"
    );
    says(
        &e,
        &["queue \"Billing\".skills", "\"biling\"", "billing, sales"],
    );
}

#[test]
fn negative_rates() {
    let e = error_of("per_hour = 60", "per_hour = -60");
    says(&e, &["queue \"Billing\".arrivals.per_hour", "-60"]);
    let e = error_of(
        "arrivals = { per_hour = 60 }",
        r#"arrivals = { interval = "30m", profile = [
            { start = "08:00", contacts = 10 },
            { start = "08:30", contacts = -4 },
        ] }"#,
    );
    says(
        &e,
        &["queue \"Billing\".arrivals.profile[2].contacts", "-4"],
    );
}

#[test]
fn a_group_with_no_queue() {
    let e = error_of("queues = { Billing = 1 }", "queues = {}");
    says(&e, &["group \"team\".queues", "serves no queue"]);
}

#[test]
fn a_group_naming_an_unknown_queue() {
    let e = error_of("queues = { Billing = 1 }", "queues = { Biling = 1 }");
    says(&e, &["group \"team\".queues", "unknown queue \"Biling\""]);
}

#[test]
fn a_group_without_the_skill_level_a_queue_needs() {
    let e = error_of("skills = { billing = 5 }", "skills = { billing = 2 }");
    says(
        &e,
        &[
            "group \"team\".queues",
            "skill \"billing\" at level 3",
            "has 2",
        ],
    );
}

#[test]
fn a_queue_with_traffic_and_no_agents() {
    let e = error_of(
        "queues = { Billing = 1 }",
        r#"queues = { Sales = 1 }
        [[queue]]
        name = "Sales"
        skills = { billing = 1 }
        handle = { fixed = "1m" }"#,
    );
    says(&e, &["queue \"Billing\"", "no agent"]);
}

#[test]
fn a_profile_csv_with_a_bad_row_names_its_line() {
    let e = error_of("per_hour = 60", r#"csv = "bad_profile.csv""#);
    assert!(matches!(e, ScenarioError::Profile { .. }), "{e:?}");
    says(
        &e,
        &[
            "queue \"Billing\".arrivals",
            "bad_profile.csv",
            "line 3",
            "contacts",
        ],
    );
}

#[test]
fn a_missing_file_is_named() {
    let e = error_of("per_hour = 60", r#"csv = "no_such.csv""#);
    says(&e, &["no_such.csv"]);
}

#[test]
fn a_roster_with_overlapping_rows_names_the_line() {
    let e = error_of(
        "skills = [\"billing\", \"sales\"]",
        "skills = [\"billing\", \"sales\"]\nroster = \"overlapping_roster.csv\"",
    );
    says(&e, &["overlapping_roster.csv", "line 3", "overlaps line 2"]);
}

#[test]
fn empirical_samples_with_a_bad_value_name_the_line() {
    let e = error_of(
        r#"handle = { exponential = "3m" }"#,
        r#"handle = { empirical_csv = { path = "bad_samples.csv", column = "talk" } }"#,
    );
    says(&e, &["bad_samples.csv", "line 4"]);
}

#[test]
fn unknown_keys_and_bad_values_are_toml_errors() {
    let e = error_of("count = 5", "cuont = 5");
    assert!(matches!(e, ScenarioError::Toml(_)), "{e:?}");
    says(&e, &["cuont"]);
    let e = error_of(r#"duration = "24h""#, r#"duration = "24 parsecs""#);
    says(&e, &["parsecs"]);
}

#[test]
fn probabilities_are_checked() {
    let e = error_of(
        r#"handle = { exponential = "3m" }"#,
        r#"handle = { exponential = "3m" }
        deflect = 1.5"#,
    );
    says(&e, &["queue \"Billing\".deflect", "1.5"]);
}

#[test]
fn overflow_needs_max_wait() {
    let e = error_of(
        r#"handle = { exponential = "3m" }"#,
        r#"handle = { exponential = "3m" }
        overflow = "voicemail""#,
    );
    says(&e, &["queue \"Billing\".overflow", "max_wait"]);
}

#[test]
fn count_and_shifts_exclude_each_other() {
    let e = error_of(
        "queues = { Billing = 1 }",
        r#"queues = { Billing = 1 }
        [[group.shift]]
        count = 2
        start = "08:00"
        end = "16:00""#,
    );
    says(&e, &["group \"team\".count", "not both"]);
}

#[test]
fn a_break_outside_its_shift() {
    let e = error_of(
        "count = 5\nskills = { billing = 5 }\nqueues = { Billing = 1 }",
        r#"skills = { billing = 5 }
        queues = { Billing = 1 }
        [[group.shift]]
        count = 2
        start = "08:00"
        end = "16:00"
        breaks = [{ start = "17:00", end = "17:15", reason = "break" }]"#,
    );
    says(
        &e,
        &["group \"team\".shift[1].breaks[1]", "within the shift"],
    );
}

#[test]
fn names_are_unique() {
    let e = error_of(
        "[[group]]",
        r#"[[queue]]
        name = "Billing"
        skills = { billing = 1 }
        handle = { fixed = "1m" }
        [[group]]"#,
    );
    says(&e, &["queue \"Billing\"", "used twice"]);
}

#[test]
fn an_unknown_time_zone() {
    let e = error_of("Europe/Paris", "Europe/Atlantis");
    says(&e, &["simulation.time_zone", "Europe/Atlantis"]);
}

#[test]
fn the_engines_own_validation_applies() {
    // Relaxation steps out of order pass the simulator's checks and are
    // refused by acd::config::Config::validate.
    let e = error_of(
        r#"handle = { exponential = "3m" }"#,
        r#"handle = { exponential = "3m" }
        relaxation = [{ after = "60s", min_level = 2 }, { after = "30s", min_level = 1 }]"#,
    );
    assert!(matches!(e, ScenarioError::Config(_)), "{e:?}");
    says(&e, &["relaxation"]);
}
