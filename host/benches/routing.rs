//! Decision latency of the optimizer: 1, 3 and 10-line orders over networks of 15, 50 and 200
//! nodes grown from the example network.
//!
//! Run with `cargo bench -p switchyard --bench routing`. Criterion reports the time per decision;
//! afterwards the bench times single decisions one by one and prints the median and 99th
//! percentile for each case, which criterion does not report.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use switchyard::files::load_network_dir;
use switchyard::geo::Geography;
use switchyard::model::{
    Customer, Network, NodeKind, Order, OrderLine, ServiceLevel, ShipTo, Stock, TenantPolicy,
};
use switchyard::synth::scaled;

const NODE_COUNTS: [usize; 3] = [15, 50, 200];
const LINE_COUNTS: [usize; 3] = [1, 3, 10];
const ORDERS_PER_CASE: usize = 64;

struct Case {
    network: Network,
    stock: Stock,
    policy: TenantPolicy,
    orders: Vec<Order>,
}

/// Orders shaped like real demand: destinations drawn by population, SKUs the distribution
/// centers carry, mostly ground with some two-day and overnight.
fn orders(network: &Network, stock: &Stock, lines: usize, seed: u64) -> Vec<Order> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let areas: Vec<_> = Geography::get()
        .areas()
        .filter(|a| a.state != "PR")
        .collect();
    let people: u64 = areas.iter().map(|a| a.population).sum();
    let stocked: Vec<usize> = (0..network.skus().len())
        .filter(|&sku| {
            stock.holders(sku).any(|(node, position)| {
                network.nodes()[node].kind == NodeKind::Warehouse && position.available() > 2
            })
        })
        .collect();
    (0..ORDERS_PER_CASE)
        .map(|at| {
            let mut draw = rng.random_range(0..people);
            let area = areas
                .iter()
                .find(|a| {
                    let hit = draw < a.population;
                    draw = draw.saturating_sub(a.population);
                    hit
                })
                .unwrap();
            let level = match rng.random_range(0..100) {
                0..70 => ServiceLevel::Ground,
                70..95 => ServiceLevel::TwoDay,
                _ => ServiceLevel::Overnight,
            };
            Order {
                id: format!("BENCH-{at}").into(),
                channel: "web".into(),
                customer: Customer {
                    id: "C".into(),
                    tier: "standard".into(),
                    tags: Default::default(),
                },
                ship_to: ShipTo {
                    zip: format!("{}10", area.zip3).parse().unwrap(),
                    country: "US".into(),
                    residential: rng.random_bool(0.8),
                },
                lines: (0..lines)
                    .map(|_| OrderLine {
                        sku: network.skus()[stocked[rng.random_range(0..stocked.len())]]
                            .id
                            .clone(),
                        quantity: if rng.random_bool(0.85) { 1 } else { 2 },
                    })
                    .collect(),
                service_level: Some(level),
                deliver_by: None,
                placed_at: Utc.with_ymd_and_hms(2026, 12, 7, 15, 0, 0).unwrap(),
                attributes: Default::default(),
            }
        })
        .collect()
}

fn cases() -> Vec<((usize, usize), Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/networks/us-retail");
    let base = load_network_dir(&dir).expect("the example network loads");
    let mut cases = Vec::new();
    for nodes in NODE_COUNTS {
        let (network, stock) = scaled(&base.network, &base.stock, nodes, 7);
        for lines in LINE_COUNTS {
            let orders = orders(&network, &stock, lines, 11 + lines as u64);
            let case = Case {
                network: network.clone(),
                stock: stock.clone(),
                policy: base.policy.clone(),
                orders,
            };
            cases.push(((lines, nodes), case));
        }
    }
    cases
}

fn criterion_benches(criterion: &mut Criterion, cases: &[((usize, usize), Case)]) {
    let mut group = criterion.benchmark_group("decision");
    for ((lines, nodes), case) in cases {
        let id = BenchmarkId::new(format!("{lines}-lines"), format!("{nodes}-nodes"));
        group.bench_with_input(id, case, |bench, case| {
            let mut next = 0;
            bench.iter(|| {
                let order = &case.orders[next % case.orders.len()];
                next += 1;
                black_box(switchyard::route(
                    &case.network,
                    &case.stock,
                    &case.policy,
                    order,
                ))
            });
        });
    }
    group.finish();
}

/// Times decisions one at a time and prints the median and 99th percentile for each case whose
/// name contains `filter`.
fn percentiles(cases: &[((usize, usize), Case)], filter: &str) {
    println!("\nper-decision latency over {ORDERS_PER_CASE} orders per case:");
    println!(
        "{:>6} {:>6} {:>12} {:>12} {:>10}",
        "lines", "nodes", "median", "p99", "filled"
    );
    for ((lines, nodes), case) in cases {
        if !format!("decision/{lines}-lines/{nodes}-nodes").contains(filter) {
            continue;
        }
        let rounds = match lines * nodes {
            0..=200 => 400,
            201..=1000 => 100,
            _ => 10,
        };
        let mut samples: Vec<Duration> = Vec::with_capacity(rounds * case.orders.len());
        let mut filled = 0;
        for _ in 0..rounds {
            for order in &case.orders {
                let start = Instant::now();
                let decision = switchyard::route(&case.network, &case.stock, &case.policy, order);
                samples.push(start.elapsed());
                filled += decision.is_ok_and(|d| d.plan.is_some()) as usize;
            }
        }
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
        println!(
            "{lines:>6} {nodes:>6} {:>12.1?} {:>12.1?} {:>9.0}%",
            at(0.5),
            at(0.99),
            100.0 * filled as f64 / samples.len() as f64
        );
    }
}

fn main() {
    let cases = cases();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &cases);
    criterion.final_summary();
    // Criterion's name filter, if any: the first argument that is neither a flag nor a number.
    let filter = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-') && arg.parse::<f64>().is_err())
        .unwrap_or_default();
    percentiles(&cases, &filter);
}
