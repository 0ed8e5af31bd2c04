//! The optimizer against exhaustive enumeration on random small networks, plus the policy rules
//! one by one.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveTime, TimeZone, Utc};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{OrderContext, exhaustive, optimize};
use crate::geo::{Geography, Zip5};
use crate::model::*;

/// Real ZIP codes spread over the country.
const ZIPS: [&str; 16] = [
    "08837", "43217", "75261", "30336", "91761", "98032", "60614", "80202", "10001", "33101",
    "85004", "55401", "02108", "97201", "64105", "70112",
];

/// A random network, stock, policy and order, small enough to enumerate.
struct Instance {
    network: Network,
    stock: Stock,
    policy: TenantPolicy,
    order: Order,
}

fn zip(rng: &mut ChaCha8Rng) -> Zip5 {
    ZIPS[rng.random_range(0..ZIPS.len())].parse().unwrap()
}

fn random_instance(seed: u64, node_count: usize, line_count: usize, split: bool) -> Instance {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let levels = [
        ServiceLevel::Ground,
        ServiceLevel::TwoDay,
        ServiceLevel::Overnight,
    ];

    // Services with made-up but monotone rates; some too small for heavy parcels.
    let services: Vec<CarrierService> = (0..rng.random_range(1..=3))
        .map(|at| {
            let base = rng.random_range(600..1500);
            let per_zone = rng.random_range(0..300);
            let per_lb = rng.random_range(20..200);
            let max_lb = rng.random_range(3..40);
            let mut transit = [None; ZONES];
            let mut days = 1;
            for (zone, slot) in transit.iter_mut().enumerate().take(8) {
                if zone > 0 && rng.random_bool(0.25) {
                    days += 1;
                }
                *slot = Some(days);
            }
            let rates = (0..max_lb)
                .map(|lb| {
                    let mut row = [None; ZONES];
                    for (zone, price) in row.iter_mut().enumerate().take(8) {
                        *price = Some(Cents(base + per_zone * zone as i64 + per_lb * lb));
                    }
                    row
                })
                .collect();
            CarrierService {
                id: format!("svc-{at}").into(),
                carrier: "Test".into(),
                name: String::new(),
                level: levels[rng.random_range(0..3)],
                dim_divisor: 139,
                fuel_surcharge_bp: rng.random_range(0..2000),
                residential_surcharge: Cents(rng.random_range(0..600)),
                transit_days: transit,
                rates: RateCard(rates),
            }
        })
        .collect();

    let skus: Vec<Sku> = (0..6)
        .map(|at| Sku {
            id: format!("sku-{at}").into(),
            name: String::new(),
            weight_g: rng.random_range(50..9000),
            length_mm: rng.random_range(50..600),
            width_mm: rng.random_range(50..400),
            height_mm: rng.random_range(20..300),
            tags: BTreeSet::new(),
            handling: if rng.random_bool(0.1) {
                ["hazmat".to_string()].into()
            } else {
                BTreeSet::new()
            },
        })
        .collect();

    let geography = Geography::get();
    let nodes: Vec<Node> = (0..node_count)
        .map(|at| {
            let zip = zip(&mut rng);
            let mut offered: Vec<Id> = services
                .iter()
                .filter(|_| rng.random_bool(0.7))
                .map(|service| service.id.clone())
                .collect();
            if offered.is_empty() {
                offered.push(services[0].id.clone());
            }
            Node {
                id: format!("node-{:02}", (at * 7) % node_count.max(1)).into(),
                name: String::new(),
                kind: [NodeKind::Warehouse, NodeKind::Store][rng.random_range(0..2)],
                zip,
                location: geography.area(zip.zip3()).unwrap().centroid,
                time_zone: [
                    chrono_tz::America::New_York,
                    chrono_tz::America::Los_Angeles,
                ][rng.random_range(0..2)],
                daily_capacity: rng.random_range(1..50),
                labor: Labor {
                    per_order: Cents(rng.random_range(50..400)),
                    per_unit: Cents(rng.random_range(0..80)),
                },
                packaging: Cents(rng.random_range(20..150)),
                services: offered,
                pickup_cutoff: PickupCutoff(
                    NaiveTime::from_hms_opt(rng.random_range(10..20), 0, 0).unwrap(),
                ),
                handling_days: rng.random_bool(0.15) as u8,
                capabilities: if rng.random_bool(0.6) {
                    ["hazmat".to_string()].into()
                } else {
                    BTreeSet::new()
                },
                priority: rng.random_range(1..10),
            }
        })
        .collect();
    // Ids above are a permutation of node-00.. only when 7 and the count are coprime; make them
    // unique regardless.
    let nodes: Vec<Node> = nodes
        .into_iter()
        .enumerate()
        .map(|(at, mut node)| {
            node.id = format!("{}-{at}", node.id).into();
            node
        })
        .collect();

    let network = Network::new(NetworkParts {
        nodes,
        skus,
        services,
        holidays: BTreeSet::from(["2026-12-25".parse().unwrap()]),
    })
    .unwrap();

    let mut stock = Stock::new(node_count, 6);
    for node in 0..node_count {
        for sku in 0..6 {
            if rng.random_bool(if split { 0.45 } else { 0.6 }) {
                let position = StockPosition {
                    on_hand: rng.random_range(2..8),
                    reserved: rng.random_range(0..2) * rng.random_range(0..2),
                    safety_stock: rng.random_range(0..2) * rng.random_range(0..2),
                };
                stock.set(node, sku, position);
            }
        }
        let capacity = network.nodes()[node].daily_capacity;
        let load = if rng.random_bool(0.05) {
            capacity
        } else {
            rng.random_range(0..capacity)
        };
        stock.set_orders_today(node, load);
    }

    let policy = TenantPolicy {
        default: RoutingPolicy {
            max_shipments: rng.random_range(1..=5).clamp(2, 4) - rng.random_bool(0.15) as u32,
            never_split: rng.random_bool(0.15),
            min_split_savings: Cents(if rng.random_bool(0.3) {
                rng.random_range(0..800)
            } else {
                0
            }),
            split_line_quantities: split,
            split_penalty: Cents(rng.random_range(0..300)),
            capacity_pressure: CapacityPressure {
                start_percent: rng.random_range(0..90),
                cost_at_full: Cents(rng.random_range(0..500)),
            },
            alternatives: 3,
        },
        tiers: Default::default(),
    };

    let placed_at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
        + Duration::minutes(rng.random_range(0..60 * 24 * 28));
    let max_quantity = if split { 2 } else { 3 };
    let explicit_date = rng.random_bool(0.3);
    let order = Order {
        id: "order".into(),
        channel: "web".into(),
        customer: Customer {
            id: "c".into(),
            tier: "standard".into(),
            tags: BTreeSet::new(),
        },
        ship_to: ShipTo {
            zip: zip(&mut rng),
            country: "US".into(),
            residential: rng.random_bool(0.5),
        },
        lines: (0..line_count)
            .map(|_| OrderLine {
                sku: format!("sku-{}", rng.random_range(0..6)).into(),
                quantity: rng.random_range(1..=max_quantity),
            })
            .collect(),
        service_level: (!explicit_date)
            .then(|| levels[rng.random_range(0..3)].min(levels[rng.random_range(0..3)])),
        deliver_by: explicit_date
            .then(|| placed_at.date_naive() + Duration::days(rng.random_range(2..12))),
        placed_at,
        attributes: Default::default(),
    };
    Instance {
        network,
        stock,
        policy,
        order,
    }
}

fn check_against_exhaustive(instance: &Instance) -> Result<(), TestCaseError> {
    let Instance {
        network,
        stock,
        policy,
        order,
    } = instance;
    let context = OrderContext::new(network, stock, policy, order).unwrap();
    let fast = optimize(&context, 1 + context.policy.alternatives)
        .plans
        .into_iter()
        .next();
    let slow = exhaustive::best_plan(&context);
    prop_assert_eq!(
        fast.as_ref().map(|plan| plan.total),
        slow.as_ref().map(|plan| plan.total),
        "costs differ"
    );
    prop_assert_eq!(
        fast,
        slow,
        "same cost, different plan: the tie-break differs"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn optimizer_equals_exhaustive_search_with_whole_lines(
        seed in any::<u64>(),
        nodes in 2usize..=12,
        lines in 1usize..=5,
    ) {
        check_against_exhaustive(&random_instance(seed, nodes, lines, false))?;
    }

    #[test]
    fn optimizer_equals_exhaustive_search_with_quantity_splits(
        seed in any::<u64>(),
        nodes in 2usize..=12,
        lines in 1usize..=4,
    ) {
        check_against_exhaustive(&random_instance(seed, nodes, lines, true))?;
    }

    #[test]
    fn alternatives_are_feasible_and_no_cheaper_than_the_choice(
        seed in any::<u64>(),
        nodes in 2usize..=12,
        lines in 1usize..=5,
    ) {
        let Instance { network, stock, policy, order } = random_instance(seed, nodes, lines, false);
        let decision = crate::optimizer::route(&network, &stock, &policy, &order).unwrap();
        if let Some(plan) = &decision.plan {
            prop_assert!(plan.meets_promise);
            let mut previous = plan.cost.total;
            for alternative in &decision.alternatives {
                prop_assert!(alternative.plan.meets_promise);
                prop_assert!(alternative.plan.cost.total >= previous);
                prop_assert_eq!(alternative.costs_more_by, alternative.plan.cost.total - plan.cost.total);
                previous = alternative.plan.cost.total;
            }
            // The pieces add up, and every line is shipped in full.
            for shipment in &plan.shipments {
                let cost = shipment.cost;
                prop_assert_eq!(cost.total, cost.shipping + cost.labor + cost.packaging + cost.capacity_pressure);
            }
            for (at, line) in order.lines.iter().enumerate() {
                let shipped: u32 = plan.shipments.iter()
                    .flat_map(|s| &s.lines)
                    .filter(|l| l.line == at)
                    .map(|l| l.quantity)
                    .sum();
                prop_assert_eq!(shipped, line.quantity);
            }
        } else {
            prop_assert!(decision.unfulfillable.is_some());
        }
    }

    #[test]
    fn node_order_in_the_input_does_not_change_the_decision(
        seed in any::<u64>(),
        nodes in 2usize..=12,
        lines in 1usize..=4,
    ) {
        let Instance { network, stock, policy, order } = random_instance(seed, nodes, lines, false);
        let decision = crate::optimizer::route(&network, &stock, &policy, &order).unwrap();

        // The same network with its nodes in reverse order.
        let mut parts = network.to_parts();
        parts.nodes.reverse();
        let reversed = Network::new(parts).unwrap();
        let mut reversed_stock = Stock::new(nodes, network.skus().len());
        for node in 0..nodes {
            let from = nodes - 1 - node;
            for sku in 0..network.skus().len() {
                reversed_stock.set(node, sku, stock.position(from, sku));
            }
            reversed_stock.set_orders_today(node, stock.orders_today(from));
        }
        let again = crate::optimizer::route(&reversed, &reversed_stock, &policy, &order).unwrap();
        prop_assert_eq!(decision.plan, again.plan);
    }
}

/// An instance whose order is replaced by `lines` lines of the given quantity, spread over the
/// instance's SKUs, with a generous promise.
fn large_order(seed: u64, lines: usize, quantity: u32, split: bool) -> Instance {
    let mut instance = random_instance(seed, 12, 1, split);
    instance.order.lines = (0..lines)
        .map(|at| OrderLine {
            sku: format!("sku-{}", at % 6).into(),
            quantity,
        })
        .collect();
    instance.order.service_level = None;
    instance.order.deliver_by = Some(instance.order.placed_at.date_naive() + Duration::days(20));
    instance.policy.default.max_shipments = 6;
    instance.policy.default.never_split = false;
    instance
}

#[test]
fn orders_too_large_for_the_tables_fall_back_and_say_so() {
    use crate::decision::SearchMethod;

    let mut seen = (0, 0);
    for seed in 0..40 {
        // Fourteen lines: 2^14 contents is beyond the exact tables.
        let Instance {
            network,
            stock,
            policy,
            order,
        } = large_order(seed, 14, 1, false);
        let decision = crate::optimizer::route(&network, &stock, &policy, &order).unwrap();
        assert_eq!(decision.search.method, SearchMethod::Heuristic);
        if let Some(plan) = &decision.plan {
            seen.0 += 1;
            assert!(plan.meets_promise);
            // Never worse than the best single-node plan.
            let best_single = decision
                .nodes
                .iter()
                .find_map(|verdict| match &verdict.verdict {
                    crate::decision::Verdict::CanShipAll { cost, .. } => Some(*cost),
                    _ => None,
                });
            if let Some(single) = best_single {
                assert!(plan.cost.total <= single);
            }
        }

        // Three lines of 20 units with quantity splits: 21^3 contents is too many, so lines
        // ship whole and the search stays exact among such plans.
        let Instance {
            network,
            stock,
            policy,
            order,
        } = large_order(seed, 3, 20, true);
        let decision = crate::optimizer::route(&network, &stock, &policy, &order).unwrap();
        assert_eq!(decision.search.method, SearchMethod::ExactWholeLines);
        seen.1 += decision.plan.is_some() as usize;
    }
    assert!(seen.0 > 0, "some large orders were filled");
}
