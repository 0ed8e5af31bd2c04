//! The plugin sandbox against hostile plugins: each misbehaviour gets a clear error, the host
//! survives, the failure policy decides what happens to the decision, the breaker switches off a
//! plugin that keeps failing, and other tenants never notice.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use switchyard::decision::{Decision, PluginOutcome, RejectReason};
use switchyard::files::{NetworkDir, load_network_dir, load_order};
use switchyard::geo::Geography;
use switchyard::plugin::{PluginSet, PluginState, Runtime, RuntimeOptions};
use switchyard::{RouteError, route_with};
use switchyard_tests::{example_network, example_order, plugin_bytes, plugin_dir};

fn runtime() -> Arc<Runtime> {
    static RUNTIME: OnceLock<(Arc<Runtime>, tempfile::TempDir)> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let cache = tempfile::tempdir().unwrap();
            let options = RuntimeOptions {
                cache_dir: Some(cache.path().to_path_buf()),
            };
            (Runtime::new(options).unwrap(), cache)
        })
        .0
        .clone()
}

fn network() -> &'static NetworkDir {
    static NETWORK: OnceLock<NetworkDir> = OnceLock::new();
    NETWORK.get_or_init(|| load_network_dir(&example_network()).unwrap())
}

/// Routes the Chicago sample order (id `SO-1001`) with a tenant's plugins.
fn route(set: &PluginSet) -> Result<Decision, RouteError> {
    let order = load_order(&example_order("chicago-3-items.json")).unwrap();
    let network = network();
    route_with(
        &network.network,
        &network.stock,
        &network.policy,
        &order,
        set,
    )
}

/// A tenant whose only plugin is the hostile fixture, misbehaving on real orders only.
fn hostile_tenant(
    act: &str,
    on_failure: &str,
    limits: Value,
) -> (tempfile::TempDir, Arc<PluginSet>) {
    let manifest = json!({"plugins": [{
        "name": "hostile",
        "file": "hostile-plugin.wasm",
        "config": {"act": act, "on_order_prefix": "SO-"},
        "on_failure": on_failure,
        "limits": limits,
    }]});
    let dir = plugin_dir(&["hostile-plugin"], &manifest);
    let set = PluginSet::open(runtime(), dir.path()).unwrap();
    assert_eq!(
        set.status()[0].state,
        PluginState::Active,
        "{:?}",
        set.status()
    );
    (dir, set)
}

fn failure(result: Result<Decision, RouteError>) -> String {
    match result {
        Err(RouteError::Plugin(failure)) => {
            assert_eq!(failure.plugin, "hostile");
            failure.to_string()
        }
        other => panic!("expected a plugin failure, got {other:?}"),
    }
}

#[test]
fn each_misbehaviour_fails_the_decision_with_a_clear_error_when_fail_closed() {
    let cases = [
        (
            "loop",
            json!({"timeout_ms": 20, "fuel": 100_000_000_000u64}),
            "ran past its deadline of 20 ms",
        ),
        (
            "loop",
            json!({"fuel": 2_000_000, "timeout_ms": 10_000}),
            "used up its budget of 2000000 instructions",
        ),
        (
            "memory",
            json!({"memory_mib": 16}),
            "more than its 16 MiB of memory",
        ),
        ("recurse", json!({}), "overflowed its stack"),
        ("panic", json!({}), "panicked (it wrote: thread"),
        (
            "huge-reason",
            json!({"fuel": 10_000_000_000u64}),
            "gave a 262144-byte reason for plan 0; the limit is 1024",
        ),
        ("read-file", json!({}), "cannot read files"),
        ("connect", json!({}), "cannot connect"),
    ];
    for (act, limits, expected) in cases {
        let (_dir, set) = hostile_tenant(act, "closed", limits);
        let message = failure(route(&set));
        assert!(
            message.starts_with("plugin `hostile` ("),
            "{act}: {message}"
        );
        assert!(
            message.contains(expected),
            "{act}: expected `{expected}` in: {message}"
        );
        assert_eq!(set.status()[0].failures, 1, "{act}");
    }
    // The panic message itself reaches the error.
    let (_dir, set) = hostile_tenant("panic", "closed", json!({}));
    assert!(failure(route(&set)).contains("the hostile fixture panics on purpose"));
}

#[test]
fn a_fail_open_plugin_is_skipped_and_the_decision_says_so() {
    let (_dir, set) = hostile_tenant(
        "loop",
        "open",
        json!({"timeout_ms": 20, "fuel": 100_000_000_000u64}),
    );
    let decision = route(&set).unwrap();
    let plain = switchyard::route(
        &network().network,
        &network().stock,
        &network().policy,
        &load_order(&example_order("chicago-3-items.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        decision.plan, plain.plan,
        "a skipped plugin changes nothing"
    );
    let run = &decision.plugins[0];
    assert_eq!(run.plugin, "hostile");
    let PluginOutcome::Skipped { error } = &run.outcome else {
        panic!("{run:?}")
    };
    assert!(error.contains("deadline"), "{error}");
    assert!(
        decision
            .rationale
            .iter()
            .any(|s| s.contains("`hostile` was skipped")),
        "{:?}",
        decision.rationale
    );
}

#[test]
fn repeated_failures_open_the_breaker() {
    let (_dir, set) = hostile_tenant("panic", "open", json!({}));
    for _ in 0..switchyard::plugin::set::BREAKER_THRESHOLD {
        route(&set).unwrap();
    }
    let status = &set.status()[0];
    assert_eq!(status.state, PluginState::BreakerOpen);
    assert_eq!(
        status.failures,
        u64::from(switchyard::plugin::set::BREAKER_THRESHOLD)
    );

    // While open, the plugin is not called at all, and the decision says why it was skipped.
    let decision = route(&set).unwrap();
    let PluginOutcome::Skipped { error } = &decision.plugins[0].outcome else {
        panic!()
    };
    assert!(error.contains("breaker"), "{error}");
    assert_eq!(
        set.status()[0].calls,
        u64::from(switchyard::plugin::set::BREAKER_THRESHOLD)
    );

    // A fail-closed plugin with an open breaker fails decisions fast, naming the breaker.
    let (_dir, closed) = hostile_tenant("panic", "closed", json!({}));
    for _ in 0..switchyard::plugin::set::BREAKER_THRESHOLD {
        failure(route(&closed));
    }
    assert!(failure(route(&closed)).contains("switched off by its breaker"));
}

#[test]
fn a_plugin_sees_no_environment_arguments_or_clock() {
    let (_dir, set) = hostile_tenant("snoop", "closed", json!({}));
    let decision = route(&set).unwrap();
    assert_eq!(
        decision.plugins[0].outcome,
        PluginOutcome::Ran {
            plans: decision_candidates(&decision),
            changed: 0
        }
    );
    assert!(decision.plugins[0].fuel_used > 0);
}

fn decision_candidates(decision: &Decision) -> usize {
    match decision.plugins[0].outcome {
        PluginOutcome::Ran { plans, .. } => plans,
        _ => 0,
    }
}

/// Loads one file as tenant plugin `probe` and returns the problem its status reports.
fn load_problem(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("probe.wasm"), bytes).unwrap();
    let set = PluginSet::open(runtime(), dir.path()).unwrap();
    let status = &set.status()[0];
    assert_eq!(status.state, PluginState::NotLoaded);
    assert_eq!(status.version, None);

    // A fail-closed plugin that is not loaded fails decisions, with the same reason.
    let message = match route(&set) {
        Err(RouteError::Plugin(failure)) => failure.to_string(),
        other => panic!("expected a plugin failure, got {other:?}"),
    };
    let problem = status.problem.clone().unwrap();
    assert!(message.contains("is not loaded"), "{message}");
    assert!(
        message.contains(problem.split(' ').next_back().unwrap()),
        "{message} / {problem}"
    );
    problem
}

#[test]
fn files_that_are_not_plugins_are_refused_at_load_with_the_reason() {
    let problem = load_problem(b"this is not WebAssembly");
    assert!(problem.contains("is not WebAssembly"), "{problem}");

    let whole = plugin_bytes("never-split-vip");
    let problem = load_problem(&whole[..whole.len() / 2]);
    assert!(
        problem.contains("broken WebAssembly component"),
        "{problem}"
    );

    let problem = load_problem(b"\0asm\x01\0\0\0");
    assert!(
        problem.contains("core WebAssembly module, not a component"),
        "{problem}"
    );

    let problem = load_problem(&plugin_bytes("wrong-world-plugin"));
    assert!(
        problem.contains("not a Switchyard plugin: it exports [wasi:cli/run@"),
        "{problem}"
    );

    let problem = load_problem(&plugin_bytes("foreign-import-plugin"));
    assert!(
        problem.contains("imports `acme:net/socket@0.1.0`, which the host does not provide"),
        "{problem}"
    );
}

#[test]
fn a_plugin_built_for_another_interface_version_is_told_apart_from_a_broken_one() {
    // What a plugin built with a future SDK looks like: every interface name at 0.2.0.
    let bytes = plugin_bytes("never-split-vip");
    let (old, new) = (
        b"switchyard:plugin@0.1.0".as_slice(),
        b"switchyard:plugin@0.2.0".as_slice(),
    );
    let mut patched = bytes.clone();
    let mut replaced = 0;
    for at in 0..patched.len().saturating_sub(old.len()) {
        if &patched[at..at + old.len()] == old {
            patched[at..at + old.len()].copy_from_slice(new);
            replaced += 1;
        }
    }
    assert!(replaced > 0);
    let problem = load_problem(&patched);
    assert!(problem.contains("was built for interface switchyard:plugin@0.2.0, but this host serves switchyard:plugin@0.1.0"), "{problem}");
}

#[test]
fn a_configuration_the_plugin_rejects_keeps_it_from_loading() {
    let manifest = json!({"plugins": [{"name": "vip", "file": "never-split-vip.wasm", "config": {"tiers": "vip"}}]});
    let dir = plugin_dir(&["never-split-vip"], &manifest);
    let set = PluginSet::open(runtime(), dir.path()).unwrap();
    let problem = set.status()[0].problem.clone().unwrap();
    assert!(
        problem.contains(
            "failed its check against a sample decision: rejected its configuration: `tiers`"
        ),
        "{problem}"
    );
}

#[test]
fn other_tenants_are_not_affected_by_a_hostile_neighbour() {
    let (_hostile_dir, hostile) = hostile_tenant("loop", "closed", json!({"timeout_ms": 50}));
    let manifest = json!({"plugins": [{"name": "vip", "file": "never-split-vip.wasm"}]});
    let good_dir = plugin_dir(&["never-split-vip"], &manifest);
    let good = PluginSet::open(runtime(), good_dir.path()).unwrap();
    let expected = route(&good).unwrap();

    std::thread::scope(|scope| {
        let attacker = scope.spawn(|| {
            for _ in 0..4 {
                assert!(route(&hostile).is_err());
            }
        });
        for _ in 0..50 {
            let decision = route(&good).unwrap();
            assert_eq!(decision.plan, expected.plan);
            assert!(matches!(
                decision.plugins[0].outcome,
                PluginOutcome::Ran { .. }
            ));
        }
        attacker.join().unwrap();
    });
}

#[test]
fn compiled_plugins_are_cached_on_disk_and_a_damaged_cache_is_recompiled() {
    let cache = tempfile::tempdir().unwrap();
    let options = || RuntimeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
    };
    let manifest = json!({"plugins": [{"name": "vip", "file": "never-split-vip.wasm"}]});
    let dir = plugin_dir(&["never-split-vip"], &manifest);

    let first = PluginSet::open(Runtime::new(options()).unwrap(), dir.path()).unwrap();
    let cached = cached_files(cache.path());
    assert_eq!(cached.len(), 1, "{cached:?}");
    let version = first.status()[0].version.clone().unwrap();
    assert!(
        cached[0].starts_with(&version),
        "{cached:?} named by content hash {version}"
    );

    // A restart loads from the cache: the artifact is read, not rewritten.
    let written = std::fs::metadata(cache.path().join(&cached[0]))
        .unwrap()
        .modified()
        .unwrap();
    let second = PluginSet::open(Runtime::new(options()).unwrap(), dir.path()).unwrap();
    assert_eq!(second.status()[0].state, PluginState::Active);
    let reread = std::fs::metadata(cache.path().join(&cached[0]))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(written, reread);

    // A damaged artifact is replaced by a fresh compile.
    std::fs::write(cache.path().join(&cached[0]), b"damaged").unwrap();
    let third = PluginSet::open(Runtime::new(options()).unwrap(), dir.path()).unwrap();
    assert_eq!(third.status()[0].state, PluginState::Active);
    assert!(
        std::fs::metadata(cache.path().join(&cached[0]))
            .unwrap()
            .len()
            > 1000
    );
    route(&third).unwrap();
}

fn cached_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cwasm"))
        .collect();
    names.sort();
    names
}

/// Everything a plugin is shown of a candidate plan (its shipments with their nodes, services,
/// lines, weights, distances, dates and costs) arrives as the engine made it. The host writes
/// these records into the plugin's memory itself (`v0_1_0::Plain`), so this checks its layout
/// against what the guest's generated bindings read: the fixture spells out each plan it is
/// shown, and the text must match the engine's own plan.
#[test]
fn a_plugin_sees_each_candidate_plan_as_the_engine_made_it() {
    let (_dir, set) = hostile_tenant("echo", "closed", json!({}));
    let order = load_order(&example_order("chicago-3-items.json")).unwrap();
    let decision = route(&set).unwrap();
    let network = &network().network;
    let destination = Geography::get()
        .area(order.ship_to.zip.zip3())
        .unwrap()
        .centroid;

    let echoed: Vec<_> = decision
        .rejected_plans
        .iter()
        .filter_map(|rejected| match &rejected.reason {
            RejectReason::Plugin { reason, .. } => Some((&rejected.plan, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(echoed.len(), decision_candidates(&decision));
    assert!(echoed.len() > 1, "the order has several candidate plans");
    assert!(
        echoed.iter().any(|(plan, _)| plan.shipments.len() > 1),
        "some candidate is a split"
    );
    for (plan, reason) in echoed {
        let mut expected = format!(
            "{} {} {}",
            plan.cost.total.0, plan.cost.split_penalty.0, plan.estimated_delivery
        );
        for shipment in &plan.shipments {
            let node = &network.nodes()[network.node_index(&shipment.node).unwrap()];
            let cost = &shipment.cost;
            expected += &format!(
                " | {} {} {} {} {} {} {} {} {:.3} {} {} {}/{}/{}/{}/{}",
                node.id,
                node.kind,
                node.zip,
                shipment.service,
                shipment.carrier,
                shipment.service_level,
                shipment.zone,
                shipment.weight_g,
                node.location.miles_to(destination),
                shipment.ship_date,
                shipment.estimated_delivery,
                cost.shipping.0,
                cost.labor.0,
                cost.packaging.0,
                cost.capacity_pressure.0,
                cost.total.0,
            );
            for line in &shipment.lines {
                expected += &format!(" {}:{}", line.line, line.quantity);
            }
        }
        assert_eq!(reason, &expected);
    }
}
