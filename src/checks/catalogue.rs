//! The catalogue: every check, written once, in the area file beside the function that judges it
//! (`auth.rs`, `transport.rs`, …). A row names the check's stable id (`area.subject.rule`, never
//! renamed: baselines refer to it), the requirement level of its clause, the clause, when it applies,
//! the troubleshooting row it points to, what to fix, and how it is judged. Nothing here runs anything.

use serde::{Deserialize, Serialize};

use crate::evidence::SweepEvidence;
use crate::guide::Row;
use crate::host::HostProfile;

use super::CheckResult;

/// The requirement level of the clause a check enforces; it decides what a broken rule becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// MUST / MUST NOT, or what a host needs to work at all: a broken rule fails the run.
    Must,
    /// SHOULD / SHOULD NOT: a broken rule is a warning; the run passes.
    Should,
    /// MAY, or a recommendation of ours: reported for information.
    May,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "must",
            Level::Should => "should",
            Level::May => "may",
        }
    }
}

/// A section of the protocol sweep: a scenario id of its own (`sweep/<id>`) in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Discovery,
    AuthorizationServer,
    Transport,
    Tools,
    Tasks,
    /// The stateless era (MCP 2026-07-28).
    Modern,
    Ui,
    Review,
    /// What the server's answers make each host do (reported once per host).
    Hosts,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Discovery,
        Section::AuthorizationServer,
        Section::Transport,
        Section::Tools,
        Section::Tasks,
        Section::Modern,
        Section::Ui,
        Section::Review,
        Section::Hosts,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Section::Discovery => "discovery",
            Section::AuthorizationServer => "authorization-server",
            Section::Transport => "transport",
            Section::Tools => "tools",
            Section::Tasks => "tasks",
            Section::Modern => "modern",
            Section::Ui => "ui",
            Section::Review => "review",
            Section::Hosts => "hosts",
        }
    }

    /// The scenario id the section is reported under.
    pub fn scenario_id(self) -> String {
        format!("sweep/{}", self.id())
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Discovery => "Authorization discovery without credentials",
            Section::AuthorizationServer => "Authorization server hygiene, as a client sees it",
            Section::Transport => "Streamable HTTP transport, sessions and lifecycle",
            Section::Tools => "Tools",
            Section::Tasks => "Tasks",
            Section::Modern => "MCP 2026-07-28: the stateless era",
            Section::Ui => "UI resources",
            Section::Review => "Tool choice: descriptions, overlap, instructions",
            Section::Hosts => "What the server's answers make this host do",
        }
    }

    pub fn reference(self) -> &'static str {
        match self {
            Section::Discovery => "MCP 2025-11-25 authorization §2.3, RFC 9728, RFC 8414, RFC 6750",
            Section::AuthorizationServer => {
                "OAuth 2.1, RFC 7009, RFC 8707, RFC 9207, MCP 2025-11-25 authorization"
            }
            Section::Transport => "MCP 2025-11-25 basic/transports, basic/lifecycle",
            Section::Tools => "MCP 2025-11-25 server/tools, utilities/pagination",
            Section::Tasks => "MCP 2025-11-25 basic/utilities/tasks",
            Section::Modern => {
                "MCP 2026-07-28 basic, transports, server/discover, utilities/caching; the tasks extension"
            }
            Section::Ui => "MCP Apps (SEP-1865), Apps SDK output templates",
            Section::Review => {
                "connector guide: troubleshooting \"Host doesn't pick the right tool\""
            }
            Section::Hosts => "host profiles (fixtures/hosts) over the sweep's evidence",
        }
    }

    pub fn from_id(id: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.id() == id)
    }
}

/// How a check is judged.
#[derive(Clone, Copy)]
pub enum Judge {
    /// On the protocol sweep's evidence, reported in this section.
    Sweep(Section, fn(&SweepEvidence) -> Vec<CheckResult>),
    /// On the sweep's evidence once per host (section `hosts`): what the server's answers make that
    /// host do.
    PerHost(fn(&SweepEvidence, &HostProfile) -> Vec<CheckResult>),
    /// By scenario expectations only (what a host did in a scenario's step).
    Expectation,
}

impl Judge {
    /// The sweep section the check is reported in, if it is judged by the sweep.
    pub fn section(&self) -> Option<Section> {
        match self {
            Judge::Sweep(section, _) => Some(*section),
            Judge::PerHost(_) => Some(Section::Hosts),
            Judge::Expectation => None,
        }
    }
}

/// One catalogue row.
pub struct CheckDef {
    /// `area.subject.rule`, never renamed.
    pub id: &'static str,
    pub level: Level,
    /// The spec clause or guide statement the check enforces.
    pub clause: &'static str,
    /// When it applies; outside that it is n/a with the reason.
    pub applies: &'static str,
    /// The troubleshooting row a failure points to, when one fits.
    pub row: Option<Row>,
    /// What to fix when it fails.
    pub hint: &'static str,
    pub judge: Judge,
}

impl std::fmt::Debug for CheckDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// Every check, area by area.
pub fn all() -> impl Iterator<Item = &'static CheckDef> {
    [
        super::discovery::CHECKS,
        super::authorization_server::CHECKS,
        super::lifecycle::CHECKS,
        super::transport::CHECKS,
        super::messages::CHECKS,
        super::bearer::CHECKS,
        super::tools::CHECKS,
        super::tool_calls::CHECKS,
        super::tasks::CHECKS,
        super::modern::CHECKS,
        super::eras::CHECKS,
        super::ui::CHECKS,
        super::review::CHECKS,
        super::connector::CHECKS,
        super::calls::CHECKS,
        super::host::CHECKS,
        super::directory::CHECKS,
        super::render::CHECKS,
    ]
    .into_iter()
    .flatten()
    .copied()
}

/// The catalogue row of `id`.
pub fn get(id: &str) -> Option<&'static CheckDef> {
    all().find(|c| c.id == id)
}

/// ` (did you mean "…"?)` for a misspelt id.
pub fn did_you_mean(id: &str) -> String {
    crate::suggest::did_you_mean(id, all().map(|c| c.id))
}

/// The checks a sweep section judges, in catalogue order.
pub fn in_section(section: Section) -> impl Iterator<Item = &'static CheckDef> {
    all().filter(move |c| c.judge.section() == Some(section))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_area_subject_rule_in_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in all() {
            assert!(seen.insert(c.id), "{} twice", c.id);
            let parts: Vec<&str> = c.id.split('.').collect();
            assert!(parts.len() >= 3, "{}", c.id);
            assert!(
                c.id.chars().all(|ch| ch.is_ascii_lowercase()
                    || ch.is_ascii_digit()
                    || ch == '-'
                    || ch == '.'),
                "{}",
                c.id
            );
            assert!(
                !c.clause.is_empty() && !c.hint.is_empty() && !c.applies.is_empty(),
                "{}",
                c.id
            );
        }
    }

    #[test]
    fn every_section_judges_something() {
        for section in Section::ALL {
            assert!(in_section(section).next().is_some(), "{section:?}");
            assert_eq!(Section::from_id(section.id()), Some(section));
        }
    }
}
