//! The `WWW-Authenticate: Bearer` challenge (RFC 6750 §3), parsed.

/// A `WWW-Authenticate: Bearer …` challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub resource_metadata: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Challenge {
    /// Parses the auth-params of a Bearer challenge (RFC 6750 §3); `None` for another scheme.
    pub fn parse(header: &str) -> Option<Challenge> {
        let rest = header
            .trim()
            .strip_prefix("Bearer")
            .or_else(|| header.trim().strip_prefix("bearer"))?;
        let mut challenge = Challenge::default();
        let mut chars = rest.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
                chars.next();
            }
            let name: String = std::iter::from_fn(|| {
                chars.next_if(|c| *c != '=' && *c != ',' && !c.is_whitespace())
            })
            .collect();
            if name.is_empty() {
                break;
            }
            if chars.next_if_eq(&'=').is_none() {
                continue;
            }
            let value: String = if chars.next_if_eq(&'"').is_some() {
                let mut v = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                v.push(n);
                            }
                        }
                        '"' => break,
                        c => v.push(c),
                    }
                }
                v
            } else {
                std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                    .collect::<String>()
                    .trim()
                    .to_owned()
            };
            match name.to_ascii_lowercase().as_str() {
                "resource_metadata" => challenge.resource_metadata = Some(value),
                "scope" => challenge.scope = Some(value),
                "error" => challenge.error = Some(value),
                "error_description" => challenge.error_description = Some(value),
                _ => {}
            }
        }
        Some(challenge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_parsed_with_quotes_and_commas() {
        let c = Challenge::parse(r#"Bearer resource_metadata="https://x/.well-known/oauth-protected-resource/mcp", scope="a b", error="insufficient_scope", error_description="needs \"b\", really""#).unwrap();
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://x/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scope.as_deref(), Some("a b"));
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.error_description.as_deref(), Some("needs \"b\", really"));
        assert_eq!(Challenge::parse("Bearer"), Some(Challenge::default()));
        assert!(Challenge::parse("Basic realm=\"x\"").is_none());
    }
}
