//! Digits from RFC 4733 telephone events.
//!
//! Key types: [`Event`] (one telephone-event payload) and [`Detector`]
//! (one digit per event, however many times its end packet is repeated).
//!
//! A sender repeats the final packet of an event three times for
//! robustness, and may repeat the first (marker) packet too; all carry the
//! same RTP timestamp, which is what identifies the event.

/// One `telephone-event` payload (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Event code: 0–9 digits, 10 `*`, 11 `#`, 12–15 A–D.
    pub code: u8,
    /// The end bit.
    pub end: bool,
    /// Volume in −dBm0.
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl Event {
    /// Parses the payload; `None` when it is shorter than four bytes.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let bytes = payload.get(..4)?;
        Some(Event {
            code: bytes[0],
            end: bytes[1] & 0x80 != 0,
            volume: bytes[1] & 0x3f,
            duration: u16::from_be_bytes([bytes[2], bytes[3]]),
        })
    }

    /// The digit, for the sixteen DTMF events.
    pub fn digit(&self) -> Option<char> {
        b"0123456789*#ABCD"
            .get(usize::from(self.code))
            .map(|&byte| char::from(byte))
    }
}

/// Turns a stream of telephone-event packets into digits.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    /// The RTP timestamp of the last event reported.
    reported: Option<u32>,
}

impl Detector {
    /// A detector that has heard nothing.
    pub fn new() -> Self {
        Detector::default()
    }

    /// Feeds one telephone-event packet (its RTP timestamp and payload);
    /// returns the digit when this packet ends an event not yet reported.
    pub fn feed(&mut self, timestamp: u32, payload: &[u8]) -> Option<char> {
        let event = Event::parse(payload)?;
        if !event.end || self.reported == Some(timestamp) {
            return None;
        }
        let digit = event.digit()?;
        self.reported = Some(timestamp);
        Some(digit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(code: u8, end: bool, duration: u16) -> [u8; 4] {
        let [high, low] = duration.to_be_bytes();
        [code, if end { 0x80 | 10 } else { 10 }, high, low]
    }

    #[test]
    fn three_end_packets_are_one_digit() {
        let mut detector = Detector::new();
        let mut digits = String::new();
        for (timestamp, code) in [(1000u32, 5u8), (3000, 11), (5000, 5)] {
            for duration in [160, 320, 480] {
                digits.extend(detector.feed(timestamp, &payload(code, false, duration)));
            }
            for _ in 0..3 {
                digits.extend(detector.feed(timestamp, &payload(code, true, 640)));
            }
        }
        assert_eq!(digits, "5#5");
    }

    #[test]
    fn short_payloads_and_non_digit_events_are_ignored() {
        let mut detector = Detector::new();
        assert_eq!(detector.feed(1, &[1, 0x80]), None);
        assert_eq!(
            detector.feed(2, &payload(16, true, 800)),
            None,
            "flash is not a digit"
        );
        assert_eq!(detector.feed(3, &payload(10, true, 800)), Some('*'));
    }
}
