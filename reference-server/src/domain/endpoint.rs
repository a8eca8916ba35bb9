//! Which project endpoint a path names. Both URL shapes seen in the wild are served:
//! `/<org>/<project>[/draft]` (the docs) and `/<org>/projects/<project>[/draft]` (Metabind's clients).

use crate::fixture::Environment;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    pub org: String,
    pub project: String,
    pub env: Environment,
    /// The path as the client used it (the canonical resource of this URL shape).
    pub path: String,
}

/// The identity of an endpoint regardless of URL shape: sessions, tasks and tokens bind to this.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EndpointKey {
    pub org: String,
    pub project: String,
    pub env: Environment,
}

impl Endpoint {
    /// Parses an endpoint path; `None` when the path has no endpoint shape at all.
    pub fn parse(path: &str) -> Option<Endpoint> {
        let trimmed = path.strip_suffix('/').unwrap_or(path);
        let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
        let (org, project, env) = match segments.as_slice() {
            [org, "projects", project, "draft"] => (*org, *project, Environment::Draft),
            [org, "projects", project] => (*org, *project, Environment::Production),
            [org, project, "draft"] => (*org, *project, Environment::Draft),
            [org, project] => (*org, *project, Environment::Production),
            _ => return None,
        };
        let valid = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        if !valid(org) || !valid(project) {
            return None;
        }
        Some(Endpoint {
            org: org.to_owned(),
            project: project.to_owned(),
            env,
            path: trimmed.to_owned(),
        })
    }

    pub fn key(&self) -> EndpointKey {
        EndpointKey {
            org: self.org.clone(),
            project: self.project.clone(),
            env: self.env,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_url_shapes_name_the_same_endpoint() {
        let short = Endpoint::parse("/acme/storefront/draft").unwrap();
        let long = Endpoint::parse("/acme/projects/storefront/draft").unwrap();
        assert_eq!(short.key(), long.key());
        assert_eq!(short.env, Environment::Draft);
        assert_eq!(
            Endpoint::parse("/acme/storefront").unwrap().env,
            Environment::Production
        );
        assert_eq!(
            Endpoint::parse("/acme/projects/storefront")
                .unwrap()
                .project,
            "storefront"
        );
    }

    #[test]
    fn other_paths_are_not_endpoints() {
        assert!(Endpoint::parse("/").is_none());
        assert!(Endpoint::parse("/acme").is_none());
        assert!(Endpoint::parse("/a/b/c/d/e").is_none());
        assert!(Endpoint::parse("/acme/.well-known").is_none());
    }
}
