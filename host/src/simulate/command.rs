//! `switchyard simulate`: the command-line face of the simulator. It loads the network, the
//! policy and any plugins, draws or replays the order stream, runs the strategies with a progress
//! bar on standard error, prints the tables and writes the JSON and HTML reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::demand::{self, DemandModel};
use super::dynamics::{Replenishment, stock_to_demand};
use super::report::{Report, RunSummary};
use super::{Decider, Lane, Simulation};
use crate::files::{load_network_dir, read_json};
use crate::model::TenantPolicy;
use crate::rules::{NoRules, Rules};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Network directory, as for `switchyard route`.
    #[arg(long)]
    pub network: PathBuf,
    /// Tenant policy file to use instead of the network directory's policy.json.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// A tenant's plugin directory: adds the strategy "optimizer with plugins", and in a shadow
    /// comparison is the current rules.
    #[arg(long)]
    pub plugins: Option<PathBuf>,
    /// Where compiled plugins are cached; defaults to the user's cache directory.
    #[arg(long)]
    pub plugin_cache: Option<PathBuf>,
    /// Candidate rules to compare with the current ones: a plugin directory (or its
    /// plugins.json), or a tenant policy file. Runs only the current and the candidate rules.
    #[arg(long)]
    pub shadow: Option<PathBuf>,
    /// Replay these orders instead of drawing them: a JSON-lines file, one order per line.
    #[arg(long, conflicts_with_all = ["orders", "days", "start"])]
    pub replay: Option<PathBuf>,
    /// Orders to draw over the whole run.
    #[arg(long, default_value_t = 10_000)]
    pub orders: usize,
    /// Days the run lasts.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// The first day, as YYYY-MM-DD.
    #[arg(long, default_value = "2026-11-09")]
    pub start: NaiveDate,
    /// Seed of the drawn stream; the same seed gives the same orders and figures.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Zipf exponent of SKU popularity.
    #[arg(long, default_value_t = 1.0)]
    pub zipf: f64,
    /// Average lines per order (1 to 8).
    #[arg(long, default_value_t = 1.6)]
    pub mean_lines: f64,
    #[arg(long, default_value_t = 0.20)]
    pub two_day_share: f64,
    #[arg(long, default_value_t = 0.05)]
    pub overnight_share: f64,
    /// Share of orders from customers of tier `vip`.
    #[arg(long, default_value_t = 0.05)]
    pub vip_share: f64,
    #[arg(long, default_value_t = 0.85)]
    pub residential_share: f64,
    /// A peak day (YYYY-MM-DD); may be given more than once. Without any, Black Friday and
    /// Cyber Monday are peak days when they fall in the run.
    #[arg(long = "peak")]
    pub peak: Vec<NaiveDate>,
    /// Orders on a peak day, relative to an ordinary weekday.
    #[arg(long, default_value_t = 3.0)]
    pub peak_factor: f64,
    /// Days of each SKU's demand stocked across the network; 0 keeps the network's inventory.
    #[arg(long, default_value_t = 10.0)]
    pub stock_days: f64,
    /// Days between deliveries to distribution centers and 3PLs.
    #[arg(long, default_value_t = 7)]
    pub dc_replenish_days: u32,
    /// Days between deliveries to stores.
    #[arg(long, default_value_t = 3)]
    pub store_replenish_days: u32,
    /// Start every day with the network's load.csv shipments already taken (other channels'
    /// work); without it, nodes start every day empty.
    #[arg(long)]
    pub base_load: bool,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the report as an HTML page to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

/// Candidate rules for a shadow comparison.
enum Candidate {
    Plugins(PathBuf),
    Policy(TenantPolicy),
}

pub fn run(args: SimulateArgs, out: &mut impl Write) -> Result<()> {
    let loaded = load_network_dir(&args.network)?;
    let network = &loaded.network;
    let policy: TenantPolicy = match &args.policy {
        Some(path) => read_json(path)?,
        None => loaded.policy.clone(),
    };
    if !(0.0..=365.0).contains(&args.stock_days) {
        bail!("--stock-days: must be between 0 and 365");
    }
    if args.dc_replenish_days == 0 || args.store_replenish_days == 0 {
        bail!("--dc-replenish-days and --store-replenish-days must be at least 1");
    }

    // The stream: replayed or drawn.
    let stream = match &args.replay {
        Some(file) => demand::replay(file)?,
        None => {
            let mut model = DemandModel::new(args.orders, args.days, args.start);
            model.zipf_exponent = args.zipf;
            model.mean_lines = args.mean_lines;
            model.two_day_share = args.two_day_share;
            model.overnight_share = args.overnight_share;
            model.vip_share = args.vip_share;
            model.residential_share = args.residential_share;
            model.peak_factor = args.peak_factor;
            if !args.peak.is_empty() {
                model.peak_days = args.peak.clone();
            }
            demand::generate(network, &loaded.stock, &model, args.seed)?
        }
    };

    // Stocking levels and the daily base load.
    let levels = stock_to_demand(
        network,
        &loaded.stock,
        &stream.units_by_sku(network),
        stream.days.len() as u32,
        args.stock_days,
    );
    if let Some(file) = &args.replay {
        super::check_replay(network, &levels, &policy, &stream, file)?;
    }
    let base_load = (0..network.nodes().len())
        .map(|node| {
            if args.base_load {
                loaded.stock.orders_today(node)
            } else {
                0
            }
        })
        .collect();

    // The strategies.
    let current_rules: Option<Arc<dyn Rules + Send + Sync>> = match &args.plugins {
        Some(dir) => Some(crate::cli::open_plugins(dir, args.plugin_cache.clone())?),
        None => None,
    };
    let mut shadow_candidate = None;
    let lanes: Vec<Lane> = match &args.shadow {
        None => {
            // The heaviest lane first, so that it starts at once on its own thread.
            let mut lanes = Vec::new();
            if let Some(rules) = &current_rules {
                lanes.push(Lane::new(
                    "optimizer + plugins",
                    Decider::Optimizer(rules.clone()),
                    &policy,
                ));
            }
            lanes.push(Lane::new(
                "optimizer",
                Decider::Optimizer(Arc::new(NoRules)),
                &policy,
            ));
            lanes.push(Lane::new("primary-node", Decider::PrimaryNode, &policy));
            lanes.push(Lane::new("nearest-node", Decider::NearestNode, &policy));
            lanes
        }
        Some(path) => {
            let rules = current_rules
                .clone()
                .unwrap_or_else(|| Arc::new(NoRules) as Arc<dyn Rules + Send + Sync>);
            let current = Lane::new("current", Decider::Optimizer(rules.clone()), &policy);
            let candidate = match candidate(path)? {
                Candidate::Plugins(dir) => Lane::new(
                    "candidate",
                    Decider::Optimizer(crate::cli::open_plugins(&dir, args.plugin_cache.clone())?),
                    &policy,
                ),
                Candidate::Policy(candidate_policy) => {
                    Lane::new("candidate", Decider::Optimizer(rules), &candidate_policy)
                }
            };
            shadow_candidate = Some(candidate.clone());
            vec![current, candidate]
        }
    };

    // Run, with a progress bar on standard error (drawn only on a terminal).
    let work = (stream.orders.len() * lanes.len()) as u64;
    let bar = ProgressBar::new(work);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} simulating [{bar:40}] {percent}% {human_pos}/{human_len} decisions, \
             {elapsed} elapsed, about {eta} left",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let simulation = Simulation {
        network,
        levels,
        base_load,
        replenishment: Replenishment {
            warehouse_every: args.dc_replenish_days,
            store_every: args.store_replenish_days,
        },
        stream: &stream,
    };
    let started = std::time::Instant::now();
    let results = super::run(
        &simulation,
        &lanes,
        shadow_candidate.as_ref().map(|lane| (0, lane)),
        &|done| bar.inc(done),
    )?;
    bar.finish_and_clear();
    let elapsed = started.elapsed();

    // Report.
    let summary = RunSummary {
        network: dir_name(&args.network),
        demand: match &args.replay {
            Some(file) => format!("replay of {}", dir_name(file)),
            None => "generated".into(),
        },
        seed: args.replay.is_none().then_some(args.seed),
        orders: stream.orders.len(),
        first_day: stream.days[0],
        days: stream.days.len(),
        stock_days_of_demand: args.stock_days,
        warehouse_replenishment_days: args.dc_replenish_days,
        store_replenishment_days: args.store_replenish_days,
        base_load: args.base_load,
    };
    let report = Report::new(summary, results);
    write!(out, "{}", report.render())?;
    writeln!(out, "{} decisions in {:.1} s.", work, elapsed.as_secs_f64())?;
    if let Some(file) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        std::fs::write(file, json + "\n")
            .with_context(|| format!("cannot write {}", file.display()))?;
        writeln!(out, "Wrote {}.", file.display())?;
    }
    if let Some(file) = &args.html {
        std::fs::write(file, super::html::render(&report))
            .with_context(|| format!("cannot write {}", file.display()))?;
        writeln!(out, "Wrote {}.", file.display())?;
    }
    Ok(())
}

/// Reads what `--shadow` names.
fn candidate(path: &Path) -> Result<Candidate> {
    if path.is_dir() {
        return Ok(Candidate::Plugins(path.to_path_buf()));
    }
    if !path.exists() {
        bail!("--shadow: {} does not exist", path.display());
    }
    if path.file_name().is_some_and(|name| name == "plugins.json") {
        let dir = path.parent().unwrap_or(Path::new("."));
        return Ok(Candidate::Plugins(dir.to_path_buf()));
    }
    let policy: TenantPolicy = read_json(path).with_context(|| {
        "--shadow: a file other than plugins.json must be a tenant policy".to_string()
    })?;
    Ok(Candidate::Policy(policy))
}

/// The last part of a path, for naming what was run without the machine's directories.
fn dir_name(path: &Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
