//! The driver's clock. The engine never reads a clock: the core asks a
//! [`Clock`] for the time of every event and timer, so tests can drive time
//! by hand.
//!
//! Key types: [`Clock`], [`SystemClock`] (Unix-epoch milliseconds, the live
//! server's epoch) and [`ManualClock`] (set by tests).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use acd::model::{Span, Time};

/// A source of the current time on the driver's clock.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Time;
}

/// The wall clock, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        // A clock set before 1970 reads as the epoch; the core never lets
        // the engine's time go backwards anyway.
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Time::from_millis(ms)
    }
}

/// A clock that moves only when told. The core notices a change at its next
/// command (every command first brings the engine to the clock's time).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: Time) -> Self {
        ManualClock(AtomicU64::new(at.as_millis()))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Span) {
        self.0.fetch_add(by.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Time {
        Time::from_millis(self.0.load(Ordering::SeqCst))
    }
}
