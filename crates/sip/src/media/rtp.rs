//! RTP packets (RFC 3550) and the rewriting of a stream whose source changes.
//!
//! Key types: [`Packet`] (a parsed packet borrowing its payload), [`Header`]
//! (what we send), [`Rewriter`] (one outgoing SSRC / sequence / timestamp
//! line fed by prompts, music and the other leg in turn, with the marker
//! bit set where the source changes), [`RtpError`].

use thiserror::Error;

/// The fixed header length.
pub const HEADER_LEN: usize = 12;

/// Why bytes are not an RTP packet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RtpError {
    /// Fewer bytes than the header says there are.
    #[error("RTP packet too short: {0} bytes")]
    TooShort(usize),
    /// The version bits are not 2 (this is STUN, RTCP garbage or noise).
    #[error("not RTP version 2 (version {0})")]
    Version(u8),
    /// Padding longer than the payload.
    #[error("RTP padding of {0} bytes exceeds the payload")]
    Padding(usize),
}

/// A received packet: the header fields we use and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Marker bit (start of a talk spurt; for telephone events, a new event).
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Media timestamp in samples.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
    /// The payload, CSRCs, extension and padding removed.
    pub payload: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses a datagram.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        if bytes.len() < HEADER_LEN {
            return Err(RtpError::TooShort(bytes.len()));
        }
        let version = bytes[0] >> 6;
        if version != 2 {
            return Err(RtpError::Version(version));
        }
        let padded = bytes[0] & 0x20 != 0;
        let extended = bytes[0] & 0x10 != 0;
        let csrc_count = usize::from(bytes[0] & 0x0f);
        let mut start = HEADER_LEN + 4 * csrc_count;
        if extended {
            let words = bytes
                .get(start + 2..start + 4)
                .ok_or(RtpError::TooShort(bytes.len()))?;
            start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
        }
        if start > bytes.len() {
            return Err(RtpError::TooShort(bytes.len()));
        }
        let mut end = bytes.len();
        if padded {
            let padding = usize::from(bytes[end - 1]);
            if padding == 0 || start + padding > end {
                return Err(RtpError::Padding(padding));
            }
            end -= padding;
        }
        Ok(Packet {
            marker: bytes[1] & 0x80 != 0,
            payload_type: bytes[1] & 0x7f,
            sequence: u16::from_be_bytes([bytes[2], bytes[3]]),
            timestamp: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            ssrc: u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
            payload: &bytes[start..end],
        })
    }
}

/// The header of a packet we send (no CSRCs, no extension, no padding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Marker bit.
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Our SSRC.
    pub ssrc: u32,
}

impl Header {
    /// Writes the header and `payload` into `out` (cleared first).
    pub fn write(&self, payload: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.push(0x80);
        out.push(u8::from(self.marker) << 7 | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
        out.extend_from_slice(payload);
    }
}

/// Which source feeds an outgoing stream right now. A change of source is
/// a discontinuity the receiver must hear about (marker bit) and must not
/// mistake for loss or a clock jump (sequence and timestamp stay ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// A prompt or music played by us.
    Player,
    /// The other leg's packets, relayed; the value is that leg's SSRC.
    Relay(u32),
}

/// One outgoing RTP stream: our SSRC, a sequence number that increases by
/// one per packet whatever the source, and a timestamp that advances with
/// media time. Relayed packets keep their spacing (timestamp deltas and
/// gaps in sequence numbers, so the far end sees real loss), offset into
/// our line.
#[derive(Debug, Clone)]
pub struct Rewriter {
    ssrc: u32,
    next_sequence: u16,
    /// Timestamp of the last packet sent and its duration in samples.
    last_timestamp: u32,
    last_duration: u32,
    source: Option<Source>,
    /// For the relayed source: what to add to its timestamps.
    timestamp_offset: u32,
    last_relayed_sequence: u16,
}

impl Rewriter {
    /// A new stream; `ssrc`, the first sequence number and timestamp should
    /// be random (RFC 3550 §5.1), the caller supplies them so this stays
    /// deterministic.
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32) -> Self {
        Rewriter {
            ssrc,
            next_sequence: first_sequence,
            last_timestamp: first_timestamp.wrapping_sub(crate::media::FRAME_SAMPLES as u32),
            last_duration: crate::media::FRAME_SAMPLES as u32,
            source: None,
            timestamp_offset: 0,
            last_relayed_sequence: 0,
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The header for the next frame we play ourselves, `duration` samples
    /// long (160 for 20 ms).
    pub fn next_played(&mut self, payload_type: u8, duration: u32) -> Header {
        let marker = self.switch(Source::Player);
        let timestamp = self.last_timestamp.wrapping_add(self.last_duration);
        self.emit(marker, payload_type, timestamp, duration)
    }

    /// The header for a relayed packet of the other leg, sent with this
    /// leg's `payload_type` for it (the legs may have negotiated different
    /// numbers), or `None` when it is older than one already sent (a
    /// duplicate or reordered packet we drop rather than send backwards).
    pub fn next_relayed(
        &mut self,
        packet: &Packet<'_>,
        payload_type: u8,
        duration: u32,
    ) -> Option<Header> {
        let source = Source::Relay(packet.ssrc);
        if self.source == Some(source) {
            let step = packet.sequence.wrapping_sub(self.last_relayed_sequence);
            if step == 0 || step > 0x8000 {
                return None;
            }
            // Keep the sender's gaps so loss stays visible downstream.
            self.next_sequence = self.next_sequence.wrapping_add(step - 1);
            self.last_relayed_sequence = packet.sequence;
            let timestamp = packet.timestamp.wrapping_add(self.timestamp_offset);
            return Some(self.emit(packet.marker, payload_type, timestamp, duration));
        }
        self.switch(source);
        let timestamp = self.last_timestamp.wrapping_add(self.last_duration);
        self.timestamp_offset = timestamp.wrapping_sub(packet.timestamp);
        self.last_relayed_sequence = packet.sequence;
        Some(self.emit(true, payload_type, timestamp, duration))
    }

    /// Whether the source changes; remembers the new one.
    fn switch(&mut self, source: Source) -> bool {
        let changed = self.source != Some(source);
        self.source = Some(source);
        changed
    }

    fn emit(&mut self, marker: bool, payload_type: u8, timestamp: u32, duration: u32) -> Header {
        let header = Header {
            marker,
            payload_type,
            sequence: self.next_sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        self.next_sequence = self.next_sequence.wrapping_add(1);
        self.last_timestamp = timestamp;
        self.last_duration = duration;
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(sequence: u16, timestamp: u32, ssrc: u32) -> Vec<u8> {
        let mut out = Vec::new();
        Header {
            marker: false,
            payload_type: 0,
            sequence,
            timestamp,
            ssrc,
        }
        .write(&[0xff; 160], &mut out);
        out
    }

    #[test]
    fn a_written_header_parses_back() {
        let mut out = Vec::new();
        let header = Header {
            marker: true,
            payload_type: 101,
            sequence: 65535,
            timestamp: u32::MAX,
            ssrc: 7,
        };
        header.write(&[1, 2, 3], &mut out);
        let parsed = Packet::parse(&out).unwrap();
        assert!(parsed.marker);
        assert_eq!(
            (
                parsed.payload_type,
                parsed.sequence,
                parsed.timestamp,
                parsed.ssrc
            ),
            (101, 65535, u32::MAX, 7)
        );
        assert_eq!(parsed.payload, &[1, 2, 3]);
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let mut bytes = vec![0x80 | 0x20 | 0x10 | 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        bytes.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        bytes.extend_from_slice(&[0xbe, 0xde, 0, 1, 5, 5, 5, 5]); // one-word extension
        bytes.extend_from_slice(&[42, 43]);
        bytes.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        assert_eq!(Packet::parse(&bytes).unwrap().payload, &[42, 43]);
    }

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert_eq!(Packet::parse(&[0x80; 5]), Err(RtpError::TooShort(5)));
        assert_eq!(Packet::parse(&[0x40; 12]), Err(RtpError::Version(1)));
        let mut padded = vec![0xa0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        padded.push(200);
        assert_eq!(Packet::parse(&padded), Err(RtpError::Padding(200)));
        let extension_past_end = [0x90, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 9];
        assert_eq!(
            Packet::parse(&extension_past_end),
            Err(RtpError::TooShort(16))
        );
    }

    #[test]
    fn switching_source_sets_the_marker_and_keeps_our_line_continuous() {
        let mut out = Rewriter::new(99, 1000, 5000);
        let first = out.next_played(0, 160);
        assert!(first.marker);
        assert_eq!(
            (first.sequence, first.timestamp, first.ssrc),
            (1000, 5000, 99)
        );
        let second = out.next_played(0, 160);
        assert!(!second.marker);
        assert_eq!((second.sequence, second.timestamp), (1001, 5160));

        let relayed = packet(40_000, 123_456, 7);
        let header = out
            .next_relayed(&Packet::parse(&relayed).unwrap(), 0, 160)
            .unwrap();
        assert!(header.marker, "new source");
        assert_eq!(
            (header.sequence, header.timestamp, header.ssrc),
            (1002, 5320, 99)
        );

        // The next relayed packet after one lost: the gap is kept.
        let relayed = packet(40_002, 123_456 + 320, 7);
        let header = out
            .next_relayed(&Packet::parse(&relayed).unwrap(), 0, 160)
            .unwrap();
        assert!(!header.marker);
        assert_eq!((header.sequence, header.timestamp), (1004, 5640));

        // A duplicate and an older packet are dropped.
        assert!(
            out.next_relayed(&Packet::parse(&relayed).unwrap(), 0, 160)
                .is_none()
        );
        let older = packet(40_001, 123_456 + 160, 7);
        assert!(
            out.next_relayed(&Packet::parse(&older).unwrap(), 0, 160)
                .is_none()
        );

        // Back to music: marker, and the timestamp follows the last packet.
        let music = out.next_played(0, 160);
        assert!(music.marker);
        assert_eq!((music.sequence, music.timestamp), (1005, 5800));
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut out = Rewriter::new(1, 65535, u32::MAX - 100);
        assert_eq!(out.next_played(0, 160).sequence, 65535);
        let next = out.next_played(0, 160);
        assert_eq!(next.sequence, 0);
        assert_eq!(next.timestamp, (u32::MAX - 100).wrapping_add(160));
        let relayed = packet(65535, 10, 5);
        out.next_relayed(&Packet::parse(&relayed).unwrap(), 0, 160)
            .unwrap();
        let relayed = packet(0, 170, 5);
        let header = out
            .next_relayed(&Packet::parse(&relayed).unwrap(), 0, 160)
            .unwrap();
        assert_eq!(header.sequence, 2);
    }
}
