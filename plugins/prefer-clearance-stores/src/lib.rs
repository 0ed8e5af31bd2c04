//! Stores that must clear stock: a plan earns a credit for every unit of a clearance SKU it ships
//! from one of those stores, so the optimizer moves that stock even when a warehouse would be a
//! little cheaper. Configuration:
//!
//! ```json
//! {"stores": ["STORE-BKN", "STORE-PHL"], "skus": ["SKU-0009"], "credit_cents_per_unit": 400}
//! ```
//!
//! Without `skus`, every SKU tagged `clearance` counts. `credit_cents_per_unit` defaults to 300.

use serde::Deserialize;
use switchyard_sdk::{Adjustment, Config, DecisionInput, OrderLine, Plan, Scorer};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    stores: Vec<String>,
    #[serde(default)]
    skus: Option<Vec<String>>,
    #[serde(default = "default_credit")]
    credit_cents_per_unit: i64,
}

fn default_credit() -> i64 {
    300
}

struct PreferClearanceStores {
    settings: Settings,
}

impl PreferClearanceStores {
    fn is_clearance(&self, line: &OrderLine) -> bool {
        match &self.settings.skus {
            Some(skus) => skus.contains(&line.sku),
            None => line.has_tag("clearance"),
        }
    }
}

impl Scorer for PreferClearanceStores {
    fn new(config: &Config) -> Result<Self, String> {
        let settings: Settings = config.to()?;
        if settings.credit_cents_per_unit < 0 {
            return Err("`credit_cents_per_unit` must not be negative".into());
        }
        Ok(PreferClearanceStores { settings })
    }

    fn score(&self, input: &DecisionInput, plan: &Plan) -> Adjustment {
        let mut units = 0i64;
        let mut stores = Vec::new();
        for shipment in input.shipments(plan) {
            let node = input.node(shipment);
            if !self.settings.stores.contains(&node.id) {
                continue;
            }
            let cleared: u32 = input
                .shipment_lines(shipment)
                .filter(|(line, _)| self.is_clearance(line))
                .map(|(_, quantity)| quantity)
                .sum();
            if cleared > 0 {
                units += i64::from(cleared);
                stores.push(node.id.as_str());
            }
        }
        if units == 0 {
            return Adjustment::none();
        }
        let credit = units * self.settings.credit_cents_per_unit;
        let reason = format!(
            "clears {units} clearance unit(s) from {}",
            stores.join(", ")
        );
        Adjustment::new(-credit, reason)
    }
}

switchyard_sdk::scorer!(PreferClearanceStores);

#[cfg(test)]
mod tests {
    use switchyard_sdk::testing::{input, node, order, plan, shipment};
    use switchyard_sdk::{Adjustment, NodeKind, run_scorer};

    use super::PreferClearanceStores;

    fn decision() -> switchyard_sdk::DecisionInput {
        let mut order = order("SO-1", "standard");
        order.lines[0].quantity = 2;
        order.lines[0].tags.push("clearance".into());
        let nodes = vec![
            node("DC-NJ", NodeKind::Warehouse),
            node("STORE-BKN", NodeKind::Store),
            node("STORE-NYC", NodeKind::Store),
        ];
        let mut from_store = shipment(1, &[0]);
        from_store.lines[0].quantity = 2;
        let plans = vec![
            plan(vec![shipment(0, &[0])]),
            plan(vec![from_store]),
            plan(vec![shipment(2, &[0])]),
        ];
        input(order, nodes, plans)
    }

    #[test]
    fn credits_clearance_units_from_listed_stores() {
        let config = r#"{"stores": ["STORE-BKN"], "credit_cents_per_unit": 250}"#;
        let adjustments = run_scorer::<PreferClearanceStores>(config, &decision()).unwrap();
        assert_eq!(adjustments[0], Adjustment::none());
        assert_eq!(adjustments[1].cents, -500);
        assert!(adjustments[1].reason.contains("STORE-BKN"));
        assert_eq!(adjustments[2], Adjustment::none());
    }

    #[test]
    fn an_explicit_sku_list_replaces_the_tag() {
        let config = r#"{"stores": ["STORE-BKN"], "skus": ["SKU-9"]}"#;
        let adjustments = run_scorer::<PreferClearanceStores>(config, &decision()).unwrap();
        assert!(adjustments.iter().all(|a| a.cents == 0));
    }

    #[test]
    fn stores_are_required() {
        assert!(run_scorer::<PreferClearanceStores>("{}", &decision()).is_err());
    }
}
