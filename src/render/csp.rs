//! The Content-Security-Policy a host puts on a view, built from what the resource declares
//! (spec/mcp.md §8.2): only declared domains, the spec's defaults when nothing is declared,
//! `frame-src 'none'` without `frameDomains`, `base-uri 'self'` without `baseUriDomains`, and always
//! `object-src 'none'`. The Apps SDK's `openai/widgetCSP` (snake_case) maps onto the same fields.

use serde_json::Value;

/// The domains a resource declares, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub connect: Vec<String>,
    pub resource: Vec<String>,
    pub frame: Vec<String>,
    pub base_uri: Vec<String>,
    /// Entries that are not a source expression a CSP can carry (spaces, `;`, quotes…): left out, and
    /// reported, so a declaration cannot widen the policy by injection.
    pub rejected: Vec<String>,
}

/// The policy when a resource declares nothing: the spec's default, plus the frame, base and object
/// rules that apply whatever is declared.
pub const DEFAULT_POLICY: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' data:; connect-src 'none'; frame-src 'none'; object-src 'none'; base-uri 'self'";

/// A domain is kept when it is a plain source expression: `https://cdn.example.com`,
/// `https://*.example.com`, `wss://x:8443`.
fn valid_source(s: &str) -> bool {
    !s.is_empty()
        && s.contains("://")
        && !s
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ';' | ',' | '\'' | '"'))
}

fn list(value: &Value, rejected: &mut Vec<String>) -> Vec<String> {
    let mut kept = Vec::new();
    for entry in value.as_array().into_iter().flatten() {
        match entry.as_str() {
            Some(s) if valid_source(s) => kept.push(s.to_owned()),
            _ => rejected.push(entry.to_string()),
        }
    }
    kept
}

impl Declared {
    /// `_meta.ui.csp` of an MCP Apps resource; `None` when the resource declares no CSP.
    pub fn mcp_apps(meta: &Value) -> Option<Declared> {
        let csp = meta.get("ui")?.get("csp")?;
        let mut d = Declared::default();
        d.connect = list(&csp["connectDomains"], &mut d.rejected);
        d.resource = list(&csp["resourceDomains"], &mut d.rejected);
        d.frame = list(&csp["frameDomains"], &mut d.rejected);
        d.base_uri = list(&csp["baseUriDomains"], &mut d.rejected);
        Some(d)
    }

    /// `openai/widgetCSP` of an Apps SDK template, else its `_meta.ui.csp` (dual-key servers).
    pub fn skybridge(meta: &Value) -> Option<Declared> {
        let Some(csp) = meta.get("openai/widgetCSP") else {
            return Declared::mcp_apps(meta);
        };
        let mut d = Declared::default();
        d.connect = list(&csp["connect_domains"], &mut d.rejected);
        d.resource = list(&csp["resource_domains"], &mut d.rejected);
        d.frame = list(&csp["frame_domains"], &mut d.rejected);
        Some(d)
    }
}

/// `base` followed by the declared domains, or `fallback` when there are none.
fn directive(name: &str, base: &str, extra: &[String], fallback: &str) -> String {
    let mut values: Vec<&str> = base.split_whitespace().collect();
    values.extend(extra.iter().map(String::as_str));
    if values.is_empty() {
        values.push(fallback);
    }
    format!("{name} {}", values.join(" "))
}

/// The policy for a view. Resource domains extend scripts, styles, images, fonts and media; connect
/// domains are the only ones `fetch` may reach (never the sandbox's own origin: nothing undeclared).
pub fn policy(declared: Option<&Declared>) -> String {
    let Some(d) = declared else {
        return DEFAULT_POLICY.to_owned();
    };
    let mut directives = vec![
        "default-src 'none'".to_owned(),
        directive("script-src", "'self' 'unsafe-inline'", &d.resource, ""),
        directive("style-src", "'self' 'unsafe-inline'", &d.resource, ""),
        directive("img-src", "'self' data:", &d.resource, ""),
    ];
    if !d.resource.is_empty() {
        directives.push(directive("font-src", "'self'", &d.resource, ""));
    }
    directives.extend([
        directive("media-src", "'self' data:", &d.resource, ""),
        directive("connect-src", "", &d.connect, "'none'"),
        directive("frame-src", "", &d.frame, "'none'"),
        "object-src 'none'".to_owned(),
        directive("base-uri", "", &d.base_uri, "'self'"),
    ]);
    directives.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_declaration_gets_the_spec_default() {
        assert_eq!(
            Declared::mcp_apps(&json!({"ui": {"prefersBorder": true}})),
            None
        );
        assert_eq!(
            policy(None),
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; media-src 'self' data:; connect-src 'none'; frame-src 'none'; \
             object-src 'none'; base-uri 'self'"
        );
    }

    #[test]
    fn empty_declarations_are_the_default() {
        let d = Declared::mcp_apps(
            &json!({"ui": {"csp": {"connectDomains": [], "resourceDomains": []}}}),
        );
        assert_eq!(policy(d.as_ref()), DEFAULT_POLICY);
    }

    #[test]
    fn declared_domains_and_only_those_are_allowed() {
        let meta = json!({"ui": {"csp": {
            "connectDomains": ["https://api.example.com"],
            "resourceDomains": ["https://cdn.example.com", "https://*.img.example.com"],
            "frameDomains": ["https://maps.example.com"],
            "baseUriDomains": ["https://base.example.com"]
        }}});
        assert_eq!(
            policy(Declared::mcp_apps(&meta).as_ref()),
            "default-src 'none'; \
             script-src 'self' 'unsafe-inline' https://cdn.example.com https://*.img.example.com; \
             style-src 'self' 'unsafe-inline' https://cdn.example.com https://*.img.example.com; \
             img-src 'self' data: https://cdn.example.com https://*.img.example.com; \
             font-src 'self' https://cdn.example.com https://*.img.example.com; \
             media-src 'self' data: https://cdn.example.com https://*.img.example.com; \
             connect-src https://api.example.com; frame-src https://maps.example.com; \
             object-src 'none'; base-uri https://base.example.com"
        );
    }

    #[test]
    fn injected_sources_are_rejected_not_passed_through() {
        let meta = json!({"ui": {"csp": {"connectDomains": ["https://ok.example.com", "https://x.com; script-src *", "*", 7]}}});
        let d = Declared::mcp_apps(&meta).unwrap();
        assert_eq!(d.connect, vec!["https://ok.example.com"]);
        assert_eq!(d.rejected.len(), 3);
        assert!(policy(Some(&d)).contains("connect-src https://ok.example.com;"));
        assert!(!policy(Some(&d)).contains("script-src *"));
    }

    #[test]
    fn the_apps_sdk_widget_csp_maps_onto_the_same_fields() {
        let meta = json!({"openai/widgetCSP": {"connect_domains": ["https://api.example.com"], "resource_domains": []}});
        let d = Declared::skybridge(&meta).unwrap();
        assert_eq!(d.connect, vec!["https://api.example.com"]);
        assert!(policy(Some(&d)).contains("connect-src https://api.example.com; frame-src 'none'"));
        // A dual-key template without widgetCSP falls back to `_meta.ui.csp`; with neither, the default.
        assert_eq!(Declared::skybridge(&json!({})), None);
    }
}
