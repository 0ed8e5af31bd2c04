//! `switchyard route` on the example network: the sample orders route the way their README
//! says, in JSON and as tables, the same way every time.

use serde_json::Value;
use switchyard_tests::{example_network, example_order, route_json, switchyard};

/// The nodes of a plan's shipments, in plan order.
fn nodes(plan: &Value) -> Vec<&str> {
    plan["shipments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node"].as_str().unwrap())
        .collect()
}

fn total(plan: &Value) -> i64 {
    plan["cost"]["total"].as_i64().unwrap()
}

fn verdict<'a>(decision: &'a Value, node: &str) -> &'a Value {
    decision["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["node"] == node)
        .unwrap()
}

#[test]
fn chicago_order_ships_from_ohio_the_cheapest_of_three_ways() {
    let order = example_order("chicago-3-items.json");
    let decision = route_json(&order, &[]);
    let plan = &decision["plan"];
    assert_eq!(nodes(plan), ["DC-OH"]);
    assert_eq!(plan["meets_promise"], true);

    // New Jersey alone can fill it too, for more.
    let new_jersey = verdict(&decision, "DC-NJ");
    assert_eq!(new_jersey["verdict"], "can_ship_all");
    assert!(new_jersey["cost"].as_i64().unwrap() > total(plan));

    // So can a Dallas + New Jersey split, which a longer list of alternatives shows.
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(policy.path(), r#"{"default": {"alternatives": 40}}"#).unwrap();
    let decision = route_json(&order, &["--policy", policy.path().to_str().unwrap()]);
    let split = decision["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|alternative| &alternative["plan"])
        .find(|plan| nodes(plan) == ["DC-NJ", "DC-TX"])
        .expect("a DC-NJ + DC-TX split is among the alternatives");
    assert!(total(split) > total(&decision["plan"]));
}

#[test]
fn denver_order_shows_split_and_single_node_options_with_costs() {
    let decision = route_json(&example_order("denver-2-items.json"), &[]);
    let plan = &decision["plan"];
    assert_eq!(nodes(plan), ["DC-NJ", "DC-TX"], "the split is cheapest");
    assert_eq!(plan["cost"]["split_penalty"], 150);

    let single = decision["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|alternative| nodes(&alternative["plan"]) == ["DC-NJ"])
        .expect("shipping everything from New Jersey is listed");
    let more = single["costs_more_by"].as_i64().unwrap();
    assert!(more > 0);
    assert_eq!(total(&single["plan"]) - total(plan), more);
    assert_eq!(
        verdict(&decision, "DC-NJ")["cost"],
        single["plan"]["cost"]["total"]
    );

    // Every shipment's parts add up to its total, and the plan's to the plan's.
    let mut sum = plan["cost"]["split_penalty"].as_i64().unwrap();
    for shipment in plan["shipments"].as_array().unwrap() {
        let cost = &shipment["cost"];
        let parts: i64 = ["shipping", "labor", "packaging", "capacity_pressure"]
            .iter()
            .map(|part| cost[part].as_i64().unwrap())
            .sum();
        assert_eq!(parts, cost["total"].as_i64().unwrap());
        sum += parts;
    }
    assert_eq!(sum, total(plan));
}

#[test]
fn a_minimum_split_saving_turns_the_denver_split_into_one_shipment() {
    let policy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        policy.path(),
        r#"{"default": {"min_split_savings_cents": 5000}}"#,
    )
    .unwrap();
    let order = example_order("denver-2-items.json");
    let decision = route_json(&order, &["--policy", policy.path().to_str().unwrap()]);
    assert_eq!(nodes(&decision["plan"]), ["DC-NJ"]);
    let rejected = &decision["rejected_plans"][0];
    assert_eq!(rejected["reason"]["kind"], "policy");
    assert_eq!(rejected["reason"]["rule"], "min_split_savings");
    assert_eq!(nodes(&rejected["plan"]), ["DC-NJ", "DC-TX"]);
}

#[test]
fn vip_customers_are_never_split() {
    let decision = route_json(&example_order("vip-split.json"), &[]);
    assert_eq!(decision["plan"]["shipments"].as_array().unwrap().len(), 1);
    let rejected = &decision["rejected_plans"][0];
    assert_eq!(rejected["reason"]["rule"], "never_split");
    assert!(total(&rejected["plan"]) < total(&decision["plan"]));
}

#[test]
fn hazmat_never_ships_from_a_store() {
    let decision = route_json(&example_order("hazmat.json"), &[]);
    for shipment in decision["plan"]["shipments"].as_array().unwrap() {
        assert_ne!(shipment["node_kind"], "store");
    }
    let cannot_handle = decision["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["reason"]["kind"] == "cannot_handle")
        .count();
    assert!(
        cannot_handle > 0,
        "stores are rejected for lacking the hazmat capability"
    );
}

#[test]
fn quantity_split_ships_six_units_from_two_stores() {
    let decision = route_json(&example_order("quantity-split.json"), &[]);
    let shipments = decision["plan"]["shipments"].as_array().unwrap();
    assert!(shipments.len() >= 2);
    let units: i64 = shipments
        .iter()
        .flat_map(|s| s["lines"].as_array().unwrap())
        .map(|line| line["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(units, 6);
}

#[test]
fn unfulfillable_order_says_why() {
    let decision = route_json(&example_order("unfulfillable.json"), &[]);
    assert!(decision["plan"].is_null());
    let reason = decision["unfulfillable"].as_str().unwrap();
    assert!(reason.contains("SKU-0156"), "{reason}");
}

#[test]
fn primary_node_baseline_ships_late_where_the_optimizer_keeps_the_promise() {
    let order = example_order("two-day-west.json");
    let optimizer = route_json(&order, &[]);
    let primary = route_json(&order, &["--strategy", "primary-node"]);
    assert_eq!(optimizer["plan"]["meets_promise"], true);
    assert_eq!(primary["strategy"], "primary_node");
    assert_eq!(nodes(&primary["plan"]), ["DC-NJ"]);
    assert_eq!(primary["plan"]["meets_promise"], false);
    let nearest = route_json(&order, &["--strategy", "nearest-node"]);
    assert_eq!(nearest["strategy"], "nearest_node");
}

#[test]
fn the_same_inputs_give_the_same_decisions() {
    let args = |json: bool| {
        let mut args = vec![
            "route".to_string(),
            "--network".into(),
            example_network().display().to_string(),
            "--order".into(),
            example_order("").display().to_string(),
            "--strategy".into(),
            "all".into(),
        ];
        if json {
            args.push("--json".into());
        }
        args
    };
    let first = switchyard(args(true));
    let second = switchyard(args(true));
    assert!(first.success, "{}", first.stderr);
    assert_eq!(first.stdout, second.stdout);
    let decisions: Vec<Value> = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(
        decisions.len(),
        8 * 3,
        "eight example orders, three strategies"
    );

    let tables = switchyard(args(false));
    assert!(tables.success);
    assert!(tables.stdout.contains("Chosen plan:"));
    assert!(tables.stdout.contains("Alternative plan"));
    assert!(tables.stdout.contains("No plan:"));
}
