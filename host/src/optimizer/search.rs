//! The exact search: branch and bound over shipment contents.
//!
//! 1. Price every content each node can ship ([`QuoteTable`]): for each node, every content
//!    within what it has available, with its cheapest promise-keeping service.
//! 2. For every remaining content `R`, a lower bound on completing it ([`lower_bounds`]): the
//!    cheapest way to cut `R` into shipments if any node could ship several of them. This is a
//!    dynamic program over contents and it ignores only the rule that a node ships once.
//! 3. Branch: the shipment that carries the first remaining line takes some content inside `R`
//!    and some node that has not shipped yet; contents are tried largest first and nodes
//!    cheapest first, and a branch whose cost plus the bound for the rest exceeds the worst plan
//!    on the leaderboard is cut. Ties are kept, so the tie-breaking rule decides among them.
//!
//! Every plan either is reached or is cut by a bound no better than plans already held, so the
//! leaderboard ends with the cheapest plans within the shipment limit.

use super::content::{ContentSpace, Walk};
use super::plan::{Leaderboard, RawPlan, RawShipment};
use super::prepare::OrderContext;
use super::quote::{Quote, cheapest_service};
use crate::model::Cents;

/// A cost larger than any plan's, for contents nothing can ship.
pub(crate) const UNREACHABLE: Cents = Cents(i64::MAX / 4);

/// Quotes for every (node, content) pair that can ship, grouped by content, cheapest first.
pub(crate) struct QuoteTable {
    /// `quotes[start[c]..start[c + 1]]` are the quotes for content `c`.
    start: Vec<u32>,
    quotes: Vec<Quote>,
}

impl QuoteTable {
    pub fn build(context: &OrderContext, space: &ContentSpace) -> QuoteTable {
        let network = context.network;
        let residential = context.order.ship_to.residential;
        let mut charges = ChargeCache::new(network.services().len(), space.count);
        let mut billable = BillableCache::new(network.services().len(), space.count);

        // Price every content of every usable node with its cheapest promise-keeping service,
        // the same choice `best_quote` makes, with charges shared between nodes of a zone.
        let mut priced: Vec<(u32, Quote)> = Vec::with_capacity(4 * context.nodes.len());
        let mut digits = Vec::new();
        for (node, option) in context.nodes.iter().enumerate() {
            if option.excluded.is_some() {
                continue;
            }
            let spec = &network.nodes()[node];
            let fixed = spec.labor.per_order + spec.packaging + option.capacity_pressure;
            let slot = charges.slot(option.zone);
            let most = space.capped(context.available(node));
            if most == 0 {
                continue;
            }
            space.for_each_inside(most, &mut digits, |content| {
                if content == 0 {
                    return Walk::Continue;
                }
                let best = cheapest_service(context, context.services(node), |choice| {
                    charges.charge(slot, choice.service, content, || {
                        let carrier = &network.services()[choice.service];
                        let billable = billable.get(choice.service, content, || {
                            carrier.billable_lb(space.weight_g[content], space.volume_mm3[content])
                        });
                        carrier.charge(option.zone, billable, residential)
                    })
                });
                if let Some((charge, choice)) = best {
                    let units = space.units[content] as i64;
                    let quote = Quote {
                        node: node as u32,
                        service: choice.service as u32,
                        cost: charge + fixed + spec.labor.per_unit * units,
                        delivery: choice.delivery,
                    };
                    priced.push((content as u32, quote));
                }
                Walk::Continue
            });
        }

        // Group by content (a counting sort), then order each group by cost and node id.
        let mut start = vec![0u32; space.count + 1];
        for &(content, _) in &priced {
            start[content as usize + 1] += 1;
        }
        for content in 0..space.count {
            start[content + 1] += start[content];
        }
        let mut next = start.clone();
        let placeholder = priced.first().map(|&(_, quote)| quote);
        let mut quotes = match placeholder {
            Some(quote) => vec![quote; priced.len()],
            None => Vec::new(),
        };
        for (content, quote) in priced {
            let slot = &mut next[content as usize];
            quotes[*slot as usize] = quote;
            *slot += 1;
        }
        for content in 0..space.count {
            let group = &mut quotes[start[content] as usize..start[content + 1] as usize];
            group.sort_by_key(|q| (q.cost, context.network.node_rank(q.node as usize)));
        }
        QuoteTable { start, quotes }
    }

    pub fn for_content(&self, content: usize) -> &[Quote] {
        &self.quotes[self.start[content] as usize..self.start[content + 1] as usize]
    }

    pub fn len(&self) -> usize {
        self.quotes.len()
    }
}

/// Carrier charges by zone, service and content. A charge does not depend on the node, so nodes
/// in the same zone share it; each is computed the first time a node asks.
struct ChargeCache {
    services: usize,
    contents: usize,
    /// The block of `charges` for each zone (1 to 9), once a node in that zone asks.
    slots: [Option<usize>; 10],
    /// `NOT_PRICED`, `NOT_CARRIED`, or the charge in cents.
    charges: Vec<i64>,
}

const NOT_PRICED: i64 = -1;
const NOT_CARRIED: i64 = -2;

impl ChargeCache {
    fn new(services: usize, contents: usize) -> ChargeCache {
        ChargeCache {
            services,
            contents,
            slots: [None; 10],
            charges: Vec::new(),
        }
    }

    /// The block for a zone, created on first use.
    fn slot(&mut self, zone: u8) -> usize {
        let slot = &mut self.slots[zone as usize % 10];
        *slot.get_or_insert_with(|| {
            let start = self.charges.len();
            self.charges
                .resize(start + self.services * self.contents, NOT_PRICED);
            start
        })
    }

    #[inline]
    fn charge(
        &mut self,
        slot: usize,
        service: usize,
        content: usize,
        price: impl FnOnce() -> Option<Cents>,
    ) -> Option<Cents> {
        let entry = &mut self.charges[slot + service * self.contents + content];
        if *entry == NOT_PRICED {
            *entry = price().map_or(NOT_CARRIED, |charge| charge.0);
        }
        (*entry >= 0).then_some(Cents(*entry))
    }
}

/// Billable pounds by service and content: they depend on the service's dimensional divisor, not
/// on the zone, so every zone's charges share them. 0 until computed (a parcel bills at least
/// one pound).
struct BillableCache {
    contents: usize,
    pounds: Vec<u32>,
}

impl BillableCache {
    fn new(services: usize, contents: usize) -> BillableCache {
        BillableCache {
            contents,
            pounds: vec![0; services * contents],
        }
    }

    #[inline]
    fn get(&mut self, service: usize, content: usize, compute: impl FnOnce() -> u32) -> u32 {
        let entry = &mut self.pounds[service * self.contents + content];
        if *entry == 0 {
            *entry = compute();
        }
        *entry
    }
}

/// For every content, the least it could cost to ship it in any number of shipments, each
/// charged the split penalty, if one node could ship several of them.
pub(crate) fn lower_bounds(
    space: &ContentSpace,
    table: &QuoteTable,
    split_penalty: Cents,
) -> Vec<Cents> {
    let mut bound = vec![UNREACHABLE; space.count];
    bound[0] = Cents::ZERO;
    let mut digits = Vec::new();
    for remaining in 1..space.count {
        let Some(first) = space.first_line(remaining) else {
            continue;
        };
        let mut best = UNREACHABLE;
        space.for_each_inside(remaining, &mut digits, |content| {
            if space.digit(content, first) > 0 {
                let rest = bound[remaining - content];
                if let (Some(quote), true) =
                    (table.for_content(content).first(), rest < UNREACHABLE)
                {
                    best = best.min(quote.cost + split_penalty + rest);
                }
            }
            Walk::Continue
        });
        bound[remaining] = best;
    }
    bound
}

/// What a search found.
pub(crate) struct Found {
    /// The best plans, best first.
    pub plans: Vec<RawPlan>,
    pub plans_completed: u64,
}

/// Finds the `keep` best plans with at most `max_shipments` shipments.
pub(crate) fn search(
    context: &OrderContext,
    space: &ContentSpace,
    table: &QuoteTable,
    bounds: &[Cents],
    max_shipments: u32,
    keep: usize,
) -> Found {
    let mut searcher = Searcher {
        context,
        space,
        table,
        bounds,
        max_shipments,
        penalty: context.policy.split_penalty,
        leaderboard: Leaderboard::new(context.network, keep),
        path: Vec::new(),
        used: vec![false; context.nodes.len()],
        scratch: Vec::new(),
        digits: Vec::new(),
        completed: 0,
    };
    if bounds[space.full()] < UNREACHABLE {
        searcher.descend(space.full(), Cents::ZERO);
    }
    Found {
        plans: searcher.leaderboard.into_plans(),
        plans_completed: searcher.completed,
    }
}

struct Searcher<'s, 'c> {
    context: &'s OrderContext<'c>,
    space: &'s ContentSpace,
    table: &'s QuoteTable,
    bounds: &'s [Cents],
    max_shipments: u32,
    penalty: Cents,
    leaderboard: Leaderboard<'c>,
    /// The shipments chosen so far on this branch: content and quote.
    path: Vec<(usize, Quote)>,
    /// Nodes already shipping on this branch.
    used: Vec<bool>,
    /// One list of candidate contents per depth, reused across branches.
    scratch: Vec<Vec<usize>>,
    digits: Vec<u32>,
    completed: u64,
}

impl Searcher<'_, '_> {
    /// Extends the path to ship `remaining`; `spent` is the path's cost with one split penalty
    /// per shipment (the plan's total is one penalty less).
    fn descend(&mut self, remaining: usize, spent: Cents) {
        if remaining == 0 {
            self.complete(spent - self.penalty);
            return;
        }
        let depth = self.path.len();
        if depth as u32 >= self.max_shipments {
            return;
        }

        // The contents the next shipment may take: inside `remaining`, carrying its first line.
        let space = self.space;
        let first = space.first_line(remaining).unwrap_or(0);
        if self.scratch.len() <= depth {
            self.scratch.resize_with(depth + 1, Vec::new);
        }
        let mut contents = std::mem::take(&mut self.scratch[depth]);
        contents.clear();
        space.for_each_inside(remaining, &mut self.digits, |content| {
            if space.digit(content, first) > 0 {
                contents.push(content);
            }
            Walk::Continue
        });

        for &content in &contents {
            let rest = remaining - content;
            let rest_bound = self.bounds[rest];
            if rest_bound >= UNREACHABLE {
                continue;
            }
            let table = self.table;
            for quote in table.for_content(content) {
                let optimistic = spent + quote.cost + rest_bound;
                if self.leaderboard.bar().is_some_and(|bar| optimistic > bar) {
                    break;
                }
                let node = quote.node as usize;
                if self.used[node] {
                    continue;
                }
                self.used[node] = true;
                self.path.push((content, *quote));
                self.descend(rest, spent + quote.cost + self.penalty);
                self.path.pop();
                self.used[node] = false;
            }
        }
        self.scratch[depth] = contents;
    }

    fn complete(&mut self, total: Cents) {
        self.completed += 1;
        if self.leaderboard.bar().is_some_and(|bar| total > bar) {
            return;
        }
        let space = self.space;
        let shipments = self
            .path
            .iter()
            .map(|&(content, quote)| RawShipment {
                node: quote.node as usize,
                service: quote.service as usize,
                quantities: (0..space.lines())
                    .map(|line| space.quantity(content, line))
                    .collect(),
                cost: quote.cost,
                delivery: quote.delivery,
            })
            .collect();
        let plan = RawPlan::new(self.context.network, shipments, self.penalty);
        self.leaderboard.offer(plan);
    }
}
