//! The report as one self-contained HTML page: the figures, the savings and three charts drawn as
//! inline SVG (cost per order by strategy, the delivery-day distribution, node utilization), with
//! no script and nothing fetched, so it opens offline in any browser.

use std::fmt::Write;

use super::figures::DELIVERY_DAY_BUCKETS;
use super::report::Report;
use crate::model::Cents;

/// One color per strategy, in report order.
const COLORS: [&str; 6] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#b07aa1",
];

/// Colors of the cost components.
const COMPONENTS: [(&str, &str); 3] = [
    ("Shipping", "#4e79a7"),
    ("Labor", "#f28e2b"),
    ("Packaging", "#bab0ac"),
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;\
color:#222;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}\
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .6rem}\
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\
svg text{font-size:12px;font-family:system-ui,sans-serif}p.note{color:#555;font-size:.9rem}";

/// Renders the page.
pub fn render(report: &Report) -> String {
    let run = &report.run;
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Switchyard simulation: {network}</title><style>{STYLE}</style></head><body>\n\
         <h1>Switchyard simulation on {network}</h1>\n<p>{orders} orders ({demand}{seed}) over \
         {days} days from {first}. Stock at {stock} days of demand, replenished every {dc} days \
         at DCs and 3PLs and every {store} days at stores{load}.</p>\n",
        network = escape(&run.network),
        orders = run.orders,
        demand = escape(&run.demand),
        seed = run.seed.map(|s| format!(", seed {s}")).unwrap_or_default(),
        days = run.days,
        first = run.first_day,
        stock = run.stock_days_of_demand,
        dc = run.warehouse_replenishment_days,
        store = run.store_replenishment_days,
        load = if run.base_load {
            "; each day starts with the network's base load"
        } else {
            ""
        },
    );

    // Savings.
    if !report.savings.is_empty() {
        page.push_str("<h2>Savings</h2>\n<ul>\n");
        for saving in &report.savings {
            let _ = writeln!(
                page,
                "<li><b>{}</b> against <b>{}</b>: {} per filled order ({:.1}%); {} ({:.1}%) on \
                 the orders every strategy filled; {} ({:.1}%) on those all filled on time.</li>",
                escape(&saving.strategy),
                escape(&saving.against),
                saving.per_order,
                saving.percent,
                saving.per_common_order,
                saving.percent_on_common_orders,
                saving.per_common_on_time_order,
                saving.percent_on_common_on_time_orders
            );
        }
        page.push_str("</ul>\n");
    }

    // Figures.
    page.push_str("<h2>Figures</h2>\n<table><tr><th>Figure</th>");
    for strategy in &report.strategies {
        let _ = write!(page, "<th>{}</th>", escape(&strategy.strategy));
    }
    page.push_str("</tr>\n");
    let rows: Vec<_> = report.strategies.iter().map(|s| s.figures.rows()).collect();
    for (at, first) in rows.first().into_iter().flatten().enumerate() {
        let _ = write!(page, "<tr><td>{}</td>", escape(first.label));
        for figures in &rows {
            let _ = write!(page, "<td class=\"n\">{}</td>", figures[at].value);
        }
        page.push_str("</tr>\n");
    }
    for (label, costs) in report.common_orders.rows() {
        let _ = write!(page, "<tr><td>{}</td>", escape(&label));
        for cost in costs {
            let _ = write!(page, "<td class=\"n\">{cost}</td>");
        }
        page.push_str("</tr>\n");
    }
    page.push_str(
        "</table>\n<p class=\"note\">Fulfillment cost is shipping, labor and \
        packaging. Split penalty and capacity pressure are the tenant policy's prices that the \
        optimizer weighs; nobody pays them.</p>\n",
    );

    page.push_str("<h2>Fulfillment cost per order</h2>\n");
    page.push_str(&cost_chart(report));
    page.push_str(
        "<h2>Delivery days</h2>\n<p class=\"note\">Share of filled orders by calendar \
        days from the customer's order date to the last shipment's delivery.</p>\n",
    );
    page.push_str(&delivery_chart(report));
    page.push_str(
        "<h2>Node utilization</h2>\n<p class=\"note\">Shipments taken over capacity, \
        over all days, shaded against the busiest node; the peak day is in brackets.</p>\n",
    );
    page.push_str(&utilization_chart(report));

    if let Some(shadow) = &report.shadow {
        let _ = write!(
            page,
            "<h2>Shadow comparison</h2>\n<p><b>{}</b> would have changed {} of {} decisions \
             made by <b>{}</b>.</p>\n",
            escape(&shadow.candidate),
            shadow.changed,
            shadow.compared,
            escape(&shadow.current)
        );
        if !shadow.examples.is_empty() {
            page.push_str(
                "<table><tr><th>Order</th><th>Current</th><th>Candidate</th><th>Why</th></tr>\n",
            );
            for example in &shadow.examples {
                let _ = writeln!(
                    page,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&example.order),
                    escape(&example.current),
                    escape(&example.candidate),
                    escape(example.why.as_deref().unwrap_or(""))
                );
            }
            page.push_str("</table>\n");
        }
        page.push_str("<h3>Each rule set live</h3>\n<table><tr><th>Figure</th><th>Current</th><th>Candidate</th><th>Difference</th></tr>\n");
        for difference in &shadow.differences {
            let _ = writeln!(
                page,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&difference.figure),
                escape(&difference.current),
                escape(&difference.candidate),
                escape(&difference.difference)
            );
        }
        page.push_str("</table>\n");
    }
    page.push_str("</body></html>\n");
    page
}

/// Horizontal stacked bars: shipping, labor and packaging per filled order, one bar per
/// strategy.
fn cost_chart(report: &Report) -> String {
    let (label_width, bar_width, bar_height, gap) = (190.0, 700.0, 26.0, 12.0);
    let per_order = |total: Cents, filled: u64| total.0 as f64 / filled.max(1) as f64;
    let bars: Vec<(&str, [f64; 3])> = report
        .strategies
        .iter()
        .map(|s| {
            let f = &s.figures;
            (
                s.strategy.as_str(),
                [
                    per_order(f.shipping_cost, f.filled),
                    per_order(f.labor_cost, f.filled),
                    per_order(f.packaging_cost, f.filled),
                ],
            )
        })
        .collect();
    let most = bars
        .iter()
        .map(|(_, parts)| parts.iter().sum::<f64>())
        .fold(1.0, f64::max);
    let height = bars.len() as f64 * (bar_height + gap) + 40.0;
    let mut svg = svg_open(label_width + bar_width + 90.0, height);
    for (row, (name, parts)) in bars.iter().enumerate() {
        let y = row as f64 * (bar_height + gap);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_width - 8.0,
            y + bar_height * 0.65,
            escape(name)
        );
        let mut x = label_width;
        for (part, (component, color)) in parts.iter().zip(COMPONENTS) {
            let width = part / most * bar_width;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{bar_height}\" \
                 fill=\"{color}\"><title>{component}: ${:.2}</title></rect>",
                part / 100.0
            );
            x += width;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\">${:.2}</text>",
            x + 6.0,
            y + bar_height * 0.65,
            parts.iter().sum::<f64>() / 100.0
        );
    }
    let legend_y = bars.len() as f64 * (bar_height + gap) + 12.0;
    let legend: Vec<(&str, &str)> = COMPONENTS.to_vec();
    svg.push_str(&legend_row(label_width, legend_y, &legend));
    svg.push_str("</svg>\n");
    svg
}

/// Grouped vertical bars: the share of filled orders delivered 0, 1, ... 10+ days after the
/// order, one bar per strategy in each group.
fn delivery_chart(report: &Report) -> String {
    let (left, plot_width, plot_height, top) = (50.0, 900.0, 260.0, 10.0);
    let shares: Vec<Vec<f64>> = report
        .strategies
        .iter()
        .map(|s| {
            let filled = s.figures.filled.max(1) as f64;
            s.figures
                .delivery_days
                .iter()
                .map(|&count| count as f64 / filled)
                .collect()
        })
        .collect();
    let most = shares.iter().flatten().copied().fold(0.01, f64::max);
    let scale = (most * 10.0).ceil() / 10.0;
    let group = plot_width / DELIVERY_DAY_BUCKETS as f64;
    let bar = (group - 8.0) / shares.len().max(1) as f64;
    let mut svg = svg_open(left + plot_width + 20.0, top + plot_height + 60.0);

    // Axis with gridlines every tenth of the scale.
    for tick in 0..=5 {
        let value = scale * tick as f64 / 5.0;
        let y = top + plot_height - value / scale * plot_height;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>",
            left + plot_width,
            left - 4.0,
            y + 4.0,
            value * 100.0
        );
    }
    for day in 0..DELIVERY_DAY_BUCKETS {
        let x0 = left + day as f64 * group + 4.0;
        for (lane, lane_shares) in shares.iter().enumerate() {
            let share = lane_shares.get(day).copied().unwrap_or(0.0);
            let height = share / scale * plot_height;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{height:.1}\" \
                 fill=\"{}\"><title>{}: {:.1}%</title></rect>",
                x0 + lane as f64 * bar,
                top + plot_height - height,
                bar.max(1.0),
                COLORS[lane % COLORS.len()],
                escape(&report.strategies[lane].strategy),
                share * 100.0
            );
        }
        let label = if day + 1 == DELIVERY_DAY_BUCKETS {
            format!("{day}+")
        } else {
            day.to_string()
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{label}</text>",
            x0 + (group - 8.0) / 2.0,
            top + plot_height + 16.0
        );
    }
    let names: Vec<(&str, &str)> = report
        .strategies
        .iter()
        .enumerate()
        .map(|(at, s)| (s.strategy.as_str(), COLORS[at % COLORS.len()]))
        .collect();
    svg.push_str(&legend_row(left, top + plot_height + 34.0, &names));
    svg.push_str("</svg>\n");
    svg
}

/// A heat map: one row per node, one column per strategy, shaded by utilization.
fn utilization_chart(report: &Report) -> String {
    let (label_width, cell_width, cell_height, top) = (170.0, 150.0, 18.0, 24.0);
    let nodes = report
        .strategies
        .first()
        .map_or(0, |s| s.figures.nodes.len());
    let columns = report.strategies.len() as f64;
    let busiest = report
        .strategies
        .iter()
        .flat_map(|s| s.figures.nodes.iter().map(|node| node.utilization))
        .fold(0.01, f64::max);
    let mut svg = svg_open(
        label_width + columns * cell_width + 10.0,
        top + nodes as f64 * cell_height + 10.0,
    );
    for (at, strategy) in report.strategies.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"16\" text-anchor=\"middle\">{}</text>",
            label_width + (at as f64 + 0.5) * cell_width,
            escape(&strategy.strategy)
        );
    }
    for node in 0..nodes {
        let y = top + node as f64 * cell_height;
        let first = &report.strategies[0].figures.nodes[node];
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} ({})</text>",
            label_width - 8.0,
            y + cell_height * 0.7,
            escape(&first.node),
            first.kind
        );
        for (at, strategy) in report.strategies.iter().enumerate() {
            let used = &strategy.figures.nodes[node];
            let shade = (used.utilization / busiest).clamp(0.0, 1.0);
            let x = label_width + at as f64 * cell_width;
            let ink = if shade > 0.55 { "#fff" } else { "#222" };
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                 fill=\"#e15759\" fill-opacity=\"{:.3}\" stroke=\"#eee\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{:.1}% \
                 ({:.0}%)</text>",
                cell_width,
                cell_height,
                0.04 + shade * 0.96,
                x + cell_width / 2.0,
                y + cell_height * 0.7,
                used.utilization * 100.0,
                used.peak_utilization * 100.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn svg_open(width: f64, height: f64) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">"
    )
}

fn legend_row(x: f64, y: f64, entries: &[(&str, &str)]) -> String {
    let mut svg = String::new();
    let mut at = x;
    for (name, color) in entries {
        let _ = write!(
            svg,
            "<rect x=\"{at:.1}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            y,
            at + 16.0,
            y + 10.0,
            escape(name)
        );
        at += 30.0 + 7.5 * name.len() as f64;
    }
    svg
}

/// Escapes text for HTML and SVG.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    }
}
