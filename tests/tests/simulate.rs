//! `switchyard simulate` on the example network: every strategy routes the whole stream, the
//! figures add up, the same seed gives the same report, the HTML report is one self-contained
//! page, a shadow comparison reports changed decisions, and bad input is named, never a panic.

use std::path::Path;

use serde_json::Value;
use switchyard_tests::{acme, acme_plugins, example_network, switchyard};

/// Runs a small simulation with `extra` flags and returns the parsed JSON report and the
/// terminal output.
fn simulate(dir: &Path, extra: &[&str]) -> (Value, String) {
    let json = dir.join("report.json");
    let html = dir.join("report.html");
    let mut args: Vec<String> = vec![
        "simulate".into(),
        "--network".into(),
        example_network().display().to_string(),
        "--json".into(),
        json.display().to_string(),
        "--html".into(),
        html.display().to_string(),
    ];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let run = switchyard(&args);
    assert!(run.success, "simulate failed:\n{}", run.stderr);
    let report = std::fs::read_to_string(&json).expect("the JSON report is written");
    (
        serde_json::from_str(&report).expect("the report is JSON"),
        run.stdout,
    )
}

fn number(value: &Value) -> u64 {
    value.as_u64().expect("a count")
}

fn strategy<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["strategy"] == name)
        .unwrap_or_else(|| panic!("strategy {name} is in the report"))
}

const SMALL: &[&str] = &["--orders", "3000", "--days", "10", "--seed", "7"];

#[test]
fn every_strategy_routes_the_whole_stream_and_the_figures_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let (report, stdout) = simulate(dir.path(), SMALL);
    for name in ["optimizer", "primary-node", "nearest-node"] {
        assert!(stdout.contains(name), "{name} is in the table:\n{stdout}");
    }
    assert!(stdout.contains("Fulfillment cost per order"));

    let strategies = report["strategies"].as_array().unwrap();
    assert_eq!(strategies.len(), 3);
    for figures in strategies {
        let name = &figures["strategy"];
        assert_eq!(number(&figures["orders"]), 3000, "{name}");
        let filled = number(&figures["filled"]);
        assert_eq!(filled + number(&figures["unfilled"]), 3000, "{name}");
        assert!(filled > 2500, "{name} fills most orders: {filled}");

        // Every filled order has a delivery day, every shipment a node kind and a node.
        let days: u64 = figures["delivery_days"]
            .as_array()
            .unwrap()
            .iter()
            .map(number)
            .sum();
        assert_eq!(days, filled, "{name}");
        let shipments = number(&figures["shipments"]);
        let by_kind: u64 = figures["shipments_by_node_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(number)
            .sum();
        assert_eq!(by_kind, shipments, "{name}");
        let nodes = figures["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), 50);
        let by_node: u64 = nodes.iter().map(|n| number(&n["shipments"])).sum();
        assert_eq!(by_node, shipments, "{name}");
        assert!(shipments >= filled);

        // Costs add up: shipping, labor and packaging make the fulfillment cost.
        let cost = |field: &str| figures[field].as_i64().unwrap();
        assert_eq!(
            cost("fulfillment_cost"),
            cost("shipping_cost") + cost("labor_cost") + cost("packaging_cost"),
            "{name}"
        );
    }

    // The optimizer keeps every promise it makes; the static rules need not.
    assert_eq!(strategy(&report, "optimizer")["on_time_rate"], 1.0);

    // Savings are reported against both baselines.
    let savings = report["savings"].as_array().unwrap();
    assert_eq!(savings.len(), 2);
}

#[test]
fn the_same_seed_gives_the_same_report_and_another_seed_another() {
    let (one, two, three) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let flags = ["--orders", "1500", "--days", "5", "--seed", "11"];
    let (first, _) = simulate(one.path(), &flags);
    let (second, _) = simulate(two.path(), &flags);
    assert_eq!(first, second);
    let other = ["--orders", "1500", "--days", "5", "--seed", "12"];
    let (third, _) = simulate(three.path(), &other);
    assert_ne!(first["strategies"], third["strategies"]);
}

#[test]
fn the_html_report_is_one_page_with_three_charts() {
    let dir = tempfile::tempdir().unwrap();
    simulate(dir.path(), &["--orders", "800", "--days", "4"]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("src="), "nothing loaded");
    assert!(!html.contains("https://"), "nothing fetched");
    assert!(html.contains("nearest-node"));
}

#[test]
fn a_shadow_policy_reports_changed_decisions_and_every_difference() {
    let dir = tempfile::tempdir().unwrap();
    let candidate = dir.path().join("candidate.json");
    std::fs::write(
        &candidate,
        r#"{"default": {"never_split": true, "split_penalty_cents": 150}}"#,
    )
    .unwrap();
    let shadow = candidate.display().to_string();
    let (report, stdout) = simulate(
        dir.path(),
        &["--orders", "2000", "--days", "5", "--shadow", &shadow],
    );
    let shadow = &report["shadow"];
    assert_eq!(shadow["compared"], 2000);
    let changed = number(&shadow["changed"]);
    assert!(changed > 0, "never splitting changes some decisions");
    assert!(!shadow["examples"].as_array().unwrap().is_empty());
    assert!(shadow["differences"].as_array().unwrap().len() > 10);
    assert!(stdout.contains("Shadow: candidate would have changed"));
    // The candidate never splits.
    assert_eq!(strategy(&report, "candidate")["split_rate"], 0.0);
}

#[test]
fn the_tenants_plugins_run_as_a_strategy_of_their_own() {
    let plugins = acme_plugins();
    let dir = tempfile::tempdir().unwrap();
    let policy = acme().join("policy.json").display().to_string();
    let plugin_dir = plugins.path().display().to_string();
    let cache = dir.path().join("cache").display().to_string();
    let (report, _) = simulate(
        dir.path(),
        &[
            "--orders",
            "600",
            "--days",
            "3",
            "--start",
            "2026-12-07",
            "--policy",
            &policy,
            "--plugins",
            &plugin_dir,
            "--plugin-cache",
            &cache,
        ],
    );
    let with = strategy(&report, "optimizer + plugins");
    assert_eq!(number(&with["orders"]), 600);
    // The plugins add a fourth strategy beside the optimizer and the two baselines.
    assert_eq!(report["strategies"].as_array().unwrap().len(), 4);
    // DC-OH is closed on 2026-12-07 by the maintenance window.
    let dc_oh = |figures: &Value| {
        figures["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["node"] == "DC-OH")
            .map(|n| number(&n["shipments"]))
            .unwrap()
    };
    assert!(dc_oh(with) < dc_oh(strategy(&report, "optimizer")));
}

#[test]
fn a_bad_replay_line_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.jsonl");
    let good = r#"{"id":"A","customer":{"id":"C"},"ship_to":{"zip":"60614"},"lines":[{"sku":"SKU-0001","quantity":1}],"service_level":"ground","placed_at":"2026-12-07T15:00:00Z"}"#;
    let unknown_sku = good.replace("SKU-0001", "SKU-9999");
    std::fs::write(&file, format!("{good}\n{unknown_sku}\n")).unwrap();
    let run = switchyard([
        "simulate".into(),
        "--network".into(),
        example_network().display().to_string(),
        "--replay".into(),
        file.display().to_string(),
    ]);
    assert!(!run.success);
    assert!(run.stderr.contains("orders.jsonl"), "{}", run.stderr);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert!(run.stderr.contains("lines[0].sku"), "{}", run.stderr);

    // A good file replays.
    std::fs::write(&file, format!("{good}\n{good}\n")).unwrap();
    let (report, _) = simulate(dir.path(), &["--replay", &file.display().to_string()]);
    assert_eq!(number(&strategy(&report, "optimizer")["orders"]), 2);
}

#[test]
fn a_bad_flag_is_named() {
    let run = switchyard([
        "simulate".into(),
        "--network".into(),
        example_network().display().to_string(),
        "--vip-share".into(),
        "2".into(),
    ]);
    assert!(!run.success);
    assert!(run.stderr.contains("--vip-share"), "{}", run.stderr);
}
