//! Asterisk's `queue_log`: `epoch|callid|queue|agent|EVENT|data1|data2|…`,
//! one line per queue event, as written by `app_queue`.
//!
//! Key items: [`read`], and inside it `Replay`, which replays the lines in
//! time order: calls become contacts with one leg per queue, agent lines
//! become agent states (module `agents`).
//!
//! The time field is Unix seconds (a decimal fraction is kept to the
//! millisecond) or, as some realtime-table exports write it, a date and
//! time (`2012-07-03 15:27:23.896208`) read in [`Options::time_zone`].
//! Lines are replayed sorted by time, ties in file order, because Asterisk
//! writes from several threads and a line can land a second late. Queue and
//! agent fields are names (a member name or interface such as
//! `SIP/2001`); [`Names`] maps them to ids. Times of a leg come from line
//! times, not from the wait and talk figures in the data fields, which are
//! the same seconds.
//!
//! | event (data fields) | effect |
//! |---|---|
//! | `ENTERQUEUE` (url, callerid, position) | a new contact and leg entering the queue; ANI = callerid when it is a number. With a call id whose contact is waiting for a continuation (see below), a new leg of that contact |
//! | `DID` (number) | FreePBX: the dialled number of the call that enters next |
//! | `CONNECT` (holdtime, bridged uniqueid, ringtime) | the leg is answered by the agent; an accepted offer that rang `ringtime` s; agent Talking |
//! | `COMPLETEAGENT`, `COMPLETECALLER` (holdtime, calltime, origposition) | the leg ends handled, wrap-up zero; agent back to Ready (or NotReady if paused). After `COMPLETECALLER` the contact is finished; after `COMPLETEAGENT` it may continue |
//! | `TRANSFER`, `BLINDTRANSFER` (extension, context, holdtime, calltime, origposition), `ATTENDEDTRANSFER` (method, data…, holdtime, calltime, origposition) | the leg ends transferred, wrap-up zero; agent as after `COMPLETE*`; the contact may continue |
//! | `ABANDON` (position, origposition, waittime) | the leg ends abandoned; the contact is finished |
//! | `EXITWITHTIMEOUT`, `EXITEMPTY` (position, origposition, waittime), `EXITWITHKEY` (key, position, origposition, waittime), `WITHDRAW` | the caller left the queue for the dialplan: the leg ends by overflow to voicemail (a timed-out leg); the contact may continue |
//! | `RINGNOANSWER` (ringtime ms) | an unanswered offer to the agent |
//! | `RINGCANCELED` (ringtime ms) | an offer ended because the caller hung up or pressed a key |
//! | `AGENTDUMP` | an offer the agent answered and dropped during the announcement (rejected); the caller waits on |
//! | `SYSCOMPAT` | an offer that failed for incompatible channels (not answered); the caller waits on |
//! | `AGENTLOGIN`, `AGENTCALLBACKLOGIN` | agent logged in (Ready) |
//! | `AGENTLOGOFF`, `AGENTCALLBACKLOGOFF` | agent logged out of every queue |
//! | `ADDMEMBER` (`PAUSED` or empty) | agent a member of the queue: logged in, NotReady(`paused`) when added paused |
//! | `REMOVEMEMBER` | no longer a member; LoggedOut when no queue is left |
//! | `PAUSE`, `PAUSEALL` (reason) | NotReady(reason), `paused` when empty |
//! | `UNPAUSE` | the queue's pause (and a `PAUSEALL`) ends |
//! | `UNPAUSEALL` | every pause ends |
//! | `CONFIGRELOAD`, `QUEUESTART`, `PENALTY`, `RINGINUSE` | ignored, counted |
//! | anything else | counted as unknown, otherwise ignored |
//!
//! Choices, because `queue_log` does not say:
//! * **Continuations.** A call id whose last leg ended by transfer, by
//!   `COMPLETEAGENT` or by leaving to the dialplan stays open until the end
//!   of the file: an `ENTERQUEUE` with the same call id adds a leg (a
//!   transfer for the first two, and the left leg becomes an overflow to the
//!   new queue for the last). Without one, the contact finished when that
//!   leg ended. An attended transfer into a queue enters it with the
//!   transferring agent's channel, a new call id, so it is a new contact.
//! * **Timeouts.** `EXITWITHTIMEOUT`, `EXITEMPTY`, `EXITWITHKEY` and
//!   `WITHDRAW` are not abandons (the caller did not hang up); they end the
//!   leg as the engine's maximum-wait overflow to voicemail does, so reports
//!   count them as timed out.
//! * **Agent state is one per agent.** It is LoggedOut when the agent is in
//!   no queue and not logged in as an agent; else Talking during a call;
//!   else NotReady with the latest pause in force in any queue (per-queue
//!   pauses are rare outside `PAUSEALL`, and a reason code matters more than
//!   partial availability); else Ready. There is no wrap-up (wrap-up time is
//!   `queues.conf` configuration, not logged) and no ringing state
//!   (`queue_log` writes no line when ringing starts).
//! * **Static members** (in `queues.conf`, never added by a line) log in
//!   implicitly at the first line that shows them at work in a queue,
//!   counted under `implicit login`.
//! * **Reason codes**: a pause reason becomes a [`Code`] with characters a
//!   code cannot hold replaced by `_` and cut to 64 characters (counted
//!   under `pause reason rewritten`).
//!
//! Rejected lines: fewer than five fields, a bad time, a call line for a
//! call id that is not in a queue (its `ENTERQUEUE` is before the file
//! starts, or it already left), a line that contradicts the call's state
//! (`CONNECT` twice, `COMPLETE*` before `CONNECT`, a call line in another
//! queue than the call's), an agent line without an agent.
//!
//! Counts in [`Report::counts`](crate::Report::counts): `event X` per event
//! handled, `ignored X`, `unknown X`, `blank line`, `implicit login`,
//! `caller id not a number`, `DID not a number`, `pause reason rewritten`,
//! `new leg after transfer`, `new leg after agent hung up`, `new leg after
//! leaving a queue`.

mod agents;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use acd::config::Overflow;
use acd::model::{AgentId, Code, ContactId, PhoneNumber, Priority, Time};
use acd::record::{Leg, LegEnd, OfferAttempt, OfferOutcome};
use jiff::tz::TimeZone;

use crate::build::{self, Builder, Caller, Fail, reject};
use crate::error::Error;
use crate::{Import, Names, Options, source};
use agents::{Agents, Change};

/// `queue_log`'s word for "no queue", "no agent", "no call".
const NONE: &str = "NONE";

/// Events that carry nothing for the event log.
const IGNORED: [&str; 4] = ["CONFIGRELOAD", "QUEUESTART", "PENALTY", "RINGINUSE"];

/// Reads a `queue_log` file; `progress` gets the bytes read so far.
pub fn read<R: Read, P: FnMut(u64)>(
    input: R,
    options: &Options,
    progress: P,
) -> Result<Import, Error> {
    let mut builder = Builder::new(options.first_contact);
    let mut lines = Vec::new();
    let count = source::lines(input, progress, |number, text| {
        match text.and_then(|text| parse_line(number, text, &options.time_zone)) {
            Ok(Some(line)) => lines.push(line),
            Ok(None) => builder.count("blank line"),
            Err(reason) => builder.reject(number, reason),
        }
        Ok(())
    })?;
    builder.lines(count);
    lines.sort_by_key(|line| line.at);
    let mut replay = Replay {
        options,
        names: options.names.clone(),
        builder,
        calls: BTreeMap::new(),
        dids: HashMap::new(),
        agents: Agents::default(),
        paused: Code::parse("paused").expect("a valid code"),
    };
    for line in &lines {
        match replay.apply(line) {
            Ok(()) => {}
            Err(Fail::Reject(reason)) => replay.builder.reject(line.number, reason),
            Err(Fail::Fatal(error)) => return Err(error),
        }
    }
    Ok(replay.finish())
}

/// One line.
struct Line {
    number: u64,
    at: Time,
    callid: String,
    queue: String,
    agent: String,
    event: String,
    data: Vec<String>,
}

impl Line {
    /// Data field `i` (0 = data1), empty when absent.
    fn data(&self, i: usize) -> &str {
        self.data.get(i).map_or("", String::as_str)
    }
}

fn parse_line(number: u64, text: &str, zone: &TimeZone) -> Result<Option<Line>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let fields: Vec<&str> = text.split('|').collect();
    let [time, callid, queue, agent, event, data @ ..] = fields.as_slice() else {
        return Err(format!(
            "expected at least 5 '|'-separated fields (time|callid|queue|agent|event), found {}",
            fields.len()
        ));
    };
    if event.is_empty() {
        return Err("the event field is empty".to_owned());
    }
    Ok(Some(Line {
        number,
        at: log_time(time, zone)?,
        callid: (*callid).to_owned(),
        queue: (*queue).to_owned(),
        agent: (*agent).to_owned(),
        event: (*event).to_owned(),
        data: data.iter().map(|d| (*d).to_owned()).collect(),
    }))
}

/// Unix seconds, with an optional decimal fraction, or a date and time.
fn log_time(text: &str, zone: &TimeZone) -> Result<Time, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !whole.is_empty() && digits(whole) && digits(fraction) {
        let secs: u64 = whole
            .parse()
            .map_err(|_| format!("time {text:?} is out of range"))?;
        let mut ms = 0;
        for (i, b) in fraction.bytes().take(3).enumerate() {
            ms += u64::from(b - b'0') * [100, 10, 1][i];
        }
        return secs
            .checked_mul(1000)
            .and_then(|s| s.checked_add(ms))
            .map(Time::from_millis)
            .ok_or_else(|| format!("time {text:?} is out of range"));
    }
    source::timestamp(text, zone)
        .map_err(|_| format!("time {text:?} is neither Unix seconds nor a date and time"))
}

/// A call with a leg so far.
struct Call {
    id: ContactId,
    ani: Option<PhoneNumber>,
    dnis: PhoneNumber,
    arrived: Time,
    /// Never empty.
    legs: Vec<Leg>,
    /// The line of the last `ENTERQUEUE`.
    entered: u64,
}

struct Replay<'a> {
    options: &'a Options,
    names: Names,
    builder: Builder,
    /// Calls by call id, from `ENTERQUEUE` until finished.
    calls: BTreeMap<String, Call>,
    /// Dialled numbers by call id, from `DID` until `ENTERQUEUE`.
    dids: HashMap<String, PhoneNumber>,
    agents: Agents,
    paused: Code,
}

impl Replay<'_> {
    fn apply(&mut self, line: &Line) -> Result<(), Fail> {
        let event = line.event.as_str();
        if IGNORED.contains(&event) {
            self.builder.count(&format!("ignored {event}"));
            return Ok(());
        }
        let known = matches!(
            event,
            "ENTERQUEUE"
                | "DID"
                | "CONNECT"
                | "COMPLETEAGENT"
                | "COMPLETECALLER"
                | "TRANSFER"
                | "BLINDTRANSFER"
                | "ATTENDEDTRANSFER"
                | "ABANDON"
                | "EXITWITHTIMEOUT"
                | "EXITEMPTY"
                | "EXITWITHKEY"
                | "WITHDRAW"
                | "RINGNOANSWER"
                | "RINGCANCELED"
                | "AGENTDUMP"
                | "SYSCOMPAT"
                | "AGENTLOGIN"
                | "AGENTCALLBACKLOGIN"
                | "AGENTLOGOFF"
                | "AGENTCALLBACKLOGOFF"
                | "ADDMEMBER"
                | "REMOVEMEMBER"
                | "PAUSE"
                | "PAUSEALL"
                | "UNPAUSE"
                | "UNPAUSEALL"
        );
        if !known {
            self.builder.count(&format!("unknown {event}"));
            return Ok(());
        }
        self.builder.count(&format!("event {event}"));
        let voicemail = LegEnd::Overflowed(Overflow::Voicemail);
        match event {
            "ENTERQUEUE" => self.enter(line),
            "DID" => {
                match PhoneNumber::parse(line.data(0).trim()) {
                    Ok(number) => {
                        self.dids.insert(line.callid.clone(), number);
                    }
                    Err(_) => self.builder.count("DID not a number"),
                }
                Ok(())
            }
            "CONNECT" => self.connect(line),
            "COMPLETEAGENT" => self.complete(line, LegEnd::Handled, false),
            "COMPLETECALLER" => self.complete(line, LegEnd::Handled, true),
            "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER" => {
                self.complete(line, LegEnd::Transferred, false)
            }
            "ABANDON" => self.leave(line, LegEnd::Abandoned),
            "EXITWITHTIMEOUT" | "EXITEMPTY" | "EXITWITHKEY" | "WITHDRAW" => {
                self.leave(line, voicemail)
            }
            "RINGNOANSWER" => self.offer(line, OfferOutcome::NotAnswered, ring_ms(line.data(0))),
            "RINGCANCELED" => self.offer(line, OfferOutcome::CallerHungUp, ring_ms(line.data(0))),
            "AGENTDUMP" => self.offer(line, OfferOutcome::Rejected, 0),
            "SYSCOMPAT" => self.offer(line, OfferOutcome::NotAnswered, 0),
            _ => self.agent_line(line),
        }
    }

    fn enter(&mut self, line: &Line) -> Result<(), Fail> {
        if line.callid.is_empty() || line.callid == NONE {
            return reject("ENTERQUEUE without a call id".to_owned());
        }
        if line.queue.is_empty() || line.queue == NONE {
            return reject("ENTERQUEUE without a queue".to_owned());
        }
        let queue = self.builder.queue(&mut self.names, &line.queue)?;
        if let Some(call) = self.calls.get_mut(&line.callid) {
            let Some(last) = call.legs.last_mut() else {
                return reject(format!("call {} has no leg", line.callid));
            };
            let counter = match last.end {
                None => {
                    let name = self.names.queue_name(last.queue).unwrap_or_default();
                    return reject(format!(
                        "call {} is still in queue {name} (entered on line {})",
                        line.callid, call.entered
                    ));
                }
                Some(LegEnd::Overflowed(_)) => {
                    last.end = Some(LegEnd::Overflowed(Overflow::Queue(queue)));
                    "new leg after leaving a queue"
                }
                Some(LegEnd::Transferred) => "new leg after transfer",
                Some(LegEnd::Handled) => "new leg after agent hung up",
                // The importer ends no leg as interrupted; such a call is
                // over like a hung-up one.
                Some(LegEnd::Abandoned | LegEnd::Interrupted) => {
                    return reject(format!("call {} already hung up", line.callid));
                }
            };
            self.builder.count(counter);
            call.legs.push(build::leg(queue, line.at));
            call.entered = line.number;
            return Ok(());
        }
        let callerid = line.data(1).trim();
        let ani = match PhoneNumber::parse(callerid) {
            Ok(number) => Some(number),
            Err(_) => {
                if !callerid.is_empty() {
                    self.builder.count("caller id not a number");
                }
                None
            }
        };
        let call = Call {
            id: self.builder.contact_id()?,
            ani,
            dnis: self
                .dids
                .remove(&line.callid)
                .unwrap_or_else(|| self.options.unknown_dnis.clone()),
            arrived: line.at,
            legs: vec![build::leg(queue, line.at)],
            entered: line.number,
        };
        self.calls.insert(line.callid.clone(), call);
        Ok(())
    }

    /// The leg of the line's call that is still in the line's queue.
    fn open_leg(&mut self, line: &Line) -> Result<&mut Leg, Fail> {
        let Some(call) = self.calls.get_mut(&line.callid) else {
            return reject(format!(
                "{} for call {}, which is not in a queue (its ENTERQUEUE is not in the log)",
                line.event, line.callid
            ));
        };
        let Some(leg) = call.legs.last_mut() else {
            return reject(format!("call {} has no leg", line.callid));
        };
        let queue = self.names.queue_name(leg.queue).unwrap_or_default();
        if leg.end.is_some() {
            return reject(format!(
                "{} for call {}, which already left queue {queue}",
                line.event, line.callid
            ));
        }
        if line.queue != queue {
            return reject(format!(
                "{} in queue {} for call {}, which is in queue {queue}",
                line.event, line.queue, line.callid
            ));
        }
        Ok(leg)
    }

    fn line_agent(&mut self, line: &Line) -> Result<AgentId, Fail> {
        if line.agent.is_empty() || line.agent == NONE {
            return reject(format!("{} without an agent", line.event));
        }
        Ok(self.builder.agent(&mut self.names, &line.agent)?)
    }

    fn connect(&mut self, line: &Line) -> Result<(), Fail> {
        let agent = self.line_agent(line)?;
        let leg = self.open_leg(line)?;
        if let Some(other) = leg.agent {
            return reject(format!(
                "CONNECT for call {}, which is already connected to {other}",
                line.callid
            ));
        }
        leg.answered = Some(line.at);
        leg.agent = Some(agent);
        // The ring time is whole seconds here; a missing one rang 0 s.
        let rang = line.data(2).trim().parse::<u64>().unwrap_or(0) * 1000;
        leg.offers.push(OfferAttempt {
            agent,
            offered: before(line.at, rang),
            ended: line.at,
            outcome: OfferOutcome::Accepted,
        });
        self.agent_change(line.at, agent, Change::CallStarted { queue: &line.queue });
        Ok(())
    }

    /// The agent's part ended: hung up or transferred. When the caller hung
    /// up the contact is finished; otherwise the dialplan may send it on.
    fn complete(&mut self, line: &Line, end: LegEnd, caller_hung_up: bool) -> Result<(), Fail> {
        let leg = self.open_leg(line)?;
        let Some(agent) = leg.agent else {
            return reject(format!(
                "{} for call {}, which was never connected (no CONNECT)",
                line.event, line.callid
            ));
        };
        leg.ended = Some(line.at);
        leg.wrap_ended = Some(line.at);
        leg.end = Some(end);
        self.agent_change(line.at, agent, Change::CallEnded);
        if caller_hung_up {
            self.finalize(&line.callid);
        }
        Ok(())
    }

    /// The caller left the line unanswered.
    fn leave(&mut self, line: &Line, end: LegEnd) -> Result<(), Fail> {
        let leg = self.open_leg(line)?;
        if leg.agent.is_some() {
            return reject(format!(
                "{} for call {}, which is connected to an agent",
                line.event, line.callid
            ));
        }
        leg.ended = Some(line.at);
        leg.end = Some(end);
        if end == LegEnd::Abandoned {
            self.finalize(&line.callid);
        }
        Ok(())
    }

    fn offer(&mut self, line: &Line, outcome: OfferOutcome, rang_ms: u64) -> Result<(), Fail> {
        let agent = self.line_agent(line)?;
        let leg = self.open_leg(line)?;
        if leg.agent.is_some() {
            return reject(format!(
                "{} for call {}, which is connected to an agent",
                line.event, line.callid
            ));
        }
        leg.offers.push(OfferAttempt {
            agent,
            offered: before(line.at, rang_ms),
            ended: line.at,
            outcome,
        });
        self.agent_change(line.at, agent, Change::Seen { queue: &line.queue });
        Ok(())
    }

    fn agent_line(&mut self, line: &Line) -> Result<(), Fail> {
        let agent = self.line_agent(line)?;
        let queue = (!line.queue.is_empty() && line.queue != NONE).then_some(line.queue.as_str());
        let in_queue =
            || queue.ok_or_else(|| Fail::Reject(format!("{} without a queue", line.event)));
        let change = match line.event.as_str() {
            "AGENTLOGIN" | "AGENTCALLBACKLOGIN" => Change::Login,
            "AGENTLOGOFF" | "AGENTCALLBACKLOGOFF" => Change::Logoff,
            "ADDMEMBER" => Change::Join {
                queue: in_queue()?,
                paused: (line.data(0) == "PAUSED").then(|| self.paused.clone()),
            },
            "REMOVEMEMBER" => Change::Leave { queue: in_queue()? },
            "PAUSE" => Change::Pause {
                queue: Some(in_queue()?),
                reason: self.reason(line.data(0)),
            },
            "PAUSEALL" => Change::Pause {
                queue: None,
                reason: self.reason(line.data(0)),
            },
            "UNPAUSE" => Change::Unpause {
                queue: Some(in_queue()?),
            },
            _ => Change::Unpause { queue: None },
        };
        self.agent_change(line.at, agent, change);
        Ok(())
    }

    fn agent_change(&mut self, at: Time, agent: AgentId, change: Change<'_>) {
        if let Some((from, to)) = self.agents.apply(agent, change) {
            self.builder.state(at, agent, from, to);
        }
    }

    /// A pause reason as a code: `paused` when empty; characters a code
    /// cannot hold become `_`, and it is cut to 64 characters.
    fn reason(&mut self, text: &str) -> Code {
        let text = text.trim();
        if text.is_empty() {
            return self.paused.clone();
        }
        if let Ok(code) = Code::parse(text) {
            return code;
        }
        self.builder.count("pause reason rewritten");
        let cleaned: String = text
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':') {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        Code::parse(&cleaned).unwrap_or_else(|_| self.paused.clone())
    }

    /// Logs the call's contact.
    fn finalize(&mut self, callid: &str) {
        if let Some(call) = self.calls.remove(callid) {
            self.log(callid.to_owned(), call);
        }
    }

    fn log(&mut self, source: String, call: Call) {
        let caller = Caller {
            ani: call.ani,
            dnis: call.dnis,
            priority: Priority(0),
            attributes: Vec::new(),
            arrived: call.arrived,
        };
        let record = build::contact(call.id, caller, call.legs);
        self.builder.finished(record, source, None);
    }

    /// Logs the calls that were waiting for a continuation; lists those
    /// still in a queue or with an agent as unfinished.
    fn finish(mut self) -> Import {
        let mut calls: Vec<(String, Call)> = std::mem::take(&mut self.calls).into_iter().collect();
        calls.sort_by_key(|(_, call)| call.id);
        for (source, call) in calls {
            if call.legs.last().is_some_and(|leg| leg.end.is_none()) {
                self.builder.unfinished(source);
            } else {
                self.log(source, call);
            }
        }
        self.builder
            .add("implicit login", self.agents.implicit_logins);
        self.builder.finish(self.names)
    }
}

/// `RINGNOANSWER` and `RINGCANCELED` give milliseconds; unreadable is 0.
fn ring_ms(text: &str) -> u64 {
    text.trim().parse().unwrap_or(0)
}

fn before(at: Time, ms: u64) -> Time {
    Time::from_millis(at.as_millis().saturating_sub(ms))
}
