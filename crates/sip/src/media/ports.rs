//! The RTP port range.
//!
//! Key type: [`PortRange`], which hands out even ports (RTP; the odd one
//! above is left for RTCP, RFC 3550 §11) from a configured range and takes
//! them back when a call ends. The least recently freed port is reused
//! last, so late packets of an old call rarely reach a new one.

use std::collections::VecDeque;
use std::sync::Mutex;

use thiserror::Error;

/// Why a port range cannot be made or used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortError {
    /// The range holds no even port.
    #[error("RTP port range {first}-{last} holds no even port")]
    Empty {
        /// First port.
        first: u16,
        /// Last port.
        last: u16,
    },
    /// Every port is in use.
    #[error("every RTP port of the range is in use")]
    Exhausted,
}

/// A pool of even UDP ports, shared by all calls.
#[derive(Debug)]
pub struct PortRange {
    free: Mutex<VecDeque<u16>>,
}

impl PortRange {
    /// The even ports of `first..=last`.
    pub fn new(first: u16, last: u16) -> Result<Self, PortError> {
        let free: VecDeque<u16> = (first..=last).filter(|port| port % 2 == 0).collect();
        if free.is_empty() {
            return Err(PortError::Empty { first, last });
        }
        Ok(PortRange {
            free: Mutex::new(free),
        })
    }

    /// Takes a port.
    pub fn take(&self) -> Result<u16, PortError> {
        self.lock().pop_front().ok_or(PortError::Exhausted)
    }

    /// Gives a port back.
    pub fn give_back(&self, port: u16) {
        self.lock().push_back(port);
    }

    /// How many ports are free.
    pub fn available(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u16>> {
        // The queue is consistent after every operation, so a panic
        // elsewhere while holding the lock leaves nothing to repair.
        self.free
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_even_ports_and_reuses_freed_ones_last() {
        let range = PortRange::new(10_001, 10_006).unwrap();
        assert_eq!(range.available(), 3);
        let first = range.take().unwrap();
        assert_eq!(first, 10_002);
        range.give_back(first);
        assert_eq!(range.take().unwrap(), 10_004);
        assert_eq!(range.take().unwrap(), 10_006);
        assert_eq!(range.take().unwrap(), 10_002);
        assert_eq!(range.take(), Err(PortError::Exhausted));
        assert_eq!(
            PortRange::new(7, 7).unwrap_err(),
            PortError::Empty { first: 7, last: 7 }
        );
    }
}
