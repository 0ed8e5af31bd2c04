//! Reading a network directory and order files. Every error names the file, the place in it
//! (a JSON path or a CSV line and column) and the problem.
//!
//! A network directory holds:
//!
//! | file | what |
//! | --- | --- |
//! | `nodes.json` | an array of [`Node`]s |
//! | `services.json` | `{"holidays": [dates], "services": [CarrierService]}` without rates |
//! | `rates.csv` | `service,weight_lb,zone_1,...,zone_9`: rows 1, 2, 3... lb per service |
//! | `skus.csv` | `id,name,weight_g,length_mm,width_mm,height_mm,tags,handling` (`;` lists) |
//! | `inventory.csv` | `node,sku,on_hand,reserved,safety_stock` |
//! | `load.csv` | optional: `node,orders_today` |
//! | `policy.json` | optional: a [`TenantPolicy`] |

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::model::{
    CarrierService, Cents, Network, NetworkParts, Node, Order, RateCard, Sku, Stock, StockPosition,
    TenantPolicy, ZONES,
};

/// A file that could not be read or understood.
#[derive(Debug, thiserror::Error)]
pub struct LoadError {
    pub file: PathBuf,
    /// Where in the file: a JSON path such as `[3].zip`, or `line 12`.
    pub location: Option<String>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(location) = &self.location {
            write!(f, ": {location}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl LoadError {
    fn new(file: &Path, location: Option<String>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.to_path_buf(),
            location,
            message: message.into(),
        }
    }
}

/// Everything a network directory describes.
pub struct NetworkDir {
    pub network: Network,
    pub stock: Stock,
    pub policy: TenantPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    #[serde(default)]
    holidays: BTreeSet<NaiveDate>,
    services: Vec<CarrierService>,
}

#[derive(Deserialize)]
struct RateRow {
    service: String,
    weight_lb: u32,
    zone_1: Option<i64>,
    zone_2: Option<i64>,
    zone_3: Option<i64>,
    zone_4: Option<i64>,
    zone_5: Option<i64>,
    zone_6: Option<i64>,
    zone_7: Option<i64>,
    zone_8: Option<i64>,
    zone_9: Option<i64>,
}

#[derive(Deserialize)]
struct SkuRow {
    id: String,
    name: String,
    weight_g: u32,
    length_mm: u32,
    width_mm: u32,
    height_mm: u32,
    tags: String,
    handling: String,
}

#[derive(Deserialize)]
struct InventoryRow {
    node: String,
    sku: String,
    on_hand: u32,
    reserved: u32,
    safety_stock: u32,
}

#[derive(Deserialize)]
struct LoadRow {
    node: String,
    orders_today: u32,
}

/// Reads and checks a network directory.
pub fn load_network_dir(dir: &Path) -> Result<NetworkDir, LoadError> {
    if !dir.is_dir() {
        return Err(LoadError::new(dir, None, "not a directory"));
    }
    let nodes_file = dir.join("nodes.json");
    let services_file = dir.join("services.json");
    let rates_file = dir.join("rates.csv");
    let skus_file = dir.join("skus.csv");

    let nodes: Vec<Node> = read_json(&nodes_file)?;
    let ServicesFile {
        holidays,
        mut services,
    } = read_json(&services_file)?;
    attach_rates(&rates_file, &mut services)?;
    let skus = read_skus(&skus_file)?;

    // Cross-checks; each problem is reported against the file it came from.
    let network = Network::new(NetworkParts {
        nodes,
        skus,
        services,
        holidays,
    })
    .map_err(|error| {
        let first = &error.problems[0];
        let file = match first.location.split('[').next() {
            Some("nodes") => &nodes_file,
            Some("skus") => &skus_file,
            _ if first.location.contains(".rates") => &rates_file,
            _ => &services_file,
        };
        let mut message = first.message.clone();
        if error.problems.len() > 1 {
            message.push_str(&format!(
                " (and {} more problems)",
                error.problems.len() - 1
            ));
            for problem in &error.problems[1..] {
                message.push_str(&format!("\n  {problem}"));
            }
        }
        LoadError::new(file, Some(first.location.clone()), message)
    })?;

    let mut stock = Stock::new(network.nodes().len(), network.skus().len());
    read_inventory(&dir.join("inventory.csv"), &network, &mut stock)?;
    let load_file = dir.join("load.csv");
    if load_file.exists() {
        read_csv(&load_file, |row: LoadRow| {
            let node = network
                .node_index(&row.node)
                .ok_or_else(|| format!("unknown node `{}`", row.node))?;
            stock.set_orders_today(node, row.orders_today);
            Ok(())
        })?;
    }
    let policy_file = dir.join("policy.json");
    let policy = if policy_file.exists() {
        read_json(&policy_file)?
    } else {
        TenantPolicy::default()
    };
    Ok(NetworkDir {
        network,
        stock,
        policy,
    })
}

/// Reads one order from a JSON file.
pub fn load_order(path: &Path) -> Result<Order, LoadError> {
    read_json(path)
}

/// Reads a JSON file into `T`, naming the field at fault on error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, LoadError> {
    let text = fs::read_to_string(path)
        .map_err(|error| LoadError::new(path, None, format!("cannot read: {error}")))?;
    parse_json(&text).map_err(|(location, message)| LoadError::new(path, location, message))
}

/// Parses JSON into `T`; an error gives the field path (if any) and the problem.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, (Option<String>, String)> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let location = (path != ".").then_some(path);
        (location, error.into_inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|error| (None, error.to_string()))?;
    Ok(value)
}

/// Reads a CSV file with a header row, handing each row to `accept`, whose error message is
/// reported against the row's line.
fn read_csv<T: DeserializeOwned>(
    path: &Path,
    mut accept: impl FnMut(T) -> Result<(), String>,
) -> Result<(), LoadError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|error| LoadError::new(path, None, format!("cannot read: {error}")))?;
    let headers = reader
        .headers()
        .map_err(|error| LoadError::new(path, None, error.to_string()))?
        .clone();
    if headers.is_empty() {
        return Err(LoadError::new(
            path,
            None,
            "the file is empty: it needs a header row",
        ));
    }
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(path, &headers, error))?;
        let line = record.position().map_or(0, |position| position.line());
        let row = record.deserialize(Some(&headers)).map_err(|error| {
            let mut error = csv_error(path, &headers, error);
            error.location = Some(format!("line {line}"));
            error
        })?;
        accept(row)
            .map_err(|message| LoadError::new(path, Some(format!("line {line}")), message))?;
    }
    Ok(())
}

fn csv_error(path: &Path, headers: &csv::StringRecord, error: csv::Error) -> LoadError {
    let line = error
        .position()
        .map(|position| format!("line {}", position.line()));
    let message = match error.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let field = err.field().and_then(|at| headers.get(at as usize));
            match field {
                Some(name) => format!("column `{name}`: {}", err.kind()),
                None => err.kind().to_string(),
            }
        }
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields, the header has {expected_len}")
        }
        _ => error.to_string(),
    };
    LoadError::new(path, line, message)
}

/// Reads `rates.csv` into each service's rate card.
fn attach_rates(path: &Path, services: &mut [CarrierService]) -> Result<(), LoadError> {
    let by_id: HashMap<String, usize> = services
        .iter()
        .enumerate()
        .map(|(at, s)| (s.id.to_string(), at))
        .collect();
    let mut cards: Vec<Vec<[Option<Cents>; ZONES]>> = vec![Vec::new(); services.len()];
    read_csv(path, |row: RateRow| {
        let Some(&service) = by_id.get(&row.service) else {
            return Err(format!("unknown service `{}`", row.service));
        };
        let card = &mut cards[service];
        let expected = card.len() as u32 + 1;
        if row.weight_lb != expected {
            return Err(format!(
                "service `{}` weight_lb {} should be {expected}: weights run 1, 2, 3 ... without \
                 gaps",
                row.service, row.weight_lb
            ));
        }
        let zones = [
            row.zone_1, row.zone_2, row.zone_3, row.zone_4, row.zone_5, row.zone_6, row.zone_7,
            row.zone_8, row.zone_9,
        ];
        if zones.iter().flatten().any(|&price| price < 0) {
            return Err("prices must not be negative".into());
        }
        card.push(zones.map(|price| price.map(Cents)));
        Ok(())
    })?;
    for (service, card) in services.iter_mut().zip(cards) {
        service.rates = RateCard(card);
    }
    Ok(())
}

fn read_skus(path: &Path) -> Result<Vec<Sku>, LoadError> {
    let list = |text: &str| -> BTreeSet<String> {
        text.split(';')
            .map(str::trim)
            .filter(|tag| !tag.is_empty())
            .map(String::from)
            .collect()
    };
    let mut skus = Vec::new();
    read_csv(path, |row: SkuRow| {
        skus.push(Sku {
            id: row.id.into(),
            name: row.name,
            weight_g: row.weight_g,
            length_mm: row.length_mm,
            width_mm: row.width_mm,
            height_mm: row.height_mm,
            tags: list(&row.tags),
            handling: list(&row.handling),
        });
        Ok(())
    })?;
    Ok(skus)
}

fn read_inventory(path: &Path, network: &Network, stock: &mut Stock) -> Result<(), LoadError> {
    let mut seen = HashSet::new();
    read_csv(path, |row: InventoryRow| {
        let node = network
            .node_index(&row.node)
            .ok_or_else(|| format!("unknown node `{}`", row.node))?;
        let sku = network
            .sku_index(&row.sku)
            .ok_or_else(|| format!("unknown SKU `{}`", row.sku))?;
        if !seen.insert((node, sku)) {
            return Err(format!(
                "a second row for node `{}` and SKU `{}`",
                row.node, row.sku
            ));
        }
        let position = StockPosition {
            on_hand: row.on_hand,
            reserved: row.reserved,
            safety_stock: row.safety_stock,
        };
        stock.set(node, sku, position);
        Ok(())
    })
}
