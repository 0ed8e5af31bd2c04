//! The operator's routes: creating tenants and issuing or rotating their API keys, all behind
//! the operator token. Also the `demo` tenant a fresh server makes for itself, loaded with the
//! example network so that a new user can route an order with one request.

use std::path::Path;

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tracing::info;

use super::problem::{Json, Problem};
use super::tenants::NetworkBody;
use super::{AppState, OperatorAuth, new_secret};
use crate::files::load_network_dir;
use crate::store::Position;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 64 letters, digits, `-` or `_`.
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// A new tenant and its first credentials. The key and the webhook secret are shown only here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedTenant {
    pub id: String,
    pub name: String,
    pub api_key: String,
    /// The secret Shopify signs this tenant's webhooks with.
    pub webhook_secret: String,
}

/// Creates a tenant with an API key and a webhook secret.
#[utoipa::path(post, path = "/v1/tenants", tag = "operator",
    security(("operator_token" = [])),
    request_body = NewTenant,
    responses(
        (status = 201, body = CreatedTenant),
        (status = 401, body = Problem),
        (status = 409, body = Problem, description = "The tenant exists"),
        (status = 422, body = Problem),
    ))]
pub async fn create_tenant(
    _: OperatorAuth,
    State(state): State<AppState>,
    Json(body): Json<NewTenant>,
) -> Result<(StatusCode, axum::Json<CreatedTenant>), Problem> {
    if state.store.revision(&body.id).await?.is_some() {
        return Err(Problem::conflict(format!("tenant `{}` exists", body.id)).with_field("id"));
    }
    let name = if body.name.is_empty() {
        body.id.clone()
    } else {
        body.name
    };
    state
        .store
        .create_tenant(&body.id, &name)
        .await
        .map_err(|error| Problem::from(error).with_field("id"))?;
    let api_key = new_secret("sy");
    state.store.add_key(&body.id, &api_key, false).await?;
    let webhook_secret = new_secret("whsec");
    state
        .store
        .set_webhook_secret(&body.id, &webhook_secret)
        .await?;
    info!(tenant = %body.id, "tenant created");
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedTenant {
            id: body.id,
            name,
            api_key,
            webhook_secret,
        }),
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// Revoke the tenant's other keys in the same step. Default true.
    #[serde(default = "yes")]
    pub rotate: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    pub tenant: String,
    pub api_key: String,
    /// Whether the tenant's earlier keys were revoked.
    pub rotated: bool,
}

/// Issues a new API key for a tenant, by default revoking its others.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/keys", tag = "operator",
    security(("operator_token" = [])),
    params(("tenant_id" = String, Path)),
    request_body = NewKey,
    responses(
        (status = 201, body = IssuedKey),
        (status = 401, body = Problem),
        (status = 404, body = Problem),
    ))]
pub async fn issue_key(
    _: OperatorAuth,
    State(state): State<AppState>,
    UrlPath(tenant): UrlPath<String>,
    Json(body): Json<NewKey>,
) -> Result<(StatusCode, axum::Json<IssuedKey>), Problem> {
    let api_key = new_secret("sy");
    state.store.add_key(&tenant, &api_key, body.rotate).await?;
    state.forget_keys(&tenant);
    info!(tenant = %tenant, rotated = body.rotate, "API key issued");
    Ok((
        StatusCode::CREATED,
        axum::Json(IssuedKey {
            tenant,
            api_key,
            rotated: body.rotate,
        }),
    ))
}

/// The example network's files, built into the binary so that `serve` works anywhere.
const EXAMPLE_NETWORK: [(&str, &str); 6] = [
    (
        "nodes.json",
        include_str!("../../../examples/networks/us-retail/nodes.json"),
    ),
    (
        "services.json",
        include_str!("../../../examples/networks/us-retail/services.json"),
    ),
    (
        "rates.csv",
        include_str!("../../../examples/networks/us-retail/rates.csv"),
    ),
    (
        "skus.csv",
        include_str!("../../../examples/networks/us-retail/skus.csv"),
    ),
    (
        "inventory.csv",
        include_str!("../../../examples/networks/us-retail/inventory.csv"),
    ),
    (
        "policy.json",
        include_str!("../../../examples/networks/us-retail/policy.json"),
    ),
];

/// The tenant a fresh server makes for itself.
pub const DEMO_TENANT: &str = "demo";

/// Makes the `demo` tenant with the example network and its stock if it does not exist, and
/// keeps its API key in `demo-key` in the data directory.
pub async fn ensure_demo(state: &AppState, data_dir: &Path) -> anyhow::Result<()> {
    let key_file = data_dir.join("demo-key");
    if state.store.revision(DEMO_TENANT).await?.is_some() {
        info!(key_file = %key_file.display(), "demo tenant ready");
        return Ok(());
    }

    // The example network, written out where the user can look at it, and read back.
    let dir = data_dir.join("example-network");
    std::fs::create_dir_all(&dir)?;
    for (name, text) in EXAMPLE_NETWORK {
        std::fs::write(dir.join(name), text)?;
    }
    let loaded = load_network_dir(&dir)?;
    let (parts, policy) = NetworkBody::new(loaded.network.to_parts(), loaded.policy).split();
    let mut positions = Vec::new();
    for (node_index, node) in loaded.network.nodes().iter().enumerate() {
        for (sku_index, sku) in loaded.network.skus().iter().enumerate() {
            let position = loaded.stock.position(node_index, sku_index);
            if position == Default::default() {
                continue;
            }
            // The example's reserved units belong to no stored decision, so they are left out
            // of on hand instead.
            positions.push(Position {
                node: node.id.to_string(),
                sku: sku.id.to_string(),
                on_hand: position.on_hand.saturating_sub(position.reserved) as i64,
                reserved: 0,
                safety_stock: position.safety_stock as i64,
            });
        }
    }

    state
        .store
        .create_tenant(DEMO_TENANT, "Demo retailer (example network)")
        .await?;
    state
        .store
        .put_network(
            DEMO_TENANT,
            &serde_json::to_string(&parts)?,
            &serde_json::to_string(&policy)?,
        )
        .await?;
    state
        .store
        .replace_inventory(DEMO_TENANT, &positions)
        .await?;
    let key = new_secret("sy");
    state.store.add_key(DEMO_TENANT, &key, false).await?;
    state
        .store
        .set_webhook_secret(DEMO_TENANT, &new_secret("whsec"))
        .await?;
    std::fs::write(&key_file, format!("{key}\n"))
        .with_context(|| format!("cannot write {}", key_file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600))?;
    }
    info!(key_file = %key_file.display(), "demo tenant created with the example network");
    Ok(())
}
