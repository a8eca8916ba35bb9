//! `POST /oauth/revoke` (RFC 7009): a refresh token revokes its grant, an access token only itself; the
//! answer is 200 whether or not the token was known.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::access::revoke_unless_faulty;
use crate::domain::lock::lock;
use crate::fault::Fault;
use crate::oauth::client::authenticate_client;
use crate::oauth::error::OAuthError;
use crate::oauth::params::{form, param};
use crate::state::AppState;

/// RFC 7009: answers 200 whether or not the token was known.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: String) -> Response {
    let result = async {
        let params = form(&headers, &body)?;
        let client = authenticate_client(&state, &headers, &params).await?;
        let token = param(&params, "token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let mut data = lock(&state.oauth);
        let grant_of_refresh = data.refresh_tokens.get(token).map(|t| t.grant_id.clone());
        let grant_of_access = data.access_tokens.get(token).map(|t| t.grant_id.clone());
        let grant_id = grant_of_refresh.clone().or(grant_of_access.clone());
        if let Some(grant_id) = grant_id {
            let owner = data.grants.get(&grant_id).map(|g| g.client_id.clone());
            if owner.as_deref() != Some(client.client_id.as_str()) {
                return Err(OAuthError::new(
                    "unauthorized_client",
                    "the token was issued to another client",
                ));
            }
            if grant_of_refresh.is_some() {
                revoke_unless_faulty(&state, &mut data, &grant_id);
            } else if !state.faults().has(Fault::RevocationIgnored) {
                data.access_tokens.remove(token);
            }
        }
        Ok(StatusCode::OK.into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}
