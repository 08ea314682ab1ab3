//! Media: everything that touches audio and RTP, without sockets.
//!
//! Key types: [`rtp::Packet`] and [`rtp::Rewriter`] (one outgoing stream fed
//! by changing sources), [`codec::Codec`] (PCMU / PCMA), [`dtmf::Detector`]
//! (RFC 4733 events to digits), [`ports::PortRange`] (RTP port allocator),
//! [`prompt::Prompt`] and [`prompt::Player`] (8 kHz audio cut into 20 ms
//! frames), [`recorder::Recorder`] (a stereo WAV per call, pausable).

pub mod codec;
pub mod dtmf;
pub mod ports;
pub mod prompt;
pub mod recorder;
pub mod rtp;

/// Samples in one 20 ms frame at 8 kHz: the packet time of every stream.
pub const FRAME_SAMPLES: usize = 160;
