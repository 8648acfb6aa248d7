//! Scaled tenants for read-cost measurements (issue 11, "Bounded reads").
//!
//! At scale 1 a tenant has 1 000 customers and 6 000 orders over the four
//! years (48 calendar months) ending on `today`; scale `s` multiplies
//! customers, orders and with them invoices and payments by `s` (products,
//! 100, and sales reps, 10, stay). Deterministic from the seed and the scale.
//!
//! What makes it realistic where the read cost is concerned:
//! - **Repeat-purchase skew**: 55 % of buyers order once; a repeat buyer's
//!   number of orders follows a discrete Pareto law (P(n >= k) = 3/(k+1),
//!   at most 250). At 1x: 53 % of the 892 buyers order once, 5 % 20 times
//!   or more, and the top 1 % of customers place 30 % of the orders; 8 %
//!   of customers never order. The counts are then brought to exactly
//!   6 000 × scale orders by adding repeat purchases in proportion to the
//!   orders a repeat buyer already places (5 % more at 1x).
//! - **Customers arriving through the years**: 15 % existed before the
//!   history starts, the others join during it, more of them later (the
//!   arrival rate triples over the four years). A customer's first order
//!   comes 0-180 days after they join (mostly within a month), the others
//!   are spread until today, or until they stop buying (40 % of repeat
//!   buyers churn); days follow weekday and season weights.
//! - Orders, invoices, payments, targets and marketing spend come from the
//!   demo generator ([`super`]): order lifecycles, invoices for most orders
//!   (issued 0-2 days after the order, net 30 for most customers, paid at
//!   once or in instalments by customers paying early, on time, late or not
//!   at all; overdue, partly paid, written off, cancelled), payments
//!   captured, failed with reasons, refunded, disputed. Order lines come
//!   from the demo's 25 products, each in 4 variants (100 products, the
//!   cheapest variant ordered most).
//!
//! The output is JSON Lines in the record contract of `sales_shared::records`
//! (the demo's writer), or the parsed records ([`records`]).

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use sales_shared::records::{RecordType, SourceRecord, parse_record};

use super::{
    CURRENCY, FIRST_WORDS, HOUR, LEGAL_FORMS, MAILBOXES, MINUTE, SECOND_WORDS, credit_limit, money,
};
use super::{
    Clock, Customer, DemoStats, Order, PRODUCTS, Profile, RecordWriter, SALES_REPS, SEASON,
    SalesRep, TIME_ZONE_NAME, TenantSettings, Tier, Ts, at_local, billing, business_time, cents,
    check_tenant, day_weight, days, id, invalid, monthly_plans, new_order, new_profile,
    order_number, order_time, percent, pick, pick_index, seconds, stream,
};

/// Customers at scale 1.
pub const BASE_CUSTOMERS: usize = 1_000;
/// Orders at scale 1.
pub const BASE_ORDERS: usize = 6_000;
/// Calendar months of history, the current one included.
pub const MONTHS: u32 = 48;
/// The largest scale accepted (6 million orders, several GB in memory).
pub const MAX_SCALE: u32 = 1_000;
/// The most orders one customer places.
const MAX_ORDERS_PER_CUSTOMER: usize = 250;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleOptions {
    pub tenant: String,
    /// The last day of the data set (a New York date).
    pub today: NaiveDate,
    /// 1 = 1 000 customers and 6 000 orders; 10 and 100 multiply both.
    pub scale: u32,
    pub seed: u64,
}

impl ScaleOptions {
    pub fn new(tenant: impl Into<String>, today: NaiveDate, scale: u32) -> Self {
        ScaleOptions { tenant: tenant.into(), today, scale, seed: 11 }
    }

    pub fn customers(&self) -> usize {
        BASE_CUSTOMERS * self.scale as usize
    }

    pub fn orders(&self) -> usize {
        BASE_ORDERS * self.scale as usize
    }
}

/// Writes the tenant as JSON Lines (the demo generator's order: settings,
/// customers, products, sales reps, targets, spend, then orders, invoices and
/// payments by date). Fails with `InvalidInput` for a bad tenant id or a
/// scale outside 1..=[`MAX_SCALE`].
pub fn generate(options: &ScaleOptions, out: &mut dyn Write) -> io::Result<DemoStats> {
    check_tenant(&options.tenant)?;
    if !(1..=MAX_SCALE).contains(&options.scale) {
        return Err(invalid(format!("scale must be 1..={MAX_SCALE}, not {}", options.scale)));
    }
    let clock = Clock::new(options.today, MONTHS)?;
    let seed = options.seed;
    let (customers, plan) = customers(&mut stream(seed, 11), &clock, options);
    let orders = orders(&mut stream(seed, 12), &clock, &customers, &plan);
    drop(plan);
    let billing = billing(&mut stream(seed, 13), &clock, &customers, &orders);
    let per_month = u32::try_from(options.orders() / MONTHS as usize).unwrap_or(u32::MAX);
    let plans = monthly_plans(&mut stream(seed, 14), &clock, &orders, per_month);

    let mut writer = RecordWriter {
        out: io::BufWriter::with_capacity(1 << 16, out),
        tenant: &options.tenant,
        line: Vec::new(),
        stats: DemoStats::default(),
    };
    let set_up_at = at_local(clock.start - days(1000), 9 * HOUR);
    let settings = TenantSettings {
        time_zone: TIME_ZONE_NAME,
        currency: CURRENCY,
        vip_lifetime_revenue: cents(1_000_000),
    };
    writer.write(RecordType::TenantSettings, 1, set_up_at, &settings)?;
    for (index, customer) in customers.iter().enumerate() {
        writer.write(RecordType::Customer, id(index), customer.created_at, customer)?;
    }
    for index in 0..PRODUCTS.len() * VARIANTS.len() {
        writer.write(RecordType::Product, id(index), set_up_at, &ScaledProduct::of(index))?;
    }
    for (index, rep) in SALES_REPS.iter().chain(MORE_SALES_REPS.iter()).enumerate() {
        writer.write(RecordType::SalesRep, id(index), set_up_at, rep)?;
    }
    for (index, target) in plans.targets.iter().enumerate() {
        writer.write(RecordType::SalesTarget, id(index), target.updated_at, target)?;
    }
    for (index, spend) in plans.spend.iter().enumerate() {
        writer.write(RecordType::MarketingSpend, id(index), spend.updated_at, spend)?;
    }
    writer.activity(&orders, &billing)?;
    writer.out.flush()?;
    Ok(writer.stats)
}

/// The tenant's records, parsed as `salesctl load` parses them, without
/// holding the JSON text: each line is parsed as it is written. Fails with
/// `InvalidData` naming the line if a record does not pass `parse_record`.
pub fn records(options: &ScaleOptions) -> io::Result<(Vec<SourceRecord>, DemoStats)> {
    let mut sink = RecordSink::default();
    let stats = generate(options, &mut sink)?;
    sink.finish()?;
    Ok((sink.records, stats))
}

/// Parses JSON Lines as they are written.
#[derive(Default)]
struct RecordSink {
    pending: Vec<u8>,
    records: Vec<SourceRecord>,
    lines: usize,
}

impl RecordSink {
    fn parse(&mut self, line: &[u8]) -> io::Result<()> {
        self.lines += 1;
        let bad = |message: String| io::Error::new(io::ErrorKind::InvalidData, message);
        let text =
            std::str::from_utf8(line).map_err(|e| bad(format!("line {}: {e}", self.lines)))?;
        let record = parse_record(text)
            .map_err(|rejection| bad(format!("line {}: {rejection}", self.lines)))?;
        self.records.push(record);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rest = std::mem::take(&mut self.pending);
        self.parse(&rest)
    }
}

impl Write for RecordSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let mut start = 0;
        while let Some(end) = self.pending[start..].iter().position(|b| *b == b'\n') {
            let line = self.pending[start..start + end].to_vec();
            self.parse(&line)?;
            start += end + 1;
        }
        self.pending.drain(..start);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Customers and when they buy

const PLACES: [&str; 24] = [
    "Albany",
    "Austin",
    "Boise",
    "Boston",
    "Charlotte",
    "Chicago",
    "Columbus",
    "Denver",
    "Detroit",
    "Fresno",
    "Hartford",
    "Houston",
    "Madison",
    "Memphis",
    "Miami",
    "Newark",
    "Omaha",
    "Portland",
    "Raleigh",
    "Reno",
    "Richmond",
    "Salem",
    "Tampa",
    "Tucson",
];

/// Share of customers who existed before the history starts, in percent.
const EXISTING_PERCENT: u32 = 15;
/// Share of buyers drawn to buy once, in percent.
const ONE_TIME_PERCENT: u32 = 55;
/// Share of customers who never order, in percent.
const NEVER_ORDER_PERCENT: u32 = 8;
/// The arrival rate at the end of the history relative to its start, minus 1.
const ARRIVAL_GROWTH: f64 = 2.0;
/// Share of repeat buyers who stop buying before today, in percent.
const CHURN_PERCENT: u32 = 40;

/// Sales reps beyond the demo's six (10 in all).
const MORE_SALES_REPS: [SalesRep; 4] = [
    SalesRep { name: "Priya Raman", email: "priya.raman@example.com", accounts: 14 },
    SalesRep { name: "Omar Haddad", email: "omar.haddad@example.com", accounts: 11 },
    SalesRep { name: "Sofia Rossi", email: "sofia.rossi@example.com", accounts: 9 },
    SalesRep { name: "Ben Walker", email: "ben.walker@example.com", accounts: 6 },
];

/// When each customer (by index) buys: first order day and number of orders.
struct PurchasePlan {
    first_day: Vec<Option<NaiveDate>>,
    orders: Vec<usize>,
}

/// Customers numbered in the order they were created, with their purchase plan.
fn customers(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    options: &ScaleOptions,
) -> (Vec<Customer>, PurchasePlan) {
    let count = options.customers();
    let mut drafts: Vec<(Customer, Option<NaiveDate>, usize)> = (0..count)
        .map(|_| {
            let created_at = arrival(rng, clock);
            let (first_day, orders) = purchases(rng, clock, created_at);
            (new_customer(rng, created_at, orders), first_day, orders)
        })
        .collect();
    drafts.sort_by_key(|(customer, ..)| customer.created_at);
    let caps: Vec<usize> =
        drafts.iter().map(|(_, first, _)| first.map_or(0, |day| order_cap(clock, day))).collect();
    let mut counts: Vec<usize> = drafts.iter().map(|(.., orders)| *orders).collect();
    fit_total(rng, &mut counts, &caps, options.orders());
    let mut plan = PurchasePlan { first_day: Vec::with_capacity(count), orders: counts };
    let customers = drafts
        .into_iter()
        .enumerate()
        .map(|(index, (mut customer, first_day, _))| {
            customer.customer_number = format!("CUST-{:06}", index + 1);
            plan.first_day.push(first_day);
            customer
        })
        .collect();
    (customers, plan)
}

/// When a customer joins: before the history for some, else more often later.
fn arrival(rng: &mut ChaCha8Rng, clock: &Clock) -> Ts {
    let day = if percent(rng, EXISTING_PERCENT) {
        clock.start - days(rng.random_range(1..=900))
    } else {
        // Inverse of the CDF of a density growing linearly by ARRIVAL_GROWTH.
        let g = ARRIVAL_GROWTH;
        let r: f64 = rng.random();
        let u = ((1.0 + 2.0 * g * r * (1.0 + g / 2.0)).sqrt() - 1.0) / g;
        let span = (clock.today - clock.start).num_days();
        clock.start + days(((u * span as f64) as i64).clamp(0, span))
    };
    business_time(rng, day).min(clock.end)
}

/// The day of a customer's first order (none if they never order or would
/// first order after today) and how many orders they place (before fitting).
fn purchases(rng: &mut ChaCha8Rng, clock: &Clock, created_at: Ts) -> (Option<NaiveDate>, usize) {
    if percent(rng, NEVER_ORDER_PERCENT) {
        return (None, 0);
    }
    let delay = match rng.random_range(0..100) {
        0..45 => rng.random_range(0..=3),
        45..80 => rng.random_range(4..=30),
        _ => rng.random_range(31..=180),
    };
    let joined = super::local_date(created_at).max(clock.start);
    let first_day = joined + days(delay);
    if first_day > clock.today {
        return (None, 0);
    }
    // Most buy once; repeat buyers follow a discrete Pareto law with
    // exponent 1: P(n >= k) = 3 / (k + 1) for k >= 2.
    let orders = if percent(rng, ONE_TIME_PERCENT) {
        1
    } else {
        let u = 1.0 - rng.random::<f64>();
        2 + ((3.0 / u - 3.0).floor() as usize).min(MAX_ORDERS_PER_CUSTOMER)
    };
    let orders = orders.min(MAX_ORDERS_PER_CUSTOMER);
    (Some(first_day), orders.min(order_cap(clock, first_day)))
}

/// At most an order every four days from the first one on.
fn order_cap(clock: &Clock, first_day: NaiveDate) -> usize {
    let window = (clock.today - first_day).num_days().max(0) as usize;
    (1 + window / 4).min(MAX_ORDERS_PER_CUSTOMER)
}

/// Brings the buyers' order counts to `target` in all the way repeat
/// purchases come about: each order added goes to a repeat buyer chosen in
/// proportion to the orders they already place (below their cap; one-time
/// buyers stay so), each removed is taken likewise (a buyer keeps at least
/// one), so the shape of the skew is kept.
fn fit_total(rng: &mut ChaCha8Rng, counts: &mut [usize], caps: &[usize], target: usize) {
    // One slot per order, naming its buyer.
    let mut slots: Vec<usize> =
        counts.iter().enumerate().flat_map(|(i, n)| std::iter::repeat_n(i, *n)).collect();
    let mut tries = 20 * target.max(slots.len());
    while slots.len() != target && !slots.is_empty() && tries > 0 {
        tries -= 1;
        let slot = rng.random_range(0..slots.len());
        let buyer = slots[slot];
        if slots.len() < target && counts[buyer] >= 2 && counts[buyer] < caps[buyer] {
            counts[buyer] += 1;
            slots.push(buyer);
        } else if slots.len() > target && counts[buyer] > 1 {
            counts[buyer] -= 1;
            slots.swap_remove(slot);
        }
    }
}

fn new_customer(rng: &mut ChaCha8Rng, created_at: Ts, orders: usize) -> Customer {
    let first = FIRST_WORDS[rng.random_range(0..FIRST_WORDS.len())];
    let second = SECOND_WORDS[rng.random_range(0..SECOND_WORDS.len())];
    let place = PLACES[rng.random_range(0..PLACES.len())];
    let legal = pick(rng, &LEGAL_FORMS);
    let base = format!("{first} {second} of {place}");
    let company_name = if legal.is_empty() { base } else { format!("{base} {legal}") };
    let domain: String = format!("{first}{second}-{place}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let email = format!("{}@{domain}.example", MAILBOXES[rng.random_range(0..MAILBOXES.len())]);
    let tier = match orders {
        25.. => Tier::Key,
        4.. => Tier::Regular,
        _ => Tier::Small,
    };
    let credit_limit = credit_limit(rng, tier);
    let profile = Profile {
        rep: pick_index(rng, SALES_REPS.iter().chain(MORE_SALES_REPS.iter()).map(|r| r.accounts)),
        terms_days: pick(rng, &[(30, 85), (60, 10), (15, 5)]),
        ..new_profile(rng, tier)
    };
    Customer {
        customer_number: String::new(),
        company_name,
        email,
        created_at,
        credit_limit,
        profile,
    }
}

// ---------------------------------------------------------------------------
// Orders

/// Every customer's orders in time order (ids follow it).
fn orders(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    customers: &[Customer],
    plan: &PurchasePlan,
) -> Vec<Order> {
    let key = rng.random();
    let mut placed: Vec<(Ts, usize)> = Vec::with_capacity(plan.orders.iter().sum());
    for (customer, (first_day, count)) in plan.first_day.iter().zip(&plan.orders).enumerate() {
        let Some(first_day) = *first_day else { continue };
        let created_at = customers[customer].created_at;
        let window = (clock.today - first_day).num_days();
        let last_day = if *count >= 2 && percent(rng, CHURN_PERCENT) {
            let shortest = (4 * *count as i64).min(window);
            first_day + days(rng.random_range(shortest..=window))
        } else {
            clock.today
        };
        for n in 0..*count {
            let day = if n == 0 { first_day } else { buying_day(rng, first_day, last_day) };
            let at = order_time(rng, clock, day)
                .max(created_at + seconds(rng.random_range(MINUTE..HOUR)));
            placed.push((at.min(clock.end), customer));
        }
    }
    placed.sort_unstable();
    let mut orders = Vec::with_capacity(placed.len());
    for (ordered_at, customer) in placed {
        let number = order_number(orders.len(), key);
        let mut order = new_order(rng, clock, customers, customer, ordered_at, number);
        widen_catalogue(rng, &mut order);
        orders.push(order);
    }
    orders
}

/// A day between two days, weekdays and busy months likelier.
fn buying_day(rng: &mut ChaCha8Rng, first: NaiveDate, last: NaiveDate) -> NaiveDate {
    let span = (last - first).num_days().max(0);
    let most = 10 * SEASON.iter().copied().max().unwrap_or(1);
    loop {
        let day = first + days(rng.random_range(0..=span));
        let weight = u64::from(day_weight(&day)) * SEASON[day.month0() as usize];
        if rng.random_range(0..most) < weight {
            return day;
        }
    }
}

/// Product variants: name and SKU suffix, price in percent of the base
/// product, and how often each is chosen.
const VARIANTS: [(&str, &str, i64, u32); 4] = [
    ("", "", 100, 55),
    (" Plus", "-PL", 120, 25),
    (" Pro", "-PR", 150, 13),
    (" Max", "-MX", 200, 7),
];

/// Spreads the demo's order lines (products 1-25) over the 4 variants of
/// each product (ids 1-100) at the variant's price.
fn widen_catalogue(rng: &mut ChaCha8Rng, order: &mut Order) {
    if order.lines.is_empty() {
        return;
    }
    for line in &mut order.lines {
        let variant = pick_index(rng, VARIANTS.iter().map(|v| v.3));
        line.product_id += (variant * PRODUCTS.len()) as i64;
        line.unit_price =
            money(line.unit_price * rust_decimal::Decimal::new(VARIANTS[variant].2, 2));
        line.line_total = line.unit_price * rust_decimal::Decimal::from(line.quantity);
    }
    order.total_amount = money(order.lines.iter().map(|l| l.line_total).sum());
}

#[derive(serde::Serialize)]
struct ScaledProduct {
    sku: String,
    name: String,
    category: Option<&'static str>,
}

impl ScaledProduct {
    fn of(index: usize) -> Self {
        let base = &PRODUCTS[index % PRODUCTS.len()];
        let (name, sku, ..) = VARIANTS[index / PRODUCTS.len() % VARIANTS.len()];
        ScaledProduct {
            sku: format!("{}{sku}", base.sku),
            name: format!("{}{name}", base.name),
            category: base.category,
        }
    }
}

#[cfg(test)]
mod tests;
