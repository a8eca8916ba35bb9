//! A host's Client ID Metadata Document, served on loopback so an authorization server that supports
//! CIMD can fetch it (the reference server does so for loopback URLs behind `--allow-loopback-cimd`).
//! The document's URL is the client id.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// A loopback site serving `/clients/<host id>.json` for each registered host.
pub struct ClientMetadataSite {
    base_url: String,
    server: JoinHandle<()>,
}

impl Drop for ClientMetadataSite {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// (client name, redirect URI) per host id.
type Documents = Arc<BTreeMap<String, (String, String)>>;

async fn document(
    State((base, docs)): State<(String, Documents)>,
    Path(file): Path<String>,
) -> Response {
    let Some(id) = file.strip_suffix(".json") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((name, redirect_uri)) = docs.get(id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let body: Value = json!({
        "client_id": format!("{base}/clients/{id}.json"),
        "client_name": name,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    axum::Json(body).into_response()
}

impl ClientMetadataSite {
    /// Starts the site for `hosts`: (host id, client name, redirect URI).
    pub async fn start(hosts: &[(&str, &str, &str)]) -> std::io::Result<ClientMetadataSite> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let docs: Documents = Arc::new(
            hosts
                .iter()
                .map(|(id, name, redirect)| {
                    (id.to_string(), (name.to_string(), redirect.to_string()))
                })
                .collect(),
        );
        let app = axum::Router::new()
            .route("/clients/{file}", axum::routing::get(document))
            .with_state((base_url.clone(), docs));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(ClientMetadataSite { base_url, server })
    }

    pub fn document_url(&self, host_id: &str) -> String {
        format!("{}/clients/{host_id}.json", self.base_url)
    }
}
