//! `switchyard serve`: the HTTP service the OMS and operators call.
//!
//! A request goes through these pieces, each in its own module:
//!
//! - this module builds the router ([`app`]), checks who is calling (an operator token, or a
//!   tenant's API key), serves health, readiness, metrics and the OpenAPI document, and runs the
//!   server ([`serve`]) with the store sync loop beside it;
//! - [`operator`]: creating tenants and issuing their keys;
//! - [`setup`]: a tenant's network, inventory snapshots and inventory events;
//! - [`orders`]: routing (decide, then reserve in the store), quoting, reading, cancelling and
//!   confirming orders;
//! - [`plugins`]: uploading, listing, activating and rolling back a tenant's plugins;
//! - [`webhook`]: Shopify's `orders/create` webhook, signature checked, routed like any order;
//! - [`tenants`]: each replica's cached copy of its tenants, kept fresh from the store;
//! - [`problem`] and [`metrics`]: errors as problem details, and the Prometheus counters.

pub mod metrics;
pub mod operator;
pub mod orders;
pub mod plugins;
pub mod problem;
pub mod setup;
pub mod tenants;
pub mod webhook;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tracing::{Span, info, info_span, warn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::plugin::{Runtime, RuntimeOptions};
use crate::store::Store;
use metrics::{Metrics, RequestLabels};
use problem::Problem;
use tenants::Tenants;

/// How `switchyard serve` runs.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    /// Holds the SQLite database (unless `database_url` is given), the operator token, the
    /// example tenant's key, and this process's copies of tenants' plugins.
    pub data_dir: PathBuf,
    /// `postgres://...` to share state between replicas; the data directory's SQLite file
    /// otherwise.
    pub database_url: Option<String>,
    /// The operator token; read from the data directory, or made there, when absent.
    pub operator_token: Option<String>,
    /// Tenants whose plugins come from a local directory, hot-reloaded, instead of the API.
    pub local_plugins: Vec<(String, PathBuf)>,
    /// Where compiled plugins are cached.
    pub plugin_cache: Option<PathBuf>,
    /// How often each replica checks the store for changed tenants and fresh stock.
    pub sync_interval: Duration,
    /// Create the `demo` tenant with the example network on an empty database.
    pub demo: bool,
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Shared>,
}

pub struct Shared {
    pub store: Store,
    pub tenants: Tenants,
    pub metrics: Arc<Metrics>,
    /// SHA-256 of the operator token.
    operator_token: [u8; 32],
    /// API keys seen lately, by hash, with their tenant: most requests then need no key lookup
    /// in the store. An entry lives [`KEY_CACHE_TTL`], so a key rotated on another replica
    /// stops working here within that time.
    keys: Mutex<HashMap<[u8; 32], (String, Instant)>>,
    /// False once shutdown begins, so `/readyz` steers load balancers away.
    ready: std::sync::atomic::AtomicBool,
}

/// How long a replica trusts an API key it has checked.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.inner
    }
}

impl AppState {
    pub fn new(
        store: Store,
        tenants: Tenants,
        metrics: Arc<Metrics>,
        operator_token: &str,
    ) -> AppState {
        AppState {
            inner: Arc::new(Shared {
                store,
                tenants,
                metrics,
                operator_token: Sha256::digest(operator_token.as_bytes()).into(),
                keys: Mutex::new(HashMap::new()),
                ready: std::sync::atomic::AtomicBool::new(true),
            }),
        }
    }

    /// Forgets the cached keys of a tenant, after its keys change on this replica.
    pub fn forget_keys(&self, tenant: &str) {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.retain(|_, (owner, _)| owner != tenant);
    }
}

/// A new random secret: 32 bytes, URL-safe base64, after a prefix that says what it is.
pub fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "{prefix}_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// A request made with the operator token.
pub struct OperatorAuth;

impl FromRequestParts<AppState> for OperatorAuth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts).ok_or_else(|| {
            Problem::unauthorized("send the operator token as `Authorization: Bearer <token>`")
        })?;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        // Comparing digests: timing says nothing about the token itself.
        if hash != state.operator_token {
            return Err(Problem::unauthorized("the operator token is not valid"));
        }
        Ok(OperatorAuth)
    }
}

/// The tenant whose API key made the request.
pub struct TenantAuth(pub String);

impl FromRequestParts<AppState> for TenantAuth {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let key = bearer(parts).ok_or_else(|| {
            Problem::unauthorized("send the tenant's API key as `Authorization: Bearer <key>`")
        })?;
        let hash: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let cached = {
            let keys = state.keys.lock().unwrap_or_else(|p| p.into_inner());
            keys.get(&hash)
                .filter(|(_, checked)| checked.elapsed() < KEY_CACHE_TTL)
                .map(|(tenant, _)| tenant.clone())
        };
        let tenant = match cached {
            Some(tenant) => tenant,
            None => {
                let tenant = state
                    .store
                    .tenant_for_key(key)
                    .await?
                    .ok_or_else(|| Problem::unauthorized("the API key is not valid"))?;
                let mut keys = state.keys.lock().unwrap_or_else(|p| p.into_inner());
                keys.insert(hash, (tenant.clone(), Instant::now()));
                tenant
            }
        };
        Span::current().record("tenant", tenant.as_str());
        Ok(TenantAuth(tenant))
    }
}

/// The router with every route, and the OpenAPI document that describes exactly those routes.
pub fn app(state: AppState) -> Router {
    let (router, mut openapi) = OpenApiRouter::new()
        .routes(routes!(operator::create_tenant))
        .routes(routes!(operator::issue_key))
        .routes(large(routes!(setup::put_network, setup::get_network)))
        .routes(routes!(setup::put_inventory, setup::get_inventory))
        .routes(routes!(setup::post_event))
        .routes(routes!(orders::route_order))
        .routes(routes!(orders::quote_order))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(orders::ship_order))
        .routes(routes!(plugins::list_plugins))
        .routes(large(routes!(plugins::upload_plugin)))
        .routes(routes!(plugins::activate_plugins))
        .routes(routes!(plugins::rollback_plugins))
        .routes(routes!(webhook::shopify_orders_create))
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics_text))
        .split_for_parts();
    openapi.info = utoipa::openapi::InfoBuilder::new()
        .title("Switchyard")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Order routing: tenants, networks, inventory, decisions with reservations, plugins.",
        ))
        .license(Some(
            utoipa::openapi::LicenseBuilder::new()
                .name("Apache-2.0")
                .identifier(Some("Apache-2.0"))
                .build(),
        ))
        .build();
    let components = openapi.components.get_or_insert_with(Default::default);
    for name in ["tenant_key", "operator_token"] {
        components.add_security_scheme(
            name,
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
    let document = Arc::new(openapi);

    router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { Json(document.as_ref().clone()) }
            }),
        )
        .fallback(problem::no_such_route)
        .layer(DefaultBodyLimit::max(problem::BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                Problem::internal("a handler panicked").into_response()
            },
        ))
        .with_state(state)
}

/// Routes that take a whole network or a plugin file read up to [`problem::LARGE_BODY_LIMIT`].
fn large(
    (schemas, paths, router): utoipa_axum::router::UtoipaMethodRouter<AppState>,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        router.layer(DefaultBodyLimit::max(problem::LARGE_BODY_LIMIT)),
    )
}

/// The span and the request metrics around every request.
async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |path| path.as_str())
        .to_string();
    let method = request.method().to_string();
    let span = info_span!(
        "request",
        method = %method,
        route = %route,
        tenant = tracing::field::Empty,
        order_id = tracing::field::Empty,
    );
    let started = Instant::now();
    let response = tracing::Instrument::instrument(next.run(request), span).await;
    let labels = RequestLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .request_seconds
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    response
}

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, description = "The process is up")))]
async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready for traffic: the database answers and the server is not shutting down.
#[utoipa::path(get, path = "/readyz", tag = "service", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "Not ready", body = Problem),
))]
async fn readyz(State(state): State<AppState>) -> Result<&'static str, Problem> {
    if !state.ready.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            "Shutting down",
            "the server is draining its last requests",
        ));
    }
    state.store.ping().await.map_err(|error| {
        warn!(cause = %error, "readiness check: the database does not answer");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "database-down",
            "Database unavailable",
            "the database does not answer",
        )
    })?;
    Ok("ready\n")
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics_text(State(state): State<AppState>) -> Response {
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// Runs the service until Ctrl-C or SIGTERM.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    std::fs::create_dir_all(&options.data_dir).with_context(|| {
        format!(
            "cannot create data directory {}",
            options.data_dir.display()
        )
    })?;

    // The database, migrated.
    let url = match &options.database_url {
        Some(url) => url.clone(),
        None => format!(
            "sqlite://{}",
            options.data_dir.join("switchyard.db").display()
        ),
    };
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&url)))?;
    info!(database = %redact(&url), "database ready");

    // The operator token.
    let operator_token = match &options.operator_token {
        Some(token) => token.clone(),
        None => secret_file(&options.data_dir.join("operator-token"), "op")?,
    };

    // The plugin runtime, and this process's own directory for tenants' plugins.
    let runtime_options = match &options.plugin_cache {
        Some(dir) => RuntimeOptions {
            cache_dir: Some(dir.clone()),
        },
        None => RuntimeOptions {
            cache_dir: Some(options.data_dir.join("plugin-cache")),
        },
    };
    let runtime = Runtime::new(runtime_options).context("failed to start the plugin runtime")?;
    let replicas = options.data_dir.join("replicas");
    std::fs::create_dir_all(&replicas)?;
    let plugin_root = tempfile::Builder::new()
        .prefix("replica-")
        .tempdir_in(&replicas)
        .context("cannot make this process's plugin directory")?;
    let metrics = Arc::new(Metrics::new());
    let tenants = Tenants::new(
        store.clone(),
        runtime,
        metrics.clone(),
        plugin_root.path().to_path_buf(),
        &options.local_plugins,
    )?;
    let state = AppState::new(store.clone(), tenants, metrics, &operator_token);

    if options.demo {
        operator::ensure_demo(&state, &options.data_dir).await?;
    }

    // Keep this replica in step with the store.
    let syncing = state.clone();
    let interval = options.sync_interval;
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(problem) = syncing.tenants.sync().await {
                warn!(cause = %problem.detail, "store sync failed");
            }
        }
    });

    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let address = listener.local_addr()?;
    // Tests and scripts read this line to find the port.
    println!("listening on http://{address}");
    info!(%address, "listening");
    let shutting_down = state.clone();
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            shutting_down
                .ready
                .store(false, std::sync::atomic::Ordering::Relaxed);
            info!("shutting down");
        })
        .await?;
    drop(plugin_root);
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// A secret kept in a file of the data directory: read if there, made if not. The file is
/// readable by its owner only.
fn secret_file(path: &Path, prefix: &str) -> anyhow::Result<String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let secret = text.trim().to_string();
        if !secret.is_empty() {
            return Ok(secret);
        }
    }
    let secret = new_secret(prefix);
    std::fs::write(path, format!("{secret}\n"))
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    info!(file = %path.display(), "made a new secret");
    Ok(secret)
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
