//! Stores never ship dangerous goods, even a store whose profile says it could: store staff are
//! not trained for it. A line counts as dangerous when its SKU needs the `hazmat` capability or
//! carries one of the configured tags. Configuration: `{"tags": ["beauty"]}` (default: none).

use serde::Deserialize;
use switchyard_sdk::{Config, Constraint, DecisionInput, Plan, Verdict};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    tags: Vec<String>,
}

struct NoHazmatFromStores {
    settings: Settings,
}

impl Constraint for NoHazmatFromStores {
    fn new(config: &Config) -> Result<Self, String> {
        Ok(NoHazmatFromStores {
            settings: config.to()?,
        })
    }

    fn check(&self, input: &DecisionInput, plan: &Plan) -> Verdict {
        let dangerous = |line: &switchyard_sdk::OrderLine| {
            line.needs("hazmat") || self.settings.tags.iter().any(|tag| line.has_tag(tag))
        };
        for shipment in input.shipments(plan) {
            let node = input.node(shipment);
            if !node.is_store() {
                continue;
            }
            let found = input
                .shipment_lines(shipment)
                .find(|(line, _)| dangerous(line));
            if let Some((line, _)) = found {
                return Verdict::Reject(format!("store {} may not ship {}", node.id, line.sku));
            }
        }
        Verdict::Allow
    }
}

switchyard_sdk::constraint!(NoHazmatFromStores);

#[cfg(test)]
mod tests {
    use switchyard_sdk::testing::{input, line, node, order, plan, shipment};
    use switchyard_sdk::{NodeKind, Verdict, run_constraint};

    use super::NoHazmatFromStores;

    fn decision() -> switchyard_sdk::DecisionInput {
        let mut order = order("SO-1", "standard");
        order.lines = vec![line("SKU-1", 1), line("SKU-2", 1)];
        order.lines[0].tags.push("beauty".into());
        order.lines[1].handling.push("hazmat".into());
        let nodes = vec![
            node("STORE-NYC", NodeKind::Store),
            node("DC-NJ", NodeKind::Warehouse),
        ];
        let plans = vec![
            plan(vec![shipment(0, &[0])]),
            plan(vec![shipment(0, &[1])]),
            plan(vec![shipment(1, &[0, 1])]),
        ];
        input(order, nodes, plans)
    }

    #[test]
    fn stores_may_not_ship_hazmat_lines() {
        let verdicts = run_constraint::<NoHazmatFromStores>("{}", &decision()).unwrap();
        assert_eq!(verdicts[0], Verdict::Allow);
        assert_eq!(
            verdicts[1],
            Verdict::Reject("store STORE-NYC may not ship SKU-2".into())
        );
        assert_eq!(verdicts[2], Verdict::Allow);
    }

    #[test]
    fn configured_tags_count_as_dangerous() {
        let verdicts = run_constraint::<NoHazmatFromStores>(r#"{"tags": ["beauty"]}"#, &decision());
        assert!(matches!(&verdicts.unwrap()[0], Verdict::Reject(r) if r.contains("SKU-1")));
    }

    #[test]
    fn unknown_settings_are_refused() {
        let result = run_constraint::<NoHazmatFromStores>(r#"{"tag": ["beauty"]}"#, &decision());
        assert!(result.is_err());
    }
}
