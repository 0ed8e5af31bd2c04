//! Switchyard decides which node ships which lines of an order, with which carrier service, at
//! the lowest total cost that keeps the delivery promise, and explains the decision.
//!
//! The flow of one order, and the module for each step:
//!
//! - [`model`]: the network (nodes, SKUs, carrier services), live stock, orders and policy.
//! - [`geo`] and [`calendar`]: zones from the USPS chart, and ship and delivery dates.
//! - [`optimizer`]: order in, candidate shipments priced, exact search, decision out.
//! - [`rules`] and [`plugin`]: the tenant's constraint and scorer plugins, which judge the
//!   optimizer's candidate plans inside a sandbox.
//! - [`baseline`]: the static rules the optimizer is measured against.
//! - [`decision`] and [`rationale`]: the answer, its cost breakdown and its explanation.
//! - [`files`]: reading a network directory and orders from disk.
//! - [`store`]: durable state in SQLite or PostgreSQL: tenants, keys, stock, decisions and
//!   their reservations.
//! - [`simulate`]: strategies side by side on a stream of orders over days: what cost-based
//!   routing saves, and what a rule change would do, measured.
//! - [`synth`]: larger networks built from real geography, for benchmarks.
//! - [`server`]: `switchyard serve`, the HTTP service: tenants, networks, inventory, routing
//!   with durable reservations, plugins through the API, metrics.
//! - [`cli`]: the `switchyard` command line.

pub mod baseline;
pub mod calendar;
pub mod cli;
pub mod decision;
pub mod files;
pub mod geo;
pub mod model;
pub mod optimizer;
pub mod plugin;
pub mod rationale;
pub mod rules;
pub mod server;
pub mod simulate;
pub mod store;
pub mod synth;

/// The process's allocator. A routing decision and, above all, a plugin call make many short-lived
/// allocations (a fresh plugin store, the decision converted for it, the answers); with mimalloc
/// a plugin call took 5 to 13% less time than with the system allocator, measured with the
/// plugin benchmark (docs/benchmarks.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub use decision::Decision;
pub use optimizer::{RouteError, route, route_with};
