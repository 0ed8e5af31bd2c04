//! Hot reload: a plugin rebuilt into a watched directory goes live while decisions stream, with
//! none of them failing; a broken file leaves the last good version live.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use switchyard::decision::PluginOutcome;
use switchyard::files::{load_network_dir, load_order};
use switchyard::plugin::{PluginSet, PluginState, Runtime, RuntimeOptions, Watcher};
use switchyard::route_with;
use switchyard_tests::{build_plugins, example_network, example_order, plugin_dir};

/// Waits until `done` holds, up to a generous bound for a loaded machine.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn live_version(set: &PluginSet) -> String {
    set.status()[0].version.clone().unwrap()
}

#[test]
fn a_rebuilt_plugin_goes_live_during_a_stream_of_decisions_with_none_failing() {
    let manifest = json!({"plugins": [{"name": "hostile", "file": "hostile-plugin.wasm", "config": {"act": "allow"}}]});
    let dir = plugin_dir(&["hostile-plugin"], &manifest);
    let cache = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeOptions {
        cache_dir: Some(cache.path().into()),
    })
    .unwrap();
    let set = PluginSet::open(runtime, dir.path()).unwrap();
    let _watcher = Watcher::start(set.clone()).unwrap();
    let first = live_version(&set);

    // Decisions stream on another thread, recording the plugin version each one ran with.
    let network = load_network_dir(&example_network()).unwrap();
    let order = load_order(&example_order("chicago-3-items.json")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let stream = {
        let (set, stop, seen) = (set.clone(), stop.clone(), seen.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let decision = route_with(
                    &network.network,
                    &network.stock,
                    &network.policy,
                    &order,
                    &set,
                )
                .expect("no decision fails during a reload");
                let run = &decision.plugins[0];
                assert!(matches!(run.outcome, PluginOutcome::Ran { .. }), "{run:?}");
                assert!(decision.plan.is_some());
                seen.lock().unwrap().push(run.version.clone());
            }
        })
    };
    wait_for("the first decisions", || seen.lock().unwrap().len() >= 10);

    // Rebuild the plugin with another build label and copy it over the live file, as a deploy
    // would (a plain copy: the watcher may see the file half-written).
    let built = build_plugins(&["hostile-plugin"], &[("HOSTILE_BUILD", "2")]);
    std::fs::copy(
        built.join("hostile_plugin.wasm"),
        dir.path().join("hostile-plugin.wasm"),
    )
    .unwrap();
    wait_for("the new version", || live_version(&set) != first);
    let second = live_version(&set);
    wait_for("decisions on the new version", || {
        seen.lock().unwrap().last() == Some(&second)
    });

    stop.store(true, Ordering::Relaxed);
    stream.join().expect("the decision stream never failed");

    // Every decision ran the old version, then the new one: never a mix back and forth.
    let seen = seen.lock().unwrap();
    let switch = seen.iter().position(|version| *version == second).unwrap();
    assert!(seen[..switch].iter().all(|version| *version == first));
    assert!(seen[switch..].iter().all(|version| *version == second));
    assert_eq!(set.status()[0].problem, None);
}

#[test]
fn a_broken_file_leaves_the_last_good_version_live_and_says_why() {
    let manifest = json!({"plugins": [{"name": "vip", "file": "never-split-vip.wasm"}]});
    let dir = plugin_dir(&["never-split-vip"], &manifest);
    let runtime = Runtime::new(RuntimeOptions::default()).unwrap();
    let set = PluginSet::open(runtime, dir.path()).unwrap();
    let _watcher = Watcher::start(set.clone()).unwrap();
    let good = live_version(&set);

    std::fs::write(dir.path().join("never-split-vip.wasm"), b"garbage").unwrap();
    wait_for("the reload to notice", || set.status()[0].problem.is_some());
    let status = &set.status()[0];
    assert_eq!(status.version.as_deref(), Some(good.as_str()));
    assert_eq!(status.state, PluginState::Active);
    assert!(
        status
            .problem
            .as_deref()
            .unwrap()
            .contains("is not WebAssembly"),
        "{status:?}"
    );

    // A manifest change goes live too: the plugin now runs under a new configuration.
    let manifest = json!({"plugins": [{"name": "vip", "file": "never-split-vip.wasm"}, {"name": "extra", "file": "missing.wasm", "on_failure": "open"}]});
    std::fs::write(dir.path().join("plugins.json"), manifest.to_string()).unwrap();
    wait_for("the manifest reload", || set.status().len() == 2);
    assert_eq!(set.status()[1].state, PluginState::NotLoaded);

    // A broken manifest keeps everything as it was.
    std::fs::write(dir.path().join("plugins.json"), b"{ not json").unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(set.status().len(), 2);
}
