//! The example plugins on the example network, through `switchyard route --plugins`: each one
//! changes a decision of the `acme` tenant the way `examples/tenants/acme/README.md` says, and
//! the decision explains what it did.

use std::path::{Path, PathBuf};

use serde_json::Value;
use switchyard_tests::{acme, acme_plugins, example_order, route_json};

/// Routes an order under the `acme` policy, with the tenant's plugins when `plugins` is given.
fn route(order: &Path, plugins: Option<&Path>) -> Value {
    let policy = acme().join("policy.json");
    let mut extra = vec!["--policy".to_string(), policy.display().to_string()];
    if let Some(dir) = plugins {
        let cache = dir.join("cache");
        extra.extend(["--plugins".into(), dir.display().to_string()]);
        extra.extend(["--plugin-cache".into(), cache.display().to_string()]);
    }
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    route_json(order, &extra)
}

fn acme_order(name: &str) -> PathBuf {
    acme().join("orders").join(name)
}

/// The chosen plan's shipments as `node/service`.
fn shipments(decision: &Value) -> Vec<String> {
    decision["plan"]["shipments"]
        .as_array()
        .expect("a plan")
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["node"].as_str().unwrap(),
                s["service"].as_str().unwrap()
            )
        })
        .collect()
}

/// What one plugin did in the decision.
fn run<'a>(decision: &'a Value, plugin: &str) -> &'a Value {
    decision["plugins"]
        .as_array()
        .expect("plugins ran")
        .iter()
        .find(|run| run["plugin"] == plugin)
        .unwrap_or_else(|| panic!("{plugin} ran"))
}

/// The reasons plugins gave for the plans they ruled out.
fn plugin_rejections<'a>(decision: &'a Value, plugin: &str) -> Vec<&'a str> {
    decision["rejected_plans"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rejected| rejected["reason"]["plugin"] == plugin)
        .map(|rejected| rejected["reason"]["reason"].as_str().unwrap())
        .collect()
}

fn rationale(decision: &Value) -> String {
    decision["rationale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn each_example_plugin_changes_the_decision_its_readme_names() {
    let plugins = acme_plugins();
    let plugins = Some(plugins.path());

    // never-split-vip: the VIP order ships whole from DC-CA instead of the cheaper split.
    let order = example_order("vip-split.json");
    let plain = route(&order, None);
    assert_eq!(plain["plan"]["shipments"].as_array().unwrap().len(), 2);
    let ruled = route(&order, plugins);
    assert_eq!(shipments(&ruled), ["DC-CA/fedex-ground"]);
    let reasons = plugin_rejections(&ruled, "never-split-vip");
    assert!(!reasons.is_empty());
    assert!(
        reasons
            .iter()
            .all(|r| r.starts_with("vip orders ship in one parcel"))
    );
    assert!(run(&ruled, "never-split-vip")["changed"].as_u64().unwrap() > 0);

    // no-hazmat-from-stores: Miami's shampoo no longer ships from the Miami store.
    let order = acme_order("miami-shampoo.json");
    assert_eq!(
        shipments(&route(&order, None)),
        ["STORE-MIA/usps-ground-advantage"]
    );
    let ruled = route(&order, plugins);
    assert_eq!(shipments(&ruled), ["DC-OH/usps-ground-advantage"]);
    let reasons = plugin_rejections(&ruled, "no-hazmat-from-stores");
    assert!(
        reasons.contains(&"store STORE-MIA may not ship SKU-0180"),
        "{reasons:?}"
    );

    // maintenance-window: Ohio is closed on the Monday the Chicago order is placed.
    let order = example_order("chicago-3-items.json");
    assert_eq!(
        shipments(&route(&order, None)),
        ["DC-OH/usps-ground-advantage"]
    );
    let ruled = route(&order, plugins);
    assert_eq!(shipments(&ruled), ["DC-NJ/usps-ground-advantage"]);
    let reasons = plugin_rejections(&ruled, "maintenance-window");
    assert!(reasons.iter().all(|r| r.contains("DC-OH is closed until")));
    assert!(reasons.iter().any(|r| r.ends_with("sorter upgrade")));

    // prefer-clearance-stores: the NYC store's stock of the earbuds beats DC-NJ with its credit.
    let order = example_order("overnight-nyc.json");
    assert_eq!(shipments(&route(&order, None)), ["DC-NJ/usps-priority"]);
    let ruled = route(&order, plugins);
    assert_eq!(shipments(&ruled), ["STORE-NYC/usps-priority"]);
    let credit = ruled["plan"]["adjustments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["plugin"] == "prefer-clearance-stores")
        .expect("the credit is on the plan");
    assert_eq!(credit["cents"], -300);
    assert!(rationale(&ruled).contains("Plugin `prefer-clearance-stores` adjusted its cost by"));

    // carbon-aware: two-day to Salt Lake City goes by ground from the local store, not by air
    // from California, though that costs a dollar more.
    let order = acme_order("slc-two-day.json");
    let plain = route(&order, None);
    assert_eq!(shipments(&plain), ["DC-CA/usps-priority"]);
    let ruled = route(&order, plugins);
    assert_eq!(shipments(&ruled), ["STORE-SLC/ups-ground"]);
    let plan_total = |d: &Value| d["plan"]["cost"]["total"].as_i64().unwrap();
    assert!(plan_total(&ruled) > plan_total(&plain));
    let air = ruled["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["plan"]["shipments"][0]["node"] == "DC-CA")
        .expect("the air plan is an alternative");
    assert!(air["plan"]["cost"]["adjustments"].as_i64().unwrap() > 100);
}

#[test]
fn the_plugins_leave_orders_they_have_no_rule_for_alone() {
    let plugins = acme_plugins();
    for name in ["denver-2-items.json", "hazmat.json", "two-day-west.json"] {
        let order = example_order(name);
        let plain = route(&order, None);
        let ruled = route(&order, Some(plugins.path()));
        assert_eq!(shipments(&plain), shipments(&ruled), "{name}");
        assert_eq!(ruled["plugins"].as_array().unwrap().len(), 5, "{name}");
    }
}

#[test]
fn the_table_shows_what_each_plugin_did() {
    let plugins = acme_plugins();
    let policy = acme().join("policy.json");
    let run = switchyard_tests::switchyard([
        "route".as_ref(),
        "--network".as_ref(),
        switchyard_tests::example_network().as_os_str(),
        "--policy".as_ref(),
        policy.as_os_str(),
        "--order".as_ref(),
        example_order("vip-split.json").as_os_str(),
        "--plugins".as_ref(),
        plugins.path().as_os_str(),
        "--plugin-cache".as_ref(),
        plugins.path().join("cache").as_os_str(),
    ]);
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("after plugin adjustments"),
        "{}",
        run.stdout
    );
    let line = run
        .stdout
        .lines()
        .find(|line| line.contains("never-split-vip") && line.contains("constraint"))
        .expect("a row for the plugin");
    assert!(line.contains("rejected"), "{line}");
    assert!(
        run.stdout
            .contains("plugin `never-split-vip`: vip orders ship in one parcel")
    );
}
