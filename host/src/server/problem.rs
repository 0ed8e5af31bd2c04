//! Errors at the HTTP edge, as RFC 9457 problem details (`application/problem+json`), and the
//! JSON body extractor that names the field at fault.
//!
//! Every handler returns `Result<_, Problem>`. Client mistakes are 4xx with a title, a detail
//! that says what is wrong, and for validation errors the path of the field. Server faults are
//! logged with their cause and answered with a bare 500 whose details never reach the client.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::error;

use crate::store::StoreError;

/// The largest body most routes read: an order or an event is a few kilobytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The largest body of the routes that take a whole network or a plugin.
pub const LARGE_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// A problem details object.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[schema(value_type = u16)]
    #[serde(serialize_with = "status_code")]
    pub status: StatusCode,
    pub detail: String,
    /// The request field at fault, as a path such as `lines[2].sku`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

fn status_code<S: serde::Serializer>(
    status: &StatusCode,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_u16(status.as_u16())
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://switchyard.dev/problems/{slug}"),
            title: title.into(),
            status,
            detail: detail.into(),
            field: None,
        }
    }

    /// A request that is well-formed but wrong: 422 with the field at fault.
    pub fn invalid(field: Option<String>, detail: impl Into<String>) -> Problem {
        Problem {
            field,
            ..Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "The request is not valid",
                detail,
            )
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Not authorized",
            detail,
        )
    }

    /// A server fault: logged here with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> Problem {
        error!(cause = %cause, "request failed");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the server failed to handle the request; the error is in its log",
        )
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Problem {
        match error {
            StoreError::Invalid(message) => Problem::invalid(None, message),
            StoreError::UnknownTenant(tenant) => {
                Problem::not_found(format!("there is no tenant `{tenant}`"))
            }
            other => Problem::internal(other),
        }
    }
}

/// A JSON request body, read up to the route's body limit ([`BODY_LIMIT`] unless raised). Malformed JSON is a 400 and a value
/// of the wrong shape a 422, each naming the field path and the problem.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let bytes = body_bytes(request, state).await?;
        parse(&bytes).map(Json)
    }
}

/// Parses JSON into `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let field = (path != ".").then_some(path);
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => Problem::invalid(field, inner.to_string()),
            _ => Problem::bad_request(format!("the body is not valid JSON: {inner}")),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| Problem::bad_request(format!("the body is not valid JSON: {error}")))?;
    Ok(value)
}

/// Reads a request body, turning the body limit into a 413 problem.
pub async fn body_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, Problem> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    status,
                    "too-large",
                    "Request body too large",
                    "the body is larger than this route accepts",
                )
            } else {
                Problem::new(status, "bad-body", "Unreadable body", rejection.body_text())
            }
        })
}

/// The answer to a route that does not exist.
pub async fn no_such_route() -> Problem {
    Problem::not_found("no such route; GET /openapi.json lists them")
}
