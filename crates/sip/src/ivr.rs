//! IVR flows: what a caller hears and presses between answer and queue, one
//! flow per set of dialled numbers, run as a pure state machine.
//!
//! Key types: [`Flows`] (a checked flows file, read by [`Flows::parse`] or
//! [`Flows::load`], looked up by dialled number with [`Flows::for_dnis`]),
//! [`Flow`], [`Session`] (one caller's walk through a flow: [`Input`]s in,
//! [`Action`]s out), [`Survey`] (the post-call survey) and [`FlowError`].
//!
//! Nothing here plays audio, hears digits, keeps time or talks to the ACD:
//! the SIP layer carries out each [`Action`] and reports what happened as an
//! [`Input`], so a flow can be tested without a phone.
//!
//! # The flows file
//!
//! TOML, one `[[flow]]` table per flow:
//!
//! - `name`: shown in logs and errors; required, unique, not empty.
//! - `dnis`: the dialled numbers the flow answers, each an optional `+` and 1
//!   to 20 digits, matched exactly as signalled; at least one, and a number
//!   belongs to one flow only.
//! - `language`: the prompt set the flow plays (`"en"`, `"zh"`).
//! - `start`: the node a call begins at.
//! - `survey` (optional): the post-call survey, played after the agent hangs
//!   up: `prompt` (required), `timeout_s` (how long to wait for the answer
//!   after the prompt, default 5) and `thanks` (played after an answer;
//!   without it the call ends at once).
//! - `node.<name>`: the nodes, each doing exactly one thing, chosen by one of
//!   the keys `say`, `menu`, `collect`, `open_for`, `queue` or `end`:
//!   - `say = [prompts]`, `next`: play (digits do not interrupt), then go to
//!     `next`.
//!   - `menu = [prompts]`, `choices = { "digit" = node, .. }`: play (a digit
//!     interrupts), then wait `timeout_s` for one digit. A choice's key is
//!     one of `0`-`9`, `*` and `#`. A digit that is no choice, or silence,
//!     costs a try: `retries` (default 2) replays follow, each after the
//!     optional `invalid` prompt; when they run out the call goes to
//!     `fallback`, or hangs up without another word when there is none.
//!   - `collect = [prompts]`, `attribute`, `next`: play (the first digit
//!     interrupts), then collect digits `0`-`9` until `#`, `max_digits`
//!     (default and at most 32) or `timeout_s` of silence after the prompt or
//!     the last digit. At least `min_digits` (default 1) digits are stored as
//!     the call attribute `attribute` and the call goes to `next`; fewer cost
//!     a try, with `retries` and `invalid` as for a menu and `on_fail` in the
//!     place of `fallback`. `*` and `A`-`D` are ignored.
//!   - `open_for = "queue"`, `open`, `closed`: ask whether the ACD queue is
//!     open now, and go to `open` or `closed`.
//!   - `queue = "queue"`: hand the call to the ACD queue (the walk ends), at
//!     `priority` (0 to 255, higher first, default 0), with the attributes
//!     collected so far plus the node's own `attributes = { key = value }`
//!     (a key set twice keeps its last value).
//!   - `end = [prompts]`: play, then hang up (the walk ends); an empty list
//!     hangs up at once. `reason` records the call reason of a caller served
//!     by the IVR alone (self-service).
//!
//!   `timeout_s` (default 5) is 1 to 60 seconds everywhere.
//!
//! A prompt names a recording in the flow's language; the SIP layer finds
//! its WAV file in the prompt directory ([`Flows::prompt_names`] lists them
//! all so it can check at start). Prompt names and languages are 1 to 64
//! letters, digits, `-`, `_` or `.`, not starting with `.`, so they are safe
//! as file names; prompt lists other than `end` are not empty. Attribute
//! keys and values, `attribute` and `reason` are ACD [`Code`]s.
//!
//! Unknown keys, keys that belong to another kind of node, and references to
//! nodes that do not exist are refused, as is a loop of `say` and `open_for`
//! nodes only: it gives the caller no way out, and without a `say` it would
//! ask the ACD over and over without pause. A loop through a `menu` or
//! `collect` node is fine: there the caller steers, and replays run out. A
//! flow from whose start no `queue` or `end` node can be reached is allowed.
//!
//! ```toml
//! # prompts are names of WAV files in the prompt directory for the flow's language
//! [[flow]]
//! name = "support line"
//! dnis = ["+18005550100", "100"]      # numbers this flow answers; one number belongs to one flow
//! language = "en"                      # prompt set (e.g. "en", "zh")
//! start = "welcome"
//! # post-call survey, optional: after the agent hangs up, the caller hears the prompt and presses 1-5
//! survey = { prompt = "survey", timeout_s = 8, thanks = "survey-thanks" }
//!
//! [flow.node.welcome]
//! say = ["welcome"]                    # play then go on
//! next = "hours"
//!
//! [flow.node.hours]
//! open_for = "support"                 # ask the environment whether this queue is open now
//! open = "menu"
//! closed = "closed"
//!
//! [flow.node.menu]
//! menu = ["menu"]                      # play, then wait for one digit (digits may interrupt the prompt)
//! choices = { "1" = "sales", "2" = "identify", "9" = "balance" }
//! timeout_s = 6                        # default 5
//! retries = 2                          # replays after an invalid digit or timeout (default 2)
//! invalid = "invalid-choice"           # optional prompt played before a replay
//! fallback = "support_queue"           # where to go when retries run out (default: hang up)
//!
//! [flow.node.identify]
//! collect = ["enter-customer-number"]  # play, then collect digits
//! attribute = "customer"               # stored as an attribute of the call
//! min_digits = 4
//! max_digits = 12                      # collection ends at max_digits, at '#', or at timeout (inter-digit)
//! timeout_s = 5
//! next = "support_queue"
//! on_fail = "support_queue"            # too few digits after retries (retries as in menu)
//!
//! [flow.node.sales]
//! queue = "sales"                      # hand the call to the ACD: terminal
//! priority = 0                         # optional, default 0
//! attributes = { language = "en" }     # optional
//!
//! [flow.node.support_queue]
//! queue = "support"
//!
//! [flow.node.balance]
//! end = ["balance-info", "goodbye"]    # self-service: play and hang up: terminal
//! reason = "balance"                   # optional call-reason code recorded for self-service
//!
//! [flow.node.closed]
//! end = ["closed"]
//! ```
//!
//! # Running a flow
//!
//! [`Session::start`] enters the flow's start node; the driver then feeds
//! every [`Input`] to [`Session::handle`] and carries out the actions it
//! returns, in order, until a terminal [`Action::Route`] or
//! [`Action::Hangup`]. Inputs that do not fit the moment (a digit during a
//! `say`, a [`Input::PlaybackDone`] while waiting for a digit, anything after
//! the end) are ignored. [`Survey`] works the same way for the survey.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use acd::model::{Code, PhoneNumber, Priority};
use serde::Deserialize;

/// What `timeout_s` may be, in seconds.
const TIMEOUTS_S: RangeInclusive<u32> = 1..=60;
/// `timeout_s` when not given.
const DEFAULT_TIMEOUT_S: u32 = 5;
/// `retries` when not given.
const DEFAULT_RETRIES: u8 = 2;
/// The longest `max_digits`, and its default: longer than any account or
/// card number a caller would key in.
const MAX_DIGITS: u32 = 32;

/// Why a flows file was refused. Every message names the flow (by name in
/// quotes, or `#n` counting from 1 when the name is the problem) and the
/// node or key at fault.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// Not TOML, a value of the wrong type, a missing required key or an
    /// unknown key; toml's message gives line and column.
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    /// The file cannot be read.
    #[error("cannot read flows file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file [`Flows::load`] refused: the file, then what is wrong in it.
    #[error("{}: {error}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong in it.
        error: Box<FlowError>,
    },
    /// A flow's own key (`name`, `dnis`, `language`, `start`, `survey`) is
    /// wrong.
    #[error("flow {flow}: {problem}")]
    Flow {
        /// The flow: its name in quotes, or `#n`.
        flow: String,
        /// What is wrong, starting with the key.
        problem: String,
    },
    /// A node is wrong.
    #[error("flow {flow}, node {node:?}: {problem}")]
    Node {
        /// The flow: its name in quotes.
        flow: String,
        /// The node's name.
        node: String,
        /// What is wrong, starting with the key when one key is at fault.
        problem: String,
    },
    /// A node refers to a node that does not exist.
    #[error("flow {flow}, node {node:?}: {key} goes to {target:?}, which is not a node")]
    UnknownNode {
        /// The flow: its name in quotes.
        flow: String,
        /// The node that refers to it.
        node: String,
        /// The key holding the reference, e.g. `next` or `choice "1"`.
        key: String,
        /// The name given.
        target: String,
    },
    /// Two flows answer the same number.
    #[error("flow {second}: dnis {dnis:?} is already answered by flow {first}")]
    SharedDnis {
        /// The number.
        dnis: String,
        /// The flow that lists it first, its name in quotes.
        first: String,
        /// The flow that lists it again, its name in quotes.
        second: String,
    },
}

/// Every flow of a flows file, checked: each node reference leads to a node
/// and each number to one flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flows {
    flows: Vec<Flow>,
    /// Dialled number to index in `flows`.
    by_dnis: BTreeMap<String, usize>,
}

impl Flows {
    /// Reads a flows file's text (see the [module documentation](self)).
    pub fn parse(text: &str) -> Result<Flows, FlowError> {
        let raw: RawFile = toml::from_str(text)?;
        let mut flows: Vec<Flow> = Vec::with_capacity(raw.flow.len());
        let mut by_dnis = BTreeMap::new();
        for (index, raw_flow) in raw.flow.into_iter().enumerate() {
            let flow = Flow::check(index, raw_flow)?;
            if let Some(first) = flows.iter().position(|f| f.name == flow.name) {
                return Err(FlowError::Flow {
                    flow: format!("#{}", index + 1),
                    problem: format!("name {:?} is already flow #{}'s", flow.name, first + 1),
                });
            }
            for number in &flow.dnis {
                if let Some(&first) = by_dnis.get(number.as_str()) {
                    let first: &Flow = &flows[first];
                    return Err(FlowError::SharedDnis {
                        dnis: number.to_string(),
                        first: format!("{:?}", first.name),
                        second: format!("{:?}", flow.name),
                    });
                }
                by_dnis.insert(number.to_string(), index);
            }
            flows.push(flow);
        }
        Ok(Flows { flows, by_dnis })
    }

    /// Reads a flows file; every error names the file.
    pub fn load(path: &Path) -> Result<Flows, FlowError> {
        let text = std::fs::read_to_string(path).map_err(|source| FlowError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Flows::parse(&text).map_err(|error| FlowError::File {
            path: path.to_path_buf(),
            error: Box::new(error),
        })
    }

    /// The flow that answers a dialled number, compared exactly as written
    /// in the file.
    pub fn for_dnis(&self, dnis: &str) -> Option<&Flow> {
        self.by_dnis.get(dnis).map(|&index| &self.flows[index])
    }

    /// Every prompt the flows can play, as (language, prompt name), so the
    /// SIP layer can check at start that each recording exists.
    pub fn prompt_names(&self) -> BTreeSet<(String, String)> {
        self.flows
            .iter()
            .flat_map(|flow| {
                let survey = flow
                    .survey
                    .iter()
                    .flat_map(|survey| std::iter::once(&survey.prompt).chain(&survey.thanks));
                flow.nodes
                    .iter()
                    .flat_map(Node::prompts)
                    .chain(survey)
                    .map(|prompt| (flow.language.clone(), prompt.clone()))
            })
            .collect()
    }

    /// Every ACD queue the flows name (to route to, or to ask whether it is
    /// open), so the server can check that each exists.
    pub fn queue_names(&self) -> BTreeSet<String> {
        self.flows
            .iter()
            .flat_map(|flow| &flow.nodes)
            .filter_map(|node| match node {
                Node::OpenFor(open_for) => Some(open_for.queue.clone()),
                Node::Queue(queue) => Some(queue.queue.clone()),
                Node::Say(_) | Node::Menu(_) | Node::Collect(_) | Node::End(_) => None,
            })
            .collect()
    }
}

/// One flow: the nodes a call to its numbers walks through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    name: String,
    dnis: Vec<PhoneNumber>,
    language: String,
    /// Index in `nodes` of the first node.
    start: usize,
    /// In name order; node references are indices into it.
    nodes: Vec<Node>,
    survey: Option<SurveySpec>,
}

impl Flow {
    /// The flow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The prompt set it plays, e.g. `"en"`.
    pub fn language(&self) -> &str {
        &self.language
    }

    /// Builds a flow from its table, `index` counting from 0 in the file.
    fn check(index: usize, raw: RawFlow) -> Result<Flow, FlowError> {
        if raw.name.is_empty() {
            return Err(FlowError::Flow {
                flow: format!("#{}", index + 1),
                problem: "name is empty".into(),
            });
        }
        let (names, raw_nodes): (Vec<String>, Vec<RawNode>) = raw.node.into_iter().unzip();
        let at = Checker {
            flow: format!("{:?}", raw.name),
            names: names.iter().map(String::as_str).collect(),
        };
        if raw.dnis.is_empty() {
            return Err(at.flow_error("dnis is empty: a flow answers at least one number"));
        }
        let mut dnis: Vec<PhoneNumber> = Vec::with_capacity(raw.dnis.len());
        for number in &raw.dnis {
            let number = PhoneNumber::parse(number)
                .map_err(|error| at.flow_error(format!("dnis: {error}")))?;
            if dnis.contains(&number) {
                return Err(at.flow_error(format!("dnis lists {:?} twice", number.as_str())));
            }
            dnis.push(number);
        }
        if !is_file_name(&raw.language) {
            return Err(at.flow_error(format!("language {:?} {NOT_A_FILE_NAME}", raw.language)));
        }
        let nodes = names
            .iter()
            .zip(raw_nodes)
            .map(|(name, node)| at.node(name, node))
            .collect::<Result<Vec<_>, _>>()?;
        let start = at.index(&raw.start).ok_or_else(|| {
            at.flow_error(format!(
                "start goes to {:?}, which is not a node",
                raw.start
            ))
        })?;
        let survey = raw.survey.map(|survey| at.survey(survey)).transpose()?;
        if let Some(cycle) = silent_loop(&nodes) {
            let path: Vec<String> = cycle
                .iter()
                .map(|&node| format!("{:?}", at.names[node]))
                .collect();
            return Err(at.node_error(
                at.names[cycle[0]],
                format!(
                    "{} is a loop of say and open_for nodes only: \
                     the call could go round it forever",
                    path.join(" -> ")
                ),
            ));
        }
        Ok(Flow {
            name: raw.name,
            dnis,
            language: raw.language,
            start,
            nodes,
            survey,
        })
    }
}

/// The end of the message for a prompt or language that is no safe file
/// name.
const NOT_A_FILE_NAME: &str =
    "is not 1 to 64 letters, digits, '-', '_' or '.' (not starting with '.')";

/// Whether a prompt or language name is safe to use as a file name: no
/// separators, and no `.` or `..` to climb out of the prompt directory.
fn is_file_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A node, its references resolved to indices in [`Flow::nodes`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Say(Say),
    Menu(Menu),
    Collect(Collect),
    OpenFor(OpenFor),
    Queue(QueueNode),
    End(End),
}

impl Node {
    /// The prompts it can play.
    fn prompts(&self) -> Vec<&String> {
        let (prompts, invalid) = match self {
            Node::Say(say) => (&say.prompts[..], None),
            Node::Menu(Menu { ask, .. }) | Node::Collect(Collect { ask, .. }) => {
                (&ask.prompts[..], ask.invalid.as_ref())
            }
            Node::End(end) => (&end.prompts[..], None),
            Node::OpenFor(_) | Node::Queue(_) => (&[][..], None),
        };
        invalid.into_iter().chain(prompts).collect()
    }

    /// Where the call can go from here without the caller pressing a key:
    /// the exits of `say` and `open_for` nodes.
    fn silent_exits(&self) -> Vec<usize> {
        match self {
            Node::Say(say) => vec![say.next],
            Node::OpenFor(open_for) => vec![open_for.open, open_for.closed],
            Node::Menu(_) | Node::Collect(_) | Node::Queue(_) | Node::End(_) => Vec::new(),
        }
    }
}

/// A `say` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Say {
    prompts: Vec<String>,
    next: usize,
}

/// What `menu` and `collect` nodes share: a prompt, a wait, and replays.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ask {
    prompts: Vec<String>,
    timeout_ms: u32,
    retries: u8,
    invalid: Option<String>,
    /// `fallback` or `on_fail`; `None` hangs up.
    on_fail: Option<usize>,
}

impl Ask {
    /// After a failed try: replays the prompt (after `invalid`) and returns
    /// the new try while replays remain; `None` when they have run out.
    fn replay(&self, tried: Try, actions: &mut Vec<Action>) -> Option<Try> {
        if tried.replays >= self.retries {
            return None;
        }
        actions.push(Action::Play {
            prompts: self.invalid.iter().chain(&self.prompts).cloned().collect(),
            interruptible: true,
        });
        Some(Try {
            playing: true,
            replays: tried.replays + 1,
        })
    }

    /// The wait for the caller's next digit.
    fn timer(&self) -> Action {
        Action::StartTimer {
            after_ms: self.timeout_ms,
        }
    }
}

/// A `menu` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Menu {
    ask: Ask,
    choices: BTreeMap<char, usize>,
}

/// A `collect` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Collect {
    ask: Ask,
    attribute: Code,
    min_digits: usize,
    max_digits: usize,
    next: usize,
}

/// An `open_for` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OpenFor {
    queue: String,
    open: usize,
    closed: usize,
}

/// A `queue` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueueNode {
    queue: String,
    priority: Priority,
    attributes: Vec<(Code, Code)>,
}

/// An `end` node.
#[derive(Debug, Clone, PartialEq, Eq)]
struct End {
    prompts: Vec<String>,
    reason: Option<Code>,
}

/// A flow's `survey`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SurveySpec {
    prompt: String,
    timeout_ms: u32,
    thanks: Option<String>,
}

/// A loop of nodes the call would pass through without the caller pressing
/// a key, if the flow has one: node indices around it, the first repeated
/// at the end.
fn silent_loop(nodes: &[Node]) -> Option<Vec<usize>> {
    let exits: Vec<Vec<usize>> = nodes.iter().map(Node::silent_exits).collect();
    // Strip nodes with no exit to a node still standing until none is left
    // to strip: what remains lies on a loop or leads into one.
    let mut standing: Vec<bool> = exits.iter().map(|exits| !exits.is_empty()).collect();
    let mut stripped = true;
    while stripped {
        stripped = false;
        for (node, exits) in exits.iter().enumerate() {
            if standing[node] && !exits.iter().any(|&exit| standing[exit]) {
                standing[node] = false;
                stripped = true;
            }
        }
    }
    // Every standing node has a standing exit, so following them from any
    // standing node comes back to a node already seen.
    let mut at = standing.iter().position(|&standing| standing)?;
    let mut path = Vec::new();
    loop {
        if let Some(seen) = path.iter().position(|&node| node == at) {
            let mut cycle = path.split_off(seen);
            cycle.push(at);
            return Some(cycle);
        }
        path.push(at);
        at = *exits[at].iter().find(|&&exit| standing[exit])?;
    }
}

/// Checks one flow's parts, naming the flow (and node) in every error.
struct Checker<'a> {
    /// The flow's name in quotes.
    flow: String,
    /// Node names in index order.
    names: Vec<&'a str>,
}

impl Checker<'_> {
    fn flow_error(&self, problem: impl Into<String>) -> FlowError {
        FlowError::Flow {
            flow: self.flow.clone(),
            problem: problem.into(),
        }
    }

    fn node_error(&self, node: &str, problem: impl Into<String>) -> FlowError {
        FlowError::Node {
            flow: self.flow.clone(),
            node: node.to_owned(),
            problem: problem.into(),
        }
    }

    /// The index of the node with this name.
    fn index(&self, name: &str) -> Option<usize> {
        self.names.binary_search(&name).ok()
    }

    /// Resolves the reference under `key` of `node`.
    fn target(&self, node: &str, key: &str, target: &str) -> Result<usize, FlowError> {
        self.index(target).ok_or_else(|| FlowError::UnknownNode {
            flow: self.flow.clone(),
            node: node.to_owned(),
            key: key.to_owned(),
            target: target.to_owned(),
        })
    }

    /// A key this kind of node cannot do without.
    fn required<T>(
        &self,
        node: &str,
        kind: &str,
        key: &str,
        value: Option<T>,
    ) -> Result<T, FlowError> {
        value.ok_or_else(|| self.node_error(node, format!("a {kind} node needs {key}")))
    }

    /// A prompt list, which only `end` may leave empty.
    fn prompts(
        &self,
        node: &str,
        key: &str,
        prompts: Vec<String>,
    ) -> Result<Vec<String>, FlowError> {
        if prompts.is_empty() && key != "end" {
            return Err(self.node_error(node, format!("{key} has no prompt")));
        }
        match prompts.iter().find(|prompt| !is_file_name(prompt)) {
            Some(bad) => {
                Err(self.node_error(node, format!("{key}: prompt {bad:?} {NOT_A_FILE_NAME}")))
            }
            None => Ok(prompts),
        }
    }

    /// One optional prompt.
    fn prompt(
        &self,
        node: &str,
        key: &str,
        prompt: Option<String>,
    ) -> Result<Option<String>, FlowError> {
        match prompt {
            Some(bad) if !is_file_name(&bad) => {
                Err(self.node_error(node, format!("{key}: prompt {bad:?} {NOT_A_FILE_NAME}")))
            }
            prompt => Ok(prompt),
        }
    }

    /// A `timeout_s`, in milliseconds; `Err` holds the problem.
    fn timeout(timeout_s: Option<u32>) -> Result<u32, String> {
        match timeout_s.unwrap_or(DEFAULT_TIMEOUT_S) {
            s if TIMEOUTS_S.contains(&s) => Ok(s * 1000),
            s => Err(format!(
                "timeout_s is {s}; it must be {} to {} seconds",
                TIMEOUTS_S.start(),
                TIMEOUTS_S.end()
            )),
        }
    }

    /// A code-valued key.
    fn code(&self, node: &str, key: &str, text: &str) -> Result<Code, FlowError> {
        Code::parse(text).map_err(|error| self.node_error(node, format!("{key}: {error}")))
    }

    fn survey(&self, raw: RawSurvey) -> Result<SurveySpec, FlowError> {
        for prompt in std::iter::once(&raw.prompt).chain(&raw.thanks) {
            if !is_file_name(prompt) {
                return Err(self.flow_error(format!("survey: prompt {prompt:?} {NOT_A_FILE_NAME}")));
            }
        }
        Ok(SurveySpec {
            prompt: raw.prompt,
            timeout_ms: Checker::timeout(raw.timeout_s)
                .map_err(|problem| self.flow_error(format!("survey: {problem}")))?,
            thanks: raw.thanks,
        })
    }

    /// The parts `menu` and `collect` share.
    fn ask(
        &self,
        node: &str,
        key: &str,
        prompts: Vec<String>,
        raw: &mut RawNode,
        on_fail: Option<String>,
        on_fail_key: &str,
    ) -> Result<Ask, FlowError> {
        Ok(Ask {
            prompts: self.prompts(node, key, prompts)?,
            timeout_ms: Checker::timeout(raw.timeout_s)
                .map_err(|problem| self.node_error(node, problem))?,
            retries: raw.retries.unwrap_or(DEFAULT_RETRIES),
            invalid: self.prompt(node, "invalid", raw.invalid.take())?,
            on_fail: on_fail
                .map(|target| self.target(node, on_fail_key, &target))
                .transpose()?,
        })
    }

    /// Builds one node.
    fn node(&self, name: &str, mut raw: RawNode) -> Result<Node, FlowError> {
        let keys = raw.keys();
        let mut kinds = KINDS.iter().filter(|(_, key, _)| keys.contains(key));
        let (kind, key, others) = match (kinds.next(), kinds.next()) {
            (Some(&kind), None) => kind,
            (None, _) => {
                return Err(self.node_error(
                    name,
                    "has none of say, menu, collect, open_for, queue or end",
                ));
            }
            (Some((_, first, _)), Some((_, second, _))) => {
                return Err(self.node_error(
                    name,
                    format!("has both {first} and {second}: a node does exactly one thing"),
                ));
            }
        };
        if let Some(stray) = keys.iter().find(|&&k| k != key && !others.contains(&k)) {
            return Err(self.node_error(
                name,
                format!(
                    "{stray} does not belong in a {key} node, which takes {}",
                    others.join(", ")
                ),
            ));
        }
        let node = match kind {
            Kind::Say => Node::Say(Say {
                prompts: self.prompts(name, key, raw.say.unwrap_or_default())?,
                next: self.target(name, "next", &self.required(name, key, "next", raw.next)?)?,
            }),
            Kind::Menu => {
                let fallback = raw.fallback.take();
                let ask = self.ask(
                    name,
                    key,
                    raw.menu.take().unwrap_or_default(),
                    &mut raw,
                    fallback,
                    "fallback",
                )?;
                let choices = self.required(name, key, "choices", raw.choices)?;
                if choices.is_empty() {
                    return Err(self.node_error(name, "choices is empty"));
                }
                let mut resolved = BTreeMap::new();
                for (digit, target) in &choices {
                    let key = format!("choice {digit:?}");
                    match digit.chars().collect::<Vec<_>>()[..] {
                        [c @ ('0'..='9' | '*' | '#')] => {
                            resolved.insert(c, self.target(name, &key, target)?);
                        }
                        _ => {
                            return Err(
                                self.node_error(name, format!("{key} is not one of 0-9, * or #"))
                            );
                        }
                    }
                }
                Node::Menu(Menu {
                    ask,
                    choices: resolved,
                })
            }
            Kind::Collect => {
                let on_fail = raw.on_fail.take();
                let ask = self.ask(
                    name,
                    key,
                    raw.collect.take().unwrap_or_default(),
                    &mut raw,
                    on_fail,
                    "on_fail",
                )?;
                let attribute = self.required(name, key, "attribute", raw.attribute)?;
                let min_digits = raw.min_digits.unwrap_or(1);
                let max_digits = raw.max_digits.unwrap_or(MAX_DIGITS);
                if min_digits == 0 {
                    return Err(self.node_error(name, "min_digits is 0; it must be at least 1"));
                }
                if max_digits > MAX_DIGITS {
                    return Err(self.node_error(
                        name,
                        format!("max_digits is {max_digits}; it must be at most {MAX_DIGITS}"),
                    ));
                }
                if min_digits > max_digits {
                    return Err(self.node_error(
                        name,
                        format!("min_digits ({min_digits}) is more than max_digits ({max_digits})"),
                    ));
                }
                Node::Collect(Collect {
                    ask,
                    attribute: self.code(name, "attribute", &attribute)?,
                    min_digits: min_digits as usize,
                    max_digits: max_digits as usize,
                    next: self.target(
                        name,
                        "next",
                        &self.required(name, key, "next", raw.next)?,
                    )?,
                })
            }
            Kind::OpenFor => Node::OpenFor(OpenFor {
                queue: self.queue(name, key, raw.open_for.unwrap_or_default())?,
                open: self.target(name, "open", &self.required(name, key, "open", raw.open)?)?,
                closed: self.target(
                    name,
                    "closed",
                    &self.required(name, key, "closed", raw.closed)?,
                )?,
            }),
            Kind::Queue => Node::Queue(QueueNode {
                queue: self.queue(name, key, raw.queue.unwrap_or_default())?,
                priority: Priority(raw.priority.unwrap_or(0)),
                attributes: raw
                    .attributes
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| {
                        Ok((
                            self.code(name, "attributes", k)?,
                            self.code(name, "attributes", v)?,
                        ))
                    })
                    .collect::<Result<_, FlowError>>()?,
            }),
            Kind::End => Node::End(End {
                prompts: self.prompts(name, key, raw.end.unwrap_or_default())?,
                reason: raw
                    .reason
                    .map(|reason| self.code(name, "reason", &reason))
                    .transpose()?,
            }),
        };
        Ok(node)
    }

    /// A queue name.
    fn queue(&self, node: &str, key: &str, queue: String) -> Result<String, FlowError> {
        if queue.is_empty() {
            return Err(self.node_error(node, format!("{key} names no queue")));
        }
        Ok(queue)
    }
}

/// The kinds of node.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Say,
    Menu,
    Collect,
    OpenFor,
    Queue,
    End,
}

/// Each kind of node, the key that makes it, and the other keys it takes.
const KINDS: [(Kind, &str, &[&str]); 6] = [
    (Kind::Say, "say", &["next"]),
    (
        Kind::Menu,
        "menu",
        &["choices", "timeout_s", "retries", "invalid", "fallback"],
    ),
    (
        Kind::Collect,
        "collect",
        &[
            "attribute",
            "min_digits",
            "max_digits",
            "timeout_s",
            "retries",
            "invalid",
            "next",
            "on_fail",
        ],
    ),
    (Kind::OpenFor, "open_for", &["open", "closed"]),
    (Kind::Queue, "queue", &["priority", "attributes"]),
    (Kind::End, "end", &["reason"]),
];

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    flow: Vec<RawFlow>,
}

/// A `[[flow]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    name: String,
    dnis: Vec<String>,
    language: String,
    start: String,
    survey: Option<RawSurvey>,
    #[serde(default)]
    node: BTreeMap<String, RawNode>,
}

/// A `survey` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSurvey {
    prompt: String,
    timeout_s: Option<u32>,
    thanks: Option<String>,
}

/// A node table as written: every key of every kind, sorted out by
/// [`Checker::node`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    say: Option<Vec<String>>,
    menu: Option<Vec<String>>,
    collect: Option<Vec<String>>,
    open_for: Option<String>,
    queue: Option<String>,
    end: Option<Vec<String>>,
    next: Option<String>,
    choices: Option<BTreeMap<String, String>>,
    timeout_s: Option<u32>,
    retries: Option<u8>,
    invalid: Option<String>,
    fallback: Option<String>,
    attribute: Option<String>,
    min_digits: Option<u32>,
    max_digits: Option<u32>,
    on_fail: Option<String>,
    open: Option<String>,
    closed: Option<String>,
    priority: Option<u8>,
    attributes: Option<BTreeMap<String, String>>,
    reason: Option<String>,
}

impl RawNode {
    /// The keys given.
    fn keys(&self) -> Vec<&'static str> {
        [
            ("say", self.say.is_some()),
            ("menu", self.menu.is_some()),
            ("collect", self.collect.is_some()),
            ("open_for", self.open_for.is_some()),
            ("queue", self.queue.is_some()),
            ("end", self.end.is_some()),
            ("next", self.next.is_some()),
            ("choices", self.choices.is_some()),
            ("timeout_s", self.timeout_s.is_some()),
            ("retries", self.retries.is_some()),
            ("invalid", self.invalid.is_some()),
            ("fallback", self.fallback.is_some()),
            ("attribute", self.attribute.is_some()),
            ("min_digits", self.min_digits.is_some()),
            ("max_digits", self.max_digits.is_some()),
            ("on_fail", self.on_fail.is_some()),
            ("open", self.open.is_some()),
            ("closed", self.closed.is_some()),
            ("priority", self.priority.is_some()),
            ("attributes", self.attributes.is_some()),
            ("reason", self.reason.is_some()),
        ]
        .into_iter()
        .filter_map(|(key, given)| given.then_some(key))
        .collect()
    }
}

/// What the driver reports to a [`Session`] or [`Survey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The last [`Action::Play`] ran to its end. Not sent for a playback
    /// stopped by [`Action::StopPlayback`] or replaced by a later Play.
    PlaybackDone,
    /// The caller pressed a DTMF key: `0`-`9`, `*`, `#` or `A`-`D`; other
    /// characters are ignored.
    Digit(char),
    /// The timer of the last [`Action::StartTimer`] fired. Not sent for a
    /// timer cancelled by a later Play or StartTimer.
    Timeout,
    /// The answer to [`Action::AskOpen`]: whether the queue is open now.
    Open(bool),
}

/// What a [`Session`] or [`Survey`] asks the driver to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Play these prompts one after the other, in the flow's language; report
    /// [`Input::PlaybackDone`] at the end. Cancels a running timer. When
    /// `interruptible` the caller may key ahead, and a digit may be answered
    /// with [`Action::StopPlayback`]; otherwise digits are ignored.
    Play {
        /// Prompt names.
        prompts: Vec<String>,
        /// Whether the caller may key ahead.
        interruptible: bool,
    },
    /// Stop the current playback: a digit interrupted it.
    StopPlayback,
    /// Start a timer and report [`Input::Timeout`] when it fires, unless a
    /// later Play or StartTimer cancels it first.
    StartTimer {
        /// Milliseconds from now.
        after_ms: u32,
    },
    /// Ask whether the ACD queue is open now; answer with [`Input::Open`].
    AskOpen {
        /// The queue's name.
        queue: String,
    },
    /// Hand the call to the ACD. Terminal: nothing follows.
    Route {
        /// The queue's name.
        queue: String,
        /// The contact's base priority.
        priority: Priority,
        /// The call's attributes: those collected, then the node's own.
        attributes: Vec<(Code, Code)>,
    },
    /// Hang up (any Play before it has finished). Terminal: nothing follows.
    Hangup {
        /// The call reason when the IVR served the caller alone (an `end`
        /// node's `reason`).
        self_service_reason: Option<Code>,
    },
}

/// One caller's walk through one flow: feed it [`Input`]s, carry out the
/// [`Action`]s it returns.
#[derive(Debug, Clone)]
pub struct Session<'f> {
    flow: &'f Flow,
    state: State<'f>,
    attributes: Vec<(Code, Code)>,
}

/// Where a [`Session`] stands.
#[derive(Debug, Clone)]
enum State<'f> {
    /// Playing a `say` node's prompts.
    Saying(&'f Say),
    /// Playing an `end` node's prompts, to hang up after.
    Ending(&'f End),
    /// Waiting for [`Input::Open`].
    Asking(&'f OpenFor),
    /// At a menu.
    Menu(&'f Menu, Try),
    /// Collecting digits (those so far).
    Collect(&'f Collect, Try, String),
    /// Routed or hung up.
    Done,
}

/// One try at a `menu` or `collect` node.
#[derive(Debug, Clone, Copy)]
struct Try {
    /// The prompt is still playing (so no timer runs).
    playing: bool,
    /// Replays so far.
    replays: u8,
}

impl Try {
    /// The first try: the prompt has just started.
    const FIRST: Try = Try {
        playing: true,
        replays: 0,
    };

    /// The same try after its prompt ended or was interrupted.
    fn waiting(self) -> Try {
        Try {
            playing: false,
            ..self
        }
    }
}

impl<'f> Session<'f> {
    /// A call entering `flow`, and the actions of its start node.
    pub fn start(flow: &'f Flow) -> (Self, Vec<Action>) {
        let mut session = Session {
            flow,
            state: State::Done,
            attributes: Vec::new(),
        };
        let mut actions = Vec::new();
        session.state = session.enter(flow.start, &mut actions);
        (session, actions)
    }

    /// Takes one input and returns what to do about it: nothing when the
    /// input does not fit the moment.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut actions = Vec::new();
        let state = std::mem::replace(&mut self.state, State::Done);
        self.state = match (state, input) {
            (State::Saying(say), Input::PlaybackDone) => self.enter(say.next, &mut actions),
            (State::Ending(end), Input::PlaybackDone) => {
                actions.push(Action::Hangup {
                    self_service_reason: end.reason.clone(),
                });
                State::Done
            }
            (State::Asking(open_for), Input::Open(open)) => {
                let next = if open { open_for.open } else { open_for.closed };
                self.enter(next, &mut actions)
            }
            (State::Menu(menu, tried), Input::PlaybackDone) if tried.playing => {
                actions.push(menu.ask.timer());
                State::Menu(menu, tried.waiting())
            }
            (State::Menu(menu, tried), Input::Digit(digit)) if is_dtmf(digit) => {
                if tried.playing {
                    actions.push(Action::StopPlayback);
                }
                match menu.choices.get(&digit) {
                    Some(&next) => self.enter(next, &mut actions),
                    None => self.menu_failed(menu, tried, &mut actions),
                }
            }
            (State::Menu(menu, tried), Input::Timeout) if !tried.playing => {
                self.menu_failed(menu, tried, &mut actions)
            }
            (State::Collect(collect, tried, digits), Input::PlaybackDone) if tried.playing => {
                actions.push(collect.ask.timer());
                State::Collect(collect, tried.waiting(), digits)
            }
            (State::Collect(collect, tried, mut digits), Input::Digit(digit))
                if digit.is_ascii_digit() || digit == '#' =>
            {
                if tried.playing {
                    actions.push(Action::StopPlayback);
                }
                if digit != '#' {
                    digits.push(digit);
                }
                if digit == '#' || digits.len() >= collect.max_digits {
                    self.collected(collect, tried, digits, &mut actions)
                } else {
                    // The timer now waits for the next digit.
                    actions.push(collect.ask.timer());
                    State::Collect(collect, tried.waiting(), digits)
                }
            }
            (State::Collect(collect, tried, digits), Input::Timeout) if !tried.playing => {
                self.collected(collect, tried, digits, &mut actions)
            }
            (state, _) => state,
        };
        actions
    }

    /// The call's attributes so far: digits collected, and once routed the
    /// queue node's own.
    pub fn attributes(&self) -> &[(Code, Code)] {
        &self.attributes
    }

    /// Enters a node: its actions, and where the session then stands.
    fn enter(&mut self, node: usize, actions: &mut Vec<Action>) -> State<'f> {
        let flow: &'f Flow = self.flow;
        match &flow.nodes[node] {
            Node::Say(say) => {
                actions.push(play(&say.prompts, false));
                State::Saying(say)
            }
            Node::Menu(menu) => {
                actions.push(play(&menu.ask.prompts, true));
                State::Menu(menu, Try::FIRST)
            }
            Node::Collect(collect) => {
                actions.push(play(&collect.ask.prompts, true));
                State::Collect(collect, Try::FIRST, String::new())
            }
            Node::OpenFor(open_for) => {
                actions.push(Action::AskOpen {
                    queue: open_for.queue.clone(),
                });
                State::Asking(open_for)
            }
            Node::Queue(queue) => {
                for (key, value) in &queue.attributes {
                    self.set(key.clone(), value.clone());
                }
                actions.push(Action::Route {
                    queue: queue.queue.clone(),
                    priority: queue.priority,
                    attributes: self.attributes.clone(),
                });
                State::Done
            }
            Node::End(end) if end.prompts.is_empty() => {
                actions.push(Action::Hangup {
                    self_service_reason: end.reason.clone(),
                });
                State::Done
            }
            Node::End(end) => {
                actions.push(play(&end.prompts, false));
                State::Ending(end)
            }
        }
    }

    /// A digit that is no choice, or silence, at a menu.
    fn menu_failed(&mut self, menu: &'f Menu, tried: Try, actions: &mut Vec<Action>) -> State<'f> {
        match menu.ask.replay(tried, actions) {
            Some(tried) => State::Menu(menu, tried),
            None => self.give_up(menu.ask.on_fail, actions),
        }
    }

    /// The end of a collection: `#`, `max_digits` or silence.
    fn collected(
        &mut self,
        collect: &'f Collect,
        tried: Try,
        digits: String,
        actions: &mut Vec<Action>,
    ) -> State<'f> {
        // Digits 0-9 always make a code; an empty string does not.
        match Code::parse(&digits) {
            Ok(value) if digits.len() >= collect.min_digits => {
                self.set(collect.attribute.clone(), value);
                self.enter(collect.next, actions)
            }
            _ => match collect.ask.replay(tried, actions) {
                Some(tried) => State::Collect(collect, tried, String::new()),
                None => self.give_up(collect.ask.on_fail, actions),
            },
        }
    }

    /// Replays have run out: on to `fallback` / `on_fail`, or hang up.
    fn give_up(&mut self, on_fail: Option<usize>, actions: &mut Vec<Action>) -> State<'f> {
        match on_fail {
            Some(node) => self.enter(node, actions),
            None => {
                actions.push(Action::Hangup {
                    self_service_reason: None,
                });
                State::Done
            }
        }
    }

    /// Sets an attribute, replacing an earlier value of the same key.
    fn set(&mut self, key: Code, value: Code) {
        match self.attributes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => *old = value,
            None => self.attributes.push((key, value)),
        }
    }
}

/// A [`Action::Play`] of these prompts.
fn play(prompts: &[String], interruptible: bool) -> Action {
    Action::Play {
        prompts: prompts.to_vec(),
        interruptible,
    }
}

/// Whether `c` is one of the sixteen DTMF keys.
fn is_dtmf(c: char) -> bool {
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D')
}

/// The post-call survey of a flow: the caller rates the call 1 to 5 after
/// the agent hung up.
#[derive(Debug, Clone)]
pub struct Survey<'f> {
    spec: &'f SurveySpec,
    state: SurveyState,
    answer: Option<u8>,
}

/// Where a [`Survey`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SurveyState {
    /// Playing the question.
    Asking,
    /// Waiting for the answer after the question.
    Waiting,
    /// Playing the thanks, to hang up after.
    Thanking,
    /// Hung up.
    Done,
}

impl<'f> Survey<'f> {
    /// The survey of `flow` and its first actions; `None` when the flow has
    /// no survey.
    pub fn start(flow: &'f Flow) -> Option<(Self, Vec<Action>)> {
        let spec = flow.survey.as_ref()?;
        let survey = Survey {
            spec,
            state: SurveyState::Asking,
            answer: None,
        };
        Some((survey, vec![play(std::slice::from_ref(&spec.prompt), true)]))
    }

    /// Takes one input and returns what to do about it: nothing when the
    /// input does not fit the moment (digits other than 1 to 5 among them).
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut actions = Vec::new();
        match (self.state, input) {
            (SurveyState::Asking, Input::PlaybackDone) => {
                actions.push(Action::StartTimer {
                    after_ms: self.spec.timeout_ms,
                });
                self.state = SurveyState::Waiting;
            }
            (SurveyState::Asking | SurveyState::Waiting, Input::Digit(digit @ '1'..='5')) => {
                if self.state == SurveyState::Asking {
                    actions.push(Action::StopPlayback);
                }
                self.answer = Some(digit as u8 - b'0');
                match &self.spec.thanks {
                    Some(thanks) => {
                        actions.push(play(std::slice::from_ref(thanks), false));
                        self.state = SurveyState::Thanking;
                    }
                    None => self.hang_up(&mut actions),
                }
            }
            (SurveyState::Waiting, Input::Timeout)
            | (SurveyState::Thanking, Input::PlaybackDone) => {
                self.hang_up(&mut actions);
            }
            _ => {}
        }
        actions
    }

    /// The caller's rating, 1 to 5, once given.
    pub fn answer(&self) -> Option<u8> {
        self.answer
    }

    fn hang_up(&mut self, actions: &mut Vec<Action>) {
        actions.push(Action::Hangup {
            self_service_reason: None,
        });
        self.state = SurveyState::Done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The example of the module documentation.
    const EXAMPLE: &str = r#"# prompts are names of WAV files in the prompt directory for the flow's language
[[flow]]
name = "support line"
dnis = ["+18005550100", "100"]      # numbers this flow answers; one number belongs to one flow
language = "en"                      # prompt set (e.g. "en", "zh")
start = "welcome"
# post-call survey, optional: after the agent hangs up, the caller hears the prompt and presses 1-5
survey = { prompt = "survey", timeout_s = 8, thanks = "survey-thanks" }

[flow.node.welcome]
say = ["welcome"]                    # play then go on
next = "hours"

[flow.node.hours]
open_for = "support"                 # ask the environment whether this queue is open now
open = "menu"
closed = "closed"

[flow.node.menu]
menu = ["menu"]                      # play, then wait for one digit (digits may interrupt the prompt)
choices = { "1" = "sales", "2" = "identify", "9" = "balance" }
timeout_s = 6                        # default 5
retries = 2                          # replays after an invalid digit or timeout (default 2)
invalid = "invalid-choice"           # optional prompt played before a replay
fallback = "support_queue"           # where to go when retries run out (default: hang up)

[flow.node.identify]
collect = ["enter-customer-number"]  # play, then collect digits
attribute = "customer"               # stored as an attribute of the call
min_digits = 4
max_digits = 12                      # collection ends at max_digits, at '#', or at timeout (inter-digit)
timeout_s = 5
next = "support_queue"
on_fail = "support_queue"            # too few digits after retries (retries as in menu)

[flow.node.sales]
queue = "sales"                      # hand the call to the ACD: terminal
priority = 0                         # optional, default 0
attributes = { language = "en" }     # optional

[flow.node.support_queue]
queue = "support"

[flow.node.balance]
end = ["balance-info", "goodbye"]    # self-service: play and hang up: terminal
reason = "balance"                   # optional call-reason code recorded for self-service

[flow.node.closed]
end = ["closed"]
"#;

    fn example() -> Flows {
        Flows::parse(EXAMPLE).unwrap()
    }

    fn code(text: &str) -> Code {
        Code::parse(text).unwrap()
    }

    fn plays(prompts: &[&str], interruptible: bool) -> Action {
        Action::Play {
            prompts: prompts.iter().map(|p| p.to_string()).collect(),
            interruptible,
        }
    }

    fn timer(after_ms: u32) -> Action {
        Action::StartTimer { after_ms }
    }

    fn route(queue: &str, attributes: &[(&str, &str)]) -> Action {
        Action::Route {
            queue: queue.into(),
            priority: Priority(0),
            attributes: attributes.iter().map(|(k, v)| (code(k), code(v))).collect(),
        }
    }

    fn hangup(reason: Option<&str>) -> Action {
        Action::Hangup {
            self_service_reason: reason.map(code),
        }
    }

    /// A session of the example flow that has reached the menu.
    fn at_menu(flow: &Flow) -> Session<'_> {
        let (mut session, _) = Session::start(flow);
        session.handle(Input::PlaybackDone);
        assert_eq!(session.handle(Input::Open(true)), [plays(&["menu"], true)]);
        session
    }

    #[test]
    fn module_doc_shows_the_example() {
        let doc: String = include_str!("ivr.rs")
            .lines()
            .skip_while(|line| *line != "//! ```toml")
            .skip(1)
            .take_while(|line| *line != "//! ```")
            .map(|line| {
                format!(
                    "{}\n",
                    line.trim_start_matches("//!").trim_start_matches(' ')
                )
            })
            .collect();
        assert_eq!(doc, EXAMPLE);
    }

    #[test]
    fn example_parses() {
        let flows = example();
        let flow = flows.for_dnis("100").unwrap();
        assert_eq!(flow.name(), "support line");
        assert_eq!(flow.language(), "en");
        assert!(std::ptr::eq(flow, flows.for_dnis("+18005550100").unwrap()));
        assert!(flows.for_dnis("18005550100").is_none());
        let prompts: Vec<String> = flows
            .prompt_names()
            .into_iter()
            .map(|(l, p)| format!("{l}/{p}"))
            .collect();
        assert_eq!(
            prompts,
            [
                "en/balance-info",
                "en/closed",
                "en/enter-customer-number",
                "en/goodbye",
                "en/invalid-choice",
                "en/menu",
                "en/survey",
                "en/survey-thanks",
                "en/welcome"
            ]
        );
        assert_eq!(Vec::from_iter(flows.queue_names()), ["sales", "support"]);
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flows.toml");
        std::fs::write(
            &path,
            EXAMPLE.replace("\"2\" = \"identify\"", "\"2\" = \"identfy\""),
        )
        .unwrap();
        let message = Flows::load(&path).unwrap_err().to_string();
        assert!(
            message.starts_with(&format!("{}: flow \"support line\"", path.display())),
            "{message}"
        );
        let missing = Flows::load(&dir.path().join("none.toml"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("none.toml"), "{missing}");
        std::fs::write(&path, EXAMPLE).unwrap();
        assert_eq!(Flows::load(&path).unwrap(), example());
    }

    #[test]
    fn walk_to_the_support_queue_with_a_customer_number() {
        let flows = example();
        let flow = flows.for_dnis("100").unwrap();
        let (mut session, actions) = Session::start(flow);
        assert_eq!(actions, [plays(&["welcome"], false)]);
        assert_eq!(
            session.handle(Input::PlaybackDone),
            [Action::AskOpen {
                queue: "support".into()
            }]
        );
        assert_eq!(session.handle(Input::Open(true)), [plays(&["menu"], true)]);
        assert_eq!(
            session.handle(Input::Digit('2')),
            [
                Action::StopPlayback,
                plays(&["enter-customer-number"], true)
            ]
        );
        assert_eq!(
            session.handle(Input::Digit('1')),
            [Action::StopPlayback, timer(5000)]
        );
        assert_eq!(session.handle(Input::PlaybackDone), []);
        assert_eq!(session.handle(Input::Digit('2')), [timer(5000)]);
        assert_eq!(session.handle(Input::Digit('3')), [timer(5000)]);
        assert_eq!(session.handle(Input::Digit('4')), [timer(5000)]);
        assert_eq!(
            session.handle(Input::Digit('#')),
            [route("support", &[("customer", "1234")])]
        );
        assert_eq!(session.attributes(), [(code("customer"), code("1234"))]);
        assert_eq!(session.handle(Input::Digit('5')), []);
    }

    #[test]
    fn collect_ends_at_max_digits_and_retries_too_few() {
        let flows = example();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        session.handle(Input::PlaybackDone);
        assert_eq!(
            session.handle(Input::Digit('2')),
            [plays(&["enter-customer-number"], true)]
        );
        session.handle(Input::PlaybackDone);
        // Three digits and silence: too few, so the prompt again.
        for digit in ['1', '2', '3'] {
            session.handle(Input::Digit(digit));
        }
        assert_eq!(
            session.handle(Input::Timeout),
            [plays(&["enter-customer-number"], true)]
        );
        // '*' is ignored and does not interrupt.
        assert_eq!(session.handle(Input::Digit('*')), []);
        let mut last = Vec::new();
        for digit in "987654321098".chars() {
            last = session.handle(Input::Digit(digit));
        }
        assert_eq!(last, [route("support", &[("customer", "987654321098")])]);
    }

    #[test]
    fn collect_failures_go_to_on_fail() {
        let flows = example();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        session.handle(Input::Digit('2'));
        let prompt = plays(&["enter-customer-number"], true);
        assert_eq!(
            session.handle(Input::Digit('#')),
            [Action::StopPlayback, prompt.clone()]
        );
        session.handle(Input::PlaybackDone);
        assert_eq!(session.handle(Input::Timeout), [prompt]);
        session.handle(Input::Digit('1'));
        assert_eq!(session.handle(Input::Digit('#')), [route("support", &[])]);
    }

    #[test]
    fn menu_timeouts_replay_then_fall_back() {
        let flows = example();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        let replay = || plays(&["invalid-choice", "menu"], true);
        assert_eq!(
            session.handle(Input::Timeout),
            [],
            "no timer runs during the prompt"
        );
        assert_eq!(session.handle(Input::PlaybackDone), [timer(6000)]);
        assert_eq!(session.handle(Input::Timeout), [replay()]);
        assert_eq!(session.handle(Input::PlaybackDone), [timer(6000)]);
        assert_eq!(session.handle(Input::Timeout), [replay()]);
        assert_eq!(session.handle(Input::PlaybackDone), [timer(6000)]);
        assert_eq!(session.handle(Input::Timeout), [route("support", &[])]);
        assert_eq!(session.handle(Input::Timeout), []);
    }

    #[test]
    fn invalid_digit_plays_the_invalid_prompt() {
        let flows = example();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        assert_eq!(
            session.handle(Input::Digit('5')),
            [
                Action::StopPlayback,
                plays(&["invalid-choice", "menu"], true)
            ]
        );
        assert_eq!(session.handle(Input::PlaybackDone), [timer(6000)]);
        assert_eq!(
            session.handle(Input::PlaybackDone),
            [],
            "no playback is running"
        );
        assert_eq!(session.handle(Input::Digit('x')), [], "not a DTMF key");
        assert_eq!(
            session.handle(Input::Digit('A')),
            [plays(&["invalid-choice", "menu"], true)]
        );
        assert_eq!(
            session.handle(Input::Digit('1')),
            [Action::StopPlayback, route("sales", &[("language", "en")])]
        );
    }

    #[test]
    fn menu_without_fallback_hangs_up() {
        let text = EXAMPLE
            .replace("fallback = \"support_queue\"", "")
            .replace("retries = 2 ", "retries = 0 ");
        let flows = Flows::parse(&text).unwrap();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        assert_eq!(
            session.handle(Input::Digit('7')),
            [Action::StopPlayback, hangup(None)]
        );
    }

    #[test]
    fn closed_queue_ends_the_call() {
        let flows = example();
        let (mut session, _) = Session::start(flows.for_dnis("100").unwrap());
        session.handle(Input::PlaybackDone);
        assert_eq!(
            session.handle(Input::Open(false)),
            [plays(&["closed"], false)]
        );
        assert_eq!(session.handle(Input::Digit('1')), []);
        assert_eq!(session.handle(Input::PlaybackDone), [hangup(None)]);
        assert_eq!(session.handle(Input::PlaybackDone), []);
    }

    #[test]
    fn balance_is_self_service() {
        let flows = example();
        let mut session = at_menu(flows.for_dnis("100").unwrap());
        session.handle(Input::PlaybackDone);
        assert_eq!(
            session.handle(Input::Digit('9')),
            [plays(&["balance-info", "goodbye"], false)]
        );
        assert_eq!(
            session.handle(Input::PlaybackDone),
            [hangup(Some("balance"))]
        );
    }

    #[test]
    fn empty_end_hangs_up_at_once() {
        let flows = Flows::parse(&EXAMPLE.replace("end = [\"closed\"]", "end = []")).unwrap();
        let (mut session, _) = Session::start(flows.for_dnis("100").unwrap());
        session.handle(Input::PlaybackDone);
        assert_eq!(session.handle(Input::Open(false)), [hangup(None)]);
    }

    #[test]
    fn digits_are_ignored_during_say() {
        let flows = example();
        let (mut session, _) = Session::start(flows.for_dnis("100").unwrap());
        assert_eq!(session.handle(Input::Digit('1')), []);
        assert_eq!(session.handle(Input::Timeout), []);
        assert_eq!(session.handle(Input::Open(true)), []);
        assert_eq!(
            session.handle(Input::PlaybackDone),
            [Action::AskOpen {
                queue: "support".into()
            }]
        );
        assert_eq!(session.handle(Input::Digit('1')), []);
        assert_eq!(session.handle(Input::PlaybackDone), []);
    }

    #[test]
    fn survey_takes_an_answer() {
        let flows = example();
        let (mut survey, actions) = Survey::start(flows.for_dnis("100").unwrap()).unwrap();
        assert_eq!(actions, [plays(&["survey"], true)]);
        assert_eq!(survey.handle(Input::Digit('7')), []);
        assert_eq!(survey.handle(Input::PlaybackDone), [timer(8000)]);
        assert_eq!(
            survey.handle(Input::Digit('4')),
            [plays(&["survey-thanks"], false)]
        );
        assert_eq!(survey.answer(), Some(4));
        assert_eq!(survey.handle(Input::Digit('5')), []);
        assert_eq!(survey.handle(Input::PlaybackDone), [hangup(None)]);
        assert_eq!(survey.answer(), Some(4));
    }

    #[test]
    fn survey_times_out() {
        let flows = example();
        let (mut survey, _) = Survey::start(flows.for_dnis("100").unwrap()).unwrap();
        assert_eq!(survey.handle(Input::Timeout), []);
        survey.handle(Input::PlaybackDone);
        assert_eq!(survey.handle(Input::Timeout), [hangup(None)]);
        assert_eq!(survey.answer(), None);
    }

    #[test]
    fn survey_interrupted_without_thanks() {
        let text = EXAMPLE.replace(", thanks = \"survey-thanks\"", "");
        let flows = Flows::parse(&text).unwrap();
        let (mut survey, _) = Survey::start(flows.for_dnis("100").unwrap()).unwrap();
        assert_eq!(
            survey.handle(Input::Digit('1')),
            [Action::StopPlayback, hangup(None)]
        );
        assert_eq!(survey.answer(), Some(1));
        let flows = Flows::parse(&EXAMPLE.replace("survey = {", "# survey = {")).unwrap();
        assert!(Survey::start(flows.for_dnis("100").unwrap()).is_none());
    }

    #[test]
    fn refused_files_name_flow_and_node() {
        let second = r#"
[[flow]]
name = "second"
dnis = ["200"]
language = "zh"
start = "bye"

[flow.node.bye]
end = []
"#;
        let cases: &[(&str, &str, &str)] = &[
            (
                "\"1\" = \"sales\"",
                "\"1\" = \"salse\"",
                r#"flow "support line", node "menu": choice "1" goes to "salse", which is not a node"#,
            ),
            (
                "next = \"hours\"",
                "next = \"ours\"",
                r#"flow "support line", node "welcome": next goes to "ours", which is not a node"#,
            ),
            (
                "open = \"menu\"",
                "open = \"meny\"",
                r#"flow "support line", node "hours": open goes to "meny", which is not a node"#,
            ),
            (
                "fallback = \"support_queue\"",
                "fallback = \"nowhere\"",
                r#"flow "support line", node "menu": fallback goes to "nowhere", which is not a node"#,
            ),
            (
                "on_fail = \"support_queue\"",
                "on_fail = \"nowhere\"",
                r#"flow "support line", node "identify": on_fail goes to "nowhere", which is not a node"#,
            ),
            (
                "start = \"welcome\"",
                "start = \"welcom\"",
                r#"flow "support line": start goes to "welcom", which is not a node"#,
            ),
            (
                "dnis = [\"+18005550100\", \"100\"]",
                "dnis = []",
                r#"flow "support line": dnis is empty"#,
            ),
            (
                "dnis = [\"+18005550100\", \"100\"]",
                "dnis = [\"1-800\"]",
                r#"flow "support line": dnis: phone number "1-800""#,
            ),
            (
                "dnis = [\"+18005550100\", \"100\"]",
                "dnis = [\"100\", \"100\"]",
                r#"flow "support line": dnis lists "100" twice"#,
            ),
            (
                "\"9\" = \"balance\"",
                "\"10\" = \"balance\"",
                r#"flow "support line", node "menu": choice "10" is not one of 0-9, * or #"#,
            ),
            (
                "min_digits = 4",
                "min_digits = 13",
                r#"flow "support line", node "identify": min_digits (13) is more than max_digits (12)"#,
            ),
            (
                "min_digits = 4",
                "min_digits = 0",
                r#"flow "support line", node "identify": min_digits is 0"#,
            ),
            (
                "max_digits = 12",
                "max_digits = 33",
                r#"flow "support line", node "identify": max_digits is 33; it must be at most 32"#,
            ),
            (
                "timeout_s = 6",
                "timeout_s = 0",
                r#"flow "support line", node "menu": timeout_s is 0; it must be 1 to 60 seconds"#,
            ),
            (
                "timeout_s = 5\n",
                "timeout_s = 61\n",
                r#"flow "support line", node "identify": timeout_s is 61; it must be 1 to 60 seconds"#,
            ),
            (
                "timeout_s = 8",
                "timeout_s = 90",
                r#"flow "support line": survey: timeout_s is 90; it must be 1 to 60 seconds"#,
            ),
            (
                "next = \"hours\"",
                "next = \"welcome\"",
                r#"flow "support line", node "welcome": "welcome" -> "welcome" is a loop of say and open_for nodes only"#,
            ),
            (
                "closed = \"closed\"",
                "closed = \"welcome\"",
                r#"flow "support line", node "hours": "hours" -> "welcome" -> "hours" is a loop"#,
            ),
            (
                "open = \"menu\"",
                "open = \"hours\"",
                r#"flow "support line", node "hours": "hours" -> "hours" is a loop"#,
            ),
            (
                "say = [\"welcome\"]",
                "say = [\"welcome\"]\nend = []",
                r#"flow "support line", node "welcome": has both say and end"#,
            ),
            (
                "say = [\"welcome\"]",
                "",
                r#"flow "support line", node "welcome": has none of say, menu"#,
            ),
            (
                "say = [\"welcome\"]",
                "say = [\"welcome\"]\nchoices = {}",
                r#"flow "support line", node "welcome": choices does not belong in a say node, which takes next"#,
            ),
            (
                "say = [\"welcome\"]",
                "say = []",
                r#"flow "support line", node "welcome": say has no prompt"#,
            ),
            (
                "say = [\"welcome\"]",
                "say = [\"../welcome\"]",
                r#"flow "support line", node "welcome": say: prompt "../welcome" is not 1 to 64 letters"#,
            ),
            (
                "invalid = \"invalid-choice\"",
                "invalid = \"\"",
                r#"flow "support line", node "menu": invalid: prompt "" is not"#,
            ),
            (
                "language = \"en\"",
                "language = \"../en\"",
                r#"flow "support line": language "../en" is not"#,
            ),
            (
                "attribute = \"customer\"",
                "attribute = \"customer id\"",
                r#"flow "support line", node "identify": attribute: code "customer id" must be"#,
            ),
            (
                "next = \"support_queue\"\n",
                "",
                r#"flow "support line", node "identify": a collect node needs next"#,
            ),
            (
                "language = \"en\" }",
                "language = \"\" }",
                r#"flow "support line", node "sales": attributes: code """#,
            ),
            (
                "queue = \"sales\"",
                "queue = \"\"",
                r#"flow "support line", node "sales": queue names no queue"#,
            ),
            (
                "name = \"support line\"",
                "name = \"\"",
                "flow #1: name is empty",
            ),
        ];
        for (from, to, expected) in cases {
            assert!(EXAMPLE.contains(from), "{from}");
            let message = Flows::parse(&EXAMPLE.replacen(from, to, 1))
                .unwrap_err()
                .to_string();
            assert!(
                message.starts_with(expected),
                "{from} -> {to}:\n{message}\nexpected {expected}"
            );
        }
        let shared = format!("{EXAMPLE}{}", second.replace("\"200\"", "\"100\""));
        assert_eq!(
            Flows::parse(&shared).unwrap_err().to_string(),
            r#"flow "second": dnis "100" is already answered by flow "support line""#
        );
        let renamed = format!("{EXAMPLE}{}", second.replace("second", "support line"));
        assert_eq!(
            Flows::parse(&renamed).unwrap_err().to_string(),
            r#"flow #2: name "support line" is already flow #1's"#
        );
        let flows = Flows::parse(&format!("{EXAMPLE}{second}")).unwrap();
        assert_eq!(flows.for_dnis("200").unwrap().language(), "zh");
    }

    #[test]
    fn toml_errors_carry_the_position() {
        let unknown = Flows::parse(&EXAMPLE.replace("collect = [", "colect = [")).unwrap_err();
        assert!(matches!(unknown, FlowError::Toml(_)));
        let message = unknown.to_string();
        assert!(
            message.contains("line 28") && message.contains("colect"),
            "{message}"
        );
        let syntax = Flows::parse("[[flow]\nname = 1").unwrap_err().to_string();
        assert!(syntax.contains("line 1"), "{syntax}");
        let missing = Flows::parse("[[flow]]\nname = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(missing.contains("dnis"), "{missing}");
    }

    fn input() -> impl Strategy<Value = Input> {
        prop_oneof![
            Just(Input::PlaybackDone),
            Just(Input::Timeout),
            any::<bool>().prop_map(Input::Open),
            prop::sample::select("0123456789*#ABCDx".chars().collect::<Vec<_>>())
                .prop_map(Input::Digit),
        ]
    }

    /// Checks one batch of actions: a terminal action comes last, and no
    /// action comes after one.
    fn check(actions: &[Action], ended: &mut bool) -> Result<(), TestCaseError> {
        prop_assert!(!*ended || actions.is_empty(), "{actions:?} after the end");
        let terminal =
            |action: &Action| matches!(action, Action::Route { .. } | Action::Hangup { .. });
        if let Some(at) = actions.iter().position(terminal) {
            prop_assert_eq!(at, actions.len() - 1);
            *ended = true;
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn nothing_follows_a_terminal_action(inputs in prop::collection::vec(input(), 0..60)) {
            let flows = example();
            let flow = flows.for_dnis("100").unwrap();
            let (mut session, actions) = Session::start(flow);
            let (mut survey, survey_actions) = Survey::start(flow).unwrap();
            let (mut ended, mut survey_ended) = (false, false);
            check(&actions, &mut ended)?;
            check(&survey_actions, &mut survey_ended)?;
            for input in inputs {
                check(&session.handle(input), &mut ended)?;
                check(&survey.handle(input), &mut survey_ended)?;
            }
        }
    }
}
