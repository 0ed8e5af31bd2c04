//! The `switchyard` command line: `switchyard route` prints decisions as tables or JSON, with a
//! tenant's plugins when given a plugin directory; `switchyard plugins` checks such a directory;
//! `switchyard simulate` ([`crate::simulate::command`]) compares strategies over days of orders;
//! `switchyard serve` ([`crate::server`]) runs the HTTP service.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use crate::decision::{Decision, Plan, PluginOutcome, RejectReason, Strategy, Verdict};
use crate::files::{load_network_dir, load_order, read_json};
use crate::model::{Order, TenantPolicy};
use crate::plugin::{FailurePolicy, PluginSet, PluginState, Runtime, RuntimeOptions};
use crate::rules::{NoRules, Rules};

#[derive(Debug, Parser)]
#[command(
    name = "switchyard",
    version,
    about = "Cost-optimal, promise-aware order routing"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Route orders over a network and print each decision.
    Route(RouteArgs),
    /// Load a plugin directory, check every plugin against a sample decision, and print the
    /// status of each.
    Plugins(PluginArgs),
    /// Run the strategies side by side on a stream of orders over days, and report what each
    /// costs, how it keeps promises and how it uses the nodes.
    Simulate(crate::simulate::command::SimulateArgs),
    /// Run the HTTP service: tenants, networks, inventory, routing with reservations, plugins.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Holds the SQLite database, the operator token, the demo tenant's key and the plugin
    /// compile cache.
    #[arg(long, default_value = "switchyard-data")]
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` to keep state in PostgreSQL, shared by several replicas.
    #[arg(long, env = "SWITCHYARD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The operator token; by default read from (or made in) `<data-dir>/operator-token`.
    #[arg(long, env = "SWITCHYARD_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: Option<String>,
    /// `TENANT=DIR`: the tenant's plugins come from this directory, hot-reloaded when its files
    /// change, instead of the plugin API. May be given more than once.
    #[arg(long = "plugins", value_name = "TENANT=DIR", value_parser = tenant_dir)]
    pub plugins: Vec<(String, PathBuf)>,
    /// Where compiled plugins are cached; `<data-dir>/plugin-cache` by default.
    #[arg(long)]
    pub plugin_cache: Option<PathBuf>,
    /// How often, in milliseconds, this replica checks the database for changed tenants and
    /// fresh stock.
    #[arg(long, default_value_t = 1000)]
    pub sync_ms: u64,
    /// Do not create the `demo` tenant with the example network.
    #[arg(long)]
    pub no_demo: bool,
}

fn tenant_dir(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((tenant, dir)) if !tenant.is_empty() && !dir.is_empty() => {
            Ok((tenant.to_string(), PathBuf::from(dir)))
        }
        _ => Err(format!("`{text}` is not TENANT=DIR")),
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let options = crate::server::ServeOptions {
        listen: args.listen,
        data_dir: args.data_dir,
        database_url: args.database_url,
        operator_token: args.operator_token,
        local_plugins: args.plugins,
        plugin_cache: args.plugin_cache,
        sync_interval: std::time::Duration::from_millis(args.sync_ms.max(10)),
        demo: !args.no_demo,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(crate::server::serve(options))
}

#[derive(Debug, Args)]
pub struct PluginArgs {
    /// Plugin directory: `.wasm` files and an optional plugins.json.
    #[arg(long)]
    pub plugins: PathBuf,
    /// Where compiled plugins are cached; defaults to the user's cache directory.
    #[arg(long)]
    pub plugin_cache: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Network directory: nodes.json, services.json, rates.csv, skus.csv, inventory.csv, and
    /// optionally load.csv and policy.json.
    #[arg(long)]
    pub network: PathBuf,
    /// Order file, or a directory whose *.json files are orders; may be given more than once.
    #[arg(long, required = true)]
    pub order: Vec<PathBuf>,
    /// Who decides.
    #[arg(long, value_enum, default_value_t = StrategyArg::Optimizer)]
    pub strategy: StrategyArg,
    /// Tenant policy file to use instead of the network directory's policy.json.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Print JSON: one decision as an object, several as an array.
    #[arg(long)]
    pub json: bool,
    /// A tenant's plugin directory: its constraints and scorers judge the optimizer's plans.
    #[arg(long)]
    pub plugins: Option<PathBuf>,
    /// Where compiled plugins are cached; defaults to the user's cache directory.
    #[arg(long)]
    pub plugin_cache: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Optimizer,
    PrimaryNode,
    NearestNode,
    /// All three, one after the other.
    All,
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut impl Write) -> Result<()> {
    match cli.command {
        Command::Route(args) => route(args, out),
        Command::Plugins(args) => plugins(args, out),
        Command::Simulate(args) => crate::simulate::command::run(args, out),
        Command::Serve(args) => serve(args),
    }
}

/// Loads a plugin directory, reporting plugins that did not load on standard error.
pub(crate) fn open_plugins(dir: &Path, cache: Option<PathBuf>) -> Result<Arc<PluginSet>> {
    let options = match cache {
        Some(dir) => RuntimeOptions {
            cache_dir: Some(dir),
        },
        None => RuntimeOptions::with_default_cache(),
    };
    let runtime = Runtime::new(options).context("failed to start the plugin runtime")?;
    let set = PluginSet::open(runtime, dir)?;
    for status in set.status() {
        if let Some(problem) = &status.problem {
            eprintln!("warning: plugin `{}`: {problem}", status.name);
        }
    }
    Ok(set)
}

fn plugins(args: PluginArgs, out: &mut impl Write) -> Result<()> {
    let set = open_plugins(&args.plugins, args.plugin_cache)?;
    let statuses = set.status();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&statuses)?)?;
    } else {
        let mut table = table(&["Plugin", "Kind", "Version", "State", "On failure", "File"]);
        for status in &statuses {
            table.add_row(vec![
                Cell::new(&status.name),
                Cell::new(status.kind.map_or("?", |kind| kind.name())),
                Cell::new(status.version.as_deref().unwrap_or("-")),
                Cell::new(state_name(status.state)),
                Cell::new(match status.on_failure {
                    FailurePolicy::Closed => "fail closed",
                    FailurePolicy::Open => "fail open",
                }),
                Cell::new(&status.file),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    if statuses.iter().any(|status| status.problem.is_some()) {
        bail!("some plugins did not load");
    }
    Ok(())
}

fn state_name(state: PluginState) -> &'static str {
    match state {
        PluginState::Active => "active",
        PluginState::Failing => "failing",
        PluginState::BreakerOpen => "breaker open",
        PluginState::NotLoaded => "not loaded",
    }
}

fn route(args: RouteArgs, out: &mut impl Write) -> Result<()> {
    let loaded = load_network_dir(&args.network)?;
    let policy: TenantPolicy = match &args.policy {
        Some(path) => read_json(path)?,
        None => loaded.policy,
    };
    let orders = order_files(&args.order)?;
    let rules: Box<dyn Rules> = match &args.plugins {
        Some(dir) => Box::new(open_plugins(dir, args.plugin_cache.clone())?),
        None => Box::new(NoRules),
    };

    // Decide every order with every chosen strategy.
    let strategies = match args.strategy {
        StrategyArg::Optimizer => vec![Strategy::Optimizer],
        StrategyArg::PrimaryNode => vec![Strategy::PrimaryNode],
        StrategyArg::NearestNode => vec![Strategy::NearestNode],
        StrategyArg::All => vec![
            Strategy::Optimizer,
            Strategy::PrimaryNode,
            Strategy::NearestNode,
        ],
    };
    let mut decisions = Vec::new();
    for path in &orders {
        let order = load_order(path)?;
        for strategy in &strategies {
            let (network, stock) = (&loaded.network, &loaded.stock);
            let decided = match strategy {
                Strategy::Optimizer => {
                    crate::optimizer::route_with(network, stock, &policy, &order, rules.as_ref())
                }
                Strategy::PrimaryNode => {
                    crate::baseline::primary_node(network, stock, &policy, &order)
                }
                Strategy::NearestNode => {
                    crate::baseline::nearest_node(network, stock, &policy, &order)
                }
            };
            let decision = decided.map_err(|error| {
                anyhow::anyhow!("{}: {}: {error}", path.display(), error.field())
            })?;
            decisions.push((order.clone(), decision));
        }
    }

    // Print them.
    if args.json {
        let json = match decisions.as_slice() {
            [(_, only)] => serde_json::to_string_pretty(only)?,
            many => serde_json::to_string_pretty(&many.iter().map(|(_, d)| d).collect::<Vec<_>>())?,
        };
        writeln!(out, "{json}")?;
    } else {
        for (order, decision) in &decisions {
            writeln!(out, "{}", render(order, decision))?;
        }
    }
    Ok(())
}

/// The order files named on the command line, directories expanded to their *.json files.
fn order_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read directory {}", path.display()))?
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
                .collect();
            if found.is_empty() {
                bail!(
                    "{}: no *.json order files in this directory",
                    path.display()
                );
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// A decision as text tables for a terminal.
pub fn render(order: &Order, decision: &Decision) -> String {
    let mut text = String::new();
    let level = order
        .service_level
        .map(|l| format!(", {l}"))
        .unwrap_or_default();
    text.push_str(&format!(
        "Order {} to {}{} ({} line(s){level}), promised by {} | strategy: {}\n",
        order.id,
        order.ship_to.zip,
        if order.ship_to.residential {
            " residential"
        } else {
            ""
        },
        order.lines.len(),
        decision.deliver_by,
        decision.strategy.name(),
    ));

    match &decision.plan {
        Some(plan) => {
            let adjusted = if plan.cost.adjustments.is_zero() {
                String::new()
            } else {
                format!(" ({} after plugin adjustments)", plan.score())
            };
            text.push_str(&format!(
                "Chosen plan: {} total{adjusted}, arrives {}{}\n",
                plan.cost.total,
                plan.estimated_delivery,
                if plan.meets_promise { "" } else { " (LATE)" }
            ));
            text.push_str(&shipment_table(plan).to_string());
            text.push('\n');
        }
        None => text.push_str(&format!(
            "No plan: {}\n",
            decision
                .unfulfillable
                .as_deref()
                .unwrap_or("unknown reason")
        )),
    }

    if !decision.alternatives.is_empty() {
        // Plugin adjustments get a column of their own when any plan has one.
        let adjusted = decision
            .plan
            .iter()
            .any(|plan| !plan.cost.adjustments.is_zero())
            || decision
                .alternatives
                .iter()
                .any(|alternative| !alternative.plan.cost.adjustments.is_zero());
        let mut headers = vec!["#", "Alternative plan", "Shipments", "Total"];
        if adjusted {
            headers.push("Plugins");
        }
        headers.extend(["More by", "Arrives"]);
        let mut table = table(&headers);
        for (rank, alternative) in decision.alternatives.iter().enumerate() {
            let plan = &alternative.plan;
            let mut row = vec![
                Cell::new(rank + 2),
                Cell::new(plan.summary()),
                Cell::new(plan.shipments.len()).set_alignment(CellAlignment::Right),
                money(plan.cost.total),
            ];
            if adjusted {
                row.push(money(plan.cost.adjustments));
            }
            row.extend([
                money(alternative.costs_more_by),
                Cell::new(plan.estimated_delivery),
            ]);
            table.add_row(row);
        }
        text.push_str(&format!("{table}\n"));
    }

    if !decision.rejected_plans.is_empty() {
        let mut table = table(&["Ruled-out plan", "Total", "Why"]);
        for rejected in &decision.rejected_plans {
            table.add_row(vec![
                Cell::new(rejected.plan.summary()),
                money(rejected.plan.cost.total),
                Cell::new(&rejected.reason),
            ]);
        }
        text.push_str(&format!("{table}\n"));
    }

    if !decision.nodes.is_empty() {
        // Nodes that hold none of the order's SKUs are counted, not listed; JSON lists them.
        let mut table = table(&["Node", "Whole order alone"]);
        let mut hold_nothing = 0;
        for verdict in &decision.nodes {
            let said = match &verdict.verdict {
                Verdict::CanShipAll {
                    cost,
                    service,
                    estimated_delivery,
                } => {
                    format!("{cost} by {service}, arrives {estimated_delivery}")
                }
                Verdict::Rejected {
                    reason: RejectReason::NoStock { short },
                } if short.len() == order.lines.len()
                    && short.iter().all(|shortfall| shortfall.available == 0) =>
                {
                    hold_nothing += 1;
                    continue;
                }
                Verdict::Rejected { reason } => format!("no: {reason}"),
            };
            table.add_row(vec![Cell::new(&verdict.node), Cell::new(said)]);
        }
        if hold_nothing > 0 {
            table.add_row(vec![
                Cell::new(format!("{hold_nothing} more")),
                Cell::new("no: hold none of the order's SKUs"),
            ]);
        }
        text.push_str(&format!("{table}\n"));
    }

    if !decision.plugins.is_empty() {
        let mut table = table(&["Plugin", "Kind", "Version", "Outcome", "Fuel"]);
        for run in &decision.plugins {
            let outcome = match &run.outcome {
                PluginOutcome::Ran { plans, changed } => {
                    let verb = match run.kind {
                        crate::decision::PluginKind::Constraint => "rejected",
                        crate::decision::PluginKind::Scorer => "adjusted",
                    };
                    format!("{verb} {changed} of {plans} plans")
                }
                PluginOutcome::Skipped { error } => format!("skipped: {error}"),
            };
            table.add_row(vec![
                Cell::new(&run.plugin),
                Cell::new(run.kind.name()),
                Cell::new(&run.version),
                Cell::new(outcome),
                Cell::new(run.fuel_used).set_alignment(CellAlignment::Right),
            ]);
        }
        text.push_str(&format!("{table}\n"));
    }

    for sentence in &decision.rationale {
        text.push_str(&format!("- {sentence}\n"));
    }
    text
}

fn shipment_table(plan: &Plan) -> Table {
    let mut table = table(&[
        "Node",
        "Service",
        "Zone",
        "Lines",
        "Bill lb",
        "Ships",
        "Arrives",
        "Shipping",
        "Labor",
        "Packaging",
        "Pressure",
        "Total",
    ]);
    for shipment in &plan.shipments {
        let lines: Vec<String> = shipment
            .lines
            .iter()
            .map(|line| format!("{} x{}", line.sku, line.quantity))
            .collect();
        table.add_row(vec![
            Cell::new(format!("{} ({})", shipment.node, shipment.node_kind)),
            Cell::new(&shipment.service),
            Cell::new(shipment.zone).set_alignment(CellAlignment::Right),
            Cell::new(lines.join(", ")),
            Cell::new(shipment.billable_lb).set_alignment(CellAlignment::Right),
            Cell::new(shipment.ship_date),
            Cell::new(shipment.estimated_delivery),
            money(shipment.cost.shipping),
            money(shipment.cost.labor),
            money(shipment.cost.packaging),
            money(shipment.cost.capacity_pressure),
            money(shipment.cost.total),
        ]);
    }
    if plan.cost.split_penalty.0 != 0 {
        let mut row = vec![Cell::new("split penalty")];
        row.extend((0..10).map(|_| Cell::new("")));
        row.push(money(plan.cost.split_penalty));
        table.add_row(row);
    }
    table
}

pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_header(header.to_vec());
    table
}

fn money(amount: crate::model::Cents) -> Cell {
    Cell::new(amount).set_alignment(CellAlignment::Right)
}
