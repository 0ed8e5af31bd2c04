//! What a plugin adds to a decision, and how long a plugin file takes to go live.
//!
//! Run with `cargo bench -p switchyard-tests --bench plugins`. The bench builds the example
//! plugins for `wasm32-wasip2` first, as the tests do.
//!
//! - `plugin/<name>`: one call of a tenant's plugin set holding only that plugin, judging the 20
//!   cheapest candidate plans of a 3-line order to Chicago over the 50-node example network. That is
//!   everything a plugin adds to a decision: converting the candidates to the WIT types, a fresh
//!   store, instantiation, the call and checking its answer.
//! - `decision/<name>`: the whole decision with that plugin, against `decision/none` without
//!   plugins (which looks for 6 plans, not 20).
//!
//! After criterion, the bench prints the median and 99th percentile of single calls (and the
//! median with the cheapest plan alone), and the time from writing a new plugin file into a
//! watched directory to the first decision that runs it.

use std::hint::black_box;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::Criterion;
use serde_json::json;
use switchyard::decision::{Decision, Plan};
use switchyard::files::{NetworkDir, load_network_dir, load_order};
use switchyard::model::Order;
use switchyard::plugin::{PluginSet, Runtime, RuntimeOptions, Watcher};
use switchyard::route_with;
use switchyard::rules::{Judgement, RuleFailure, RuleInput, Rules};
use switchyard_tests::{build_plugins, example_network, example_order, plugin_dir};

/// The example plugins, each with a configuration that makes it do real work on the order, and a
/// plugin that does nothing.
fn tenants() -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("never-split-vip", json!({"tiers": ["standard"]})),
        ("no-hazmat-from-stores", json!({"tags": ["beauty"]})),
        (
            "prefer-clearance-stores",
            json!({"stores": ["STORE-CHI-1", "STORE-CHI-2"]}),
        ),
        ("carbon-aware", json!({"cents_per_kg_km": 0.02})),
        (
            "maintenance-window",
            json!({"windows": [{"node": "DC-NJ", "from": "2026-12-01T00:00:00Z",
                                "until": "2026-12-31T00:00:00Z"}]}),
        ),
        // Not an example: a fixture that allows every plan and ignores its configuration, for
        // what any plugin call costs before a rule's own logic.
        ("allow-all-plugin", json!({})),
    ]
}

/// Rules that record the candidates they are shown, and the promise, and change nothing.
struct Capture(Mutex<(Vec<Plan>, Option<NaiveDate>)>);

impl Rules for Capture {
    fn is_empty(&self) -> bool {
        false
    }

    fn judge(&self, input: &RuleInput) -> Result<Judgement, RuleFailure> {
        *self.0.lock().unwrap() = (input.plans.to_vec(), Some(input.deliver_by));
        Ok(Judgement::neutral(input.plans.len()))
    }
}

struct Setup {
    network: NetworkDir,
    order: Order,
    /// The 20 candidate plans the optimizer hands to plugins for the order.
    candidates: Vec<Plan>,
    deliver_by: NaiveDate,
    /// One plugin set per example plugin, each holding that plugin only.
    sets: Vec<(&'static str, Arc<PluginSet>, tempfile::TempDir)>,
}

fn setup() -> Setup {
    let network = load_network_dir(&example_network()).expect("the example network loads");
    // The Chicago sample order, with three SKUs that most nodes stock, so there are more than
    // 20 plans to choose from.
    let mut order = load_order(&example_order("chicago-3-items.json")).expect("the order loads");
    for (line, sku) in order
        .lines
        .iter_mut()
        .zip(["SKU-0155", "SKU-0014", "SKU-0026"])
    {
        line.sku = sku.into();
    }
    let capture = Capture(Mutex::new((Vec::new(), None)));
    route_with(
        &network.network,
        &network.stock,
        &network.policy,
        &order,
        &capture,
    )
    .expect("the order routes");
    let (candidates, deliver_by) = capture.0.into_inner().unwrap();
    assert_eq!(candidates.len(), 20, "the order has 20 candidate plans");

    let runtime = Runtime::new(RuntimeOptions::default()).expect("the runtime starts");
    let sets = tenants()
        .into_iter()
        .map(|(name, config)| {
            let manifest = json!({"plugins": [{"name": name, "config": config}]});
            let dir = plugin_dir(&[name], &manifest);
            let set = PluginSet::open(runtime.clone(), dir.path()).expect("the set opens");
            assert_eq!(set.status()[0].problem, None, "{name} loads");
            (name, set, dir)
        })
        .collect();
    Setup {
        network,
        order,
        candidates,
        deliver_by: deliver_by.expect("the rules were asked"),
        sets,
    }
}

fn judge(setup: &Setup, set: &PluginSet) -> Judgement {
    judge_plans(setup, set, &setup.candidates)
}

fn judge_plans(setup: &Setup, set: &PluginSet, plans: &[Plan]) -> Judgement {
    let network = &setup.network;
    let input = RuleInput {
        network: &network.network,
        order: &setup.order,
        deliver_by: setup.deliver_by,
        plans,
    };
    set.judge(&input).expect("the plugin runs")
}

fn decide(setup: &Setup, rules: &dyn Rules) -> Decision {
    let network = &setup.network;
    route_with(
        &network.network,
        &network.stock,
        &network.policy,
        &setup.order,
        rules,
    )
    .expect("the order routes")
}

fn criterion_benches(criterion: &mut Criterion, setup: &Setup) {
    let mut group = criterion.benchmark_group("plugin");
    for (name, set, _) in &setup.sets {
        group.bench_function(*name, |bench| bench.iter(|| black_box(judge(setup, set))));
    }
    group.finish();

    let mut group = criterion.benchmark_group("decision");
    group.bench_function("none", |bench| {
        bench.iter(|| black_box(decide(setup, &switchyard::rules::NoRules)))
    });
    for (name, set, _) in &setup.sets {
        group.bench_function(*name, |bench| {
            bench.iter(|| black_box(decide(setup, set.as_ref())))
        });
    }
    group.finish();
}

/// The median and 99th percentile of `rounds` timed runs of `run`.
fn percentiles(rounds: usize, mut run: impl FnMut()) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99))
}

/// Single calls with the 20 plans, and with the cheapest plan alone: what a call costs whatever
/// its input (a fresh store, instantiation, the order), against what the plans add.
fn per_call(setup: &Setup) {
    println!("\nper-call latency of one plugin judging 20 candidate plans, and 1:");
    println!(
        "{:<26} {:>10} {:>10} {:>12} {:>14}",
        "plugin", "median", "p99", "fuel", "1-plan median"
    );
    let cheapest = &setup.candidates[..1];
    for (name, set, _) in &setup.sets {
        let fuel = judge(setup, set).runs[0].fuel_used;
        let (median, p99) = percentiles(20_000, || {
            black_box(judge(setup, set));
        });
        let (alone, _) = percentiles(20_000, || {
            black_box(judge_plans(setup, set, cheapest));
        });
        println!("{name:<26} {median:>10.1?} {p99:>10.1?} {fuel:>12} {alone:>14.1?}");
    }
}

/// Writes alternate builds of a plugin into a watched directory while decisions run, and times
/// each write until the first decision that runs the new version. Nothing is cached, so every
/// round compiles.
fn reload(setup: &Setup) {
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let builds: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|label| {
            let built = build_plugins(&["hostile-plugin"], &[("HOSTILE_BUILD", label)]);
            std::fs::read(built.join("hostile_plugin.wasm")).expect("the build is there")
        })
        .collect();
    let manifest = json!({"plugins": [{"name": "hostile", "config": {"act": "allow"}}]});
    std::fs::write(scratch.path().join("plugins.json"), manifest.to_string()).unwrap();
    let file = scratch.path().join("hostile.wasm");
    std::fs::write(&file, &builds[0]).unwrap();
    let runtime = Runtime::new(RuntimeOptions::default()).expect("the runtime starts");
    let set = PluginSet::open(runtime, scratch.path()).expect("the set opens");
    let _watcher = Watcher::start(set.clone()).expect("the watcher starts");

    let rounds = 10;
    let mut samples = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        let before = decide(setup, set.as_ref()).plugins[0].version.clone();
        write_replacing(&file, &builds[round % 2]);
        let start = Instant::now();
        loop {
            let decision = decide(setup, set.as_ref());
            if decision.plugins[0].version != before {
                samples.push(start.elapsed());
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the reload never came"
            );
        }
        // Let the watcher settle before the next write.
        std::thread::sleep(Duration::from_millis(300));
    }
    samples.sort();
    println!(
        "\nfile write to first decision on the new version, {rounds} rounds: median {:.0?}, \
         max {:.0?}",
        samples[rounds / 2],
        samples[rounds - 1]
    );
}

/// Replaces a file the way a deploy does: written beside it, then renamed over it.
fn write_replacing(path: &Path, bytes: &[u8]) {
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

fn main() {
    let setup = setup();
    let mut criterion = Criterion::default().configure_from_args();
    criterion_benches(&mut criterion, &setup);
    criterion.final_summary();
    per_call(&setup);
    reload(&setup);
}
