//! Reading scenario files: strict TOML through serde, then the checks serde cannot do (known hosts,
//! troubleshooting rows, endpoint and login references, connectors used before they are added). Every
//! error names the file, line and column, and suggests the closest name for a typo.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::model::{Need, ScenarioFile, Step};
use super::refs::{EndpointRef, EndpointSlot, KeySlot, LoginRef, ProjectRef, Role, UserRef};
use crate::guide::Row;
use crate::host::HostProfile;
use crate::suggest::closest;
use crate::wire::Era;

/// The names a scenario may use that are defined elsewhere: the check ids `expect.findings` names.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    pub checks: Vec<&'static str>,
}

/// A scenario as the runner uses it.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The path under `scenarios/` without `.toml`, e.g. `connect/not-a-member`.
    pub id: String,
    pub path: PathBuf,
    pub file: ScenarioFile,
    /// The 1-based line of each step's `[[step]]` table.
    pub step_lines: Vec<usize>,
    pub hosts: Vec<String>,
    /// The troubleshooting row the scenario exercises.
    pub row: Option<Row>,
    /// The era its hosts are held to; `None`: each host opens as it does by itself.
    pub era: Option<Era>,
}

/// What a scenario asks of its target: checked before it starts, so a target without a role, an
/// endpoint or a key the scenario uses has it n/a with the reason instead of failing halfway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    pub needs: BTreeSet<Need>,
    pub roles: BTreeSet<Role>,
    pub endpoints: BTreeSet<EndpointSlot>,
    pub keys: BTreeSet<KeySlot>,
    /// The run's bearer token.
    pub token: bool,
    /// Server control is used (the steps from the first one this target cannot do are skipped).
    pub control: bool,
}

impl Requirements {
    /// In words, for `list`.
    pub fn describe(&self) -> Vec<String> {
        let mut out: Vec<String> = self.needs.iter().map(|n| n.describe().to_owned()).collect();
        out.extend(self.roles.iter().map(|r| format!("login: {r}")));
        out.extend(
            self.endpoints
                .iter()
                .filter(|e| **e != EndpointSlot::Production)
                .map(|e| format!("endpoint: {}", e.reference())),
        );
        out.extend(self.keys.iter().map(|k| format!("api key: {}", k.as_str())));
        if self.token {
            out.push("a bearer token".into());
        }
        if self.control {
            out.push("server control".into());
        }
        out
    }
}

impl Scenario {
    /// What the target must offer: the declared needs plus what the steps imply.
    pub fn requirements(&self) -> Requirements {
        let mut wants = Requirements {
            needs: self.file.needs.iter().copied().collect(),
            ..Default::default()
        };
        let user = |wants: &mut Requirements, u: &UserRef| match u {
            UserRef::Role(role) => {
                wants.roles.insert(*role);
            }
            UserRef::Email(_) => {
                wants.needs.insert(Need::Fixture);
            }
        };
        let project = |wants: &mut Requirements, p: &ProjectRef| match p {
            ProjectRef::Target => {
                wants.endpoints.insert(EndpointSlot::Production);
            }
            ProjectRef::Public => {
                wants.endpoints.insert(EndpointSlot::Public);
            }
            ProjectRef::Fixture { .. } => {
                wants.needs.insert(Need::Fixture);
            }
        };
        for step in &self.file.steps {
            match step.get_ref() {
                Step::AddConnector {
                    endpoint, login, ..
                } => {
                    match endpoint {
                        EndpointRef::Slot(slot) => {
                            wants.endpoints.insert(*slot);
                        }
                        EndpointRef::Fixture { .. } => {
                            wants.needs.insert(Need::Fixture);
                        }
                    }
                    match login {
                        LoginRef::Role(role) => {
                            wants.roles.insert(*role);
                        }
                        LoginRef::Token => wants.token = true,
                        LoginRef::ApiKey(slot) => {
                            wants.keys.insert(*slot);
                        }
                        LoginRef::MintedKey => wants.control = true,
                        LoginRef::Anonymous => {}
                        LoginRef::FixtureUser(_) => {
                            wants.needs.insert(Need::Fixture);
                        }
                    }
                }
                Step::RemoveMember { user: u } | Step::SetRole { user: u, .. } => {
                    user(&mut wants, u);
                    wants.control = true;
                }
                Step::ExpireTokens { user: u, .. } => {
                    if let Some(u) = u {
                        user(&mut wants, u);
                    }
                }
                Step::SetVisibility { project: p, .. }
                | Step::Publish { project: p }
                | Step::SetInstructions { project: p, .. }
                | Step::EditTool { project: p, .. }
                | Step::ExpireTasks { project: p }
                | Step::SetToolBehaviour { project: p, .. } => {
                    project(&mut wants, p);
                    wants.control = true;
                }
                Step::RevokeApiKey {} => wants.control = true,
                Step::ListTools { .. }
                | Step::CallTool { .. }
                | Step::WaitTask { .. }
                | Step::CancelTask { .. }
                | Step::ReadTask { .. }
                | Step::ReviewTools { .. }
                | Step::ReplayRefresh { .. }
                | Step::ExpectConnector { .. }
                | Step::RemoveConnector { .. }
                | Step::Reconnect { .. }
                | Step::RevokeGrant { .. }
                | Step::RenderUi { .. } => {}
            }
        }
        wants
    }

    pub fn applies_to(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h == host)
    }
}

/// A scenario file that cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}:{line}:{column}: {message}{}", path.display(), hint.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct LoadError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// A TOML or serde error at its line and column, with "did you mean" for an unknown key or value.
pub(crate) fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> LoadError {
    let message = e.message().trim().to_owned();
    let offset = e
        .span()
        .map(|span| narrow(text, span, &message))
        .unwrap_or(0);
    let (line, column) = position(text, offset);
    LoadError {
        path: path.to_owned(),
        line,
        column,
        hint: unknown_name_hint(&message),
        message,
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or variant) as "did you mean `a`?".
fn unknown_name_hint(message: &str) -> Option<String> {
    if !message.starts_with("unknown field") && !message.starts_with("unknown variant") {
        return None;
    }
    let mut quoted = message.split('`').skip(1).step_by(2);
    let name = quoted.next()?;
    let expected: Vec<&str> = quoted.collect();
    closest(name, expected.iter().copied()).map(|s| format!("did you mean {s:?}?"))
}

pub(crate) fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|c| *c != '\n').count() + 1;
    (line, column)
}

/// Parses one scenario file; `id` is its path under the scenarios directory.
pub fn parse(
    path: &Path,
    id: &str,
    text: &str,
    vocabulary: &Vocabulary,
) -> Result<Scenario, LoadError> {
    let error = |offset: usize, message: String, hint: Option<String>| {
        let (line, column) = position(text, offset);
        LoadError {
            path: path.to_owned(),
            line,
            column,
            message,
            hint,
        }
    };
    let file: ScenarioFile = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
    let known_hosts: Vec<&str> = HostProfile::builtin_ids().collect();
    let hosts = match &file.hosts {
        None => known_hosts.iter().map(|h| h.to_string()).collect(),
        Some(list) => {
            let mut hosts = Vec::new();
            for host in list {
                if !known_hosts.contains(&host.get_ref().as_str()) {
                    return Err(error(
                        host.span().start,
                        format!("unknown host {:?}", host.get_ref()),
                        Some(match closest(host.get_ref(), known_hosts.iter().copied()) {
                            Some(s) => format!("did you mean {s:?}?"),
                            None => format!("known hosts: {}", known_hosts.join(", ")),
                        }),
                    ));
                }
                hosts.push(host.get_ref().clone());
            }
            if hosts.is_empty() {
                return Err(error(
                    0,
                    "`hosts` is empty".into(),
                    Some("leave it out to run on every host".into()),
                ));
            }
            hosts
        }
    };
    let row = match &file.troubleshooting {
        None => None,
        Some(row) => Some(Row::parse(row.get_ref()).ok_or_else(|| {
            error(
                row.span().start,
                format!(
                    "{:?} is not a row of the troubleshooting table",
                    row.get_ref()
                ),
                Some(match closest(row.get_ref(), Row::texts()) {
                    Some(s) => format!("did you mean {s:?}?"),
                    None => format!("rows: {}", Row::texts().collect::<Vec<_>>().join("; ")),
                }),
            )
        })?),
    };
    if let Some(f) = file.time_factor {
        if !(f > 0.0 && f <= 1.0) {
            return Err(error(0, format!("time_factor {f} must be in (0, 1]"), None));
        }
    }
    if file.steps.is_empty() {
        return Err(error(
            0,
            "a scenario needs at least one [[step]]".into(),
            None,
        ));
    }
    let mut added: BTreeSet<String> = BTreeSet::new();
    let mut step_lines = Vec::new();
    for step in &file.steps {
        let offset = step.span().start;
        step_lines.push(position(text, offset).0);
        for host in expectation_hosts(step.get_ref()) {
            if !known_hosts.contains(&host.as_str()) {
                return Err(error(
                    offset,
                    format!("unknown host {host:?} in expect.host"),
                    closest(&host, known_hosts.iter().copied())
                        .map(|s| format!("did you mean {s:?}?")),
                ));
            }
        }
        // Connectors a step refers to besides its own.
        let mut others: Vec<&String> = Vec::new();
        let used = match step.get_ref() {
            Step::AddConnector { connector, .. } => {
                added.insert(connector.clone());
                None
            }
            Step::CallTool {
                connector,
                token_from,
                ..
            } => {
                others.extend(token_from);
                Some(connector)
            }
            Step::ReadTask {
                connector, task_of, ..
            } => {
                others.push(task_of);
                Some(connector)
            }
            Step::ReviewTools {
                connectors, expect, ..
            } => {
                others.extend(connectors.iter().flatten());
                for id in &expect.findings {
                    if !vocabulary.checks.contains(&id.as_str()) {
                        return Err(error(
                            offset,
                            format!("unknown check {id:?} in expect.findings"),
                            closest(id, vocabulary.checks.iter().copied())
                                .map(|s| format!("did you mean {s:?}?")),
                        ));
                    }
                }
                None
            }
            Step::ListTools { connector, .. }
            | Step::WaitTask { connector, .. }
            | Step::CancelTask { connector, .. }
            | Step::ReplayRefresh { connector, .. }
            | Step::ExpectConnector { connector, .. }
            | Step::RemoveConnector { connector }
            | Step::Reconnect { connector, .. }
            | Step::RevokeGrant { connector } => Some(connector),
            Step::RenderUi { connector, .. } => Some(connector),
            Step::RevokeApiKey { .. }
            | Step::SetVisibility { .. }
            | Step::Publish { .. }
            | Step::SetInstructions { .. }
            | Step::EditTool { .. }
            | Step::ExpireTasks { .. }
            | Step::SetToolBehaviour { .. }
            | Step::RemoveMember { .. }
            | Step::SetRole { .. }
            | Step::ExpireTokens { .. } => None,
        };
        for connector in used.into_iter().chain(others) {
            if !added.contains(connector) {
                return Err(error(
                    offset,
                    format!("connector {connector:?} is used before an add-connector step adds it"),
                    closest(connector, added.iter().map(String::as_str))
                        .map(|s| format!("did you mean {s:?}?")),
                ));
            }
        }
    }
    Ok(Scenario {
        id: id.to_owned(),
        path: path.to_owned(),
        file,
        step_lines,
        hosts,
        row,
        era: None,
    })
}

/// The host ids a step's per-host expectations name.
fn expectation_hosts(step: &Step) -> Vec<String> {
    match step {
        Step::AddConnector { expect, .. }
        | Step::ListTools { expect, .. }
        | Step::ExpectConnector { expect, .. }
        | Step::Reconnect { expect, .. } => expect.host.keys().cloned().collect(),
        Step::CallTool { expect, .. }
        | Step::WaitTask { expect, .. }
        | Step::CancelTask { expect, .. }
        | Step::ReadTask { expect, .. } => expect.host.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// serde reports errors inside a `[[step]]` (an internally tagged enum) with the span of the whole
/// table (or only its header); the key or value the message names (`unknown field `stat``) is looked up in that span so the
/// error points at its own line.
fn narrow(text: &str, span: std::ops::Range<usize>, message: &str) -> usize {
    let Some(name) = message.split('`').nth(1).filter(|n| !n.is_empty()) else {
        return span.start;
    };
    // The span may be only the first `[[step]]` header: look from there to the end.
    let area = &text[span.start.min(text.len())..];
    let quoted = format!("\"{name}\"");
    let key_at = area.match_indices(name).find(|(i, _)| {
        let before = area[..*i].chars().next_back();
        let after = area[i + name.len()..].trim_start();
        matches!(before, None | Some(' ' | '\n' | '{' | ',' | '\t')) && after.starts_with('=')
    });
    match key_at.map(|(i, _)| i).or_else(|| area.find(&quoted)) {
        Some(i) => span.start + i,
        None => span.start,
    }
}

/// Every `*.toml` under `root`, sorted by id. The first bad file stops the load.
pub fn load_dir(root: &Path, vocabulary: &Vocabulary) -> Result<Vec<Scenario>, LoadError> {
    let mut files = Vec::new();
    collect(root, &mut files).map_err(|e| LoadError {
        path: root.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot read the scenarios directory: {e}"),
        hint: None,
    })?;
    files.sort();
    let mut scenarios = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|e| LoadError {
            path: path.clone(),
            line: 0,
            column: 0,
            message: format!("cannot read: {e}"),
            hint: None,
        })?;
        let id = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .with_extension("")
            .to_string_lossy()
            .replace('\\', "/");
        scenarios.extend(super::eras::per_era(parse(&path, &id, &text, vocabulary)?));
    }
    Ok(scenarios)
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// The scenarios directory shipped with the crate.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            checks: vec!["tools.annotations.consistent"],
        }
    }

    fn load(text: &str) -> Result<Scenario, LoadError> {
        parse(Path::new("scenarios/x/y.toml"), "x/y", text, &vocabulary())
    }

    const GOOD: &str = r#"
title = "t"
source = { kind = "guide", ref = "r" }

[[step]]
do = "add-connector"
endpoint = "target"
as = "member"
expect = { state = "connected" }

[[step]]
do = "call-tool"
tool = "search_products"
arguments = { query = "tea" }
expect = { confirmation = false }
"#;

    #[test]
    fn a_good_file_loads_with_step_lines_and_every_host() {
        let s = load(GOOD).unwrap();
        assert_eq!(s.step_lines, vec![5, 11]);
        assert_eq!(s.hosts.len(), 3);
        let wants = s.requirements();
        assert!(wants.roles.contains(&Role::Member) && !wants.control);
        assert!(wants.needs.is_empty());
    }

    #[test]
    fn a_misspelt_selector_key_is_refused_with_a_suggestion() {
        let e = load(&GOOD.replace("tool = \"search_products\"", "tool = { readonly = true }"))
            .unwrap_err();
        assert!(e.message.contains("readonly"), "{e}");
        assert_eq!(
            e.hint.as_deref(),
            Some("did you mean \"read_only\"?"),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_key_points_to_its_line() {
        let text = GOOD.replace("tool = \"search_products\"", "tol = \"search_products\"");
        let e = load(&text).unwrap_err();
        assert_eq!(e.line, 13, "{e}");
        assert!(e.to_string().contains("scenarios/x/y.toml:13:1"), "{e}");
    }

    #[test]
    fn an_unknown_host_suggests_the_closest() {
        let text = GOOD.replace("title = \"t\"", "title = \"t\"\nhosts = [\"chatgtp\"]");
        let e = load(&text).unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.hint.as_deref(), Some("did you mean \"chatgpt\"?"));
    }

    #[test]
    fn an_unknown_action_and_a_connector_used_before_it_is_added_are_refused() {
        let e = load(&GOOD.replace("do = \"call-tool\"", "do = \"call-tol\"")).unwrap_err();
        assert!(e.message.contains("call-tol"), "{e}");
        assert_eq!(e.line, 12, "{e}");
        let e = load(&GOOD.replace(
            "tool = \"search_products\"",
            "connector = \"other\"\ntool = \"x\"",
        ))
        .unwrap_err();
        assert!(e.message.contains("used before"), "{e}");
        assert_eq!(e.line, 11);
    }

    #[test]
    fn a_bad_reference_points_at_its_line() {
        let e = load(&GOOD.replace("as = \"member\"", "as = \"membr\"")).unwrap_err();
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("did you mean \"member\""), "{e}");
        let e = load(&GOOD.replace("endpoint = \"target\"", "endpoint = \"a/b/c/d\"")).unwrap_err();
        assert_eq!(e.line, 7, "{e}");
    }

    #[test]
    fn an_unknown_finding_is_refused_with_a_suggestion() {
        let text = format!("{GOOD}\n[[step]]\ndo = \"review-tools\"\nexpect = {{ findings = [\"tools.annotation.consistent\"] }}\n");
        let e = load(&text).unwrap_err();
        assert!(
            e.hint
                .as_deref()
                .unwrap_or_default()
                .contains("tools.annotations.consistent"),
            "{e}"
        );
    }

    #[test]
    fn the_shipped_scenarios_all_load() {
        let scenarios = load_dir(&default_dir(), &Vocabulary::default());
        // The shipped files name real checks; only the vocabulary here is empty.
        let scenarios = match scenarios {
            Err(e) if e.message.contains("expect.findings") => return,
            other => other.unwrap(),
        };
        assert!(!scenarios.is_empty());
    }
}
