//! Never split an order from a listed customer tier: every plan with more than one shipment is
//! rejected for those customers. Configuration: `{"tiers": ["vip"]}` (the default).

use switchyard_sdk::{Config, Constraint, DecisionInput, Plan, Verdict};

struct NeverSplitVip {
    tiers: Vec<String>,
}

impl Constraint for NeverSplitVip {
    fn new(config: &Config) -> Result<Self, String> {
        let tiers = config
            .get("tiers")?
            .unwrap_or_else(|| vec!["vip".to_string()]);
        Ok(NeverSplitVip { tiers })
    }

    fn check(&self, input: &DecisionInput, plan: &Plan) -> Verdict {
        let tier = &input.order.customer.tier;
        Verdict::reject_if(self.tiers.contains(tier) && plan.is_split(), || {
            format!(
                "{tier} orders ship in one parcel; this plan has {}",
                plan.shipment_count()
            )
        })
    }
}

switchyard_sdk::constraint!(NeverSplitVip);

#[cfg(test)]
mod tests {
    use switchyard_sdk::testing::{input, node, order, plan, shipment};
    use switchyard_sdk::{NodeKind, Verdict, run_constraint};

    use super::NeverSplitVip;

    fn decision(tier: &str) -> switchyard_sdk::DecisionInput {
        let nodes = vec![
            node("DC-NJ", NodeKind::Warehouse),
            node("DC-TX", NodeKind::Warehouse),
        ];
        let whole = plan(vec![shipment(0, &[0, 1])]);
        let split = plan(vec![shipment(0, &[0]), shipment(1, &[1])]);
        input(order("SO-1", tier), nodes, vec![split, whole])
    }

    #[test]
    fn rejects_splits_for_listed_tiers_only() {
        let verdicts = run_constraint::<NeverSplitVip>(r#"{"tiers": ["gold"]}"#, &decision("gold"));
        let verdicts = verdicts.unwrap();
        assert!(matches!(&verdicts[0], Verdict::Reject(reason) if reason.contains("2")));
        assert_eq!(verdicts[1], Verdict::Allow);

        let standard = run_constraint::<NeverSplitVip>(r#"{"tiers": ["gold"]}"#, &decision("vip"));
        assert_eq!(standard.unwrap(), vec![Verdict::Allow, Verdict::Allow]);
    }

    #[test]
    fn tiers_default_to_vip() {
        let verdicts = run_constraint::<NeverSplitVip>("{}", &decision("vip")).unwrap();
        assert!(matches!(verdicts[0], Verdict::Reject(_)));
    }

    #[test]
    fn a_malformed_tier_list_is_a_config_error() {
        let error = run_constraint::<NeverSplitVip>(r#"{"tiers": "vip"}"#, &decision("vip"));
        assert!(
            matches!(error, Err(switchyard_sdk::PluginError::InvalidConfig(m)) if m.contains("tiers"))
        );
    }
}
