//! The HTML a user sees in the authorization popup: sign-in, consent, "not a member", and error pages.
//! Every page forbids framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`) and caching, and
//! every form carries a CSRF token. Pure rendering: no state is read here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use crate::domain::scope::ScopePurpose;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a scope lets the host do, in the words the consent page uses (by its purpose, whatever the
/// world calls it).
pub fn describe_scope(purpose: Option<ScopePurpose>) -> &'static str {
    match purpose {
        Some(ScopePurpose::ListTools) => "See this project's tools and their descriptions",
        Some(ScopePurpose::ReadAssets) => "Load this project's interactive views",
        Some(ScopePurpose::ReadPackages) => "Read this project's published packages",
        Some(ScopePurpose::Execute) => "Run this project's published tools on your behalf",
        Some(ScopePurpose::ExecuteDraft) => "Use this project's draft (unpublished) tools",
        Some(ScopePurpose::Offline) => "Stay connected without asking you to sign in again",
        None => "An additional permission",
    }
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;background:#f4f4f7;margin:0;color:#1d1d1f}\
main{max-width:420px;margin:48px auto;background:#fff;border-radius:12px;padding:28px;box-shadow:0 2px 12px #0002}\
h1{font-size:20px;margin:0 0 12px}label{display:block;margin:12px 0 4px;font-weight:600}\
input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:8px;border:1px solid #bbb;border-radius:6px}\
button{padding:9px 18px;border-radius:6px;border:1px solid #888;background:#fff;font-size:15px;margin-right:8px;cursor:pointer}\
button.primary{background:#2251ff;border-color:#2251ff;color:#fff}.error{color:#b00020}.muted{color:#6e6e73;font-size:13px}\
ul{padding-left:20px}a.button{display:inline-block;padding:9px 18px;border-radius:6px;background:#2251ff;color:#fff;text-decoration:none}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · Metabind</title>\
         <meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>",
        escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https: http:; frame-ancestors 'none'",
        ),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The Metabind sign-in form.
pub fn login(
    request_id: &str,
    csrf: &str,
    client_name: &str,
    email: &str,
    error: Option<&str>,
) -> Response {
    let error_html = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    page(
        status,
        "Sign in",
        &format!(
            "<h1>Sign in to Metabind</h1>\
             <p class=\"muted\">{} wants to connect to a Metabind project.</p>{error_html}\
             <form method=\"post\" action=\"/oauth/login\">\
             <input type=\"hidden\" name=\"request\" value=\"{}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <label for=\"email\">Email</label><input id=\"email\" type=\"email\" name=\"email\" autocomplete=\"username\" value=\"{}\" required>\
             <label for=\"password\">Password</label><input id=\"password\" type=\"password\" name=\"password\" autocomplete=\"current-password\" required>\
             <p><button class=\"primary\" type=\"submit\" id=\"sign-in\">Sign in</button></p></form>",
            escape(client_name),
            escape(request_id),
            escape(csrf),
            escape(email)
        ),
    )
}

pub struct ConsentView<'a> {
    pub request_id: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub redirect_host: &'a str,
    pub project_name: &'a str,
    pub org_name: &'a str,
    pub environment: &'a str,
    pub email: &'a str,
    /// Each scope granted, with what it is for.
    pub scopes: Vec<(&'a str, Option<ScopePurpose>)>,
}

/// The consent screen: who asks, where the answer goes, which project and environment, and what for.
pub fn consent(view: &ConsentView<'_>) -> Response {
    let scopes: String = view
        .scopes
        .iter()
        .map(|(scope, purpose)| {
            format!(
                "<li>{} <span class=\"muted\">({})</span></li>",
                describe_scope(*purpose),
                escape(scope)
            )
        })
        .collect();
    page(
        StatusCode::OK,
        "Authorize access",
        &format!(
            "<h1>Authorize {client}</h1>\
             <p><strong>{client}</strong> wants to access <strong>{project}</strong> ({env}) in {org}, as {email}.</p>\
             <p>It will be able to:</p><ul id=\"scopes\">{scopes}</ul>\
             <p class=\"muted\">After you decide, you go back to <strong>{host}</strong>.</p>\
             <form method=\"post\" action=\"/oauth/consent\">\
             <input type=\"hidden\" name=\"request\" value=\"{request}\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button class=\"primary\" type=\"submit\" name=\"decision\" value=\"authorize\" id=\"authorize\">Authorize</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form>",
            client = escape(view.client_name),
            project = escape(view.project_name),
            env = escape(view.environment),
            org = escape(view.org_name),
            email = escape(view.email),
            host = escape(view.redirect_host),
            request = escape(view.request_id),
            csrf = escape(view.csrf),
        ),
    )
}

/// The user may not authorize (not a member, role too small); the link hands `access_denied` to the host.
pub fn denied(title: &str, message: &str, client_name: &str, return_url: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        title,
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\" id=\"denied\">{}</p>\
             <p><a class=\"button\" id=\"return\" href=\"{}\">Return to {}</a></p>",
            escape(title),
            escape(message),
            escape(return_url),
            escape(client_name)
        ),
    )
}

/// A request that cannot be answered at the client's redirect URI (unknown client, bad redirect URI…).
pub fn error(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p class=\"error\" role=\"alert\" id=\"oauth-error\">{}</p>\
             <p class=\"muted\">You can close this window.</p>",
            escape(title),
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_attribute_and_text_contexts() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
