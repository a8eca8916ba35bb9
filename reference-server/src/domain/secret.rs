//! Unguessable identifiers, and comparing secrets without leaking where they differ.

/// Session ids, task ids: random and unguessable (UUID v4 from the OS's CSPRNG).
pub fn random_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// 244 random bits, URL-safe: for codes, tokens, session and request ids.
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Compares a presented secret with the expected one in time that depends only on their lengths.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}
