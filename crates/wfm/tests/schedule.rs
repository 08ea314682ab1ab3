//! Shift scheduling and rostering, checked on the example week and on
//! instances small enough to solve by hand or by brute force.
//!
//! Key helpers: `requirement` (a series from clock times and agents),
//! `check_plan` (every invariant a plan must hold: coverage recomputed
//! from its shifts and breaks, breaks inside their windows, shifts inside
//! opening hours and on allowed starts).

use std::path::PathBuf;

use jiff::civil::{DateTime, date};
use wfm::schedule::{
    Agents, Goal, Plan, RequirementSeries, ScheduleError, SolveOptions, SolveStatus, Templates,
    UncoveredReason, assign, coverage_svg, solve,
};
use wfm::series::{IntervalLength, Requirement};

fn example(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/schedule")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn at(day: i8, hour: i8, minute: i8) -> DateTime {
    date(2025, 3, day).at(hour, minute, 0, 0)
}

/// A requirement on Monday 2025-03-03 from `(hour, minute, agents)`.
fn requirement(interval: u32, points: &[(i8, i8, f64)]) -> RequirementSeries {
    RequirementSeries::new(
        IntervalLength::from_minutes(interval).unwrap(),
        points
            .iter()
            .map(|&(h, m, agents)| Requirement {
                start: at(3, h, m),
                agents,
            })
            .collect(),
    )
    .unwrap()
}

fn minutes_between(a: DateTime, b: DateTime) -> i64 {
    b.duration_since(a).as_mins()
}

fn minute_of_day(t: DateTime) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

/// Every invariant of a plan, recomputed from its parts.
fn check_plan(plan: &Plan, requirement: &RequirementSeries, templates: &Templates) {
    let interval = i64::from(plan.interval_minutes);
    for shift in &plan.shifts {
        let template = templates
            .shifts
            .iter()
            .find(|t| t.name == shift.template)
            .expect("a plan uses its templates");
        assert_eq!(
            minutes_between(shift.start, shift.end),
            i64::from(template.length)
        );
        assert!(
            template.runs_on(shift.start.weekday()),
            "{shift:?} on a day its template allows"
        );
        let start = minute_of_day(shift.start) as u32;
        assert!(
            template.start_times(plan.interval_minutes).contains(&start),
            "{shift:?} starts at an allowed time"
        );
        assert!(
            templates
                .opening
                .contains(shift.start.weekday(), start, start + template.length),
            "{shift:?} lies inside opening hours"
        );
        if let Some(max) = template.max_agents {
            assert!(shift.agents <= max);
        }
        assert!(shift.agents >= template.min_agents);
        for rule in &template.breaks {
            let taken: Vec<_> = shift
                .breaks
                .iter()
                .filter(|b| b.name == rule.name)
                .collect();
            assert_eq!(
                taken.iter().map(|b| b.agents).sum::<u32>(),
                shift.agents,
                "every agent of {shift:?} takes one `{}`",
                rule.name
            );
            for b in taken {
                let offset = minutes_between(shift.start, b.start);
                assert!(
                    offset >= i64::from(rule.earliest),
                    "{b:?} not before its window"
                );
                assert!(
                    offset + i64::from(rule.length) <= i64::from(rule.latest_end),
                    "{b:?} not after its window"
                );
                assert_eq!(minutes_between(b.start, b.end), i64::from(rule.length));
            }
        }
    }
    // Coverage recomputed minute by minute from shifts and breaks.
    let total = |from: DateTime| -> f64 {
        let to = from + jiff::SignedDuration::from_mins(interval);
        let overlap = |a: DateTime, b: DateTime| {
            let (lo, hi) = (a.max(from), b.min(to));
            if hi > lo {
                minutes_between(lo, hi) as f64 / interval as f64
            } else {
                0.0
            }
        };
        plan.shifts
            .iter()
            .map(|s| {
                f64::from(s.agents) * overlap(s.start, s.end)
                    - s.breaks
                        .iter()
                        .map(|b| f64::from(b.agents) * overlap(b.start, b.end))
                        .sum::<f64>()
            })
            .sum()
    };
    for row in &plan.coverage {
        assert!((row.scheduled - total(row.start)).abs() < 1e-9, "{row:?}");
        assert!((row.scheduled - row.required - row.over + row.short).abs() < 1e-9);
    }
    if plan.budget.is_none() {
        for point in requirement.points() {
            let row = plan
                .coverage
                .iter()
                .find(|r| r.start == point.start)
                .expect("every interval with a requirement has a row");
            assert!(
                row.scheduled >= point.agents - 1e-9,
                "{} needs {} but has {}",
                point.start,
                point.agents,
                row.scheduled
            );
        }
    }
}

#[test]
fn the_example_week_is_covered_in_every_interval() {
    let requirement =
        RequirementSeries::from_csv(example("requirement.csv").as_bytes(), None, None).unwrap();
    let templates = Templates::from_toml(&example("shifts.toml")).unwrap();
    let plan = solve(&requirement, &templates, &SolveOptions::default()).unwrap();
    assert_eq!(plan.status, SolveStatus::Optimal);
    assert_eq!(plan.short_hours, 0.0);
    check_plan(&plan, &requirement, &templates);
    assert_eq!(
        plan.coverage.len(),
        7 * 28,
        "07:00-21:00 for a week, nothing at night"
    );
    let paid: f64 = plan
        .shifts
        .iter()
        .map(|s| s.paid_hours * f64::from(s.agents))
        .sum();
    assert!((paid - plan.paid_hours).abs() < 1e-9);
    let cost: f64 = plan
        .shifts
        .iter()
        .map(|s| s.cost * f64::from(s.agents))
        .sum();
    assert!((cost - plan.cost).abs() < 1e-6);

    let svg = coverage_svg(&plan);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("Mon 03-03") && svg.contains("Sun 03-09"));

    let names: Vec<&str> = templates.shifts.iter().map(|t| t.name.as_str()).collect();
    let agents = Agents::from_toml(&example("agents.toml"), &names).unwrap();
    let roster = assign(&plan, &agents, None).unwrap();
    let filled =
        roster.assignments.len() as u32 + roster.open_shifts.iter().map(|o| o.agents).sum::<u32>();
    assert_eq!(
        filled, plan.agent_shifts,
        "every planned agent is named or open"
    );
    for agent in &agents.agents {
        let mine: Vec<_> = roster
            .assignments
            .iter()
            .filter(|a| a.agent == agent.name)
            .collect();
        for pair in mine.windows(2) {
            assert!(
                pair[0].start.date() < pair[1].start.date(),
                "one shift a day"
            );
            assert!(minutes_between(pair[0].end, pair[1].start) >= i64::from(agents.min_rest));
        }
        let hours: f64 = mine.iter().map(|a| a.paid_hours).sum();
        assert!(agent.max_hours.is_none_or(|max| hours <= max + 1e-9));
        for a in &mine {
            let from = minute_of_day(a.start) as u32;
            let to = from + minutes_between(a.start, a.end) as u32;
            assert!(
                agent.available.contains(a.start.weekday(), from, to),
                "{a:?}"
            );
            assert!(
                agent
                    .templates
                    .as_ref()
                    .is_none_or(|t| t.contains(&a.template))
            );
        }
    }
}

/// A day with a 6-hour shift (a one-hour break two or three hours in),
/// 3-hour and 2-hour shifts, on hourly intervals.
const SMALL: &str = r#"
[[shift]]
name = "long"
length = "6:00"
starts = ["08:00"]
cost = 5.0
[[shift.break]]
name = "lunch"
length = "1:00"
paid = true
window = "2:00-4:00"

[[shift]]
name = "short"
length = "3:00"
starts = ["08:00-11:00"]
cost = 3.0

[[shift]]
name = "tiny"
length = "2:00"
starts = ["08:00-12:00"]
cost = 2.2
"#;

#[test]
fn the_cost_is_optimal_on_an_instance_solved_by_brute_force() {
    let need = [1.0, 2.0, 1.5, 2.0, 1.0, 2.0];
    let points: Vec<(i8, i8, f64)> = need
        .iter()
        .enumerate()
        .map(|(i, &n)| (8 + i as i8, 0, n))
        .collect();
    let requirement = requirement(60, &points);
    let templates = Templates::from_toml(SMALL).unwrap();
    let plan = solve(&requirement, &templates, &SolveOptions::default()).unwrap();
    check_plan(&plan, &requirement, &templates);

    // Candidates as (first hour, hours, cost); the long shift's lunch is
    // at hour 2 or 3 of it. Up to 3 long shifts and 2 of each other.
    let mut candidates = Vec::new();
    for s in 0..4 {
        candidates.push((s, 3, 3.0));
    }
    for s in 0..5 {
        candidates.push((s, 2, 2.2));
    }
    let mut best = f64::INFINITY;
    let combos = 3usize.pow(candidates.len() as u32);
    for long in 0..=3usize {
        for lunch_early in 0..=long {
            for code in 0..combos {
                let mut cover = [long as f64; 6];
                let mut cost = 5.0 * long as f64;
                cover[2] -= lunch_early as f64;
                cover[3] -= (long - lunch_early) as f64;
                let mut rest = code;
                for &(first, hours, c) in &candidates {
                    let n = rest % 3;
                    rest /= 3;
                    cost += c * n as f64;
                    for c in &mut cover[first..(first + hours).min(6)] {
                        *c += n as f64;
                    }
                }
                if cover.iter().zip(&need).all(|(c, n)| c >= n) {
                    best = best.min(cost);
                }
            }
        }
    }
    assert!(
        (plan.cost - best).abs() < 1e-9,
        "solver {} brute force {best}",
        plan.cost
    );
    // By hand: the long shift with its lunch at 11:00 and short shifts
    // at 09:00 and 11:00 cover [1, 2, 2, 2, 2, 2] for 5 + 3 + 3.
    assert!((best - 11.0).abs() < 1e-9, "worked out by hand: {best}");
}

#[test]
fn an_infeasible_requirement_names_the_intervals_no_shift_can_cover() {
    let templates = Templates::from_toml(
        r#"
[opening]
all = "07:00-21:00"
[[shift]]
name = "day"
length = "4:00"
starts = ["09:00-17:00"]
max_agents = 1
"#,
    )
    .unwrap();
    let requirement = requirement(
        30,
        &[
            (6, 30, 2.0),
            (8, 0, 1.0),
            (10, 0, 1.0),
            (13, 0, 9.5),
            (21, 0, 1.0),
        ],
    );
    let err = solve(&requirement, &templates, &SolveOptions::default()).unwrap_err();
    let ScheduleError::Infeasible(uncovered) = &err else {
        panic!("{err}");
    };
    let found: Vec<(DateTime, UncoveredReason)> =
        uncovered.iter().map(|u| (u.start, u.reason)).collect();
    assert_eq!(
        found,
        vec![
            (at(3, 6, 30), UncoveredReason::Closed),
            (at(3, 8, 0), UncoveredReason::NoShift),
            (at(3, 13, 0), UncoveredReason::MaxAgents),
            (at(3, 21, 0), UncoveredReason::Closed),
        ]
    );
    // 13:00 is reached by the shifts starting 09:30 … 13:00, one agent each.
    assert_eq!(uncovered[2].reachable, 8.0);
    assert_eq!(
        err.to_string(),
        "no schedule can cover 4 intervals:\n  \
         Mon 2025-03-03 06:30 needs 2: outside opening hours\n  \
         Mon 2025-03-03 08:00 needs 1: no shift template has an agent on the phone then\n  \
         Mon 2025-03-03 13:00 needs 9.5: at most 8 within the templates' max_agents\n  \
         Mon 2025-03-03 21:00 needs 1: outside opening hours"
    );
}

#[test]
fn caps_that_bind_only_together_name_the_intervals_left_short() {
    // Each interval alone can have its agent (the lunch can go either
    // side), but one capped agent cannot be on the phone in both.
    let templates = Templates::from_toml(
        r#"
[[shift]]
name = "only"
length = "3:00"
starts = ["09:00"]
max_agents = 1
[[shift.break]]
name = "lunch"
length = "1:00"
window = "1:00-3:00"
"#,
    )
    .unwrap();
    let requirement = requirement(60, &[(9, 0, 1.0), (10, 0, 1.0), (11, 0, 1.0)]);
    let err = solve(&requirement, &templates, &SolveOptions::default()).unwrap_err();
    let ScheduleError::Infeasible(uncovered) = err else {
        panic!("{err}");
    };
    assert_eq!(uncovered.len(), 1);
    assert_eq!(uncovered[0].reason, UncoveredReason::MaxAgents);
    assert!([at(3, 10, 0), at(3, 11, 0)].contains(&uncovered[0].start));
}

#[test]
fn opening_hours_keep_agents_away_at_night_even_when_night_shifts_are_cheaper() {
    // pyworkforce issue 29: with no notion of opening hours, a solver puts
    // cheap shifts at 3 a.m. that happen to reach the morning.
    let templates_text = r#"
[opening]
all = "07:00-21:00"
[[shift]]
name = "night"
length = "8:00"
starts = ["00:00-23:00"]
cost = 1.0
[[shift]]
name = "day"
length = "8:00"
starts = ["07:00"]
cost = 5.0
"#;
    let requirement = requirement(60, &[(7, 0, 2.0), (8, 0, 2.0)]);
    let with_hours = Templates::from_toml(templates_text).unwrap();
    let plan = solve(&requirement, &with_hours, &SolveOptions::default()).unwrap();
    check_plan(&plan, &requirement, &with_hours);
    assert_eq!(
        plan.cost, 2.0,
        "two night-template shifts starting at 07:00"
    );
    assert!(
        plan.shifts
            .iter()
            .all(|s| s.start.hour() >= 7 && s.end.hour() <= 21)
    );
    assert!(
        plan.coverage
            .iter()
            .all(|r| r.start.hour() >= 7 && r.start.hour() < 21)
    );

    let around_the_clock =
        Templates::from_toml(&templates_text.replace("[opening]\nall = \"07:00-21:00\"\n", ""))
            .unwrap();
    let plan = solve(&requirement, &around_the_clock, &SolveOptions::default()).unwrap();
    assert_eq!(plan.cost, 2.0);
    assert_eq!(
        plan.coverage.len(),
        24,
        "open all day: every hour has a row"
    );
}

#[test]
fn fractional_requirements_and_breaks_shorter_than_an_interval_count_by_the_minute() {
    // A 15-minute break in a 30-minute interval leaves half an agent.
    let templates = Templates::from_toml(
        r#"
[[shift]]
name = "two"
length = "2:00"
starts = ["09:00"]
[[shift.break]]
name = "break"
length = "0:15"
paid = true
window = "1:00-1:15"
"#,
    )
    .unwrap();
    let requirement = requirement(30, &[(9, 0, 1.0), (10, 0, 1.5), (10, 30, 0.2)]);
    let plan = solve(&requirement, &templates, &SolveOptions::default()).unwrap();
    check_plan(&plan, &requirement, &templates);
    // Everyone's break falls in 10:00-10:30, where each agent is half
    // there: 1.5 agents there takes three.
    assert_eq!(plan.agent_shifts, 3);
    let at_ten = plan
        .coverage
        .iter()
        .find(|r| r.start == at(3, 10, 0))
        .unwrap();
    assert_eq!(at_ten.scheduled, 1.5);
    let at_half_past = plan
        .coverage
        .iter()
        .find(|r| r.start == at(3, 10, 30))
        .unwrap();
    assert_eq!(at_half_past.scheduled, 3.0);
    assert!((at_half_past.over - 2.8).abs() < 1e-9);
}

#[test]
fn a_budget_buys_the_least_shortfall_and_a_large_one_the_least_cost() {
    let need = [1.0, 2.0, 1.5, 2.0, 1.0, 2.0];
    let points: Vec<(i8, i8, f64)> = need
        .iter()
        .enumerate()
        .map(|(i, &n)| (8 + i as i8, 0, n))
        .collect();
    let requirement = requirement(60, &points);
    let templates = Templates::from_toml(SMALL).unwrap();
    let tight = SolveOptions {
        goal: Goal::Budget(10.0),
        ..SolveOptions::default()
    };
    let plan = solve(&requirement, &templates, &tight).unwrap();
    check_plan(&plan, &requirement, &templates);
    assert!(plan.cost <= 10.0 + 1e-9);
    assert!(plan.short_hours > 0.0);
    let generous = SolveOptions {
        goal: Goal::Budget(100.0),
        ..SolveOptions::default()
    };
    let plan = solve(&requirement, &templates, &generous).unwrap();
    assert_eq!(plan.short_hours, 0.0);
    assert!(
        (plan.cost - 11.0).abs() < 1e-9,
        "the cheapest full cover, {}",
        plan.cost
    );
}

#[test]
fn agents_get_shifts_they_are_available_for_and_the_rest_stay_open() {
    let templates = Templates::from_toml(
        r#"
[[shift]]
name = "early"
length = "4:00"
starts = ["07:00"]
[[shift]]
name = "late"
length = "4:00"
starts = ["17:00"]
"#,
    )
    .unwrap();
    // Two days; early and late need one agent each, each day.
    let mut points = Vec::new();
    for day in [3, 4] {
        for h in [7, 8, 9, 10, 17, 18, 19, 20] {
            points.push(Requirement {
                start: at(day, h, 0),
                agents: 1.0,
            });
        }
    }
    let requirement =
        RequirementSeries::new(IntervalLength::from_minutes(60).unwrap(), points).unwrap();
    let plan = solve(&requirement, &templates, &SolveOptions::default()).unwrap();
    assert_eq!(plan.agent_shifts, 4);
    let agents = Agents::from_toml(
        r#"
min_rest = "11:00"
[[agent]]
name = "Morning"
available = { all = "06:00-12:00" }
[[agent]]
name = "Evening"
templates = ["late"]
"#,
        &["early", "late"],
    )
    .unwrap();
    let roster = assign(&plan, &agents, None).unwrap();
    let got: Vec<(String, DateTime)> = roster
        .assignments
        .iter()
        .map(|a| (a.agent.clone(), a.start))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Evening".to_owned(), at(3, 17, 0)),
            ("Evening".to_owned(), at(4, 17, 0)),
            ("Morning".to_owned(), at(3, 7, 0)),
            ("Morning".to_owned(), at(4, 7, 0)),
        ]
    );
    assert!(roster.open_shifts.is_empty());

    // One agent for everything: a late shift then the next early one
    // leaves 10 hours of rest, under the 11 required.
    let alone = Agents::from_toml(
        "[[agent]]\nname = \"Solo\"\nmin_hours = 40\n",
        &["early", "late"],
    )
    .unwrap();
    let roster = assign(&plan, &alone, None).unwrap();
    assert_eq!(roster.assignments.len(), 2, "one shift a day");
    assert!(
        !(roster.assignments[0].start == at(3, 17, 0)
            && roster.assignments[1].start == at(4, 7, 0)),
        "no early shift right after a late one"
    );
    assert_eq!(roster.open_shifts.iter().map(|o| o.agents).sum::<u32>(), 2);
    assert_eq!(roster.hours[0].paid_hours, 8.0);
    assert_eq!(
        roster.hours[0].min_hours, 0.0,
        "a two-day plan is no whole week"
    );
}

#[test]
fn bad_inputs_name_line_field_and_value() {
    let err = RequirementSeries::from_csv(
        "start,agents\n2025-03-03T07:00,1\n2025-03-03T07:30,1;5\n".as_bytes(),
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: field `agents` has value \"1;5\": expected a number of agents"
    );
    let err = Templates::from_toml(&SMALL.replace("2:00-4:00", "5:00-7:00")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 11: field `shift.break.window` has value \"5:00-7:00\": \
         the window ends after the shift, which lasts 6:00"
    );
    let err = Agents::from_toml(
        "[[agent]]\nname = \"A\"\ntemplates = [\"lnog\"]\n",
        &["long"],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 3: field `agent.templates` has value \"lnog\": no such template (have long)"
    );
}
