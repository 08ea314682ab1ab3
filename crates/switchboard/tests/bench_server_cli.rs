//! `switchboard bench server` end to end, small: 20 agents, a light rate
//! for a few seconds on a fresh SQLite store. Checks that every contact
//! got its offer and that the summary line has the fields scripts read, in
//! order.

mod common;

use common::{ok, switchboard};

#[test]
fn bench_server_offers_every_contact_and_prints_the_summary() {
    let out = switchboard(&[
        "bench",
        "server",
        "--agents",
        "20",
        "--rate",
        "100",
        "--warmup",
        "1",
        "--seconds",
        "2",
    ]);
    let stdout = ok(&out);
    let last = stdout.lines().last().unwrap_or_default();
    let fields: Vec<(&str, &str)> = last
        .strip_prefix("bench server ")
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"))
        .split(' ')
        .map(|field| field.split_once('=').expect("key=value"))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys[..3],
        ["backend", "contacts_per_s", "p99_offer_ms"],
        "{last}"
    );
    let value = |key: &str| fields.iter().find(|(k, _)| *k == key).unwrap().1;
    assert_eq!(value("backend"), "sqlite");
    assert_eq!(value("no_offer"), "0", "{stdout}");
    // Offers follow the 100 contacts a second the load submits.
    let rate: f64 = value("contacts_per_s").parse().unwrap();
    assert!((50.0..150.0).contains(&rate), "{stdout}");
    let p99: f64 = value("p99_offer_ms").parse().unwrap();
    assert!(p99 > 0.0, "{stdout}");
}
