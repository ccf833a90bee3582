//! Pushes and uploads: Pyroscope's push API over Connect (binary protobuf or JSON, gzipped or
//! not) and its legacy `/ingest` form (a raw body or a multipart form), each checked as a
//! whole by `oxprof_store::ingest` and stored in one transaction, or refused with a 4xx and
//! nothing stored.

use oxprof_push::proto::PushRequest;
use oxprof_store::ingest::{self, Legacy, Limits};
use oxprof_store::multipart;
use oxprof_store::{time::now_nanos, Store};
use prost::Message;
use serde_json::{json, Value};

use super::{status_of, text, Request, MAX_BODY};
use crate::web::app::Answer;

/// The most a gzipped push may inflate to.
const MAX_INFLATED: u64 = 4 * MAX_BODY;

/// A Connect error: the HTTP status, and `{"code": ..., "message": ...}` with Connect's code
/// for it.
pub(super) fn connect_error(status: u16, message: &str) -> Answer {
    let code = match status {
        400 => "invalid_argument",
        401 => "unauthenticated",
        403 => "permission_denied",
        404 => "unimplemented",
        413 => "resource_exhausted",
        415 => "invalid_argument",
        _ => "internal",
    };
    Answer {
        status,
        content_type: "application/json",
        body: json!({ "code": code, "message": message })
            .to_string()
            .into_bytes(),
    }
}

/// `POST /push.v1.PusherService/Push`.
pub(super) fn push(store: &Store, request: &Request) -> Answer {
    let content_type = media_type(request.header("content-type"));
    let json = match content_type.as_str() {
        "application/proto" | "application/protobuf" | "application/x-protobuf" => false,
        "application/json" => true,
        "" => {
            return connect_error(
                415,
                "no Content-Type: send application/proto or application/json",
            )
        }
        other => {
            return connect_error(
                415,
                &format!(
                "Content-Type {other} is not supported: send application/proto or application/json"
            ),
            )
        }
    };
    let body = match request.header("content-encoding").map(str::trim) {
        None | Some("" | "identity") => request.body.clone(),
        Some("gzip") if request.body.starts_with(&[0x1f, 0x8b]) => {
            match ingest::inflate(&request.body, MAX_INFLATED) {
                Ok(body) => body,
                Err(e) => return connect_error(status_of(&e), &format!("body: {e}")),
            }
        }
        Some("gzip") => {
            return connect_error(400, "the body is not gzip data, as Content-Encoding says")
        }
        Some(other) => {
            return connect_error(
                415,
                &format!("Content-Encoding {other} is not supported: send gzip or identity"),
            )
        }
    };
    let decoded = if json {
        ingest::push_from_json(&body).map_err(|e| e.to_string())
    } else {
        PushRequest::decode(body.as_slice())
            .map_err(|e| format!("the body is not a push.v1.PushRequest: {e}"))
    };
    let pushed = match decoded {
        Ok(pushed) => pushed,
        Err(message) => return connect_error(400, &message),
    };
    let stored = ingest::from_push(pushed, now_nanos(), &Limits::default())
        .and_then(|items| store.insert(&items));
    match stored {
        Ok(()) if json => Answer {
            status: 200,
            content_type: "application/json",
            body: b"{}".to_vec(),
        },
        Ok(()) => Answer {
            status: 200,
            content_type: "application/proto",
            body: Vec::new(),
        },
        Err(e) => connect_error(status_of(&e), &e.to_string()),
    }
}

/// The type of a `Content-Type` value, lowercased, without parameters.
fn media_type(value: Option<&str>) -> String {
    value
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// `POST /ingest?name=app{k=v}&from=..&until=..&format=..`: a raw body, or a multipart form
/// with `profile` and optional `sample_type_config` parts.
pub(super) fn legacy(store: &Store, request: &Request) -> Answer {
    let params = match crate::web::query::decode(&request.query) {
        Ok(params) => params,
        Err(e) => return text(400, &format!("{e:#}")),
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let Some(name) = param("name") else {
        return text(
            400,
            "the name parameter is required: name=app{label=value,...}",
        );
    };
    let mut query = Legacy {
        name,
        from: param("from"),
        until: param("until"),
        format: param("format"),
        sample_rate: param("sampleRate"),
        spy_name: param("spyName"),
        block: false,
    };
    let content_type = request.header("content-type").unwrap_or_default();
    let form;
    let body: &[u8] = if media_type(Some(content_type)) == "multipart/form-data" {
        form = match multipart::parse(&request.body, content_type) {
            Ok(parts) => parts,
            Err(e) => return text(400, &format!("bad multipart body: {e}")),
        };
        if form.iter().any(|p| p.name == "prev_profile") {
            return text(
                400,
                "prev_profile is not supported (unsupported client version): send deltas",
            );
        }
        if let Some(config) = form.iter().find(|p| p.name == "sample_type_config") {
            match block_display_names(config.data) {
                Ok(block) => query.block = block,
                Err(e) => return text(400, &e),
            }
        }
        query.format = Some("pprof");
        match form.iter().find(|p| p.name == "profile") {
            Some(part) => part.data,
            None => return text(400, "the form has no \"profile\" part"),
        }
    } else {
        &request.body
    };
    let stored = ingest::from_legacy(&query, body, now_nanos(), &Limits::default())
        .and_then(|items| store.insert(&items));
    match stored {
        Ok(()) => Answer {
            status: 200,
            content_type: "text/plain; charset=utf-8",
            body: Vec::new(),
        },
        Err(e) => text(status_of(&e), &e.to_string()),
    }
}

/// Whether a `sample_type_config` gives block display names (`block_count`...), which makes
/// `contentions`/`delay` a block profile.
fn block_display_names(config: &[u8]) -> Result<bool, String> {
    let value: Value = serde_json::from_slice(config)
        .map_err(|e| format!("sample_type_config is not JSON: {e}"))?;
    let Value::Object(types) = value else {
        return Err("sample_type_config is not a JSON object".into());
    };
    Ok(types.values().any(|t| {
        t.get("display-name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with("block"))
    }))
}
