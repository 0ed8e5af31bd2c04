//! Carbon-aware routing: each plan pays a price for the freight it moves, per kilogram-kilometre
//! (a shipment's weight times the great-circle distance from its node to the customer). Air
//! services (two-day and overnight) can be weighted more heavily. Configuration:
//!
//! ```json
//! {"cents_per_kg_km": 0.02, "air_factor": 4.0}
//! ```
//!
//! `air_factor` defaults to 1. The charge is rounded to whole cents.

use serde::Deserialize;
use switchyard_sdk::{Adjustment, Config, DecisionInput, Plan, Scorer, ServiceLevel};

const KM_PER_MILE: f64 = 1.609_344;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    cents_per_kg_km: f64,
    #[serde(default = "one")]
    air_factor: f64,
}

fn one() -> f64 {
    1.0
}

struct CarbonAware {
    settings: Settings,
}

impl Scorer for CarbonAware {
    fn new(config: &Config) -> Result<Self, String> {
        let settings: Settings = config.to()?;
        let valid = |value: f64| value.is_finite() && value >= 0.0;
        if !valid(settings.cents_per_kg_km) || !valid(settings.air_factor) {
            return Err(
                "`cents_per_kg_km` and `air_factor` must be finite and not negative".into(),
            );
        }
        Ok(CarbonAware { settings })
    }

    fn score(&self, input: &DecisionInput, plan: &Plan) -> Adjustment {
        let mut kg_km = 0.0;
        for shipment in input.shipments(plan) {
            let factor = match input.service(shipment).level {
                ServiceLevel::Ground => 1.0,
                ServiceLevel::TwoDay | ServiceLevel::Overnight => self.settings.air_factor,
            };
            let kg = shipment.weight_grams as f64 / 1000.0;
            kg_km += kg * shipment.distance_miles * KM_PER_MILE * factor;
        }
        let cents = (kg_km * self.settings.cents_per_kg_km).round() as i64;
        if cents == 0 {
            return Adjustment::none();
        }
        Adjustment::new(cents, format!("{kg_km:.0} kg-km of freight"))
    }
}

switchyard_sdk::scorer!(CarbonAware);

#[cfg(test)]
mod tests {
    use switchyard_sdk::testing::{OVERNIGHT, input, node, order, plan, shipment};
    use switchyard_sdk::{NodeKind, run_scorer};

    use super::CarbonAware;

    #[test]
    fn charges_weight_times_distance() {
        // 2 kg over 100 miles (160.9 km) by ground, and the same by air at four times the weight.
        let mut ground = shipment(0, &[0]);
        ground.shipment.weight_grams = 2000;
        ground.shipment.distance_miles = 100.0;
        let mut air = ground.clone();
        air.shipment.service = OVERNIGHT;
        let decision = input(
            order("SO-1", "standard"),
            vec![node("DC-NJ", NodeKind::Warehouse)],
            vec![plan(vec![ground]), plan(vec![air])],
        );

        let config = r#"{"cents_per_kg_km": 0.1, "air_factor": 4}"#;
        let adjustments = run_scorer::<CarbonAware>(config, &decision).unwrap();
        assert_eq!(adjustments[0].cents, 32);
        assert_eq!(adjustments[1].cents, 129);
        assert_eq!(adjustments[0].reason, "322 kg-km of freight");
    }

    #[test]
    fn a_negative_price_is_refused() {
        let decision = input(order("SO-1", "standard"), vec![], vec![]);
        let result = run_scorer::<CarbonAware>(r#"{"cents_per_kg_km": -1}"#, &decision);
        assert!(result.is_err());
    }
}
