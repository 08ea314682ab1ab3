//! Headless Chromium for tests: open a page, let its script run, and keep
//! the DOM it left and a screenshot; and a small reader of that DOM.
//!
//! Chromium is the one named by `SWITCHBOARD_TEST_CHROMIUM`, which
//! scripts/test sets (scripts/test-chromium installs Debian's `chromium`
//! and `fonts-noto-cjk` when missing). Unset, the browser tests print a
//! skip notice and pass, so a plain `cargo test` needs no browser; set to
//! a path that does not run, they fail.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The variable naming the Chromium binary (`skip`: skip knowingly).
pub const CHROMIUM_VAR: &str = "SWITCHBOARD_TEST_CHROMIUM";

/// Chromium is killed, with every process it started, after this long.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The Chromium of `SWITCHBOARD_TEST_CHROMIUM`, or `None` (with a skip
/// notice) when it is unset or `skip`.
pub fn chromium(test: &str) -> Option<PathBuf> {
    match std::env::var(CHROMIUM_VAR) {
        Ok(path) if path == "skip" => {
            eprintln!("skipped: {test} ({CHROMIUM_VAR}=skip)");
            None
        }
        Ok(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => {
            eprintln!(
                "skipped: {test} needs headless Chromium and {CHROMIUM_VAR} is not set; \
                 scripts/test sets it (see scripts/test-chromium), or run \
                 `eval \"$(scripts/test-chromium | grep ^export)\"` first"
            );
            None
        }
    }
}

/// What Chromium left of a page.
pub struct Visit {
    /// The DOM after the page's script ran, serialized.
    pub dom: String,
    /// How long Chromium ran.
    pub took: Duration,
}

/// Opens `url` in a 1920×1080 headless window with a fresh profile, lets
/// `virtual_ms` of the page's (virtual) time pass, so its timers fire
/// without waiting for them, then writes a PNG screenshot to `screenshot`
/// and returns the DOM. Blocks; fails after a minute.
pub fn visit(chromium: &Path, url: &str, virtual_ms: u32, screenshot: &Path) -> Visit {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let stdout = dir.path().join("stdout");
    let stderr = dir.path().join("stderr");
    let _ = fs::remove_file(screenshot);
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // Docker's 64 MB /dev/shm is too small for a 1080p page.
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--hide-scrollbars",
            "--window-size=1920,1080",
            "--dump-dom",
        ])
        .arg(format!("--virtual-time-budget={virtual_ms}"))
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).expect("a file for Chromium's output"))
        .stderr(File::create(&stderr).expect("a file for Chromium's errors"))
        // Its own process group, so that every process it starts can be
        // killed together.
        .process_group(0);
    let started = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} ({CHROMIUM_VAR}): {e}", chromium.display()));
    let mut group = Group(child);
    let status = loop {
        if let Some(status) = group.0.try_wait().expect("Chromium's status") {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    drop(group);
    let errors = || fs::read_to_string(&stderr).unwrap_or_default();
    match status {
        None => panic!(
            "Chromium did not finish {url} within {TIMEOUT:?} and was killed:\n{}",
            errors()
        ),
        Some(status) if !status.success() => {
            panic!("Chromium failed on {url} ({status}):\n{}", errors())
        }
        Some(_) => {}
    }
    let dom = fs::read_to_string(&stdout).expect("Chromium's output");
    assert!(
        dom.contains("</html>"),
        "Chromium printed no DOM for {url}:\n{}",
        errors()
    );
    Visit { dom, took }
}

/// A process group led by a child; dropping it kills whatever is left of
/// the group (Chromium's renderers, its zygote) and reaps the leader.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pgid = self.0.id();
        if pgid > 1 {
            // The group's id is the leader's pid, as it was started with
            // process_group(0). dash's kill takes -PGID (not `--`).
            let _ = Command::new("sh")
                .args(["-c", "kill -KILL -\"$0\" 2>/dev/null", &pgid.to_string()])
                .stdin(Stdio::null())
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Width and height of a PNG, from its IHDR; `None` if it is not a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let signature = b"\x89PNG\r\n\x1a\n";
    if bytes.len() < 24 || &bytes[..8] != signature || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

/// An element of a serialized DOM.
#[derive(Debug)]
pub struct Element {
    pub tag: String,
    pub attributes: BTreeMap<String, String>,
    /// Its text content (all descendants' text), entities decoded.
    pub text: String,
    pub parent: Option<usize>,
}

/// The elements of a page, in document order. Reads what Chromium's
/// `--dump-dom` prints (well-formed, every attribute value quoted); not a
/// general HTML parser.
#[derive(Debug)]
pub struct Dom(pub Vec<Element>);

/// Elements that never have content or an end tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

impl Dom {
    pub fn parse(html: &str) -> Dom {
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut rest = html;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.split_once("-->").map_or("", |(_, r)| r);
            } else if rest.starts_with("<!") {
                rest = rest.split_once('>').map_or("", |(_, r)| r);
            } else if let Some(after) = rest.strip_prefix("</") {
                let (name, r) = after.split_once('>').expect("an end tag's >");
                let name = name.trim().to_ascii_lowercase();
                if let Some(at) = open.iter().rposition(|&e| elements[e].tag == name) {
                    open.truncate(at);
                }
                rest = r;
            } else if rest.starts_with('<')
                && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                let (tag, attributes, closed, r) = start_tag(&rest[1..]);
                rest = r;
                let index = elements.len();
                elements.push(Element {
                    tag: tag.clone(),
                    attributes,
                    text: String::new(),
                    parent: open.last().copied(),
                });
                if tag == "script" || tag == "style" {
                    // Raw text: up to the end tag, not part of any text.
                    let end = format!("</{tag}>");
                    let at = rest.find(&end).unwrap_or(rest.len());
                    rest = &rest[(at + end.len()).min(rest.len())..];
                } else if !closed && !VOID.contains(&tag.as_str()) {
                    open.push(index);
                }
            } else {
                // Up to the next `<` (a lone `<` is text).
                let at = rest
                    .char_indices()
                    .skip(1)
                    .find(|&(_, c)| c == '<')
                    .map_or(rest.len(), |(at, _)| at);
                let text = decode(&rest[..at]);
                for &e in &open {
                    elements[e].text.push_str(&text);
                }
                rest = &rest[at..];
            }
        }
        Dom(elements)
    }

    /// The first element with this tag.
    pub fn first(&self, tag: &str) -> &Element {
        self.0
            .iter()
            .find(|e| e.tag == tag)
            .unwrap_or_else(|| panic!("no <{tag}>"))
    }

    /// The elements that have `attribute`, with their indexes.
    pub fn having<'a>(
        &'a self,
        attribute: &'a str,
    ) -> impl Iterator<Item = (usize, &'a Element)> + 'a {
        self.0
            .iter()
            .enumerate()
            .filter(move |(_, e)| e.attributes.contains_key(attribute))
    }

    /// Whether `ancestor` contains `element`.
    pub fn within(&self, element: usize, ancestor: usize) -> bool {
        let mut at = self.0[element].parent;
        while let Some(parent) = at {
            if parent == ancestor {
                return true;
            }
            at = self.0[parent].parent;
        }
        false
    }

    /// The nearest ancestor of `element` having one of `attributes`.
    pub fn owner(&self, element: usize, attributes: &[&str]) -> Option<usize> {
        let mut at = self.0[element].parent;
        while let Some(parent) = at {
            if attributes
                .iter()
                .any(|a| self.0[parent].attributes.contains_key(*a))
            {
                return Some(parent);
            }
            at = self.0[parent].parent;
        }
        None
    }
}

/// Reads a start tag after its `<`: name, attributes, whether it closed
/// itself, and what follows its `>`.
fn start_tag(text: &str) -> (String, BTreeMap<String, String>, bool, &str) {
    let end = text
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(text.len());
    let tag = text[..end].to_ascii_lowercase();
    let mut rest = &text[end..];
    let mut attributes = BTreeMap::new();
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("/>") {
            return (tag, attributes, true, r);
        }
        if let Some(r) = rest.strip_prefix('>') {
            return (tag, attributes, false, r);
        }
        if let Some(r) = rest.strip_prefix('/') {
            rest = r;
            continue;
        }
        assert!(!rest.is_empty(), "an unfinished <{tag}>");
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..end].to_ascii_lowercase();
        rest = rest[end..].trim_start();
        let value = if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let quote = r.chars().next().expect("an attribute value");
            let (value, r) = if quote == '"' || quote == '\'' {
                r[1..].split_once(quote).expect("a closing quote")
            } else {
                let end = r
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(r.len());
                (&r[..end], &r[end..])
            };
            rest = r;
            decode(value)
        } else {
            String::new()
        };
        attributes.insert(name, value);
    }
}

/// Decodes the entities Chromium's serializer writes.
fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}
