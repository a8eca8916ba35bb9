//! `metabind-conformance conformance-client URL`: the client contract of the official MCP conformance
//! suite (`@modelcontextprotocol/conformance client`). The suite starts this command with the server URL
//! as the last argument and `MCP_CONFORMANCE_SCENARIO` / `MCP_CONFORMANCE_CONTEXT` /
//! `MCP_CONFORMANCE_PROTOCOL_VERSION` in the environment; the client connects with our host OAuth
//! client (HTTP popup) in the era the version names, lists the tools, calls them (see [`modern`] for
//! the stateless era), and exits 0 when the run worked.

mod modern;

use std::time::Duration;

use serde_json::{json, Value};

use crate::connector::{Connector, ConnectorConfig};
use crate::oauth::{ClientCredentials, RegistrationPlan};
use crate::popup::Popup;
use crate::wire::{Opening, Wire};

/// The Client ID Metadata Document URL the suite's `auth/basic-cimd` scenario expects a client to use.
pub const SUITE_CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";
const REDIRECT_URI: &str = "http://127.0.0.1:8976/callback";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("MCP_CONFORMANCE_CONTEXT is not valid JSON: {0}")]
    Context(String),
    #[error(transparent)]
    Connector(#[from] crate::connector::Error),
    #[error("{0}")]
    Server(String),
}

/// What the suite says about the scenario it runs.
pub struct Suite<'a> {
    pub scenario: &'a str,
    pub context: Option<&'a str>,
    /// The wire version the suite runs the scenario at (unset: the 2025 era).
    pub protocol_version: Option<&'a str>,
}

pub async fn run(server_url: &str, suite: &Suite<'_>, timeout: Duration) -> Result<(), Error> {
    let context: Value = match suite.context {
        Some(text) if !text.trim().is_empty() => {
            serde_json::from_str(text).map_err(|e| Error::Context(e.to_string()))?
        }
        _ => Value::Null,
    };
    let pre_registered =
        context
            .get("client_id")
            .and_then(Value::as_str)
            .map(|id| ClientCredentials {
                client_id: id.to_owned(),
                client_secret: context
                    .get("client_secret")
                    .and_then(Value::as_str)
                    .map(String::from),
                auth_method: "none".into(),
            });
    // The suite names the issuer its pre-registered client belongs to.
    let pre_registered_issuer = context
        .get("issuer")
        .and_then(Value::as_str)
        .map(String::from);
    let modern_era = suite
        .protocol_version
        .is_some_and(|v| v >= crate::wire::MODERN_PROTOCOL_VERSION);
    // The suite's servers are its own, on loopback: no URL policy.
    let wire = Wire::new(&crate::wire::Net::open(timeout))?;
    // The suite's authorization server approves without pages: the HTTP popup follows its redirects.
    let mut config = ConnectorConfig::new(
        REDIRECT_URI,
        RegistrationPlan {
            pre_registered,
            pre_registered_issuer,
            metadata_document_url: Some(SUITE_CIMD_URL.into()),
            client_name: "metabind-conformance".into(),
            // The suite's token-endpoint-auth scenarios check that a client follows the AS.
            ..Default::default()
        },
        None,
        Popup::http(),
    );
    // A desktop client wants to stay signed in: offline_access when the server lists it.
    config.offline_access = true;
    if modern_era {
        config.opening = Opening::Modern;
    }
    let mut connector = Connector::new(wire, server_url, config);
    let info = json!({ "name": "metabind-conformance", "version": env!("CARGO_PKG_VERSION") });
    if modern_era {
        return modern::drive(
            &mut connector,
            &info,
            &context,
            suite.scenario.starts_with("auth/"),
        )
        .await;
    }
    let reply = connector.initialize(&info, &json!({})).await?;
    if reply.result().is_none() {
        return Err(Error::Server(format!(
            "initialize failed: HTTP {} {}",
            reply.status(),
            reply.received.exchange.response_body
        )));
    }
    let tools = connector.call("tools/list", &json!({})).await?;
    let Some(list) = tools.result() else {
        return Err(Error::Server(format!(
            "tools/list failed: HTTP {} {}",
            tools.status(),
            tools.received.exchange.response_body
        )));
    };
    if let Some(name) = list["tools"]
        .as_array()
        .and_then(|t| t.first())
        .and_then(|t| t["name"].as_str())
    {
        let name = name.to_owned();
        let call = connector
            .call("tools/call", &json!({ "name": name, "arguments": {} }))
            .await?;
        if call.result().is_none() {
            return Err(Error::Server(format!(
                "tools/call {name} failed: HTTP {} {}",
                call.status(),
                call.received.exchange.response_body
            )));
        }
    }
    let _ = connector.mcp.close().await;
    Ok(())
}

impl From<crate::wire::Error> for Error {
    fn from(e: crate::wire::Error) -> Self {
        Error::Connector(e.into())
    }
}
