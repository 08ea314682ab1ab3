//! Switchboard's workforce management: the planning half of running a
//! contact center.
//!
//! Modules: [`erlang`] (Erlang B, C and A — M/M/N/N, M/M/N, M/M/N+M — exact
//! and numerically stable from one to a hundred thousand agents),
//! [`staffing`] (fewest agents meeting any combination of targets, per
//! interval, with shrinkage), [`forecast`] (contacts and handle time per
//! interval from history, with a rolling-origin backtest and anomaly
//! flags), [`schedule`] (shifts, breaks and named agents covering an
//! interval requirement at least cost, with a coverage chart),
//! [`adherence`] (schedule adherence and conformance per agent and day)
//! and [`series`] (interval demand and requirement series shared
//! by forecasting, staffing and scheduling).
//! Definitions follow the project's KPI glossary: `service_level` (with its
//! definition named), `asa`, `abandon_rate`, `occupancy`,
//! `waiting_probability`; times in seconds.

pub mod adherence;
pub mod erlang;
pub mod forecast;
pub mod schedule;
pub mod series;
pub mod staffing;
