//! A tenant's plugins through the API. Uploading keeps a version (named by its content hash)
//! after checking that it is a plugin this host can run; activating makes an ordered list of
//! versions with their configuration the live one; rolling back returns to the activation
//! before. All of it lives in the store, and every replica loads the live activation when it
//! sees the tenant's revision move, within a sync interval.

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use serde::Serialize;
use tracing::info;

use super::problem::{Json, Problem, body_bytes};
use super::tenants::{ActiveManifest, Tenant};
use super::{AppState, TenantAuth};
use crate::plugin::PluginStatus;
use crate::plugin::runtime::version_of;
use crate::store::{Activation, PluginVersion};

/// What the tenant's plugins are and how they are doing on this replica.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PluginsView {
    /// The live activation's revision; `None` when no plugins are active.
    pub revision: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub active: Option<ActiveManifest>,
    /// Every uploaded version, by name, newest first.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<PluginVersion>,
    /// Each live plugin on the replica that answered: version, state, calls, failures, fuel.
    #[schema(value_type = Vec<Object>)]
    pub status: Vec<PluginStatus>,
}

fn local_only(state: &AppState, tenant: &str) -> Result<(), Problem> {
    if state.tenants.has_local_plugins(tenant) {
        return Err(Problem::conflict(format!(
            "tenant `{tenant}` runs the plugins of a directory given to this server; change the \
             files there"
        )));
    }
    Ok(())
}

async fn view(state: &AppState, tenant: &Tenant) -> Result<PluginsView, Problem> {
    let active = state.store.active_plugins(&tenant.id).await?;
    let versions = state.store.plugin_versions(&tenant.id).await?;
    let (revision, active) = match active {
        Some(Activation { revision, manifest }) => (
            Some(revision),
            Some(serde_json::from_str(&manifest).map_err(Problem::internal)?),
        ),
        None => (None, None),
    };
    Ok(PluginsView {
        revision,
        active,
        versions,
        status: tenant
            .plugins
            .as_ref()
            .map(|set| set.status())
            .unwrap_or_default(),
    })
}

/// The tenant's plugin versions, its live activation and each plugin's status.
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins",
    security(("tenant_key" = [])),
    responses((status = 200, body = PluginsView)))]
pub async fn list_plugins(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<PluginsView>, Problem> {
    let live = state.tenants.get(&tenant).await?;
    view(&state, &live).await.map(axum::Json)
}

/// Uploads a plugin version: the body is the `.wasm` file. It is checked (interface version,
/// world, compile, link) before it is kept, and does not run until activated.
#[utoipa::path(put, path = "/v1/plugins/{name}", tag = "plugins",
    security(("tenant_key" = [])),
    params(("name" = String, Path, description = "The plugin's name in decisions and logs")),
    request_body(content = Vec<u8>, content_type = "application/wasm"),
    responses(
        (status = 201, body = Object, description = "Kept: name, version, kind"),
        (status = 413, body = Problem),
        (status = 422, body = Problem, description = "Not a plugin this host can run"),
    ))]
pub async fn upload_plugin(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<(StatusCode, axum::Json<PluginVersion>), Problem> {
    local_only(&state, &tenant)?;
    let valid_name = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_name {
        return Err(Problem::invalid(
            Some("name".into()),
            format!("plugin name `{name}` must be 1 to 64 letters, digits, - or _"),
        ));
    }
    let bytes = body_bytes(request, &state).await?;

    // Compiling is slow and blocking; it also fills the compile cache for activation.
    let runtime = state.tenants.runtime().clone();
    let checked = bytes.clone();
    let kind = tokio::task::spawn_blocking(move || runtime.check(&checked))
        .await
        .map_err(Problem::internal)?
        .map_err(|error| Problem::invalid(None, format!("plugin `{name}`: {error}")))?;
    let version = PluginVersion {
        version: version_of(&bytes),
        kind: kind.name().into(),
        name,
        uploaded_at: chrono::Utc::now().timestamp_millis(),
    };
    state
        .store
        .add_plugin_version(&tenant, &version, &bytes)
        .await?;
    info!(tenant = %tenant, plugin = %version.name, version = %version.version, "plugin uploaded");
    Ok((StatusCode::CREATED, axum::Json(version)))
}

/// Makes an ordered list of uploaded plugin versions, with their configuration, live on every
/// replica. Each is loaded and run against a sample decision with its configuration first; the
/// answer shows how each loaded on this replica.
#[utoipa::path(post, path = "/v1/plugins/activate", tag = "plugins",
    security(("tenant_key" = [])),
    request_body = ActiveManifest,
    responses(
        (status = 200, body = PluginsView),
        (status = 422, body = Problem, description = "An unknown plugin or version, or one that \
            does not load with its configuration"),
    ))]
pub async fn activate_plugins(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
    Json(mut manifest): Json<ActiveManifest>,
) -> Result<axum::Json<PluginsView>, Problem> {
    local_only(&state, &tenant)?;
    // The same checks as a plugins.json: names, limits, candidates.
    crate::plugin::Manifest {
        candidates: manifest.candidates,
        plugins: manifest
            .plugins
            .iter()
            .map(|plugin| crate::plugin::PluginEntry {
                name: plugin.name.clone(),
                file: None,
                config: plugin.config.clone(),
                on_failure: plugin.on_failure,
                limits: plugin.limits,
            })
            .collect(),
    }
    .check()
    .map_err(|message| Problem::invalid(None, message))?;

    // Every plugin names a stored version (the newest when none is given), and loads with its
    // configuration.
    let versions = state.store.plugin_versions(&tenant).await?;
    for (at, plugin) in manifest.plugins.iter_mut().enumerate() {
        let found = versions.iter().find(|stored| {
            stored.name == plugin.name
                && plugin
                    .version
                    .as_ref()
                    .is_none_or(|wanted| *wanted == stored.version)
        });
        let Some(found) = found else {
            let wanted = plugin.version.as_deref().unwrap_or("any version");
            return Err(Problem::invalid(
                Some(format!("plugins[{at}]")),
                format!("no upload of plugin `{}` ({wanted})", plugin.name),
            ));
        };
        plugin.version = Some(found.version.clone());
        let wasm = state
            .store
            .plugin_wasm(&tenant, &plugin.name, &found.version)
            .await?
            .ok_or_else(|| Problem::internal("a listed plugin version has no bytes"))?;
        let runtime = state.tenants.runtime().clone();
        let (name, config, limits) = (
            plugin.name.clone(),
            plugin.config.to_string(),
            plugin.limits,
        );
        tokio::task::spawn_blocking(move || {
            runtime.load(&name, &wasm, &config, limits).map(|_| ())
        })
        .await
        .map_err(Problem::internal)?
        .map_err(|error| {
            Problem::invalid(
                Some(format!("plugins[{at}]")),
                format!("plugin `{}` does not load: {error}", plugin.name),
            )
        })?;
    }

    let text = serde_json::to_string(&manifest).map_err(Problem::internal)?;
    let revision = state.store.activate_plugins(&tenant, &text).await?;
    info!(tenant = %tenant, revision, "plugins activated");
    let live = state.tenants.reload(&tenant).await?;
    view(&state, &live).await.map(axum::Json)
}

/// Rolls back the live activation: the one before it becomes live again (or no plugins, when
/// it was the first).
#[utoipa::path(post, path = "/v1/plugins/rollback", tag = "plugins",
    security(("tenant_key" = [])),
    responses(
        (status = 200, body = PluginsView),
        (status = 422, body = Problem, description = "Nothing is active"),
    ))]
pub async fn rollback_plugins(
    TenantAuth(tenant): TenantAuth,
    State(state): State<AppState>,
) -> Result<axum::Json<PluginsView>, Problem> {
    local_only(&state, &tenant)?;
    let now = state.store.rollback_plugins(&tenant).await?;
    info!(tenant = %tenant, revision = ?now.as_ref().map(|a| a.revision), "plugins rolled back");
    let live = state.tenants.reload(&tenant).await?;
    view(&state, &live).await.map(axum::Json)
}
