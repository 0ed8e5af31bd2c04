//! Bad input of every kind gets an error naming the file, the place in it and the problem, and
//! a non-zero exit; never a panic (the helper fails any run whose output mentions one).

use std::fs;
use std::path::Path;

use switchyard_tests::{copy_of_example_network, example_network, example_order, switchyard};

fn route(network: &Path, order: &Path) -> switchyard_tests::Run {
    switchyard([
        "route".as_ref(),
        "--network".as_ref(),
        network.as_os_str(),
        "--order".as_ref(),
        order.as_os_str(),
    ])
}

/// Writes an order file and routes it over the example network.
fn route_order_text(text: &str) -> (tempfile::TempDir, switchyard_tests::Run) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("order.json");
    fs::write(&path, text).unwrap();
    let run = route(&example_network(), &path);
    (dir, run)
}

fn assert_error(run: &switchyard_tests::Run, fragments: &[&str]) {
    assert!(!run.success, "expected a failure, got:\n{}", run.stdout);
    for fragment in fragments {
        assert!(
            run.stderr.contains(fragment),
            "`{fragment}` missing from:\n{}",
            run.stderr
        );
    }
}

const GOOD_ORDER: &str = r#"{"id": "T-1", "customer": {"id": "C"},
    "ship_to": {"zip": "60614", "residential": true},
    "lines": [{"sku": "SKU-0095", "quantity": 1}],
    "service_level": "ground", "placed_at": "2026-12-07T15:00:00Z"}"#;

#[test]
fn a_good_order_routes() {
    let (_dir, run) = route_order_text(GOOD_ORDER);
    assert!(run.success, "{}", run.stderr);
}

#[test]
fn unknown_sku_names_the_line() {
    let (_dir, run) = route_order_text(&GOOD_ORDER.replace("SKU-0095", "NOPE-1"));
    assert_error(
        &run,
        &["order.json", "lines[0].sku", "unknown SKU `NOPE-1`"],
    );
}

#[test]
fn malformed_zip_names_the_field() {
    let (_dir, run) = route_order_text(&GOOD_ORDER.replace("60614", "6061"));
    assert_error(&run, &["order.json", "ship_to.zip", "5-digit"]);
}

#[test]
fn zero_quantity_is_refused() {
    let (_dir, run) = route_order_text(&GOOD_ORDER.replace("\"quantity\": 1", "\"quantity\": 0"));
    assert_error(&run, &["lines[0].quantity", "at least 1"]);
}

#[test]
fn negative_quantity_is_a_type_error_on_the_field() {
    let (_dir, run) = route_order_text(&GOOD_ORDER.replace("\"quantity\": 1", "\"quantity\": -2"));
    assert_error(&run, &["lines[0].quantity"]);
}

#[test]
fn missing_promise_is_refused() {
    let (_dir, run) = route_order_text(&GOOD_ORDER.replace("\"service_level\": \"ground\",", ""));
    assert_error(&run, &["service_level", "deliver_by"]);
}

#[test]
fn unknown_field_is_named() {
    let (_dir, run) = route_order_text(
        &GOOD_ORDER
            .replace("\"channel\"", "\"chanel\"")
            .replace("\"id\": \"T-1\",", "\"id\": \"T-1\", \"priorty\": 1,"),
    );
    assert_error(&run, &["unknown field `priorty`"]);
}

#[test]
fn truncated_json_gives_line_and_column() {
    let (_dir, run) = route_order_text(&GOOD_ORDER[..60]);
    assert_error(&run, &["order.json", "line"]);
}

#[test]
fn foreign_destinations_are_refused() {
    let text = GOOD_ORDER.replace(
        "\"residential\": true",
        "\"residential\": true, \"country\": \"CA\"",
    );
    let (_dir, run) = route_order_text(&text);
    assert_error(&run, &["ship_to.country", "only US"]);
}

#[test]
fn missing_order_file_is_named() {
    let run = route(&example_network(), Path::new("no/such/order.json"));
    assert_error(&run, &["no/such/order.json", "cannot read"]);
}

#[test]
fn missing_network_directory_is_named() {
    let run = route(
        Path::new("no/such/network"),
        &example_order("chicago-3-items.json"),
    );
    assert_error(&run, &["no/such/network", "not a directory"]);
}

/// Routes the Chicago order over a copy of the example network whose `file` was rewritten by
/// `edit`.
fn route_with_edited(file: &str, edit: impl FnOnce(String) -> String) -> switchyard_tests::Run {
    let network = copy_of_example_network();
    let path = network.path().join(file);
    fs::write(&path, edit(fs::read_to_string(&path).unwrap())).unwrap();
    route(network.path(), &example_order("chicago-3-items.json"))
}

#[test]
fn bad_node_zip_names_nodes_json_and_the_node() {
    let run = route_with_edited("nodes.json", |text| {
        text.replacen("\"08837\"", "\"8837\"", 1)
    });
    assert_error(&run, &["nodes.json", "[0].zip", "not a 5-digit ZIP code"]);
}

#[test]
fn unknown_service_on_a_node_is_named() {
    let run = route_with_edited("nodes.json", |text| {
        text.replacen("\"ups-ground\"", "\"pony-express\"", 1)
    });
    let expected = [
        "nodes.json",
        "services[",
        "unknown carrier service `pony-express`",
    ];
    assert_error(&run, &expected);
}

#[test]
fn bad_inventory_number_names_the_line_and_column() {
    let run = route_with_edited("inventory.csv", |text| {
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let mut fields: Vec<&str> = lines[3].split(',').collect();
        fields[2] = "lots";
        lines[3] = fields.join(",");
        lines.join("\n")
    });
    assert_error(&run, &["inventory.csv", "line 4", "column `on_hand`"]);
}

#[test]
fn inventory_for_an_unknown_node_is_named() {
    let run = route_with_edited("inventory.csv", |text| text + "DC-MARS,SKU-0001,5,0,0\n");
    assert_error(&run, &["inventory.csv", "unknown node `DC-MARS`"]);
}

#[test]
fn gaps_in_a_rate_card_are_named() {
    let run = route_with_edited("rates.csv", |text| {
        let kept: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(at, _)| *at != 3)
            .map(|(_, line)| line)
            .collect();
        kept.join("\n")
    });
    assert_error(&run, &["rates.csv", "line 4", "without gaps"]);
}

#[test]
fn empty_network_files_are_errors_not_panics() {
    for file in [
        "nodes.json",
        "services.json",
        "skus.csv",
        "inventory.csv",
        "rates.csv",
    ] {
        let run = route_with_edited(file, |_| String::new());
        assert!(!run.success, "an empty {file} was accepted");
        assert!(
            run.stderr.contains(file),
            "{file} not named in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn bad_policy_file_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    fs::write(&policy, r#"{"default": {"max_shipments": "three"}}"#).unwrap();
    let run = switchyard([
        "route".as_ref(),
        "--network".as_ref(),
        example_network().as_os_str(),
        "--order".as_ref(),
        example_order("chicago-3-items.json").as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
    ]);
    assert_error(&run, &["policy.json", "default.max_shipments"]);
}
