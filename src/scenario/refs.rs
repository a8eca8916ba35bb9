//! References a scenario makes to its target, parsed when the file is loaded so a bad one is an error
//! at its line: endpoints, logins, projects and users. The runner resolves them per target.

use std::str::FromStr;

use serde::Deserialize;

/// Where a connector points: the project under test, its draft, or a project of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointRef {
    Target,
    TargetDraft,
    Fixture {
        org: String,
        project: String,
        draft: bool,
    },
}

/// A project for server control: the one under test, or one of the default fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    Target,
    Fixture { org: String, project: String },
}

/// Who adds a connector (`as`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRef {
    /// The run's primary login.
    User,
    /// The run's second login.
    SecondUser,
    /// The run's bearer token (`--token`, or a key minted for the run).
    Token,
    Anonymous,
    /// A project API key of the default fixture, by name.
    ApiKey(String),
    /// A user of the default fixture, by email.
    FixtureUser(String),
}

/// A user for server control (`remove-member`, `set-role`, `expire-tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    User,
    SecondUser,
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
        match s {
            "target" => Ok(EndpointRef::Target),
            "target/draft" => Ok(EndpointRef::TargetDraft),
            other => org_project(other)
                .map(|(org, project, draft)| EndpointRef::Fixture {
                    org,
                    project,
                    draft,
                })
                .ok_or_else(|| {
                    format!(
                        "`endpoint` {other:?} is not target, target/draft or org/project[/draft]"
                    )
                }),
        }
    }
}

impl FromStr for ProjectRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match (s, org_project(s)) {
            ("target", _) => Ok(ProjectRef::Target),
            (_, Some((org, project, false))) => Ok(ProjectRef::Fixture { org, project }),
            _ => Err(format!("`project` {s:?} is not target or org/project")),
        }
    }
}

impl FromStr for LoginRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        const NAMED: [&str; 4] = ["user", "second-user", "token", "anonymous"];
        Ok(match s {
            "user" => LoginRef::User,
            "second-user" => LoginRef::SecondUser,
            "token" => LoginRef::Token,
            "anonymous" => LoginRef::Anonymous,
            email if email.contains('@') => LoginRef::FixtureUser(email.to_owned()),
            other => match other.strip_prefix("api-key:") {
                Some(name) if !name.is_empty() => LoginRef::ApiKey(name.to_owned()),
                _ => {
                    return Err(format!(
                        "`as` {other:?} is not user, second-user, token, anonymous, api-key:<name> or an email{}",
                        crate::suggest::did_you_mean(other, NAMED)
                    ))
                }
            },
        })
    }
}

impl FromStr for UserRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "user" => Ok(UserRef::User),
            "second-user" => Ok(UserRef::SecondUser),
            email if email.contains('@') => Ok(UserRef::Email(email.to_owned())),
            other => Err(format!(
                "`user` {other:?} is not user, second-user or an email{}",
                crate::suggest::did_you_mean(other, ["user", "second-user"])
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
            EndpointRef::Target => f.write_str("target"),
            EndpointRef::TargetDraft => f.write_str("target/draft"),
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
        assert_eq!("target/draft".parse(), Ok(EndpointRef::TargetDraft));
        assert_eq!(
            "acme/shop/draft".parse(),
            Ok(EndpointRef::Fixture {
                org: "acme".into(),
                project: "shop".into(),
                draft: true
            })
        );
        assert_eq!("api-key:ci".parse(), Ok(LoginRef::ApiKey("ci".into())));
        assert_eq!(
            "vic@acme.test".parse(),
            Ok(UserRef::Email("vic@acme.test".into()))
        );
        assert_eq!("target".parse(), Ok(ProjectRef::Target));
    }

    #[test]
    fn bad_references_name_their_key_and_suggest() {
        let e = "usr".parse::<LoginRef>().unwrap_err();
        assert!(
            e.starts_with("`as`") && e.contains("did you mean \"user\""),
            "{e}"
        );
        assert!("a/b/c/d"
            .parse::<EndpointRef>()
            .unwrap_err()
            .starts_with("`endpoint`"));
        assert!("acme/shop/draft".parse::<ProjectRef>().is_err());
    }
}
