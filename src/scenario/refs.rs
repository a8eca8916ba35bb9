//! References a scenario makes to its target, parsed when the file is loaded so a bad one is an error
//! at its line: endpoints, logins by role, projects, users and tools. Each target resolves them
//! (`crate::target`): a deployment through its target file, the embedded worlds through built-in
//! ones. Only scenarios that test the default fixture's seed data name its projects and emails.

use std::str::FromStr;

use serde::Deserialize;

pub use super::tools::{TaskSupport, ToolRef, ToolSelector};
use crate::suggest::did_you_mean;

/// A person the scenarios sign in as, by what they may do on the project under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A member who may call production tools.
    Member,
    /// A member who may also use the draft endpoint.
    DraftMember,
    /// A member who may connect and list tools but not call them.
    Viewer,
    /// Someone outside the project's organization (a member of the `foreign` project's, if given).
    NonMember,
    /// Another member like `member`, for sharing and binding rules.
    SecondMember,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Member,
        Role::DraftMember,
        Role::Viewer,
        Role::NonMember,
        Role::SecondMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::DraftMember => "draft_member",
            Role::Viewer => "viewer",
            Role::NonMember => "non_member",
            Role::SecondMember => "second_member",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Member => "a member who may call production tools",
            Role::DraftMember => "a member who may use the draft endpoint",
            Role::Viewer => "a member who may list tools but not call them",
            Role::NonMember => "a login outside the project's organization",
            Role::SecondMember => "a second member who may call production tools",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "{s:?} is not a role (member, draft_member, viewer, non_member, second_member){}",
                    did_you_mean(s, Role::ALL.map(Role::as_str))
                )
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The endpoints a target file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndpointSlot {
    /// The project under test, production.
    Production,
    /// Its draft.
    Draft,
    /// A public project (anonymous production).
    Public,
    /// That public project's draft (always private).
    PublicDraft,
    /// A project with nothing published.
    Unpublished,
    /// A project of another organization.
    Foreign,
}

impl EndpointSlot {
    pub const ALL: [EndpointSlot; 6] = [
        EndpointSlot::Production,
        EndpointSlot::Draft,
        EndpointSlot::Public,
        EndpointSlot::PublicDraft,
        EndpointSlot::Unpublished,
        EndpointSlot::Foreign,
    ];

    /// Its key in a target file's `[endpoints]`.
    pub fn key(self) -> &'static str {
        match self {
            EndpointSlot::Production => "production",
            EndpointSlot::Draft => "draft",
            EndpointSlot::Public => "public",
            EndpointSlot::PublicDraft => "public_draft",
            EndpointSlot::Unpublished => "unpublished",
            EndpointSlot::Foreign => "foreign",
        }
    }

    /// How a scenario names it (`endpoint = …`).
    pub fn reference(self) -> &'static str {
        match self {
            EndpointSlot::Production => "target",
            EndpointSlot::Draft => "target/draft",
            EndpointSlot::Public => "public",
            EndpointSlot::PublicDraft => "public/draft",
            EndpointSlot::Unpublished => "unpublished",
            EndpointSlot::Foreign => "foreign",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            EndpointSlot::Production => "the project's production endpoint",
            EndpointSlot::Draft => "the project's draft endpoint",
            EndpointSlot::Public => "a public project",
            EndpointSlot::PublicDraft => "a public project's draft endpoint",
            EndpointSlot::Unpublished => "a project with nothing published",
            EndpointSlot::Foreign => "a project of another organization",
        }
    }
}

/// API keys a target file names, for custom-host scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySlot {
    /// A key of the `foreign` project (it must not work on the project under test).
    Foreign,
}

impl KeySlot {
    pub fn as_str(self) -> &'static str {
        match self {
            KeySlot::Foreign => "foreign",
        }
    }
}

/// Where a connector points: an endpoint the target names, or a project of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointRef {
    Slot(EndpointSlot),
    Fixture {
        org: String,
        project: String,
        draft: bool,
    },
}

/// A project for server control: the one under test, the public one, or one of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ProjectRef {
    #[default]
    Target,
    Public,
    Fixture {
        org: String,
        project: String,
    },
}

/// Who adds a connector (`as`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRef {
    /// A login of the target file, by role.
    Role(Role),
    /// The run's bearer token (the target file's `token`, or a key minted for the run).
    Token,
    Anonymous,
    /// An API key the target file names.
    ApiKey(KeySlot),
    /// A key minted for this scenario through server control (`revoke-api-key` revokes it).
    MintedKey,
    /// A user of the default fixture, by email (fixture-bound scenarios only).
    FixtureUser(String),
}

/// A user for server control (`remove-member`, `set-role`, `expire-tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Role(Role),
    /// A user of the default fixture, by email.
    Email(String),
}

fn org_project(s: &str) -> Option<(String, String, bool)> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [org, project] if !org.is_empty() && !project.is_empty() => {
            Some((org.to_string(), project.to_string(), false))
        }
        [org, project, "draft"] if !org.is_empty() && !project.is_empty() => {
            Some((org.to_string(), project.to_string(), true))
        }
        _ => None,
    }
}

impl FromStr for EndpointRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(slot) = EndpointSlot::ALL.into_iter().find(|e| e.reference() == s) {
            return Ok(EndpointRef::Slot(slot));
        }
        org_project(s)
            .map(|(org, project, draft)| EndpointRef::Fixture {
                org,
                project,
                draft,
            })
            .ok_or_else(|| {
                format!(
                    "`endpoint` {s:?} is not target, target/draft, public, public/draft, unpublished, foreign or org/project[/draft]{}",
                    did_you_mean(s, EndpointSlot::ALL.map(EndpointSlot::reference))
                )
            })
    }
}

impl FromStr for ProjectRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match (s, org_project(s)) {
            ("target", _) => Ok(ProjectRef::Target),
            ("public", _) => Ok(ProjectRef::Public),
            (_, Some((org, project, false))) => Ok(ProjectRef::Fixture { org, project }),
            _ => Err(format!(
                "`project` {s:?} is not target, public or org/project"
            )),
        }
    }
}

const LOGIN_WORDS: [&str; 9] = [
    "member",
    "draft_member",
    "viewer",
    "non_member",
    "second_member",
    "token",
    "anonymous",
    "api-key:foreign",
    "api-key:minted",
];

impl FromStr for LoginRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(role) = s.parse::<Role>() {
            return Ok(LoginRef::Role(role));
        }
        Ok(match s {
            "token" => LoginRef::Token,
            "anonymous" => LoginRef::Anonymous,
            "api-key:foreign" => LoginRef::ApiKey(KeySlot::Foreign),
            "api-key:minted" => LoginRef::MintedKey,
            email if email.contains('@') => LoginRef::FixtureUser(email.to_owned()),
            other => {
                return Err(format!(
                    "`as` {other:?} is not a role (member, draft_member, viewer, non_member, second_member), token, anonymous, api-key:foreign, api-key:minted or an email{}",
                    did_you_mean(other, LOGIN_WORDS)
                ))
            }
        })
    }
}

impl FromStr for UserRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(role) = s.parse::<Role>() {
            return Ok(UserRef::Role(role));
        }
        match s {
            email if email.contains('@') => Ok(UserRef::Email(email.to_owned())),
            other => Err(format!(
                "`user` {other:?} is not a role or an email{}",
                did_you_mean(other, Role::ALL.map(Role::as_str))
            )),
        }
    }
}

macro_rules! deserialize_from_str {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

deserialize_from_str!(EndpointRef, ProjectRef, LoginRef, UserRef);

impl EndpointRef {
    /// The default fixture's names are needed to resolve it.
    pub fn needs_fixture(&self) -> bool {
        matches!(self, EndpointRef::Fixture { .. })
    }
}

impl std::fmt::Display for EndpointRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndpointRef::Slot(slot) => f.write_str(slot.reference()),
            EndpointRef::Fixture {
                org,
                project,
                draft,
            } => {
                write!(f, "{org}/{project}{}", if *draft { "/draft" } else { "" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_into_what_they_name() {
        assert_eq!(
            "target/draft".parse(),
            Ok(EndpointRef::Slot(EndpointSlot::Draft))
        );
        assert_eq!(
            "public/draft".parse(),
            Ok(EndpointRef::Slot(EndpointSlot::PublicDraft))
        );
        assert_eq!(
            "acme/shop/draft".parse(),
            Ok(EndpointRef::Fixture {
                org: "acme".into(),
                project: "shop".into(),
                draft: true
            })
        );
        assert_eq!("viewer".parse(), Ok(LoginRef::Role(Role::Viewer)));
        assert_eq!(
            "api-key:foreign".parse(),
            Ok(LoginRef::ApiKey(KeySlot::Foreign))
        );
        assert_eq!(
            "vic@acme.test".parse(),
            Ok(UserRef::Email("vic@acme.test".into()))
        );
        assert_eq!("target".parse(), Ok(ProjectRef::Target));
        assert_eq!("public".parse(), Ok(ProjectRef::Public));
    }

    #[test]
    fn bad_references_name_their_key_and_suggest() {
        let e = "membr".parse::<LoginRef>().unwrap_err();
        assert!(
            e.starts_with("`as`") && e.contains("did you mean \"member\""),
            "{e}"
        );
        assert!("a/b/c/d"
            .parse::<EndpointRef>()
            .unwrap_err()
            .starts_with("`endpoint`"));
        assert!("acme/shop/draft".parse::<ProjectRef>().is_err());
    }
}
