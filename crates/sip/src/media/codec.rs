//! G.711, the codecs every phone and trunk speaks.
//!
//! Key type: [`Codec`] (PCMU, PCMA) with its static RTP payload type,
//! frame decoding to 16-bit linear samples and encoding back, and
//! transcoding between the two laws without going through linear audio.

use audio_codec_algorithms::{
    convert_alaw_to_ulaw, convert_ulaw_to_alaw, decode_alaw, decode_ulaw, encode_alaw, encode_ulaw,
};

/// A G.711 law.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// μ-law (North America, Japan), static payload type 0.
    Pcmu,
    /// A-law (Europe, China, most of the world), static payload type 8.
    Pcma,
}

impl Codec {
    /// Its static RTP payload type (RFC 3551).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec with this static payload type.
    pub fn from_payload_type(payload_type: u8) -> Option<Self> {
        match payload_type {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// Its SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// Decodes `encoded` bytes into `samples` (cleared first).
    pub fn decode(self, encoded: &[u8], samples: &mut Vec<i16>) {
        samples.clear();
        match self {
            Codec::Pcmu => samples.extend(encoded.iter().map(|&byte| decode_ulaw(byte))),
            Codec::Pcma => samples.extend(encoded.iter().map(|&byte| decode_alaw(byte))),
        }
    }

    /// Encodes `samples` into `encoded` (cleared first).
    pub fn encode(self, samples: &[i16], encoded: &mut Vec<u8>) {
        encoded.clear();
        match self {
            Codec::Pcmu => encoded.extend(samples.iter().map(|&sample| encode_ulaw(sample))),
            Codec::Pcma => encoded.extend(samples.iter().map(|&sample| encode_alaw(sample))),
        }
    }

    /// Rewrites `payload` in place from this law to `to`.
    pub fn transcode(self, to: Codec, payload: &mut [u8]) {
        match (self, to) {
            (Codec::Pcmu, Codec::Pcma) => payload
                .iter_mut()
                .for_each(|b| *b = convert_ulaw_to_alaw(*b)),
            (Codec::Pcma, Codec::Pcmu) => payload
                .iter_mut()
                .for_each(|b| *b = convert_alaw_to_ulaw(*b)),
            _ => {}
        }
    }

    /// The byte that decodes to silence.
    pub fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => 0xff,
            Codec::Pcma => 0xd5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_survives_both_laws_and_transcoding() {
        let tone: Vec<i16> = (0..160)
            .map(|n| {
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * n as f64 / 8000.0).sin()) as i16
            })
            .collect();
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut encoded = Vec::new();
            codec.encode(&tone, &mut encoded);
            let other = if codec == Codec::Pcmu {
                Codec::Pcma
            } else {
                Codec::Pcmu
            };
            codec.transcode(other, &mut encoded);
            let mut decoded = Vec::new();
            other.decode(&encoded, &mut decoded);
            for (sent, heard) in tone.iter().zip(&decoded) {
                // G.711 keeps about 3 % of the amplitude at this level.
                assert!(
                    (i32::from(*sent) - i32::from(*heard)).abs() <= 400,
                    "{sent} vs {heard}"
                );
            }
        }
    }

    #[test]
    fn silence_decodes_to_nearly_zero() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            let mut decoded = Vec::new();
            codec.decode(&[codec.silence()], &mut decoded);
            assert!(decoded[0].abs() <= 8, "{codec:?}: {}", decoded[0]);
            assert_eq!(Codec::from_payload_type(codec.payload_type()), Some(codec));
        }
    }
}
