//! A simulation's report: what was run, every strategy's figures, the savings of the optimizing
//! strategies over the static ones, and the shadow comparison if there was one. It serializes to
//! the JSON file and renders as the terminal tables; [`super::html`] renders it as a page.
//!
//! Savings are given three ways. Per filled order, each strategy over the orders it filled; on
//! the orders every strategy filled, which compares like with like when one strategy leaves
//! orders unfilled that another fills (often the dearest ones); and on the orders every strategy
//! filled on time, which leaves out what keeping a promise the static rules break costs.

use comfy_table::{Cell, CellAlignment, Table};
use serde::Serialize;

use super::LaneResult;
use super::figures::{Figures, Value};
use super::shadow::ChangedDecision;
use crate::model::Cents;

/// Nodes the terminal's utilization table lists; the JSON and HTML reports list all.
const TERMINAL_NODES: usize = 12;

/// What was simulated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    /// The network directory's name.
    pub network: String,
    /// `generated` or the replay file's name.
    pub demand: String,
    /// The seed of a generated stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub orders: usize,
    pub first_day: chrono::NaiveDate,
    pub days: usize,
    /// Days of demand each SKU is stocked to across the network; 0 for the network's own
    /// inventory.
    pub stock_days_of_demand: f64,
    pub warehouse_replenishment_days: u32,
    pub store_replenishment_days: u32,
    /// Whether every day starts with the network's `load.csv` shipments already taken.
    pub base_load: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub run: RunSummary,
    pub strategies: Vec<StrategyFigures>,
    pub common_orders: CommonOrders,
    pub savings: Vec<Saving>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shadow: Option<ShadowReport>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StrategyFigures {
    pub strategy: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The orders every strategy filled, and what each strategy spent on them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommonOrders {
    pub orders: u64,
    /// Per strategy, in report order.
    pub average_fulfillment_cost: Vec<Cents>,
    /// The orders every strategy filled and delivered by the promise.
    pub on_time_orders: u64,
    /// Per strategy, on those.
    pub average_fulfillment_cost_on_time: Vec<Cents>,
}

/// What an optimizing strategy saves over a static one, per order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Saving {
    pub strategy: String,
    pub against: String,
    /// Difference of the average fulfillment cost per filled order; positive is a saving.
    pub per_order: Cents,
    pub percent: f64,
    /// The same on the orders every strategy filled.
    pub per_common_order: Cents,
    pub percent_on_common_orders: f64,
    /// The same on the orders every strategy filled on time.
    pub per_common_on_time_order: Cents,
    pub percent_on_common_on_time_orders: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShadowReport {
    pub current: String,
    pub candidate: String,
    /// Decisions compared on the current rules' state.
    pub compared: u64,
    pub changed: u64,
    pub examples: Vec<ChangedDecision>,
    /// Every headline figure of the two full runs.
    pub differences: Vec<Difference>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    pub figure: String,
    pub current: String,
    pub candidate: String,
    pub difference: String,
}

impl CommonOrders {
    /// The costs on shared orders as report rows: a label, and a cost per strategy.
    pub fn rows(&self) -> [(String, &[Cents]); 2] {
        [
            (
                format!("Cost per order, the {} orders all filled", self.orders),
                &self.average_fulfillment_cost,
            ),
            (
                format!(
                    "Cost per order, the {} orders all filled on time",
                    self.on_time_orders
                ),
                &self.average_fulfillment_cost_on_time,
            ),
        ]
    }
}

impl Report {
    /// Builds the report from the lanes' results, in lane order. A lane with a shadow log is
    /// the current rules of a shadow comparison, and the lane after it the candidate.
    pub fn new(run: RunSummary, results: Vec<LaneResult>) -> Report {
        // Orders every lane filled, and those every lane filled on time.
        let orders = results.first().map_or(0, |lane| lane.costs.len());
        let common: Vec<usize> = (0..orders)
            .filter(|&at| results.iter().all(|lane| lane.costs[at].is_some()))
            .collect();
        let on_time: Vec<usize> = common
            .iter()
            .copied()
            .filter(|&at| {
                results
                    .iter()
                    .all(|lane| lane.costs[at].is_some_and(|(_, on)| on))
            })
            .collect();
        let average_over = |orders: &[usize]| -> Vec<Cents> {
            results
                .iter()
                .map(|lane| {
                    let total: Cents = orders
                        .iter()
                        .filter_map(|&at| lane.costs[at].map(|(cost, _)| cost))
                        .sum();
                    total.scale(1, orders.len().max(1) as i64)
                })
                .collect()
        };
        let average_on_common = average_over(&common);
        let average_on_time = average_over(&on_time);

        // Savings of each optimizing lane over each static one.
        let mut savings = Vec::new();
        for (at, lane) in results
            .iter()
            .enumerate()
            .filter(|(_, lane)| lane.optimizes)
        {
            for (base_at, base) in results
                .iter()
                .enumerate()
                .filter(|(_, lane)| !lane.optimizes)
            {
                let ours = lane.figures.average_fulfillment_cost;
                let theirs = base.figures.average_fulfillment_cost;
                let percent = |saved: Cents, of: Cents| {
                    if of.0 == 0 {
                        0.0
                    } else {
                        saved.0 as f64 / of.0 as f64 * 100.0
                    }
                };
                let common_saved = average_on_common[base_at] - average_on_common[at];
                let on_time_saved = average_on_time[base_at] - average_on_time[at];
                savings.push(Saving {
                    strategy: lane.name.clone(),
                    against: base.name.clone(),
                    per_order: theirs - ours,
                    percent: percent(theirs - ours, theirs),
                    per_common_order: common_saved,
                    percent_on_common_orders: percent(common_saved, average_on_common[base_at]),
                    per_common_on_time_order: on_time_saved,
                    percent_on_common_on_time_orders: percent(
                        on_time_saved,
                        average_on_time[base_at],
                    ),
                });
            }
        }

        // The shadow comparison, if there was one.
        let shadow = results
            .iter()
            .position(|lane| lane.shadow.is_some())
            .and_then(|at| {
                let (current, candidate) = (&results[at], results.get(at + 1)?);
                let log = current.shadow.clone()?;
                let differences = current
                    .figures
                    .rows()
                    .into_iter()
                    .zip(candidate.figures.rows())
                    .map(|(ours, theirs)| Difference {
                        figure: ours.label.into(),
                        current: ours.value.to_string(),
                        candidate: theirs.value.to_string(),
                        difference: ours.value.difference_to(theirs.value),
                    })
                    .collect();
                Some(ShadowReport {
                    current: current.name.clone(),
                    candidate: candidate.name.clone(),
                    compared: log.compared,
                    changed: log.changed,
                    examples: log.examples,
                    differences,
                })
            });

        Report {
            run,
            strategies: results
                .into_iter()
                .map(|lane| StrategyFigures {
                    strategy: lane.name,
                    figures: lane.figures,
                })
                .collect(),
            common_orders: CommonOrders {
                orders: common.len() as u64,
                average_fulfillment_cost: average_on_common,
                on_time_orders: on_time.len() as u64,
                average_fulfillment_cost_on_time: average_on_time,
            },
            savings,
            shadow,
        }
    }

    /// The report as terminal tables.
    pub fn render(&self) -> String {
        let run = &self.run;
        let mut text = format!(
            "Simulated {} orders ({}{}) over {} days from {} on {}; stock at {} days of demand, \
             replenished every {} days (DCs, 3PLs) and {} days (stores){}.\n",
            run.orders,
            run.demand,
            run.seed
                .map(|seed| format!(", seed {seed}"))
                .unwrap_or_default(),
            run.days,
            run.first_day,
            run.network,
            run.stock_days_of_demand,
            run.warehouse_replenishment_days,
            run.store_replenishment_days,
            if run.base_load {
                "; base load from load.csv every day"
            } else {
                ""
            },
        );

        // Figures: one row per figure, one column per strategy.
        let mut header = vec!["Figure".to_string()];
        header.extend(self.strategies.iter().map(|s| s.strategy.clone()));
        let mut table = new_table(header);
        let rows: Vec<Vec<_>> = self.strategies.iter().map(|s| s.figures.rows()).collect();
        for (at, first) in rows.first().into_iter().flatten().enumerate() {
            let mut cells = vec![Cell::new(first.label)];
            cells.extend(rows.iter().map(|figures| right(figures[at].value)));
            table.add_row(cells);
        }
        for (label, costs) in self.common_orders.rows() {
            let mut cells = vec![Cell::new(label)];
            cells.extend(costs.iter().map(|&cost| right(Value::Money(cost))));
            table.add_row(cells);
        }
        text.push_str(&format!("{table}\n"));

        for saving in &self.savings {
            text.push_str(&format!(
                "{} against {}: saves {} per filled order ({:.1}%); {} ({:.1}%) on the orders \
                 all strategies filled; {} ({:.1}%) on those all filled on time.\n",
                saving.strategy,
                saving.against,
                saving.per_order,
                saving.percent,
                saving.per_common_order,
                saving.percent_on_common_orders,
                saving.per_common_on_time_order,
                saving.percent_on_common_on_time_orders,
            ));
        }

        // The busiest nodes.
        let mut header = vec!["Node utilization (peak day)".to_string()];
        header.extend(self.strategies.iter().map(|s| s.strategy.clone()));
        let mut table = new_table(header);
        let nodes = self.strategies.first().map_or(0, |s| s.figures.nodes.len());
        let mut busiest: Vec<usize> = (0..nodes).collect();
        let most = |node: usize| {
            self.strategies
                .iter()
                .map(|s| s.figures.nodes[node].utilization)
                .fold(0.0, f64::max)
        };
        busiest.sort_by(|&a, &b| most(b).total_cmp(&most(a)).then(a.cmp(&b)));
        for &node in busiest.iter().take(TERMINAL_NODES) {
            let first = &self.strategies[0].figures.nodes[node];
            let mut cells = vec![Cell::new(format!("{} ({})", first.node, first.kind))];
            cells.extend(self.strategies.iter().map(|s| {
                let used = &s.figures.nodes[node];
                Cell::new(format!(
                    "{:.1}% ({:.0}%)",
                    used.utilization * 100.0,
                    used.peak_utilization * 100.0
                ))
                .set_alignment(CellAlignment::Right)
            }));
            table.add_row(cells);
        }
        text.push_str(&format!(
            "{table}\nThe {} busiest of {nodes} nodes; the JSON and HTML reports list all.\n",
            TERMINAL_NODES.min(nodes)
        ));

        if let Some(shadow) = &self.shadow {
            text.push_str(&shadow.render());
        }
        text
    }
}

impl ShadowReport {
    fn render(&self) -> String {
        let share = if self.compared == 0 {
            0.0
        } else {
            self.changed as f64 / self.compared as f64 * 100.0
        };
        let mut text = format!(
            "\nShadow: {} would have changed {} of {} decisions ({share:.1}%) made by {}.\n",
            self.candidate, self.changed, self.compared, self.current
        );
        if !self.examples.is_empty() {
            let mut table = new_table(vec![
                "Order".into(),
                self.current.clone(),
                self.candidate.clone(),
                "Why".into(),
            ]);
            for example in &self.examples {
                table.add_row(vec![
                    Cell::new(&example.order),
                    Cell::new(&example.current),
                    Cell::new(&example.candidate),
                    Cell::new(example.why.as_deref().unwrap_or("")),
                ]);
            }
            text.push_str(&format!("{table}\n"));
        }
        let mut table = new_table(vec![
            "Figure, each rule set live".into(),
            self.current.clone(),
            self.candidate.clone(),
            "Difference".into(),
        ]);
        for difference in &self.differences {
            table.add_row(vec![
                Cell::new(&difference.figure),
                Cell::new(&difference.current).set_alignment(CellAlignment::Right),
                Cell::new(&difference.candidate).set_alignment(CellAlignment::Right),
                Cell::new(&difference.difference).set_alignment(CellAlignment::Right),
            ]);
        }
        text.push_str(&format!("{table}\n"));
        text
    }
}

fn new_table(header: Vec<String>) -> Table {
    crate::cli::table(&header.iter().map(String::as_str).collect::<Vec<_>>())
}

fn right(value: Value) -> Cell {
    Cell::new(value).set_alignment(CellAlignment::Right)
}
