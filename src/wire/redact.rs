//! Redaction: credentials never reach a recorded exchange, whatever field they are in.

use serde_json::{json, Value};

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];
const SECRET_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "client_secret",
    "password",
    "code_verifier",
    "code",
    "token",
    "id_token",
];

/// `url` with the values of secret query parameters (`code`, `access_token`, …) replaced; userinfo
/// (`user:password@`) dropped. Anything that is not a URL is returned as it is.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let had_userinfo = !parsed.username().is_empty() || parsed.password().is_some();
    if had_userinfo {
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
    }
    let secret = parsed
        .query_pairs()
        .any(|(k, _)| SECRET_FIELDS.contains(&k.as_ref()));
    if secret {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if SECRET_FIELDS.contains(&k.as_ref()) {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    if secret || had_userinfo {
        parsed.to_string()
    } else {
        url.to_owned()
    }
}

pub(super) fn redact_headers(headers: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_owned();
            let value = if name == "location" {
                redact_url(&String::from_utf8_lossy(v.as_bytes()))
            } else if SECRET_HEADERS.contains(&name.as_str()) {
                let scheme = v
                    .to_str()
                    .ok()
                    .and_then(|s| s.split(' ').next())
                    .unwrap_or("");
                format!("{scheme} [redacted]").trim().to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// Replaces secret values in a JSON or form body, keeping its shape visible.
pub fn redact_body(body: &str) -> String {
    if let Ok(mut value) = serde_json::from_str::<Value>(body) {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(map) => {
                    for (k, v) in map.iter_mut() {
                        if SECRET_FIELDS.contains(&k.as_str()) && v.is_string() {
                            *v = json!("[redacted]");
                        } else {
                            walk(v);
                        }
                    }
                }
                Value::Array(items) => items.iter_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut value);
        return value.to_string();
    }
    if body.contains('=') && !body.contains(['{', '\n', ' ']) {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| {
                let v = if SECRET_FIELDS.contains(&k.as_ref()) {
                    "[redacted]".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        return url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
    }
    body.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_query_parameters_and_userinfo_leave_urls() {
        let u = redact_url("https://h/cb?code=abc&state=s1&access_token=t0k");
        assert!(
            !u.contains("abc") && !u.contains("t0k") && u.contains("state=s1"),
            "{u}"
        );
        let u = redact_url("https://me:pw@h/mcp");
        assert!(!u.contains("pw") && !u.contains("me@"), "{u}");
        assert_eq!(redact_url("https://h/mcp"), "https://h/mcp");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn secrets_are_redacted_in_json_and_forms() {
        let json_body =
            redact_body(r#"{"access_token":"abc","nested":{"refresh_token":"def"},"scope":"x"}"#);
        assert!(
            !json_body.contains("abc")
                && !json_body.contains("def")
                && json_body.contains("\"scope\":\"x\"")
        );
        let form =
            redact_body("grant_type=authorization_code&code=xyz&code_verifier=v&client_id=c");
        assert!(!form.contains("xyz") && form.contains("client_id=c"));
    }
}
