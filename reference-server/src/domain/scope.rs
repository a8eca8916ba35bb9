//! OAuth scopes of a Metabind world: the string the world uses for each purpose (`[scopes]` in the
//! fixture, Metabind's own strings by default), what each environment needs, what anyone may do on a
//! public project, and the full set this server knows. Nothing else in the server spells a scope.

use std::collections::BTreeSet;

use crate::fixture::{Environment, ScopesDef};

/// What a scope is for, whatever this world calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopePurpose {
    /// `tools/list`.
    ListTools,
    /// Requested by Metabind's own clients (spec/metabind.md §2.3); reads package metadata.
    ReadPackages,
    /// `resources/*`: the UI resources.
    ReadAssets,
    /// Calling production tools (and their tasks).
    Execute,
    /// Calling draft tools (and their tasks).
    ExecuteDraft,
    /// Refresh tokens.
    Offline,
}

impl ScopePurpose {
    /// Every purpose, in the order the server lists scopes (`scopes_supported`).
    pub const ALL: [ScopePurpose; 6] = [
        ScopePurpose::ListTools,
        ScopePurpose::ReadPackages,
        ScopePurpose::ReadAssets,
        ScopePurpose::Execute,
        ScopePurpose::ExecuteDraft,
        ScopePurpose::Offline,
    ];
}

/// The scope strings of one world, by purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes {
    /// Indexed like [`ScopePurpose::ALL`].
    names: [String; 6],
}

impl Default for Scopes {
    fn default() -> Self {
        Scopes::from_def(&ScopesDef::default())
    }
}

impl Scopes {
    pub fn from_def(def: &ScopesDef) -> Scopes {
        Scopes {
            names: [
                def.list_tools.clone(),
                def.read_packages.clone(),
                def.read_assets.clone(),
                def.execute.clone(),
                def.execute_draft.clone(),
                def.offline_access.clone(),
            ],
        }
    }

    /// The string this world uses for `purpose`.
    pub fn get(&self, purpose: ScopePurpose) -> &str {
        // The variants are declared in the order of `ScopePurpose::ALL`, which indexes `names`.
        &self.names[purpose as usize]
    }

    /// What `scope` is for, if this world knows it.
    pub fn purpose_of(&self, scope: &str) -> Option<ScopePurpose> {
        ScopePurpose::ALL
            .into_iter()
            .zip(&self.names)
            .find_map(|(purpose, name)| (name == scope).then_some(purpose))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.purpose_of(scope).is_some()
    }

    /// Every scope this server knows, as the authorization server metadata lists them.
    pub fn all(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// The set with every scope (what the faults that stop enforcing scopes hand out).
    pub fn all_set(&self) -> BTreeSet<String> {
        self.names.iter().cloned().collect()
    }

    pub fn offline(&self) -> &str {
        self.get(ScopePurpose::Offline)
    }

    /// What anyone may do on a public project's production endpoint (plus refresh tokens for logins).
    pub fn public(&self, with_offline: bool) -> BTreeSet<String> {
        let mut scopes: BTreeSet<String> = [
            ScopePurpose::ListTools,
            ScopePurpose::ReadPackages,
            ScopePurpose::ReadAssets,
            ScopePurpose::Execute,
        ]
        .into_iter()
        .map(|p| self.get(p).to_owned())
        .collect();
        if with_offline {
            scopes.insert(self.offline().to_owned());
        }
        scopes
    }

    /// The scope that executing tools needs on this environment.
    pub fn execute(&self, env: Environment) -> &str {
        match env {
            Environment::Production => self.get(ScopePurpose::Execute),
            Environment::Draft => self.get(ScopePurpose::ExecuteDraft),
        }
    }

    /// The scopes a host should ask for to use an endpoint fully (the 401 challenge's `scope`).
    pub fn endpoint(&self, env: Environment) -> Vec<&str> {
        vec![
            self.get(ScopePurpose::ListTools),
            self.get(ScopePurpose::ReadAssets),
            self.execute(env),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_world_uses_metabinds_own_strings_in_order() {
        assert_eq!(
            Scopes::default().all(),
            [
                "read:types",
                "read:packages",
                "read:assets",
                "execute:mcp",
                "execute:mcp-draft",
                "offline_access"
            ]
        );
    }

    #[test]
    fn a_purpose_is_found_by_its_configured_string() {
        let def = ScopesDef {
            execute_draft: "tools:run-draft".into(),
            ..ScopesDef::default()
        };
        let scopes = Scopes::from_def(&def);
        assert_eq!(
            scopes.purpose_of("tools:run-draft"),
            Some(ScopePurpose::ExecuteDraft)
        );
        assert_eq!(scopes.purpose_of("execute:mcp-draft"), None);
        assert_eq!(scopes.execute(Environment::Draft), "tools:run-draft");
    }
}
