//! The simulator: strategies side by side on the same stream of orders over days of a network's
//! life, so that what cost-based routing saves, and what a rule change does, is measured rather
//! than claimed.
//!
//! A run goes through these steps, each in its own module:
//!
//! - [`demand`] draws the order stream (population-weighted destinations, Zipf SKU popularity,
//!   multi-line orders, service levels, VIPs, peak days) or replays a file of real orders.
//! - [`dynamics`] sets stocking levels to the demand and keeps each strategy's network state:
//!   reservations, shipments leaving, scheduled replenishment, capacity reset each day.
//! - This module runs every strategy (a *lane*) over the whole stream on its own copy of the
//!   state, the lanes in parallel threads; each lane is sequential, so a run is deterministic.
//! - [`figures`] tallies each lane's costs, splits, promise keeping, delivery days and node use.
//! - [`shadow`] compares a candidate rule set with the current one decision by decision.
//! - [`report`] and [`html`] present the result as a terminal table, JSON and an HTML page.
//!
//! The static baselines run exactly as [`crate::baseline`] defines them, with the same policy
//! and on the same stock as the optimizer. Decisions are asked for without runner-up plans,
//! since the simulator reads only the chosen plan; this changes no choice.

pub mod command;
pub mod demand;
pub mod dynamics;
pub mod figures;
pub mod html;
pub mod report;
pub mod shadow;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use thiserror::Error;

use crate::decision::Decision;
use crate::model::{Cents, Id, Network, Order, Stock, TenantPolicy};
use crate::optimizer::{OrderContext, RouteError};
use crate::rules::Rules;
pub use demand::{DemandModel, Stream, StreamOrder};
pub use dynamics::{NetworkState, Replenishment};
pub use figures::Figures;
use shadow::ShadowLog;

/// Why a simulation could not run.
#[derive(Debug, Error)]
pub enum SimulateError {
    /// A parameter out of range, by its command-line flag.
    #[error("{flag}: {message}")]
    Parameter { flag: String, message: String },
    /// A replay file that cannot be read, or an order in it that cannot be routed.
    #[error("{}{}{}: {message}", file.display(),
        line.map(|line| format!(": line {line}")).unwrap_or_default(),
        field.as_ref().map(|field| format!(": field `{field}`")).unwrap_or_default())]
    Replay {
        file: PathBuf,
        line: Option<usize>,
        field: Option<String>,
        message: String,
    },
    /// The demand model cannot draw orders on this network.
    #[error("cannot draw demand: {0}")]
    Demand(String),
    /// A drawn order could not be routed at all.
    #[error("order {order}: field `{field}`: {message}")]
    Route {
        order: Id,
        field: String,
        message: String,
    },
}

/// Who decides in a lane.
#[derive(Clone)]
pub enum Decider {
    PrimaryNode,
    NearestNode,
    /// The optimizer, with a tenant's rules (plugins) or none.
    Optimizer(Arc<dyn Rules + Send + Sync>),
}

/// One strategy as the simulator runs it: a decider and the policy it decides under.
#[derive(Clone)]
pub struct Lane {
    pub name: String,
    pub decider: Decider,
    pub policy: TenantPolicy,
}

impl Lane {
    /// A lane deciding under `policy`, asked for no runner-up plans.
    pub fn new(name: impl Into<String>, decider: Decider, policy: &TenantPolicy) -> Lane {
        let mut policy = policy.clone();
        policy.default.alternatives = 0;
        Lane {
            name: name.into(),
            decider,
            policy,
        }
    }

    /// Whether the lane's decisions come from the optimizer rather than a static rule.
    pub fn optimizes(&self) -> bool {
        matches!(self.decider, Decider::Optimizer(_))
    }

    fn decide(
        &self,
        network: &Network,
        stock: &Stock,
        order: &Order,
    ) -> Result<Decision, RouteError> {
        match &self.decider {
            Decider::PrimaryNode => {
                crate::baseline::primary_node(network, stock, &self.policy, order)
            }
            Decider::NearestNode => {
                crate::baseline::nearest_node(network, stock, &self.policy, order)
            }
            Decider::Optimizer(rules) => {
                crate::optimizer::route_with(network, stock, &self.policy, order, rules.as_ref())
            }
        }
    }
}

/// What every lane starts from.
pub struct Simulation<'a> {
    pub network: &'a Network,
    /// Stocking levels: the stock every lane starts with and is replenished to.
    pub levels: Stock,
    /// Shipments each node takes every day before the simulated orders.
    pub base_load: Vec<u32>,
    pub replenishment: Replenishment,
    pub stream: &'a Stream,
}

/// One lane's result.
pub struct LaneResult {
    pub name: String,
    pub optimizes: bool,
    pub figures: Figures,
    /// Each order's fulfillment cost and whether it arrives by the promise, `None` where the
    /// lane did not fill it; indexed like the stream.
    pub costs: Vec<Option<(Cents, bool)>>,
    /// The candidate's decisions on this lane's state, when this lane is the current rules of a
    /// shadow comparison.
    pub shadow: Option<ShadowLog>,
}

/// Checks every order of a replayed stream against the network before anything runs, so that a
/// bad order is reported with its line and field instead of failing a lane halfway.
pub fn check_replay(
    network: &Network,
    levels: &Stock,
    policy: &TenantPolicy,
    stream: &Stream,
    file: &std::path::Path,
) -> Result<(), SimulateError> {
    for entry in &stream.orders {
        if let Err(error) = OrderContext::new(network, levels, policy, &entry.order) {
            return Err(SimulateError::Replay {
                file: file.to_path_buf(),
                line: entry.source_line,
                field: Some(error.field()),
                message: error.to_string(),
            });
        }
    }
    Ok(())
}

/// Runs every lane over the stream, in parallel threads, and returns their results in lane
/// order. `shadow`, if given, is a candidate lane that also decides every order of lane
/// `shadow.0` on that lane's state, without its decisions being applied. `progress` is called
/// with the number of orders decided since its last call.
pub fn run(
    simulation: &Simulation,
    lanes: &[Lane],
    shadow: Option<(usize, &Lane)>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<LaneResult>, SimulateError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |count| count.get())
        .min(lanes.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<LaneResult, SimulateError>>>> =
        Mutex::new((0..lanes.len()).map(|_| None).collect());

    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let at = next.fetch_add(1, Ordering::Relaxed);
                    let Some(lane) = lanes.get(at) else {
                        break;
                    };
                    let candidate =
                        shadow.and_then(|(of, candidate)| (of == at).then_some(candidate));
                    let result = run_lane(simulation, lane, candidate, progress);
                    results.lock().unwrap_or_else(|e| e.into_inner())[at] = Some(result);
                }
            });
        }
    });

    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|result| result.expect("every lane ran"))
        .collect()
}

/// Orders decided between progress reports.
const PROGRESS_STEP: u64 = 64;

/// Runs one lane over the whole stream, day by day.
fn run_lane(
    simulation: &Simulation,
    lane: &Lane,
    candidate: Option<&Lane>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<LaneResult, SimulateError> {
    let network = simulation.network;
    let stream = simulation.stream;
    let mut state = NetworkState::new(
        network,
        &simulation.levels,
        simulation.base_load.clone(),
        simulation.replenishment,
    );
    let mut tally = figures::Tally::new(network);
    let mut costs = Vec::with_capacity(stream.orders.len());
    let mut shadow = candidate.map(|_| ShadowLog::default());
    let mut unreported = 0;
    let mut orders = stream.orders.iter().peekable();

    for (day, &date) in stream.days.iter().enumerate() {
        state.start_day(day as u32, date);
        while let Some(entry) = orders.next_if(|entry| entry.day as usize == day) {
            let decision = match lane.decide(network, state.stock(), &entry.order) {
                Ok(decision) => Some(decision),
                // A fail-closed plugin failed: the order waits for a person, unfilled.
                Err(RouteError::Plugin(_)) => None,
                Err(error) => return Err(route_error(entry, error)),
            };
            if let (Some(candidate), Some(log)) = (candidate, shadow.as_mut()) {
                let theirs = match candidate.decide(network, state.stock(), &entry.order) {
                    Ok(decision) => Some(decision),
                    Err(RouteError::Plugin(_)) => None,
                    Err(error) => return Err(route_error(entry, error)),
                };
                log.compare(&entry.order.id, decision.as_ref(), theirs.as_ref());
            }
            let unfilled = decision.as_ref().is_some_and(|d| d.plan.is_none());
            let out_of_stock = unfilled && out_of_stock(network, state.stock(), &entry.order);
            tally.record(network, &entry.order, date, decision.as_ref(), out_of_stock);
            costs.push(decision.as_ref().and_then(|decision| {
                let plan = decision.plan.as_ref()?;
                let cost = plan.cost;
                Some((
                    cost.shipping + cost.labor + cost.packaging,
                    plan.meets_promise,
                ))
            }));
            if let Some(decision) = &decision {
                state.apply(network, decision);
            }
            unreported += 1;
            if unreported == PROGRESS_STEP {
                progress(unreported);
                unreported = 0;
            }
        }
        tally.end_day(network, state.stock());
    }
    progress(unreported);

    Ok(LaneResult {
        name: lane.name.clone(),
        optimizes: lane.optimizes(),
        figures: tally.finish(network),
        costs,
        shadow,
    })
}

/// Whether some line of the order has its units at no node.
fn out_of_stock(network: &Network, stock: &Stock, order: &Order) -> bool {
    order.lines.iter().any(|line| {
        network.sku_index(&line.sku).is_some_and(|sku| {
            stock
                .holders(sku)
                .all(|(_, position)| position.available() < line.quantity)
        })
    })
}

fn route_error(entry: &StreamOrder, error: RouteError) -> SimulateError {
    SimulateError::Route {
        order: entry.order.id.clone(),
        field: error.field(),
        message: error.to_string(),
    }
}

/// The example network, for the tests of the simulator's modules.
#[cfg(test)]
fn example() -> crate::files::NetworkDir {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/networks/us-retail");
    crate::files::load_network_dir(&dir).expect("the example network loads")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::*;
    use crate::rules::NoRules;
    use crate::simulate::example;

    #[test]
    fn lanes_count_every_order_and_repeat_exactly() {
        let loaded = example();
        let network = &loaded.network;
        let start = chrono::NaiveDate::from_ymd_opt(2026, 11, 9).unwrap();
        let model = DemandModel::new(400, 4, start);
        let stream = demand::generate(network, &loaded.stock, &model, 2).unwrap();
        let units = stream.units_by_sku(network);
        let simulation = Simulation {
            network,
            levels: dynamics::stock_to_demand(network, &loaded.stock, &units, 4, 10.0),
            base_load: vec![0; network.nodes().len()],
            replenishment: Replenishment::default(),
            stream: &stream,
        };
        let optimizer = Lane::new(
            "optimizer",
            Decider::Optimizer(Arc::new(NoRules)),
            &loaded.policy,
        );
        let lanes = vec![
            optimizer.clone(),
            Lane::new("primary-node", Decider::PrimaryNode, &loaded.policy),
        ];
        let decided = AtomicU64::new(0);
        let progress = |done| {
            decided.fetch_add(done, Ordering::Relaxed);
        };
        let one = run(&simulation, &lanes, Some((0, &optimizer)), &progress).unwrap();
        let two = run(&simulation, &lanes, None, &|_| {}).unwrap();
        assert_eq!(decided.load(Ordering::Relaxed), 800);
        for (first, second) in one.iter().zip(&two) {
            assert_eq!(first.figures, second.figures);
            assert_eq!(first.figures.orders, 400);
            assert_eq!(first.costs.len(), 400);
            let filled = first.costs.iter().filter(|cost| cost.is_some()).count() as u64;
            assert_eq!(filled, first.figures.filled);
        }

        // The same rules in the shadow change no decision.
        let log = one[0].shadow.as_ref().unwrap();
        assert_eq!((log.compared, log.changed), (400, 0));
    }
}
