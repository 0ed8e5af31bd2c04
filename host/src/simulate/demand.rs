//! Demand: the stream of orders a simulation routes, drawn from a model of a retailer's customers
//! or replayed from the retailer's own orders.
//!
//! A drawn order ships to a ZIP3 area chosen in proportion to its 2020 population (the 50 states
//! and DC; territories are left out), asks for SKUs whose popularity follows Zipf's law over a
//! shuffled catalog, has one line or more, a service level, and sometimes a VIP customer. Days
//! have weights: weekends are quieter, peak days (by default Black Friday and Cyber Monday) busier.
//! The same model and seed give the same stream.
//!
//! A replayed stream comes from a JSON-lines file, one [`Order`] per line, routed in the order of
//! `placed_at`.

use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::SimulateError;
use crate::files::parse_json;
use crate::geo::{Geography, Zip3Area, Zip5};
use crate::model::{Customer, Network, Order, OrderLine, ServiceLevel, ShipTo, Stock};
use crate::synth::time_zone_of_state;

/// The most lines a drawn order has.
pub const MAX_LINES: usize = 8;

/// What the drawn customers are like.
#[derive(Clone, Debug)]
pub struct DemandModel {
    /// Orders over the whole run.
    pub orders: usize,
    pub days: u32,
    pub start: NaiveDate,
    /// Zipf exponent of SKU popularity: the k-th most popular SKU sells in proportion to
    /// 1 / k^exponent.
    pub zipf_exponent: f64,
    /// Average lines per order, from 1 to [`MAX_LINES`].
    pub mean_lines: f64,
    pub two_day_share: f64,
    pub overnight_share: f64,
    /// Share of orders from customers of tier `vip`.
    pub vip_share: f64,
    pub residential_share: f64,
    /// Days with `peak_factor` times the orders of an ordinary weekday.
    pub peak_days: Vec<NaiveDate>,
    pub peak_factor: f64,
    /// Orders on a Saturday or Sunday, relative to a weekday.
    pub weekend_factor: f64,
}

impl DemandModel {
    /// The model with default shares for a run of `orders` over `days` days from `start`, peak
    /// days being the Black Fridays and Cyber Mondays inside the run.
    pub fn new(orders: usize, days: u32, start: NaiveDate) -> DemandModel {
        let mut model = DemandModel {
            orders,
            days,
            start,
            zipf_exponent: 1.0,
            mean_lines: 1.6,
            two_day_share: 0.20,
            overnight_share: 0.05,
            vip_share: 0.05,
            residential_share: 0.85,
            peak_days: Vec::new(),
            peak_factor: 3.0,
            weekend_factor: 0.8,
        };
        model.peak_days = model
            .dates()
            .filter(|&date| is_black_friday_or_cyber_monday(date))
            .collect();
        model
    }

    /// The days of the run.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..self.days as u64).filter_map(|day| self.start.checked_add_days(Days::new(day)))
    }

    /// Checks every parameter, naming the flag at fault.
    pub fn check(&self) -> Result<(), SimulateError> {
        let bad = |flag: &str, message: &str| {
            Err(SimulateError::Parameter {
                flag: flag.into(),
                message: message.into(),
            })
        };
        if self.orders == 0 {
            return bad("--orders", "must be at least 1");
        }
        if self.days == 0 {
            return bad("--days", "must be at least 1");
        }
        for (flag, share) in [
            ("--two-day-share", self.two_day_share),
            ("--overnight-share", self.overnight_share),
            ("--vip-share", self.vip_share),
            ("--residential-share", self.residential_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return bad(flag, "must be between 0 and 1");
            }
        }
        if self.two_day_share + self.overnight_share > 1.0 {
            return bad(
                "--two-day-share",
                "two-day and overnight shares together must not exceed 1",
            );
        }
        if !(1.0..MAX_LINES as f64).contains(&self.mean_lines) {
            return bad("--mean-lines", "must be at least 1 and less than 8");
        }
        if !(0.0..=5.0).contains(&self.zipf_exponent) {
            return bad("--zipf", "must be between 0 and 5");
        }
        if !(self.peak_factor > 0.0 && self.peak_factor <= 100.0) {
            return bad("--peak-factor", "must be above 0 and at most 100");
        }
        Ok(())
    }
}

/// The orders of a run, by day.
#[derive(Clone, Debug)]
pub struct Stream {
    /// The days of the run; each order's `day` indexes this.
    pub days: Vec<NaiveDate>,
    /// Every order, by day and within a day by `placed_at`.
    pub orders: Vec<StreamOrder>,
}

/// One order of the stream.
#[derive(Clone, Debug)]
pub struct StreamOrder {
    pub order: Order,
    /// The customer's local day the order was placed on, as an index into [`Stream::days`].
    pub day: u32,
    /// The line of the replay file it came from, for replayed orders.
    pub source_line: Option<usize>,
}

impl Stream {
    /// Units ordered of each SKU over the run, indexed like the network's SKUs.
    pub fn units_by_sku(&self, network: &Network) -> Vec<u64> {
        let mut units = vec![0u64; network.skus().len()];
        for entry in &self.orders {
            for line in &entry.order.lines {
                if let Some(sku) = network.sku_index(&line.sku) {
                    units[sku] += line.quantity as u64;
                }
            }
        }
        units
    }
}

/// Whether a date is the day after US Thanksgiving (the fourth Thursday of November) or the
/// Monday after it.
fn is_black_friday_or_cyber_monday(date: NaiveDate) -> bool {
    let Some(first) = NaiveDate::from_ymd_opt(date.year(), 11, 1) else {
        return false;
    };
    let to_thursday = (7 + 3 - first.weekday().num_days_from_monday() as i64) % 7;
    let thanksgiving = first + chrono::Duration::days(to_thursday + 21);
    date == thanksgiving + chrono::Duration::days(1)
        || date == thanksgiving + chrono::Duration::days(4)
}

/// The SKUs orders may ask for: those some node has available to promise.
fn catalog(network: &Network, stock: &Stock) -> Vec<usize> {
    (0..network.skus().len())
        .filter(|&sku| {
            stock
                .holders(sku)
                .any(|(_, position)| position.available() > 0)
        })
        .collect()
}

/// Splits `total` orders over days in proportion to `weights`, by largest remainder, so the
/// counts add up exactly.
pub fn apportion(total: usize, weights: &[f64]) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by(|&a, &b| {
        let (ra, rb) = (exact[a] - exact[a].floor(), exact[b] - exact[b].floor());
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &day in by_remainder.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[day] += 1;
        left -= 1;
    }
    counts
}

/// Weights of 1 to `MAX_LINES` lines: a geometric law truncated at `MAX_LINES`, with the ratio
/// found by bisection so the mean is `mean_lines`.
pub fn line_count_weights(mean_lines: f64) -> Vec<f64> {
    let weights =
        |ratio: f64| -> Vec<f64> { (0..MAX_LINES).map(|k| ratio.powi(k as i32)).collect() };
    let mean = |ratio: f64| -> f64 {
        let w = weights(ratio);
        let sum: f64 = w.iter().sum();
        w.iter()
            .enumerate()
            .map(|(k, w)| (k + 1) as f64 * w)
            .sum::<f64>()
            / sum
    };
    let (mut low, mut high) = (0.0, 1.0);
    for _ in 0..60 {
        let middle = (low + high) / 2.0;
        if mean(middle) < mean_lines {
            low = middle;
        } else {
            high = middle;
        }
    }
    weights(low)
}

/// Zipf weights for `count` ranks: the k-th (from 1) weighs 1 / k^exponent.
pub fn zipf_weights(count: usize, exponent: f64) -> Vec<f64> {
    (1..=count).map(|k| (k as f64).powf(-exponent)).collect()
}

/// Draws a stream from the model. The same network, stock, model and seed give the same stream.
pub fn generate(
    network: &Network,
    stock: &Stock,
    model: &DemandModel,
    seed: u64,
) -> Result<Stream, SimulateError> {
    model.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);

    // Where customers live, and what they buy, most popular first.
    let areas: Vec<(&Zip3Area, Tz)> = Geography::get()
        .areas()
        .filter_map(|area| Some((area, time_zone_of_state(&area.state)?)))
        .collect();
    let by_population = WeightedIndex::new(areas.iter().map(|(area, _)| area.population))
        .map_err(|error| SimulateError::Demand(format!("population weights: {error}")))?;
    let mut skus = catalog(network, stock);
    if skus.is_empty() {
        return Err(SimulateError::Demand(
            "no SKU has units available to promise anywhere in the network".into(),
        ));
    }
    skus.shuffle(&mut rng);
    let by_popularity = WeightedIndex::new(zipf_weights(skus.len(), model.zipf_exponent))
        .map_err(|error| SimulateError::Demand(format!("popularity weights: {error}")))?;
    let line_counts = WeightedIndex::new(line_count_weights(model.mean_lines))
        .map_err(|error| SimulateError::Demand(format!("line-count weights: {error}")))?;

    // Orders per day.
    let days: Vec<NaiveDate> = model.dates().collect();
    let weights: Vec<f64> = days
        .iter()
        .map(|&date| {
            let weekday = if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                model.weekend_factor
            } else {
                1.0
            };
            let peak = if model.peak_days.contains(&date) {
                model.peak_factor
            } else {
                1.0
            };
            weekday * peak
        })
        .collect();
    let per_day = apportion(model.orders, &weights);

    let mut orders = Vec::with_capacity(model.orders);
    for (day, (&date, &count)) in days.iter().zip(&per_day).enumerate() {
        let mut today: Vec<Order> = (0..count)
            .map(|_| {
                let (area, time_zone) = areas[by_population.sample(&mut rng)];
                draw_order(
                    &mut rng,
                    model,
                    network,
                    DrawContext {
                        area,
                        time_zone,
                        date,
                        skus: &skus,
                        by_popularity: &by_popularity,
                        line_counts: &line_counts,
                    },
                )
            })
            .collect();
        today.sort_by_key(|order| order.placed_at);
        for order in today {
            orders.push(StreamOrder {
                order,
                day: day as u32,
                source_line: None,
            });
        }
    }
    for (at, entry) in orders.iter_mut().enumerate() {
        entry.order.id = format!("SIM-{:06}", at + 1).into();
        entry.order.customer.id = format!("C-{:06}", at + 1).into();
    }
    Ok(Stream { days, orders })
}

/// What one drawn order needs besides the random source and the model.
struct DrawContext<'a> {
    area: &'a Zip3Area,
    time_zone: Tz,
    date: NaiveDate,
    skus: &'a [usize],
    by_popularity: &'a WeightedIndex<f64>,
    line_counts: &'a WeightedIndex<f64>,
}

fn draw_order(
    rng: &mut ChaCha8Rng,
    model: &DemandModel,
    network: &Network,
    draw: DrawContext,
) -> Order {
    // Placed between 07:00 and 23:00 in the customer's time zone.
    let minute = rng.random_range(7 * 60..23 * 60);
    let local = draw.date.and_time(NaiveTime::MIN) + chrono::Duration::minutes(minute);
    let placed_at = draw
        .time_zone
        .from_local_datetime(&local)
        .earliest()
        .map_or_else(
            || Utc.from_utc_datetime(&local),
            |at| at.with_timezone(&Utc),
        );

    let level = {
        let draw = rng.random::<f64>();
        if draw < model.overnight_share {
            ServiceLevel::Overnight
        } else if draw < model.overnight_share + model.two_day_share {
            ServiceLevel::TwoDay
        } else {
            ServiceLevel::Ground
        }
    };
    let tier = if rng.random_bool(model.vip_share) {
        "vip"
    } else {
        "standard"
    };

    // Distinct SKUs; a popular SKU drawn twice is drawn again, a few times at most.
    let wanted = draw.line_counts.sample(rng) + 1;
    let mut chosen: Vec<usize> = Vec::with_capacity(wanted);
    for _ in 0..wanted * 4 {
        if chosen.len() == wanted {
            break;
        }
        let sku = draw.skus[draw.by_popularity.sample(rng)];
        if !chosen.contains(&sku) {
            chosen.push(sku);
        }
    }
    let lines = chosen
        .into_iter()
        .map(|sku| OrderLine {
            sku: network.skus()[sku].id.clone(),
            quantity: match rng.random_range(0..100) {
                0..85 => 1,
                85..96 => 2,
                _ => 3,
            },
        })
        .collect();

    let zip: Zip5 = format!("{}01", draw.area.zip3)
        .parse()
        .expect("a ZIP3 and two digits make a ZIP code");
    Order {
        id: "".into(),
        channel: "web".into(),
        customer: Customer {
            id: "".into(),
            tier: tier.into(),
            tags: Default::default(),
        },
        ship_to: ShipTo {
            zip,
            country: "US".into(),
            residential: rng.random_bool(model.residential_share),
        },
        lines,
        service_level: Some(level),
        deliver_by: None,
        placed_at,
        attributes: Default::default(),
    }
}

/// Reads a replay file: one JSON order per line, blank lines skipped. Orders are sorted by
/// `placed_at` (ties keep file order) and bucketed by the customer's local day.
pub fn replay(path: &Path) -> Result<Stream, SimulateError> {
    let text = std::fs::read_to_string(path).map_err(|error| SimulateError::Replay {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message: format!("cannot read: {error}"),
    })?;
    let mut read: Vec<(Order, usize)> = Vec::new();
    for (at, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let order: Order = parse_json(line).map_err(|(field, message)| SimulateError::Replay {
            file: path.to_path_buf(),
            line: Some(at + 1),
            field,
            message,
        })?;
        read.push((order, at + 1));
    }
    if read.is_empty() {
        return Err(SimulateError::Replay {
            file: path.to_path_buf(),
            line: None,
            field: None,
            message: "no orders in the file".into(),
        });
    }
    read.sort_by_key(|(order, _)| order.placed_at);

    let local_date = |order: &Order| -> NaiveDate {
        let time_zone = Geography::get()
            .area(order.ship_to.zip.zip3())
            .and_then(|area| time_zone_of_state(&area.state))
            .unwrap_or(chrono_tz::America::New_York);
        order.placed_at.with_timezone(&time_zone).date_naive()
    };
    let dates: Vec<NaiveDate> = read.iter().map(|(order, _)| local_date(order)).collect();
    let first = *dates.iter().min().expect("at least one order");
    let last = *dates.iter().max().expect("at least one order");
    let span = (last - first).num_days() as u64;
    let days: Vec<NaiveDate> = (0..=span)
        .filter_map(|day| first.checked_add_days(Days::new(day)))
        .collect();
    let mut orders: Vec<StreamOrder> = read
        .into_iter()
        .zip(dates)
        .map(|((order, line), date)| StreamOrder {
            order,
            day: (date - first).num_days() as u32,
            source_line: Some(line),
        })
        .collect();
    // A customer's local day can differ from the UTC order, so bucket stably by day.
    orders.sort_by_key(|entry| entry.day);
    Ok(Stream { days, orders })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::example;

    fn start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 9).unwrap()
    }

    #[test]
    fn apportion_adds_up_and_follows_weights() {
        let counts = apportion(10, &[1.0, 1.0, 3.0]);
        assert_eq!(counts.iter().sum::<usize>(), 10);
        assert_eq!(counts, vec![2, 2, 6]);
        assert_eq!(apportion(7, &[1.0; 3]).iter().sum::<usize>(), 7);
    }

    #[test]
    fn line_counts_have_the_requested_mean() {
        for mean in [1.0, 1.6, 3.0] {
            let weights = line_count_weights(mean);
            let sum: f64 = weights.iter().sum();
            let got: f64 = weights
                .iter()
                .enumerate()
                .map(|(k, w)| (k + 1) as f64 * w / sum)
                .sum();
            assert!((got - mean).abs() < 0.01, "mean {mean}: got {got}");
        }
    }

    #[test]
    fn peak_days_are_black_friday_and_cyber_monday() {
        let model = DemandModel::new(100, 30, start());
        let expected = [
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        ];
        assert_eq!(model.peak_days, expected);
    }

    #[test]
    fn drawn_stream_has_the_model_shape() {
        let loaded = example();
        let model = DemandModel::new(20_000, 28, start());
        let stream = generate(&loaded.network, &loaded.stock, &model, 3).unwrap();
        assert_eq!(stream.orders.len(), 20_000);
        assert_eq!(stream.days.len(), 28);

        // Multi-line orders with the requested mean, distinct SKUs on each.
        let lines: usize = stream.orders.iter().map(|o| o.order.lines.len()).sum();
        let mean = lines as f64 / stream.orders.len() as f64;
        assert!((1.5..1.7).contains(&mean), "mean lines {mean}");
        for entry in &stream.orders {
            let mut skus: Vec<_> = entry.order.lines.iter().map(|l| &l.sku).collect();
            skus.sort();
            skus.dedup();
            assert_eq!(skus.len(), entry.order.lines.len());
            assert!((1..=MAX_LINES).contains(&skus.len()));
        }

        // Service levels and VIPs near their shares.
        let share = |keep: &dyn Fn(&Order) -> bool| {
            stream.orders.iter().filter(|o| keep(&o.order)).count() as f64 / 20_000.0
        };
        let two_day = share(&|o| o.service_level == Some(ServiceLevel::TwoDay));
        assert!((0.18..0.22).contains(&two_day), "two-day {two_day}");
        let vip = share(&|o| o.customer.tier == "vip");
        assert!((0.04..0.06).contains(&vip), "vip {vip}");

        // Peak days are busier than ordinary weekdays, weekends quieter.
        let per_day = |date: NaiveDate| {
            let day = stream.days.iter().position(|&d| d == date).unwrap() as u32;
            stream.orders.iter().filter(|o| o.day == day).count()
        };
        let black_friday = per_day(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let thursday = per_day(NaiveDate::from_ymd_opt(2026, 11, 19).unwrap());
        let saturday = per_day(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        assert!(black_friday > 2 * thursday, "{black_friday} vs {thursday}");
        assert!(saturday < thursday, "{saturday} vs {thursday}");

        // Orders are in day order and, within a day, by time placed.
        for pair in stream.orders.windows(2) {
            assert!(pair[0].day <= pair[1].day);
            if pair[0].day == pair[1].day {
                assert!(pair[0].order.placed_at <= pair[1].order.placed_at);
            }
        }

        // California, the most populous state, gets far more orders than Wyoming.
        let state_orders = |state: &str| {
            stream
                .orders
                .iter()
                .filter(|o| {
                    Geography::get()
                        .area(o.order.ship_to.zip.zip3())
                        .is_some_and(|a| a.state == state)
                })
                .count()
        };
        assert!(state_orders("CA") > 20 * state_orders("WY").max(1));
    }

    #[test]
    fn sku_popularity_is_skewed_like_zipf() {
        let loaded = example();
        let model = DemandModel::new(20_000, 10, start());
        let stream = generate(&loaded.network, &loaded.stock, &model, 5).unwrap();
        let mut lines_by_sku = std::collections::HashMap::new();
        for entry in &stream.orders {
            for line in &entry.order.lines {
                *lines_by_sku.entry(line.sku.clone()).or_insert(0usize) += 1;
            }
        }
        let mut counts: Vec<usize> = lines_by_sku.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        // With exponent 1 the top SKU sells about twice the second and ten times the tenth; the
        // draw of distinct SKUs per order flattens the head a little.
        assert!(counts[0] > counts[1] * 3 / 2, "{:?}", &counts[..3]);
        assert!(counts[0] > counts[9] * 6, "{} vs {}", counts[0], counts[9]);
        let total: usize = counts.iter().sum();
        let top_ten: usize = counts[..10].iter().sum();
        assert!(
            top_ten * 4 > total,
            "top ten SKUs {top_ten} of {total} lines"
        );
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let loaded = example();
        let model = DemandModel::new(500, 5, start());
        let one = generate(&loaded.network, &loaded.stock, &model, 9).unwrap();
        let two = generate(&loaded.network, &loaded.stock, &model, 9).unwrap();
        let three = generate(&loaded.network, &loaded.stock, &model, 10).unwrap();
        let json = |stream: &Stream| {
            serde_json::to_string(&stream.orders.iter().map(|o| &o.order).collect::<Vec<_>>())
                .unwrap()
        };
        assert_eq!(json(&one), json(&two));
        assert_ne!(json(&one), json(&three));
    }

    #[test]
    fn bad_parameters_name_their_flag() {
        let mut model = DemandModel::new(10, 5, start());
        model.vip_share = 1.5;
        let error = model.check().unwrap_err().to_string();
        assert!(error.contains("--vip-share"), "{error}");
    }

    #[test]
    fn replay_errors_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("orders.jsonl");
        let good = r#"{"id":"A","customer":{"id":"C"},"ship_to":{"zip":"60614"},"lines":[{"sku":"SKU-0001","quantity":1}],"service_level":"ground","placed_at":"2026-12-07T15:00:00Z"}"#;
        let bad = good.replace(r#""zip":"60614""#, r#""zip":"6061""#);
        std::fs::write(&file, format!("{good}\n\n{bad}\n")).unwrap();
        let error = replay(&file).unwrap_err().to_string();
        assert!(error.contains("orders.jsonl"), "{error}");
        assert!(error.contains("line 3"), "{error}");
        assert!(error.contains("ship_to.zip"), "{error}");

        std::fs::write(&file, format!("{good}\n{good}\n")).unwrap();
        let stream = replay(&file).unwrap();
        assert_eq!(stream.orders.len(), 2);
        assert_eq!(stream.days.len(), 1);
        assert_eq!(stream.orders[1].source_line, Some(2));
    }
}
