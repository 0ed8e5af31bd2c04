//! What the service counts, served at `/metrics` in the Prometheus text format: requests and
//! their latency, decisions by outcome and their latency, reservations, plugin calls with their
//! failures and fuel, and plugin reloads.
//!
//! One [`Metrics`] per server, in its own registry, so that servers started side by side in
//! one process (as the tests do) never mix their numbers.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::decision::{Decision, PluginOutcome};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route's pattern, such as `/v1/orders/{order_id}`, never the raw path.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub tenant: String,
    /// `routed`, `replayed`, `unfulfillable` or `quoted`; `invalid` for an order that cannot
    /// be routed as sent, `failed` when a fail-closed plugin failed or stock kept moving.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TenantLabels {
    pub tenant: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReservationLabels {
    pub tenant: String,
    /// `stored`, or `short` when stock moved before the reservation could be taken.
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    pub tenant: String,
    pub plugin: String,
    /// `ran`, `skipped` (failed, fail-open) or `failed` (failed, fail-closed: the decision
    /// failed with it).
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    pub tenant: String,
    /// `ok` or `failed`.
    pub outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RequestLabels, Histogram>,
    pub decisions: Family<DecisionLabels, Counter>,
    pub decision_seconds: Family<TenantLabels, Histogram>,
    pub reservations: Family<ReservationLabels, Counter>,
    pub reserved_units: Family<TenantLabels, Counter>,
    pub plugin_calls: Family<PluginLabels, Counter>,
    pub plugin_fuel: Family<PluginLabels, Counter>,
    pub plugin_reloads: Family<ReloadLabels, Counter>,
}

/// Latency buckets from 50 µs to 2.5 s.
fn latency_histogram() -> Histogram {
    Histogram::new([
        0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
        1.0, 2.5,
    ])
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("switchyard");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RequestLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> _,
        );
        let decisions = Family::<DecisionLabels, Counter>::default();
        let decision_seconds =
            Family::<TenantLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let reservations = Family::<ReservationLabels, Counter>::default();
        let reserved_units = Family::<TenantLabels, Counter>::default();
        let plugin_calls = Family::<PluginLabels, Counter>::default();
        let plugin_fuel = Family::<PluginLabels, Counter>::default();
        let plugin_reloads = Family::<ReloadLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            request_seconds.clone(),
        );
        registry.register("decisions", "Orders decided, by outcome", decisions.clone());
        registry.register(
            "decision_duration_seconds",
            "Time to decide an order, plugins included, storage excluded",
            decision_seconds.clone(),
        );
        registry.register(
            "reservations",
            "Attempts to store a decision with its reservations",
            reservations.clone(),
        );
        registry.register(
            "reserved_units",
            "Units reserved by stored decisions",
            reserved_units.clone(),
        );
        registry.register(
            "plugin_calls",
            "Plugin calls, by outcome",
            plugin_calls.clone(),
        );
        registry.register(
            "plugin_fuel_used",
            "WebAssembly instructions plugins used",
            plugin_fuel.clone(),
        );
        registry.register(
            "plugin_reloads",
            "Reloads of a tenant's plugins, by outcome",
            plugin_reloads.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            decisions,
            decision_seconds,
            reservations,
            reserved_units,
            plugin_calls,
            plugin_fuel,
            plugin_reloads,
        }
    }

    /// Counts what each plugin did in a decision.
    pub fn plugins_ran(&self, tenant: &str, decision: &Decision) {
        for run in &decision.plugins {
            let outcome = match run.outcome {
                PluginOutcome::Ran { .. } => "ran",
                PluginOutcome::Skipped { .. } => "skipped",
            };
            let labels = PluginLabels {
                tenant: tenant.to_string(),
                plugin: run.plugin.clone(),
                outcome,
            };
            self.plugin_calls.get_or_create(&labels).inc();
            self.plugin_fuel
                .get_or_create(&labels)
                .inc_by(run.fuel_used);
        }
    }

    /// Counts a fail-closed plugin's failure, which fails its decision.
    pub fn plugin_failed(&self, tenant: &str, plugin: &str) {
        self.plugin_calls
            .get_or_create(&PluginLabels {
                tenant: tenant.to_string(),
                plugin: plugin.to_string(),
                outcome: "failed",
            })
            .inc();
    }

    pub fn decided(&self, tenant: &str, outcome: &'static str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                tenant: tenant.to_string(),
                outcome,
            })
            .inc();
    }

    pub fn reloaded(&self, tenant: &str, ok: bool) {
        self.plugin_reloads
            .get_or_create(&ReloadLabels {
                tenant: tenant.to_string(),
                outcome: if ok { "ok" } else { "failed" },
            })
            .inc();
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
