//! The MCP session table: sessions are created on `initialize` and removed by DELETE. The table has a
//! size limit, and the oldest sessions are dropped first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::domain::endpoint::EndpointKey;
use crate::domain::lock::lock;
use crate::domain::secret::random_id;
use crate::domain::session::Session;

/// Most sessions kept at once; beyond it the oldest is dropped (its next request gets 404 and the
/// client re-initializes, as the spec expects).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Default)]
pub struct SessionStore {
    sessions: Mutex<HashMap<String, Session>>,
}

impl SessionStore {
    /// A new session; `spaced` makes its id two words (the `session-id-not-ascii` fault).
    pub fn create(
        &self,
        endpoint: EndpointKey,
        subject: String,
        protocol_version: String,
        spaced: bool,
    ) -> Session {
        let session = Session {
            id: if spaced {
                format!("sess {}", random_id())
            } else {
                random_id()
            },
            endpoint,
            subject,
            protocol_version,
            get_stream_open: false,
            listed_tools: None,
            created: Instant::now(),
        };
        let mut sessions = lock(&self.sessions);
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .values()
                .min_by_key(|s| s.created)
                .map(|s| s.id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(session.id.clone(), session.clone());
        session
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        lock(&self.sessions).get(id).cloned()
    }

    pub fn update(&self, id: &str, change: impl FnOnce(&mut Session)) -> bool {
        match lock(&self.sessions).get_mut(id) {
            Some(session) => {
                change(session);
                true
            }
            None => false,
        }
    }

    pub fn remove(&self, id: &str) -> bool {
        lock(&self.sessions).remove(id).is_some()
    }

    pub fn contains(&self, id: &str) -> bool {
        lock(&self.sessions).contains_key(id)
    }
}
