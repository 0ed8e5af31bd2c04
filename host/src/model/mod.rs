//! The domain model: what a retailer's network looks like and what an order asks for.
//!
//! - [`Node`]: a place that ships (warehouse, store, 3PL, drop-ship vendor).
//! - [`Sku`]: a product with weight, dimensions and tags.
//! - [`Stock`]: live inventory positions and how many orders each node took today.
//! - [`CarrierService`]: a carrier's service with its rate card and transit days by zone.
//! - [`Order`]: what the OMS sends, with its delivery promise.
//! - [`TenantPolicy`]: the tenant's splitting and cost rules, per customer tier.
//! - [`Network`]: nodes, SKUs and services checked against each other and indexed for routing.
//!
//! Money is [`Cents`], weights are grams and lengths millimetres throughout.

mod carrier;
mod money;
mod network;
mod node;
mod order;
mod policy;
mod sku;
mod stock;

pub use carrier::{CarrierService, RateCard, ServiceLevel, ZONES};
pub use money::Cents;
pub use network::{Network, NetworkError, NetworkParts, Problem};
pub use node::{Labor, Node, NodeKind, PickupCutoff};
pub use order::{Customer, Order, OrderLine, ShipTo};
pub use policy::{CapacityPressure, PolicyOverride, RoutingPolicy, TenantPolicy};
pub use sku::Sku;
pub use stock::{Stock, StockPosition};

/// Identifiers of nodes, SKUs, services and orders. Shared rather than copied, because every
/// decision names many of them.
pub type Id = std::sync::Arc<str>;
