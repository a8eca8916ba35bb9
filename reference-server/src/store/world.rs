//! The in-memory Metabind world: organizations, users, projects and roles. Built once from a [`Fixture`];
//! the admin API changes it, and every change is visible on the next request.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::time::now_rfc3339;
use crate::domain::world::{ApiKey, ApiKeyStatus, Organization, Project, Resource, Tool, User};
use crate::fixture::{Fixture, Permission};

/// Organizations, users and projects: everything the admin API can change.
#[derive(Debug, Clone)]
pub struct World {
    pub users: BTreeMap<String, User>,
    pub organizations: BTreeMap<String, Organization>,
    pub projects: BTreeMap<(String, String), Project>,
    /// role name → scopes
    pub roles: BTreeMap<String, BTreeSet<String>>,
    /// The role names in the fixture's order (for messages that list roles).
    pub role_order: Vec<String>,
    /// role name → what it may do through the REST API.
    pub role_permissions: BTreeMap<String, BTreeSet<Permission>>,
    /// REST API token → the email of the user it acts as.
    pub rest_tokens: BTreeMap<String, String>,
}

impl World {
    pub fn from_fixture(fixture: &Fixture) -> World {
        let started = now_rfc3339();
        let users = fixture
            .users
            .iter()
            .map(|u| {
                (
                    u.email.clone(),
                    User {
                        email: u.email.clone(),
                        name: u.name.clone(),
                        password: u.password.clone(),
                    },
                )
            })
            .collect();
        let organizations = fixture
            .organizations
            .iter()
            .map(|o| {
                (
                    o.id.clone(),
                    Organization {
                        id: o.id.clone(),
                        name: o.name.clone(),
                        members: o
                            .members
                            .iter()
                            .map(|m| (m.email.clone(), m.role.clone()))
                            .collect(),
                    },
                )
            })
            .collect();
        let projects = fixture
            .projects
            .iter()
            .map(|p| {
                let production: Vec<Tool> = p
                    .tools
                    .iter()
                    .filter(|t| t.published)
                    .map(|t| Tool::from_def(t, false))
                    .collect();
                let project = Project {
                    org: p.org.clone(),
                    id: p.id.clone(),
                    name: p.name.clone(),
                    visibility: p.visibility,
                    instructions: p.instructions.clone(),
                    production_instructions: p.instructions.clone(),
                    api_keys: p
                        .api_keys
                        .iter()
                        .map(|k| ApiKey {
                            name: k.name.clone(),
                            key: k.key.clone(),
                            created_by: k.created_by.clone(),
                            environments: k.environments.clone(),
                            status: ApiKeyStatus::Active,
                            last_used: None,
                            created_at: started.clone(),
                        })
                        .collect(),
                    data: p.data.clone(),
                    resources: p
                        .resources
                        .iter()
                        .map(|r| Resource {
                            uri: r.uri.clone(),
                            name: r.name.clone(),
                            title: r.title.clone(),
                            description: r.description.clone(),
                            mime_type: r.mime_type.clone(),
                            text: r.text.clone().unwrap_or_default(),
                            meta: r.meta.clone(),
                        })
                        .collect(),
                    draft: p.tools.iter().map(|t| Tool::from_def(t, true)).collect(),
                    publish_count: u64::from(!production.is_empty()),
                    eras: p.eras,
                    production,
                };
                ((p.org.clone(), p.id.clone()), project)
            })
            .collect();
        let roles = fixture
            .roles
            .iter()
            .map(|(role, scopes)| {
                let scopes = scopes.iter().map(|s| s.get_ref().clone()).collect();
                (role.get_ref().clone(), scopes)
            })
            .collect();
        let role_permissions = fixture
            .role_permissions
            .iter()
            .map(|(role, permissions)| {
                (
                    role.get_ref().clone(),
                    permissions.iter().copied().collect(),
                )
            })
            .collect();
        let rest_tokens = fixture
            .rest_tokens
            .iter()
            .map(|t| (t.token.get_ref().clone(), t.user.get_ref().clone()))
            .collect();
        World {
            users,
            organizations,
            projects,
            roles,
            role_order: fixture.role_order().into_iter().map(String::from).collect(),
            role_permissions,
            rest_tokens,
        }
    }

    pub fn project(&self, org: &str, project: &str) -> Option<&Project> {
        self.projects.get(&(org.to_owned(), project.to_owned()))
    }

    pub fn project_mut(&mut self, org: &str, project: &str) -> Option<&mut Project> {
        self.projects.get_mut(&(org.to_owned(), project.to_owned()))
    }

    /// The role of `email` in `org`, if a member.
    pub fn role_of(&self, org: &str, email: &str) -> Option<&str> {
        self.organizations
            .get(org)?
            .members
            .get(email)
            .map(String::as_str)
    }

    /// The roles that hold `scope`, in the fixture's order.
    pub fn roles_with(&self, scope: &str) -> Vec<&str> {
        self.role_order
            .iter()
            .filter(|role| self.roles.get(*role).is_some_and(|s| s.contains(scope)))
            .map(String::as_str)
            .collect()
    }

    /// What `email` may do through the REST API in `org` (empty for non-members).
    pub fn permissions_of(&self, org: &str, email: &str) -> BTreeSet<Permission> {
        self.role_of(org, email)
            .and_then(|role| self.role_permissions.get(role))
            .cloned()
            .unwrap_or_default()
    }

    /// The scopes `email` holds in `org` through their role (empty for non-members).
    pub fn scopes_of(&self, org: &str, email: &str) -> BTreeSet<String> {
        self.role_of(org, email)
            .and_then(|role| self.roles.get(role))
            .cloned()
            .unwrap_or_default()
    }
}
