//! A project's tools as the studio edits them: live edits of title, description and annotations (both
//! environments), test control of a tool's behaviour, and saving or deleting a draft tool.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::admin::error::{AdminError, AdminResult};
use crate::admin::extract::{authorize, body};
use crate::admin::projects::{tools_changed, with_project};
use crate::domain::world::Tool;
use crate::fault::Fault;
use crate::fixture::{BehaviourDef, Environment, TaskSupport};
use crate::state::AppState;

/// The fields that are live in both environments without a publish (package-versioning guide).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LiveToolEdit {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    /// Absent: unchanged; `null`: removed (the tool is listed without annotations); an object: replaced.
    #[serde(default, deserialize_with = "present_or_null")]
    annotations: Option<Option<Value>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`, through `#[serde(default)]`).
fn present_or_null<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Value>>, D::Error> {
    Option::<Value>::deserialize(deserializer).map(Some)
}

pub(crate) async fn edit_tool_live(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<LiveToolEdit>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let edit = body(payload)?;
    if let Some(Some(a)) = &edit.annotations {
        if !a.is_object() {
            return Err(AdminError::BadRequest(
                "annotations must be an object or null".into(),
            ));
        }
    }
    // Live in both environments; the fault treats these edits like any other draft change.
    let environments: &[Environment] = if state.faults().has(Fault::AnnotationEditsNeedPublish) {
        &[Environment::Draft]
    } else {
        &[Environment::Draft, Environment::Production]
    };
    let environments = with_project(&state, &org, &project, |p| {
        let exists = p.draft.iter().chain(&p.production).any(|t| t.name == tool);
        let mut touched = Vec::new();
        for &env in environments {
            if let Some(t) = p.tools_mut(env).iter_mut().find(|t| t.name == tool) {
                if let Some(title) = &edit.title {
                    t.title = Some(title.clone());
                }
                if let Some(d) = &edit.description {
                    t.description = Some(d.clone());
                }
                if let Some(a) = &edit.annotations {
                    t.annotations = a.clone();
                }
                touched.push(env.as_str());
            }
        }
        if !exists {
            return Err(AdminError::NotFound(format!(
                "no tool {tool} in {org}/{project}"
            )));
        }
        Ok(touched)
    })?;
    tools_changed(&state, &org, &project);
    Ok(Json(json!({ "tool": tool, "environments": environments })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BehaviourEdit {
    #[serde(default)]
    duration_ms: Option<u64>,
    #[serde(default)]
    fail: Option<bool>,
}

/// Test control of a tool's behaviour (run time, failure) in both environments.
pub(crate) async fn edit_behaviour(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<BehaviourEdit>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let edit = body(payload)?;
    let behaviour = with_project(&state, &org, &project, |p| {
        let mut last = None;
        for env in [Environment::Draft, Environment::Production] {
            if let Some(t) = p.tools_mut(env).iter_mut().find(|t| t.name == tool) {
                if let Some(d) = edit.duration_ms {
                    t.behaviour.duration_ms = d;
                }
                if let Some(f) = edit.fail {
                    t.behaviour.fail = f;
                }
                last = Some(t.behaviour.clone());
            }
        }
        last.ok_or_else(|| AdminError::NotFound(format!("no tool {tool} in {org}/{project}")))
    })?;
    Ok(Json(json!({ "tool": tool, "behaviour": behaviour })).into_response())
}

/// A tool as saved in the draft (the studio's Save): everything but the name, which is in the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DraftTool {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    annotations: Option<Value>,
    input_schema: Value,
    #[serde(default)]
    output_schema: Option<Value>,
    #[serde(default)]
    task_support: Option<TaskSupport>,
    #[serde(default)]
    meta: Option<Value>,
    behaviour: BehaviourDef,
}

pub(crate) async fn save_draft_tool(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
    payload: Result<Json<DraftTool>, JsonRejection>,
) -> AdminResult {
    authorize(&state, &headers)?;
    let def = body(payload)?;
    if def.input_schema.get("type").and_then(Value::as_str) != Some("object") {
        return Err(AdminError::BadRequest(
            "input_schema must be a JSON Schema with type \"object\"".into(),
        ));
    }
    if jsonschema::validator_for(&def.input_schema).is_err() {
        return Err(AdminError::BadRequest(
            "input_schema is not a valid JSON Schema".into(),
        ));
    }
    if let Some(output) = &def.output_schema {
        if output.get("type").and_then(Value::as_str) != Some("object")
            || jsonschema::validator_for(output).is_err()
        {
            return Err(AdminError::BadRequest(
                "output_schema must be a valid JSON Schema with type \"object\"".into(),
            ));
        }
    }
    if tool.is_empty()
        || !tool
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
    {
        return Err(AdminError::BadRequest(format!(
            "invalid tool name {tool:?}"
        )));
    }
    let new_tool = Tool {
        name: tool.clone(),
        title: def.title,
        description: def.description,
        annotations: def.annotations,
        input_schema: def.input_schema,
        output_schema: def.output_schema,
        task_support: def.task_support,
        meta: def.meta,
        behaviour: def.behaviour,
    };
    let created = with_project(&state, &org, &project, |p| {
        match p.draft.iter_mut().find(|t| t.name == tool) {
            Some(existing) => {
                *existing = new_tool;
                Ok(false)
            }
            None => {
                p.draft.push(new_tool);
                Ok(true)
            }
        }
    })?;
    tools_changed(&state, &org, &project);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(json!({ "tool": tool, "environment": "draft" })),
    )
        .into_response())
}

pub(crate) async fn delete_draft_tool(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((org, project, tool)): Path<(String, String, String)>,
) -> AdminResult {
    authorize(&state, &headers)?;
    with_project(&state, &org, &project, |p| {
        let before = p.draft.len();
        p.draft.retain(|t| t.name != tool);
        if p.draft.len() == before {
            return Err(AdminError::NotFound(format!("no draft tool {tool}")));
        }
        Ok(())
    })?;
    tools_changed(&state, &org, &project);
    Ok(StatusCode::NO_CONTENT.into_response())
}
