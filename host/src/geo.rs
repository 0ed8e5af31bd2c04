//! Geography: ZIP codes, the USPS ZIP3 zone chart and ZIP3 centroids.
//!
//! Both tables are real reference data embedded in the binary (see `examples/reference/`). The
//! optimizer asks this module one question per node and order: which zone separates the node from
//! the ship-to ZIP. The chart answers where it has a row; otherwise the zone comes from the
//! great-circle distance between the node and the destination's ZIP3 centroid, in USPS-like
//! distance bands.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const ZONE_CHART_CSV: &str = include_str!("../../examples/reference/usps_zip3_zones_2018.csv");
const CENTROIDS_CSV: &str = include_str!("../../examples/reference/zip3_population_2020.csv");

/// A 5-digit US ZIP code, kept as its number (leading zeros are restored when displayed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zip5(u32);

impl Zip5 {
    /// The first three digits, which the zone chart and the centroid table are keyed by.
    pub fn zip3(self) -> Zip3 {
        Zip3((self.0 / 100) as u16)
    }
}

impl FromStr for Zip5 {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() == 5 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Zip5(
                text.parse()
                    .map_err(|_| format!("`{text}` is not a ZIP code"))?,
            ))
        } else {
            Err(format!("`{text}` is not a 5-digit ZIP code"))
        }
    }
}

impl fmt::Display for Zip5 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:05}", self.0)
    }
}

impl Serialize for Zip5 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Zip5 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The first three digits of a ZIP code, 0 to 999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zip3(pub u16);

impl fmt::Display for Zip3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A point on the globe in decimal degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    /// Great-circle distance in statute miles (haversine on a spherical Earth).
    pub fn miles_to(self, other: LatLon) -> f64 {
        const EARTH_RADIUS_MILES: f64 = 3958.8;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_MILES * a.sqrt().asin()
    }
}

/// The zone for a distance where the chart has no row: 1 up to 50 miles, then 150, 300, 600,
/// 1000, 1400 and 1800 miles for zones 2 to 7, and 8 beyond.
pub fn zone_for_distance(miles: f64) -> u8 {
    const UPPER_BOUNDS: [f64; 7] = [50.0, 150.0, 300.0, 600.0, 1000.0, 1400.0, 1800.0];
    UPPER_BOUNDS
        .iter()
        .position(|&bound| miles <= bound)
        .map_or(8, |i| i as u8 + 1)
}

/// A ZIP3 area: its population-weighted centroid, state and 2020 population.
#[derive(Clone, Debug)]
pub struct Zip3Area {
    pub zip3: Zip3,
    pub state: String,
    pub population: u64,
    pub centroid: LatLon,
}

/// The embedded zone chart and centroid table, parsed once on first use.
pub struct Geography {
    /// `zones[origin * 1000 + destination]`, 0 where the chart has no row.
    zones: Box<[u8]>,
    /// Indexed by ZIP3; `None` for ZIP3s without residents.
    areas: Vec<Option<Zip3Area>>,
}

impl Geography {
    /// The process-wide tables.
    pub fn get() -> &'static Geography {
        static GEOGRAPHY: OnceLock<Geography> = OnceLock::new();
        GEOGRAPHY.get_or_init(Geography::parse_embedded)
    }

    fn parse_embedded() -> Geography {
        // Both files are compiled into the binary and checked by the tests below, so a failure
        // here is a build defect, not bad input.
        let mut zones = vec![0u8; 1000 * 1000].into_boxed_slice();
        for line in ZONE_CHART_CSV.lines().skip(1) {
            let mut fields = line.split(',');
            let mut next_number = || -> usize {
                let field = fields.next().expect("zone chart row has too few fields");
                field.parse().expect("zone chart field is not a number")
            };
            let (origin, first, last, zone) =
                (next_number(), next_number(), next_number(), next_number());
            for destination in first..=last {
                zones[origin * 1000 + destination] = zone as u8;
            }
        }

        let mut areas: Vec<Option<Zip3Area>> = vec![None; 1000];
        for line in CENTROIDS_CSV.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let zip3: u16 = fields[0].parse().expect("centroid row has a bad ZIP3");
            areas[zip3 as usize] = Some(Zip3Area {
                zip3: Zip3(zip3),
                state: fields[1].to_string(),
                population: fields[2]
                    .parse()
                    .expect("centroid row has a bad population"),
                centroid: LatLon {
                    lat: fields[3].parse().expect("centroid row has a bad latitude"),
                    lon: fields[4].parse().expect("centroid row has a bad longitude"),
                },
            });
        }
        Geography { zones, areas }
    }

    /// The chart's zone between two ZIP3s, if it has a row for the pair.
    pub fn chart_zone(&self, origin: Zip3, destination: Zip3) -> Option<u8> {
        match self.zones[origin.0 as usize * 1000 + destination.0 as usize] {
            0 => None,
            zone => Some(zone),
        }
    }

    /// The zone from a node at `origin` (with its own coordinates) to a destination ZIP3: the
    /// chart's zone, else the distance band to the destination's centroid, else `None` when the
    /// destination is in neither table.
    pub fn zone(&self, origin: Zip3, origin_at: LatLon, destination: Zip3) -> Option<u8> {
        self.chart_zone(origin, destination).or_else(|| {
            let area = self.area(destination)?;
            Some(zone_for_distance(origin_at.miles_to(area.centroid)))
        })
    }

    /// Whether any zone can be found for a destination ZIP3.
    pub fn knows_destination(&self, destination: Zip3) -> bool {
        self.area(destination).is_some()
            || (0..1000).any(|origin| self.zones[origin * 1000 + destination.0 as usize] != 0)
    }

    pub fn area(&self, zip3: Zip3) -> Option<&Zip3Area> {
        self.areas.get(zip3.0 as usize)?.as_ref()
    }

    /// Every populated ZIP3, in ZIP order.
    pub fn areas(&self) -> impl Iterator<Item = &Zip3Area> {
        self.areas.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_tables_parse_completely() {
        let geography = Geography::get();
        assert_eq!(geography.areas().count(), 892);
        let people: u64 = geography.areas().map(|area| area.population).sum();
        assert_eq!(people, 334_726_586);
        let rows = geography.zones.iter().filter(|&&zone| zone != 0).count();
        assert_eq!(rows, 864_900);
    }

    #[test]
    fn chart_zones_match_known_pairs() {
        let geography = Geography::get();
        // Chicago (606) to itself is local; New York (100) to Los Angeles (900) is zone 8.
        assert_eq!(geography.chart_zone(Zip3(606), Zip3(606)), Some(1));
        assert_eq!(geography.chart_zone(Zip3(100), Zip3(900)), Some(8));
    }

    #[test]
    fn distance_bands_cover_the_edges() {
        assert_eq!(zone_for_distance(0.0), 1);
        assert_eq!(zone_for_distance(50.0), 1);
        assert_eq!(zone_for_distance(50.1), 2);
        assert_eq!(zone_for_distance(1800.0), 7);
        assert_eq!(zone_for_distance(2500.0), 8);
    }

    #[test]
    fn zip_codes_keep_leading_zeros() {
        let zip: Zip5 = "08837".parse().unwrap();
        assert_eq!(zip.to_string(), "08837");
        assert_eq!(zip.zip3(), Zip3(88));
        assert!("8837".parse::<Zip5>().is_err());
        assert!("0883a".parse::<Zip5>().is_err());
    }

    #[test]
    fn new_york_to_los_angeles_is_about_2450_miles() {
        let new_york = LatLon {
            lat: 40.7128,
            lon: -74.0060,
        };
        let los_angeles = LatLon {
            lat: 34.0522,
            lon: -118.2437,
        };
        let miles = new_york.miles_to(los_angeles);
        assert!((2440.0..2460.0).contains(&miles), "{miles}");
    }
}
