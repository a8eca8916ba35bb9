//! The popup driven over plain HTTP (a cookie jar and HTML form parsing): for machines without a
//! browser and for authorization servers that approve automatically. It follows redirects, signs in on
//! any page with an email/username and password field, presses the consent button (Authorize / Allow /
//! Approve …), and stops at the first navigation to the host's redirect URI. It reports what a user
//! would have seen when it does not get there. It runs no JavaScript: pages that need it are for the
//! browser driver.

use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::{PopupOutcome, PopupRequest};
use crate::wire::{self, Request, Wire};

pub(crate) const CONSENT_WORDS: &[&str] = &[
    "authorize",
    "allow",
    "approve",
    "accept",
    "consent",
    "continue",
    "grant",
];
const MAX_STEPS: usize = 15;

struct Form {
    action: String,
    method: String,
    fields: Vec<(String, String)>,
    password_field: Option<String>,
    login_field: Option<String>,
    /// (name, value, label) of each submit button.
    buttons: Vec<(Option<String>, String, String)>,
}

fn selector(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn text_of(element: &ElementRef<'_>) -> String {
    element
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn parse_forms(html: &Html) -> Vec<Form> {
    let mut forms = Vec::new();
    for form in html.select(&selector("form")) {
        let attr = |e: &ElementRef<'_>, a: &str| e.value().attr(a).unwrap_or("").to_owned();
        let mut parsed = Form {
            action: attr(&form, "action"),
            method: attr(&form, "method").to_ascii_lowercase(),
            fields: Vec::new(),
            password_field: None,
            login_field: None,
            buttons: Vec::new(),
        };
        for input in form.select(&selector("input")) {
            let name = attr(&input, "name");
            let kind = attr(&input, "type").to_ascii_lowercase();
            match kind.as_str() {
                "password" if !name.is_empty() => parsed.password_field = Some(name),
                "submit" => parsed.buttons.push((
                    Some(name).filter(|n| !n.is_empty()),
                    attr(&input, "value"),
                    attr(&input, "value"),
                )),
                "email" | "text" | "" if !name.is_empty() => {
                    let lower = name.to_ascii_lowercase();
                    if parsed.login_field.is_none()
                        && (kind == "email"
                            || ["email", "user", "login", "name"]
                                .iter()
                                .any(|w| lower.contains(w)))
                    {
                        parsed.login_field = Some(name);
                    } else {
                        parsed.fields.push((name, attr(&input, "value")));
                    }
                }
                "checkbox" | "radio"
                    if input.value().attr("checked").is_some() && !name.is_empty() =>
                {
                    parsed.fields.push((name, attr(&input, "value")));
                }
                "checkbox" | "radio" => {}
                _ if !name.is_empty() => parsed.fields.push((name, attr(&input, "value"))),
                _ => {}
            }
        }
        for button in form.select(&selector("button")) {
            let kind = attr(&button, "type").to_ascii_lowercase();
            if kind.is_empty() || kind == "submit" {
                parsed.buttons.push((
                    button.value().attr("name").map(String::from),
                    attr(&button, "value"),
                    text_of(&button),
                ));
            }
        }
        forms.push(parsed);
    }
    forms
}

fn visible_text(html: &Html) -> String {
    let body = html.select(&selector("body")).next();
    let text = body.map(|b| text_of(&b)).unwrap_or_default();
    text.chars().take(600).collect()
}

/// Drives one popup from `authorization_url` until it reaches `redirect_uri`.
/// `signed_in` tells whether a sign-in page was filled in (also when the popup then failed).
pub async fn run_http(
    wire: &Wire,
    popup: &PopupRequest<'_>,
    signed_in: &mut bool,
) -> Result<PopupOutcome, wire::Error> {
    let redirect_uri = popup.redirect_uri;
    let credentials = popup.credentials;
    let mut request = Request::get(popup.authorization_url).header("accept", "text/html");
    for _ in 0..MAX_STEPS {
        let current = request.url.clone();
        let received = wire.send(request).await?;
        let status = received.exchange.status;
        if (300..400).contains(&status) {
            // The raw header: the recorded one has its code redacted.
            let location = received
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok());
            let Some(location) = location else {
                return Ok(PopupOutcome::Stopped {
                    status,
                    text: "a redirect without Location".into(),
                    return_link: None,
                });
            };
            let next = Url::parse(&current)
                .and_then(|base| base.join(location))
                .map(|u| u.to_string())
                .unwrap_or_else(|_| location.to_owned());
            if next.starts_with(redirect_uri) {
                return Ok(PopupOutcome::Callback(next));
            }
            request = Request::get(next).header("accept", "text/html");
            continue;
        }
        let html = Html::parse_document(&String::from_utf8_lossy(&received.body));
        let forms = parse_forms(&html);
        let base = Url::parse(&current).ok();
        let absolute = |action: &str| {
            base.as_ref()
                .and_then(|b| b.join(action).ok())
                .map(|u| u.to_string())
                .unwrap_or_else(|| current.clone())
        };
        if let Some(login) = forms.iter().find(|f| f.password_field.is_some()) {
            if *signed_in {
                return Ok(PopupOutcome::LoginFailed(visible_text(&html)));
            }
            let Some(creds) = credentials else {
                return Ok(PopupOutcome::NeedsCredentials);
            };
            let mut fields = login.fields.clone();
            if let Some(user) = &login.login_field {
                fields.push((user.clone(), creds.email.clone()));
            }
            if let Some(pass) = &login.password_field {
                fields.push((pass.clone(), creds.password.clone()));
            }
            if let Some((Some(name), value, _)) = login.buttons.first() {
                fields.push((name.clone(), value.clone()));
            }
            *signed_in = true;
            request = submit(&absolute(&login.action), &login.method, &fields);
            continue;
        }
        let consent = forms.iter().find_map(|f| {
            f.buttons
                .iter()
                .find(|(_, _, label)| {
                    CONSENT_WORDS
                        .iter()
                        .any(|w| label.to_ascii_lowercase().contains(w))
                })
                .map(|b| (f, b))
        });
        if let Some((form, (name, value, _))) = consent {
            let mut fields = form.fields.clone();
            if let Some(name) = name {
                fields.push((name.clone(), value.clone()));
            }
            request = submit(&absolute(&form.action), &form.method, &fields);
            continue;
        }
        let return_link = html
            .select(&selector("a[href]"))
            .filter_map(|a| a.value().attr("href"))
            .find(|href| href.starts_with(redirect_uri))
            .map(String::from);
        return Ok(PopupOutcome::Stopped {
            status,
            text: visible_text(&html),
            return_link,
        });
    }
    Ok(PopupOutcome::Stopped {
        status: 0,
        text: format!("the popup did not reach the redirect URI after {MAX_STEPS} steps"),
        return_link: None,
    })
}

fn submit(action: &str, method: &str, fields: &[(String, String)]) -> Request {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    if method == "get" {
        let separator = if action.contains('?') { '&' } else { '?' };
        Request::get(format!("{action}{separator}{encoded}"))
    } else {
        Request::post(
            action,
            "application/x-www-form-urlencoded",
            encoded.into_bytes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_consent_forms_are_recognised() {
        let html = Html::parse_document(
            r#"<form method="post" action="/login"><input type="hidden" name="csrf" value="t">
               <input type="email" name="email"><input type="password" name="pw">
               <button type="submit">Sign in</button></form>
               <form method="post" action="/consent"><button name="decision" value="deny">Deny</button>
               <button name="decision" value="authorize">Authorize</button></form>"#,
        );
        let forms = parse_forms(&html);
        assert_eq!(forms[0].login_field.as_deref(), Some("email"));
        assert_eq!(forms[0].password_field.as_deref(), Some("pw"));
        assert_eq!(forms[0].fields, vec![("csrf".to_owned(), "t".to_owned())]);
        let label = &forms[1].buttons[1];
        assert_eq!(
            (label.0.as_deref(), label.1.as_str()),
            (Some("decision"), "authorize")
        );
    }
}
