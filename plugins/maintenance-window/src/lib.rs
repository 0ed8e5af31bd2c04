//! Planned maintenance: a node takes no orders placed inside one of its windows. Times are RFC
//! 3339 and judged against the order's `placed_at`; a window includes its start, not its end.
//! Configuration:
//!
//! ```json
//! {"windows": [{"node": "DC-OH", "from": "2026-12-08T05:00:00Z",
//!               "until": "2026-12-09T05:00:00Z", "reason": "sorter upgrade"}]}
//! ```

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use switchyard_sdk::{Config, Constraint, DecisionInput, Plan, Verdict};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowSetting {
    node: String,
    from: String,
    until: String,
    #[serde(default)]
    reason: Option<String>,
}

struct Window {
    node: String,
    from: DateTime<FixedOffset>,
    until: DateTime<FixedOffset>,
    reason: String,
}

struct MaintenanceWindow {
    windows: Vec<Window>,
}

fn timestamp(text: &str, field: &str, at: usize) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|error| {
        format!("`windows[{at}].{field}`: `{text}` is not an RFC 3339 time: {error}")
    })
}

impl Constraint for MaintenanceWindow {
    fn new(config: &Config) -> Result<Self, String> {
        let settings: Vec<WindowSetting> = config.require("windows")?;
        let mut windows = Vec::with_capacity(settings.len());
        for (at, setting) in settings.into_iter().enumerate() {
            let from = timestamp(&setting.from, "from", at)?;
            let until = timestamp(&setting.until, "until", at)?;
            if until <= from {
                return Err(format!("`windows[{at}]` ends before it starts"));
            }
            let reason = setting.reason.unwrap_or_else(|| "maintenance".into());
            windows.push(Window {
                node: setting.node,
                from,
                until,
                reason,
            });
        }
        Ok(MaintenanceWindow { windows })
    }

    fn check(&self, input: &DecisionInput, plan: &Plan) -> Verdict {
        verdict(&self.open_at(input), input, plan)
    }

    /// Finds the windows open when the order was placed once, then judges every plan by them.
    fn check_plans(&self, input: &DecisionInput) -> Vec<Verdict> {
        let open = self.open_at(input);
        input
            .plans
            .iter()
            .map(|plan| verdict(&open, input, plan))
            .collect()
    }
}

impl MaintenanceWindow {
    /// The windows open when the order was placed.
    fn open_at(&self, input: &DecisionInput) -> Vec<&Window> {
        // The host always sends a valid time; a plugin that cannot read one blocks nothing.
        let Ok(placed) = DateTime::parse_from_rfc3339(&input.order.placed_at) else {
            return Vec::new();
        };
        self.windows
            .iter()
            .filter(|w| w.from <= placed && placed < w.until)
            .collect()
    }
}

/// Rejects a plan that ships from a node with an open window.
fn verdict(open: &[&Window], input: &DecisionInput, plan: &Plan) -> Verdict {
    for node in input.plan_nodes(plan) {
        if let Some(window) = open.iter().find(|w| w.node == node.id) {
            let until = window.until.to_rfc3339();
            return Verdict::Reject(format!(
                "{} is closed until {until}: {}",
                node.id, window.reason
            ));
        }
    }
    Verdict::Allow
}

switchyard_sdk::constraint!(MaintenanceWindow);

#[cfg(test)]
mod tests {
    use switchyard_sdk::testing::{input, node, order, plan, shipment};
    use switchyard_sdk::{NodeKind, Verdict, run_constraint};

    use super::MaintenanceWindow;

    const CONFIG: &str = r#"{"windows": [{"node": "DC-OH", "from": "2026-12-08T00:00:00-05:00",
        "until": "2026-12-09T00:00:00-05:00", "reason": "sorter upgrade"}]}"#;

    fn decision(placed_at: &str) -> switchyard_sdk::DecisionInput {
        let mut order = order("SO-1", "standard");
        order.placed_at = placed_at.into();
        let nodes = vec![
            node("DC-OH", NodeKind::Warehouse),
            node("DC-NJ", NodeKind::Warehouse),
        ];
        let plans = vec![plan(vec![shipment(0, &[0])]), plan(vec![shipment(1, &[0])])];
        input(order, nodes, plans)
    }

    #[test]
    fn blocks_the_node_inside_its_window() {
        let verdicts =
            run_constraint::<MaintenanceWindow>(CONFIG, &decision("2026-12-08T14:00:00Z"));
        let verdicts = verdicts.unwrap();
        assert!(matches!(&verdicts[0], Verdict::Reject(r) if r.contains("sorter upgrade")));
        assert_eq!(verdicts[1], Verdict::Allow);
    }

    #[test]
    fn the_window_end_is_open() {
        // Midnight in New York is 05:00 UTC.
        let at_end = decision("2026-12-09T05:00:00Z");
        let verdicts = run_constraint::<MaintenanceWindow>(CONFIG, &at_end).unwrap();
        assert_eq!(verdicts, vec![Verdict::Allow, Verdict::Allow]);
        let before = decision("2026-12-08T04:59:59Z");
        assert_eq!(
            run_constraint::<MaintenanceWindow>(CONFIG, &before).unwrap()[0],
            Verdict::Allow
        );
    }

    #[test]
    fn bad_times_name_the_field() {
        let config = r#"{"windows": [{"node": "DC-OH", "from": "tuesday", "until": "2026-12-09T00:00:00Z"}]}"#;
        let error = run_constraint::<MaintenanceWindow>(config, &decision("2026-12-08T14:00:00Z"));
        let Err(switchyard_sdk::PluginError::InvalidConfig(message)) = error else {
            panic!()
        };
        assert!(message.contains("windows[0].from"), "{message}");
    }
}
