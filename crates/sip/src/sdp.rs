//! SDP offer / answer (RFC 3264) for one audio stream of G.711.
//!
//! Key types: [`Session`] (what a peer's SDP says: where to send audio,
//! which payload types it takes, its direction), [`Negotiated`] (the codec
//! and telephone-event payload type both sides agreed), [`Direction`],
//! [`SdpError`].
//!
//! We accept PCMU and PCMA (static types 0 and 8, or dynamic types named
//! so in `rtpmap`) and RFC 4733 `telephone-event/8000` at whatever payload
//! type the peer chose; we never assume 101. Other media lines are
//! answered with port 0 (refused), as RFC 3264 §6 asks.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use thiserror::Error;

use crate::media::codec::Codec;

/// Why an SDP body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    /// A line is not `x=value`, or a field is not what its type needs.
    #[error("SDP line {line}: {problem}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// No `m=audio` line.
    #[error("SDP offers no audio stream")]
    NoAudio,
    /// No connection address for the audio stream.
    #[error("SDP has no connection address (c=) for its audio stream")]
    NoConnection,
    /// Neither PCMU nor PCMA offered.
    #[error("SDP offers no codec we speak (PCMU or PCMA); offered payload types: {0}")]
    NoCommonCodec(String),
}

/// Which way media flows, from the SDP author's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    SendRecv,
    /// The author only sends (it puts us on hold).
    SendOnly,
    /// The author only receives.
    RecvOnly,
    /// Neither (hold).
    Inactive,
}

impl Direction {
    fn attribute(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answer takes to this offered one.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }
}

/// The audio stream of a peer's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Where the peer wants our RTP (its `c=` address and `m=` port).
    pub media: SocketAddr,
    /// Its payload types in order of preference.
    pub payload_types: Vec<u8>,
    /// The codec behind each dynamic payload type (`rtpmap`), and the
    /// telephone-event type.
    rtpmap: Vec<(u8, String)>,
    /// Direction of the audio stream.
    pub direction: Direction,
    /// Its `o=` session version, to tell a changed re-offer from a repeat.
    pub version: u64,
    /// Media lines before the audio one (answered as refused).
    refused_before: Vec<String>,
    /// Media lines after it.
    refused_after: Vec<String>,
}

/// What both sides agreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec, and the payload type it travels under.
    pub codec: Codec,
    /// Its payload type on this leg.
    pub payload_type: u8,
    /// The telephone-event payload type on this leg, if the peer offered one.
    pub telephone_event: Option<u8>,
}

impl Session {
    /// Parses a peer's SDP body.
    pub fn parse(body: &str) -> Result<Self, SdpError> {
        let mut session_address: Option<IpAddr> = None;
        let mut media_address: Option<IpAddr> = None;
        let mut audio: Option<(u16, Vec<u8>)> = None;
        let mut in_audio = false;
        let mut seen_audio = false;
        // Session-level lines are those before the first m= of any kind.
        let mut seen_media = false;
        let mut direction = Direction::SendRecv;
        let mut session_direction = Direction::SendRecv;
        let mut rtpmap = Vec::new();
        let mut version = 0;
        let mut refused_before = Vec::new();
        let mut refused_after = Vec::new();
        for (index, raw) in body.lines().enumerate() {
            let line = index + 1;
            let raw = raw.trim_end_matches('\r');
            if raw.is_empty() {
                continue;
            }
            let malformed = |problem: &str| SdpError::Malformed {
                line,
                problem: problem.to_string(),
            };
            let (kind, value) = raw
                .split_once('=')
                .filter(|(kind, _)| kind.len() == 1)
                .ok_or_else(|| malformed("not of the form x=value"))?;
            match kind {
                "o" => {
                    version = value
                        .split(' ')
                        .nth(2)
                        .and_then(|field| field.parse().ok())
                        .ok_or_else(|| malformed("o= needs a numeric session version"))?;
                }
                "c" => {
                    let address = parse_connection(value)
                        .ok_or_else(|| malformed("c= is not IN IP4/IP6 <address>"))?;
                    if in_audio {
                        media_address = Some(address);
                    } else if !seen_media {
                        session_address = Some(address);
                    }
                }
                "m" => {
                    let mut fields = value.split(' ');
                    let media = fields.next().unwrap_or_default();
                    let port = fields.next().ok_or_else(|| malformed("m= has no port"))?;
                    let port: u16 = port
                        .split('/')
                        .next()
                        .and_then(|port| port.parse().ok())
                        .ok_or_else(|| malformed("m= port is not a number"))?;
                    let _protocol = fields
                        .next()
                        .ok_or_else(|| malformed("m= has no protocol"))?;
                    seen_media = true;
                    if media == "audio" && audio.is_none() && port != 0 {
                        let formats = fields
                            .map(|format| format.parse::<u8>().ok().filter(|pt| *pt < 128))
                            .collect::<Option<Vec<u8>>>()
                            .ok_or_else(|| {
                                malformed("m=audio payload types must be numbers 0-127")
                            })?;
                        audio = Some((port, formats));
                        in_audio = true;
                        seen_audio = true;
                        direction = session_direction;
                    } else {
                        in_audio = false;
                        let refused =
                            format!("{media} 0 {}", value.splitn(3, ' ').nth(2).unwrap_or(""));
                        if seen_audio {
                            refused_after.push(refused)
                        } else {
                            refused_before.push(refused)
                        }
                    }
                }
                "a" => {
                    let (name, argument) = value.split_once(':').unwrap_or((value, ""));
                    let parsed = match name {
                        "sendrecv" => Some(Direction::SendRecv),
                        "sendonly" => Some(Direction::SendOnly),
                        "recvonly" => Some(Direction::RecvOnly),
                        "inactive" => Some(Direction::Inactive),
                        _ => None,
                    };
                    if let Some(parsed) = parsed {
                        if in_audio {
                            direction = parsed;
                        } else if !seen_media {
                            session_direction = parsed;
                        }
                    } else if name == "rtpmap" && in_audio {
                        let (pt, encoding) = argument
                            .split_once(' ')
                            .and_then(|(pt, encoding)| Some((pt.parse::<u8>().ok()?, encoding)))
                            .ok_or_else(|| malformed("a=rtpmap is not <type> <encoding>/<rate>"))?;
                        rtpmap.push((pt, encoding.to_ascii_lowercase()));
                    }
                }
                _ => {}
            }
        }
        let (port, payload_types) = audio.ok_or(SdpError::NoAudio)?;
        let address = media_address
            .or(session_address)
            .ok_or(SdpError::NoConnection)?;
        // RFC 3264 §5.1 / RFC 2543 hold: a zero address means "send nothing".
        if address.is_unspecified() {
            direction = Direction::Inactive;
        }
        Ok(Session {
            media: SocketAddr::new(address, port),
            payload_types,
            rtpmap,
            direction,
            version,
            refused_before,
            refused_after,
        })
    }

    /// What its payload type stands for: a G.711 codec, or `None`.
    fn codec_of(&self, payload_type: u8) -> Option<Codec> {
        match self.rtpmap.iter().find(|(pt, _)| *pt == payload_type) {
            Some((_, encoding)) if encoding.starts_with("pcmu/8000") => Some(Codec::Pcmu),
            Some((_, encoding)) if encoding.starts_with("pcma/8000") => Some(Codec::Pcma),
            Some(_) => None,
            None => Codec::from_payload_type(payload_type),
        }
    }

    /// Agrees on a codec: the peer's most preferred one we speak, or
    /// `preferred` if the peer offers it among several (an answerer may
    /// pick any offered codec; keeping both legs on one law avoids
    /// transcoding).
    pub fn negotiate(&self, preferred: Option<Codec>) -> Result<Negotiated, SdpError> {
        let speakable: Vec<(u8, Codec)> = self
            .payload_types
            .iter()
            .filter_map(|&pt| Some((pt, self.codec_of(pt)?)))
            .collect();
        let (payload_type, codec) = speakable
            .iter()
            .find(|(_, codec)| Some(*codec) == preferred)
            .or_else(|| speakable.first())
            .copied()
            .ok_or_else(|| {
                let offered: Vec<String> = self.payload_types.iter().map(u8::to_string).collect();
                SdpError::NoCommonCodec(offered.join(" "))
            })?;
        let telephone_event = self.payload_types.iter().copied().find(|pt| {
            self.rtpmap.iter().any(|(mapped, encoding)| {
                mapped == pt && encoding.starts_with("telephone-event/8000")
            })
        });
        Ok(Negotiated {
            codec,
            payload_type,
            telephone_event,
        })
    }

    /// Our answer: the agreed codec and telephone-event at `local`, in the
    /// direction answering the offer's (or `direction` when we put the
    /// peer on hold ourselves).
    pub fn answer(
        &self,
        local: SocketAddr,
        negotiated: &Negotiated,
        direction: Direction,
        version: u64,
    ) -> String {
        let mut sdp = header(local.ip(), version);
        for refused in &self.refused_before {
            let _ = write!(sdp, "m={refused}\r\n");
        }
        write_audio(
            &mut sdp,
            local.port(),
            &[(negotiated.payload_type, negotiated.codec)],
            negotiated.telephone_event,
            direction,
        );
        for refused in &self.refused_after {
            let _ = write!(sdp, "m={refused}\r\n");
        }
        sdp
    }
}

/// The telephone-event payload type we offer on legs we originate.
pub const OFFERED_TELEPHONE_EVENT: u8 = 101;

/// An offer from us: G.711 (`first` law preferred) and telephone-event.
pub fn offer(local: SocketAddr, first: Codec, direction: Direction, version: u64) -> String {
    let second = if first == Codec::Pcmu {
        Codec::Pcma
    } else {
        Codec::Pcmu
    };
    let mut sdp = header(local.ip(), version);
    write_audio(
        &mut sdp,
        local.port(),
        &[
            (first.payload_type(), first),
            (second.payload_type(), second),
        ],
        Some(OFFERED_TELEPHONE_EVENT),
        direction,
    );
    sdp
}

fn header(ip: IpAddr, version: u64) -> String {
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    format!(
        "v=0\r\no=switchboard 1 {version} IN {family} {ip}\r\ns=switchboard\r\nc=IN {family} {ip}\r\nt=0 0\r\n"
    )
}

fn write_audio(
    sdp: &mut String,
    port: u16,
    codecs: &[(u8, Codec)],
    telephone_event: Option<u8>,
    direction: Direction,
) {
    let mut formats: Vec<String> = codecs.iter().map(|(pt, _)| pt.to_string()).collect();
    formats.extend(telephone_event.map(|pt| pt.to_string()));
    let _ = write!(sdp, "m=audio {port} RTP/AVP {}\r\n", formats.join(" "));
    for (pt, codec) in codecs {
        let _ = write!(sdp, "a=rtpmap:{pt} {}/8000\r\n", codec.name());
    }
    if let Some(pt) = telephone_event {
        let _ = write!(
            sdp,
            "a=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        );
    }
    let _ = write!(sdp, "a=ptime:20\r\na={}\r\n", direction.attribute());
}

fn parse_connection(value: &str) -> Option<IpAddr> {
    let mut fields = value.split(' ');
    if fields.next()? != "IN" {
        return None;
    }
    let family = fields.next()?;
    // A multicast address may carry /ttl; we only take unicast, but keep
    // the address part either way.
    let address = fields.next()?.split('/').next()?;
    let ip: IpAddr = address.parse().ok()?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BARESIP_OFFER: &str = "v=0\r\no=- 1203 3519 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
        m=audio 10170 RTP/AVP 8 0 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n\
        a=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\na=sendrecv\r\n";

    #[test]
    fn takes_the_offered_telephone_event_type_and_the_first_common_codec() {
        let offer = Session::parse(BARESIP_OFFER).unwrap();
        assert_eq!(offer.media, "127.0.0.1:10170".parse().unwrap());
        assert_eq!(offer.version, 3519);
        let agreed = offer.negotiate(None).unwrap();
        assert_eq!(
            agreed,
            Negotiated {
                codec: Codec::Pcma,
                payload_type: 8,
                telephone_event: Some(96)
            }
        );
        let agreed = offer.negotiate(Some(Codec::Pcmu)).unwrap();
        assert_eq!((agreed.codec, agreed.payload_type), (Codec::Pcmu, 0));

        let answer = offer.answer(
            "127.0.0.1:20000".parse().unwrap(),
            &agreed,
            Direction::SendRecv,
            1,
        );
        let parsed = Session::parse(&answer).unwrap();
        assert_eq!(parsed.payload_types, vec![0, 96]);
        assert_eq!(parsed.negotiate(None).unwrap(), agreed);
        assert!(answer.contains("a=fmtp:96 0-16"), "{answer}");
    }

    #[test]
    fn a_dynamic_type_named_pcmu_counts_and_other_streams_are_refused() {
        let sdp = "v=0\no=x 1 2 IN IP4 10.0.0.1\ns=-\nt=0 0\nm=video 4000 RTP/AVP 97\nc=IN IP4 10.0.0.9\n\
            m=audio 5000 RTP/AVP 18 112\nc=IN IP4 10.0.0.2\na=rtpmap:112 PCMU/8000\na=rtpmap:18 G729/8000\na=recvonly\n";
        let offer = Session::parse(sdp).unwrap();
        assert_eq!(offer.media, "10.0.0.2:5000".parse().unwrap());
        assert_eq!(offer.direction, Direction::RecvOnly);
        let agreed = offer.negotiate(None).unwrap();
        assert_eq!(
            (agreed.codec, agreed.payload_type, agreed.telephone_event),
            (Codec::Pcmu, 112, None)
        );
        let answer = offer.answer(
            "10.0.0.3:6000".parse().unwrap(),
            &agreed,
            offer.direction.answer(),
            1,
        );
        let video = answer.find("m=video 0 RTP/AVP 97").expect(&answer);
        assert!(
            video < answer.find("m=audio 6000").unwrap(),
            "media lines keep their order"
        );
        assert!(answer.contains("a=sendonly"));
    }

    #[test]
    fn hold_by_zero_address_or_attribute() {
        let held = BARESIP_OFFER.replace("127.0.0.1\r\nt=", "0.0.0.0\r\nt=");
        assert_eq!(
            Session::parse(&held).unwrap().direction,
            Direction::Inactive
        );
        let held = BARESIP_OFFER.replace("a=sendrecv", "a=sendonly");
        assert_eq!(
            Session::parse(&held).unwrap().direction,
            Direction::SendOnly
        );
    }

    #[test]
    fn bad_offers_say_what_is_wrong() {
        let no_codec = BARESIP_OFFER.replace("RTP/AVP 8 0 96", "RTP/AVP 18 96");
        assert_eq!(
            Session::parse(&no_codec).unwrap().negotiate(None),
            Err(SdpError::NoCommonCodec("18 96".into()))
        );
        assert_eq!(Session::parse("v=0\r\n"), Err(SdpError::NoAudio));
        assert_eq!(
            Session::parse("v=0\r\nm=audio 4 RTP/AVP 0\r\n"),
            Err(SdpError::NoConnection)
        );
        let error = Session::parse("v=0\r\nnonsense\r\n")
            .unwrap_err()
            .to_string();
        assert_eq!(error, "SDP line 2: not of the form x=value");
        let error = Session::parse("v=0\r\nm=audio x RTP/AVP 0\r\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("line 2") && error.contains("port"),
            "{error}"
        );
        let error = Session::parse("c=IN IP4 999.1.1.1\r\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("c="), "{error}");
    }

    #[test]
    fn our_offer_parses_as_g711_with_telephone_events() {
        let sdp = offer(
            "127.0.0.1:30000".parse().unwrap(),
            Codec::Pcma,
            Direction::SendRecv,
            7,
        );
        let parsed = Session::parse(&sdp).unwrap();
        assert_eq!(parsed.payload_types, vec![8, 0, OFFERED_TELEPHONE_EVENT]);
        assert_eq!(
            parsed.negotiate(None).unwrap().telephone_event,
            Some(OFFERED_TELEPHONE_EVENT)
        );
    }
}
