//! What every wire of a run shares: its time limit, how much it reads, which URLs it may reach, and the
//! secrets it has seen (so every output can be scrubbed of them, whatever field they ended up in).
//!
//! The URL policy follows only what the user named and what discovery admits: the target's origin,
//! origins given with `--allow-origin`, and the authorization servers the protected resource metadata
//! names once they pass a check (https, or http on loopback when the target is on loopback). Link-local
//! and cloud metadata addresses are never reached, loopback only for a loopback target, private ranges
//! only for a private target; names are checked again after DNS resolution, so a name that resolves
//! into a forbidden range is refused as well. A refusal is an error that names the URL and why.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// How much the harness reads and keeps.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A response body is read up to this many bytes; a longer one is cut and marked.
    pub max_response_bytes: usize,
    /// A recorded exchange keeps at most this many characters of each body.
    pub max_recorded_body: usize,
    /// A transcript keeps bodies until it holds this many bytes; later exchanges keep none.
    pub max_transcript_bytes: usize,
    /// One SSE event may be at most this long.
    pub max_event_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: 4 << 20,
            max_recorded_body: 64 << 10,
            max_transcript_bytes: 32 << 20,
            max_event_bytes: 1 << 20,
        }
    }
}

/// Why a URL is not reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to reach {url}: {why}")]
pub struct Refusal {
    pub url: String,
    pub why: String,
}

/// Which URLs the harness may reach.
#[derive(Debug, Default)]
pub struct UrlPolicy {
    /// No restriction (the harness's own tests of local servers).
    open: bool,
    /// `scheme://host:port` origins that may be reached.
    origins: RwLock<BTreeSet<String>>,
    /// Loopback addresses may be reached (the target is on loopback, or the user said so).
    loopback: bool,
    /// Private ranges may be reached (the target is in one, or the user said so).
    private: bool,
}

/// Cloud instance metadata services, by name (their addresses are link-local and refused anyway).
const METADATA_HOSTS: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata.azure.com",
    "instance-data",
    "instance-data.ec2.internal",
];

fn origin_of(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// The class of an address, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Public,
    Loopback,
    Private,
    /// Never: link-local (cloud metadata), unspecified, multicast, broadcast.
    Forbidden,
}

fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Reach::Loopback
            } else if v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
            {
                Reach::Forbidden
            } else if v4.is_private() || (a == 100 && (64..128).contains(&b)) {
                // RFC 1918, and RFC 6598 shared address space (carrier-grade NAT).
                Reach::Private
            } else {
                Reach::Public
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return reach(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Reach::Loopback
            } else if v6.is_unspecified() || v6.is_multicast() || (first & 0xffc0) == 0xfe80 {
                Reach::Forbidden
            } else if (first & 0xfe00) == 0xfc00 {
                Reach::Private
            } else {
                Reach::Public
            }
        }
    }
}

impl UrlPolicy {
    /// Any URL (tests of the harness against its own local servers).
    pub fn open() -> UrlPolicy {
        UrlPolicy {
            open: true,
            ..Default::default()
        }
    }

    /// The target's origin, plus `allowed` origins the user named; loopback and private ranges as
    /// the target (and the allowed origins) need.
    pub fn for_target(target: &str, allowed: &[String]) -> Result<UrlPolicy, Refusal> {
        let mut policy = UrlPolicy::default();
        for url in std::iter::once(target).chain(allowed.iter().map(String::as_str)) {
            let parsed = url::Url::parse(url).map_err(|e| Refusal {
                url: url.to_owned(),
                why: format!("not a URL: {e}"),
            })?;
            match parsed.host() {
                Some(url::Host::Ipv4(ip)) => policy.widen(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => policy.widen(IpAddr::V6(ip)),
                Some(url::Host::Domain("localhost")) => policy.loopback = true,
                _ => {}
            }
            policy
                .origins
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .insert(origin_of(&parsed));
        }
        Ok(policy)
    }

    fn widen(&mut self, ip: IpAddr) {
        match reach(ip) {
            Reach::Loopback => self.loopback = true,
            Reach::Private => self.private = true,
            Reach::Public | Reach::Forbidden => {}
        }
    }

    /// Whether `url` may be reached now.
    pub fn check(&self, url: &str) -> Result<(), Refusal> {
        if self.open {
            return Ok(());
        }
        let refuse = |why: String| Refusal {
            url: url.to_owned(),
            why,
        };
        let parsed = url::Url::parse(url).map_err(|e| refuse(format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(refuse(format!("scheme {} is not http(s)", parsed.scheme())));
        }
        self.check_host(&parsed).map_err(refuse)?;
        let origin = origin_of(&parsed);
        if self
            .origins
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&origin)
        {
            Ok(())
        } else {
            Err(refuse(format!(
                "{origin} is neither the target's origin nor an authorization server its metadata names (--allow-origin {origin} admits it)"
            )))
        }
    }

    /// The address rules alone (no origin list): metadata names, literal addresses.
    fn check_host(&self, url: &url::Url) -> Result<(), String> {
        match url.host() {
            None => Err("no host".into()),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                if METADATA_HOSTS.contains(&d.as_str()) {
                    Err(format!("{d} is a cloud metadata service"))
                } else {
                    Ok(())
                }
            }
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        if self.open {
            return Ok(());
        }
        match reach(ip) {
            Reach::Public => Ok(()),
            Reach::Loopback if self.loopback => Ok(()),
            Reach::Private if self.private => Ok(()),
            Reach::Loopback => Err(format!("{ip} is loopback and the target is not")),
            Reach::Private => Err(format!("{ip} is in a private range the target is not in")),
            Reach::Forbidden => Err(format!("{ip} is link-local or reserved (never reached)")),
        }
    }

    /// Admits the origin of an authorization server the protected resource metadata names (or an
    /// endpoint its metadata names), after the check: https, or http on loopback for a loopback
    /// target, and an address the policy allows.
    pub fn admit(&self, url: &str) -> Result<(), Refusal> {
        if self.open {
            return Ok(());
        }
        let refuse = |why: String| Refusal {
            url: url.to_owned(),
            why,
        };
        let parsed = url::Url::parse(url).map_err(|e| refuse(format!("not a URL: {e}")))?;
        let loopback_http = parsed.scheme() == "http"
            && self.loopback
            && match parsed.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
        if parsed.scheme() != "https" && !loopback_http {
            return Err(refuse(
                "an authorization server must use https (http only on loopback for a loopback target)"
                    .into(),
            ));
        }
        self.check_host(&parsed).map_err(refuse)?;
        self.origins
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(origin_of(&parsed));
        Ok(())
    }

    /// The addresses a name resolved to that the policy allows.
    fn filter(&self, addrs: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
        let mut why = None;
        let allowed: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| match self.check_ip(a.ip()) {
                Ok(()) => true,
                Err(e) => {
                    why.get_or_insert(e);
                    false
                }
            })
            .collect();
        if allowed.is_empty() {
            Err(why.unwrap_or_else(|| "the name resolved to no address".into()))
        } else {
            Ok(allowed)
        }
    }
}

/// DNS resolution that applies the policy's address rules to what names resolve to.
pub(super) struct Resolver(pub Arc<Net>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let net = Arc::clone(&self.0);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = net.policy.filter(found).map_err(|why| {
                Box::new(Refusal { url: host, why }) as Box<dyn std::error::Error + Send + Sync>
            })?;
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Secret values the run has seen; every output is scrubbed of them.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<BTreeSet<String>>);

/// Shorter values are not scrubbed: they would match ordinary words.
const MIN_SECRET: usize = 6;

impl Secrets {
    pub fn remember(&self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SECRET {
            self.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(value.to_owned());
        }
    }

    /// `text` with every known secret (raw, URL-encoded or JSON-escaped) replaced.
    pub fn scrub(&self, text: &str) -> String {
        let secrets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        // Longest first, so a secret containing another is replaced whole.
        let mut ordered: Vec<&String> = secrets.iter().collect();
        ordered.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in ordered {
            for form in forms(secret) {
                if out.contains(&form) {
                    out = out.replace(&form, "[redacted]");
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }
}

/// The ways a secret can be written into an output.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json.trim_matches('"').to_owned();
    for f in [encoded, json] {
        if !forms.contains(&f) {
            forms.push(f);
        }
    }
    forms
}

/// What the wires of one run share.
#[derive(Debug)]
pub struct Net {
    /// The limit on every exchange.
    pub timeout: Duration,
    pub limits: Limits,
    pub policy: UrlPolicy,
    pub secrets: Secrets,
}

impl Net {
    /// No URL restriction (the harness's own tests against local servers).
    pub fn open(timeout: Duration) -> Arc<Net> {
        Arc::new(Net {
            timeout,
            limits: Limits::default(),
            policy: UrlPolicy::open(),
            secrets: Secrets::default(),
        })
    }

    /// A run against `target`; secrets in the URL itself (userinfo, query values) are remembered.
    pub fn for_target(
        target: &str,
        allowed: &[String],
        timeout: Duration,
        limits: Limits,
    ) -> Result<Arc<Net>, Refusal> {
        let net = Net {
            timeout,
            limits,
            policy: UrlPolicy::for_target(target, allowed)?,
            secrets: Secrets::default(),
        };
        if let Ok(url) = url::Url::parse(target) {
            net.secrets.remember(url.username());
            if let Some(p) = url.password() {
                net.secrets.remember(p);
            }
            for (_, v) in url.query_pairs() {
                net.secrets.remember(&v);
            }
        }
        Ok(Arc::new(net))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_target_reaches_its_origin_and_admitted_servers_only() {
        let p = UrlPolicy::for_target("https://mcp.example.com/acme/shop", &[]).unwrap();
        assert!(p
            .check("https://mcp.example.com/.well-known/oauth-protected-resource")
            .is_ok());
        assert!(p.check("https://auth.example.com/token").is_err());
        p.admit("https://auth.example.com/").unwrap();
        assert!(p.check("https://auth.example.com/token").is_ok());
        assert!(p.admit("http://auth.example.com/").is_err(), "https only");
    }

    #[test]
    fn metadata_link_local_and_private_addresses_are_refused() {
        let p = UrlPolicy::for_target("https://mcp.example.com/x", &[]).unwrap();
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://10.0.0.5/",
            "http://127.0.0.1:8080/",
            "http://[fe80::1]/",
        ] {
            let e = p.admit(url).unwrap_err();
            assert!(!e.why.is_empty(), "{url}");
        }
        let local = UrlPolicy::for_target("http://127.0.0.1:4000/acme/shop", &[]).unwrap();
        assert!(
            local.admit("http://127.0.0.1:5000/").is_ok(),
            "loopback AS for a loopback target"
        );
        assert!(local.admit("http://169.254.169.254/").is_err());
    }

    #[test]
    fn resolved_addresses_are_filtered_by_the_same_rules() {
        let p = UrlPolicy::for_target("https://mcp.example.com/x", &[]).unwrap();
        let meta: SocketAddr = "169.254.169.254:80".parse().unwrap();
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        assert!(p.filter(vec![meta]).is_err());
        assert_eq!(p.filter(vec![meta, public]).unwrap(), vec![public]);
    }

    #[test]
    fn secrets_are_scrubbed_raw_encoded_and_escaped() {
        let s = Secrets::default();
        s.remember("p@ss w\"ord");
        s.remember("abc");
        let text = "raw p@ss w\"ord, form p%40ss+w%22ord, json p@ss w\\\"ord, short abc";
        let scrubbed = s.scrub(text);
        assert!(
            !scrubbed.contains("p@ss") && !scrubbed.contains("p%40ss"),
            "{scrubbed}"
        );
        assert!(
            scrubbed.contains("short abc"),
            "too short to scrub: {scrubbed}"
        );
    }

    #[test]
    fn secrets_in_the_target_url_are_remembered() {
        let net = Net::for_target(
            "https://user:hunter22@mcp.example.com/x?api_key=sk-live-123456",
            &[],
            Duration::from_secs(1),
            Limits::default(),
        )
        .unwrap();
        let out = net.secrets.scrub("key sk-live-123456 pw hunter22");
        assert_eq!(out, "key [redacted] pw [redacted]");
    }
}
