//! Switchboard's telephony: the one crate that knows SIP and RTP.
//!
//! Modules: [`media`] (RTP packets and stream rewriting, G.711, RFC 4733
//! telephone events, the RTP port range, prompts, stereo call recordings).
//! [`ivr`]: IVR flows per dialled number, run as a pure state machine.

pub mod ivr;
pub mod media;
pub mod sdp;
