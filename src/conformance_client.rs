//! `metabind-conformance conformance-client URL`: the client contract of the official MCP conformance
//! suite (`@modelcontextprotocol/conformance client`). The suite starts this command with the server URL
//! as the last argument and `MCP_CONFORMANCE_SCENARIO` / `MCP_CONFORMANCE_CONTEXT` in the environment;
//! the client connects with our host OAuth client (HTTP popup), lists the tools, calls the first one,
//! and exits 0 when the run worked.

use std::time::Duration;

use serde_json::{json, Value};

use crate::connector::{Connector, ConnectorConfig};
use crate::oauth::{ClientCredentials, RegistrationPlan};
use crate::popup::Popup;
use crate::wire::Wire;

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

pub async fn run(server_url: &str, context: Option<&str>, timeout: Duration) -> Result<(), Error> {
    let context: Value = match context {
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
    // The suite's servers are its own, on loopback: no URL policy.
    let wire = Wire::new(&crate::wire::Net::open(timeout))?;
    let mut connector = Connector::new(
        wire,
        server_url,
        // The suite's authorization server approves without pages: the HTTP popup follows its redirects.
        ConnectorConfig::new(
            REDIRECT_URI,
            RegistrationPlan {
                pre_registered,
                metadata_document_url: Some(SUITE_CIMD_URL.into()),
                client_name: "metabind-conformance".into(),
                // The suite's token-endpoint-auth scenarios check that a client follows the AS.
                ..Default::default()
            },
            None,
            Popup::http(),
        ),
    );
    let info = json!({ "name": "metabind-conformance", "version": env!("CARGO_PKG_VERSION") });
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
