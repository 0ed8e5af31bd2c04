//! Carrier services: what a parcel costs and how long it travels, by zone and billable weight.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Cents, Id};

/// Zones 1 to 9: 1 to 8 by distance in the contiguous US, 9 for territories.
pub const ZONES: usize = 9;

/// Grams in an avoirdupois pound, times 100,000 so the conversion stays in integers.
const GRAMS_PER_POUND_E5: u64 = 45_359_237;

/// Cubic millimetres in a cubic inch, times 1,000.
const MM3_PER_CUBIC_INCH_E3: u64 = 16_387_064;

/// How fast a service is, and the speed an order may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceLevel {
    Ground,
    TwoDay,
    Overnight,
}

impl ServiceLevel {
    /// Business days from the order date by which an order asking for this level must arrive.
    pub fn promised_business_days(self) -> u32 {
        match self {
            ServiceLevel::Ground => 5,
            ServiceLevel::TwoDay => 2,
            ServiceLevel::Overnight => 1,
        }
    }
}

impl fmt::Display for ServiceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServiceLevel::Ground => "ground",
            ServiceLevel::TwoDay => "two_day",
            ServiceLevel::Overnight => "overnight",
        })
    }
}

/// A price table: row `n` holds the base price of a parcel of `n + 1` billable pounds in each of
/// the nine zones, `null` where the service does not serve the zone. Parcels heavier than the
/// last row cannot take the service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RateCard(pub Vec<[Option<Cents>; ZONES]>);

impl RateCard {
    /// The base price for a zone (1 to 9) and a billable weight in whole pounds, if the service
    /// carries that parcel there.
    pub fn price(&self, zone: u8, billable_lb: u32) -> Option<Cents> {
        let row = self.0.get((billable_lb.max(1) - 1) as usize)?;
        *row.get(zone.checked_sub(1)? as usize)?
    }

    pub fn max_lb(&self) -> u32 {
        self.0.len() as u32
    }
}

/// One service of one carrier, such as UPS Ground or FedEx 2Day.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierService {
    pub id: Id,
    pub carrier: Id,
    #[serde(default)]
    pub name: String,
    pub level: ServiceLevel,
    /// Cubic inches per dimensional pound, such as 139.
    pub dim_divisor: u32,
    /// Fuel surcharge on the base price and residential surcharge, in basis points (1250 is
    /// 12.5%).
    pub fuel_surcharge_bp: u32,
    #[serde(rename = "residential_surcharge_cents")]
    pub residential_surcharge: Cents,
    /// Business days in transit for zones 1 to 9, `null` where the zone is not served.
    pub transit_days: [Option<u8>; ZONES],
    #[serde(default)]
    pub rates: RateCard,
}

impl CarrierService {
    /// The billable weight in whole pounds: the larger of actual and dimensional weight, each
    /// rounded up, and at least one pound.
    pub fn billable_lb(&self, weight_g: u64, volume_mm3: u64) -> u32 {
        let actual = (weight_g * 100_000).div_ceil(GRAMS_PER_POUND_E5);
        let divisor = MM3_PER_CUBIC_INCH_E3 * self.dim_divisor.max(1) as u64;
        let dimensional = (volume_mm3 * 1_000).div_ceil(divisor);
        actual.max(dimensional).max(1).min(u32::MAX as u64) as u32
    }

    /// Business days in transit to a zone, if the service serves it.
    pub fn transit(&self, zone: u8) -> Option<u8> {
        *self.transit_days.get(zone.checked_sub(1)? as usize)?
    }

    /// What the carrier charges for a parcel: base price by zone and billable weight, plus the
    /// residential surcharge, plus fuel on both. `None` if the parcel is too heavy or the zone
    /// is not served.
    #[inline]
    pub fn charge(&self, zone: u8, billable_lb: u32, residential: bool) -> Option<Cents> {
        let mut charge = self.rates.price(zone, billable_lb)?;
        if residential {
            charge += self.residential_surcharge;
        }
        Some(charge + charge.scale_bp(self.fuel_surcharge_bp as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> CarrierService {
        let row = |base: i64| {
            let mut zones = [None; ZONES];
            for (zone, price) in zones.iter_mut().enumerate().take(8) {
                *price = Some(Cents(base + 100 * zone as i64));
            }
            zones
        };
        CarrierService {
            id: "test-ground".into(),
            carrier: "Test".into(),
            name: String::new(),
            level: ServiceLevel::Ground,
            dim_divisor: 139,
            fuel_surcharge_bp: 1000,
            residential_surcharge: Cents(500),
            transit_days: [
                Some(1),
                Some(2),
                Some(3),
                Some(3),
                Some(4),
                Some(4),
                Some(5),
                Some(5),
                None,
            ],
            rates: RateCard(vec![row(800), row(900), row(1000)]),
        }
    }

    #[test]
    fn billable_weight_rounds_actual_weight_up() {
        let service = service();
        assert_eq!(service.billable_lb(0, 0), 1);
        assert_eq!(service.billable_lb(453, 0), 1);
        assert_eq!(service.billable_lb(454, 0), 2);
    }

    #[test]
    fn billable_weight_takes_dimensional_weight_when_larger() {
        let service = service();
        // A 12 x 12 x 12 inch box is 1728 cubic inches: 12.4 dimensional pounds, billed as 13.
        let inch = 25.4;
        let side_mm = (12.0 * inch) as u64;
        let volume = side_mm * side_mm * side_mm;
        assert_eq!(service.billable_lb(500, volume), 13);
    }

    #[test]
    fn charge_adds_residential_then_fuel() {
        let service = service();
        // Zone 3 at 2 lb is $11.00; plus $5.00 residential, plus 10% fuel.
        assert_eq!(service.charge(3, 2, false), Some(Cents(1210)));
        assert_eq!(service.charge(3, 2, true), Some(Cents(1760)));
        assert_eq!(service.charge(9, 2, false), None, "zone 9 is not served");
        assert_eq!(
            service.charge(3, 4, false),
            None,
            "heavier than the rate card"
        );
    }
}
