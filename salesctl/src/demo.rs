//! `salesctl demo-data`: a deterministic, realistic demo data set as JSON
//! Lines in the record contract of `source-records.md`.
//!
//! One tenant in New York sells hardware, software and services to 120
//! business customers: `months` of orders ending on `today`, with
//! seasonality and growth; invoices paid at once, in instalments, late or
//! never (overdue, written off); payments that fail and are retried, are
//! refunded or disputed. The same options always give the same bytes: every
//! random choice comes from a ChaCha8 stream seeded with `seed`, and amounts
//! are exact decimals built from integer cents.
//!
//! Lines come in an order the loader takes in one pass: tenant settings,
//! customers, products, sales reps, sales targets, marketing spend, then
//! orders, invoices and payments by date. Every record is version 1 and its
//! `updated_at` is its latest timestamp. Nothing happens after the end of
//! `today` (UTC); only plans (due dates, promised delivery dates, evidence
//! due dates) may lie ahead of it.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::{Decimal, RoundingStrategy};
use sales_shared::records::{
    DisputeStatus, FailureReason, Gateway, InvoiceStatus, OrderSource, OrderStatus, PaymentMethod, PaymentStatus,
    RecordType, StrEnum,
};

pub mod scale;

/// Counts of what was generated, by record type name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoStats {
    pub lines: usize,
    pub by_type: BTreeMap<&'static str, usize>,
}

/// What to generate. Build it with [`DemoOptions::new`]: `today` should be
/// the tenant's current date, which the default cannot know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    pub tenant: String,
    /// The last day of the data set (a New York date); nothing happens after it.
    pub today: NaiveDate,
    /// Calendar months of history, the current (partial) one included.
    pub months: u32,
    pub orders_per_month: u32,
    pub seed: u64,
}

const DEFAULT_TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2025, 12, 17) {
    Some(date) => date,
    None => panic!("invalid default date"),
};

impl DemoOptions {
    /// The default size and seed for a tenant and the day the data ends on.
    pub fn new(tenant: impl Into<String>, today: NaiveDate) -> Self {
        DemoOptions { tenant: tenant.into(), today, ..DemoOptions::default() }
    }
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions { tenant: "demo".into(), today: DEFAULT_TODAY, months: 14, orders_per_month: 400, seed: 2025 }
    }
}

/// Writes a deterministic, realistic data set as JSON Lines, one record per
/// line, in an order that loads correctly (tenant_settings first, then
/// customers, products, sales reps, targets, spend, then orders, invoices and
/// payments in time order). Fails with `InvalidInput` for a bad tenant id,
/// `months` outside 1..=240 or more than 100 000 orders a month.
pub fn generate(options: &DemoOptions, out: &mut dyn Write) -> io::Result<DemoStats> {
    check_tenant(&options.tenant)?;
    if options.orders_per_month > MAX_ORDERS_PER_MONTH {
        return Err(invalid(format!("orders per month must be at most {MAX_ORDERS_PER_MONTH}")));
    }
    let clock = Clock::new(options.today, options.months)?;
    let seed = options.seed;
    let customers = customers(&mut stream(seed, 1), &clock);
    let orders = orders(&mut stream(seed, 2), &clock, &customers, options.orders_per_month);
    let billing = billing(&mut stream(seed, 3), &clock, &customers, &orders);
    let plans = monthly_plans(&mut stream(seed, 4), &clock, &orders, options.orders_per_month);

    let mut writer = RecordWriter {
        out: io::BufWriter::new(out),
        tenant: &options.tenant,
        line: String::new(),
        stats: DemoStats::default(),
    };
    writer.reference_data(&clock, &customers, &plans)?;
    writer.activity(&orders, &billing)?;
    writer.out.flush()?;
    Ok(writer.stats)
}

// ---------------------------------------------------------------------------
// Time, money and chance

type Ts = DateTime<Utc>;

const TIME_ZONE: Tz = chrono_tz::America::New_York;
const TIME_ZONE_NAME: &str = "America/New_York";
const CURRENCY: &str = "USD";
const MAX_MONTHS: u32 = 240;
const MAX_ORDERS_PER_MONTH: u32 = 100_000;
const MINUTE: u32 = 60;
const HOUR: u32 = 3600;

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn check_tenant(tenant: &str) -> io::Result<()> {
    let valid =
        (1..=64).contains(&tenant.len()) && tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(())
    } else {
        Err(invalid(format!("tenant id {tenant:?} must be 1-64 characters of A-Z, a-z, 0-9, _ or -")))
    }
}

/// One calendar month of the history, cut at `today` for the current one.
struct MonthSpan {
    index: u32,
    first: NaiveDate,
    /// The last day of the month inside the history.
    last: NaiveDate,
    days_in_month: i64,
}

impl MonthSpan {
    fn label(&self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    fn days_covered(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

/// The history: from the first day of the first month to the end of `today`.
struct Clock {
    today: NaiveDate,
    start: NaiveDate,
    /// The end of `today` in UTC: no timestamp is later.
    end: Ts,
    months: Vec<MonthSpan>,
}

impl Clock {
    fn new(today: NaiveDate, months: u32) -> io::Result<Self> {
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(invalid(format!("months must be 1..={MAX_MONTHS}, not {months}")));
        }
        let out_of_range = || invalid(format!("{today} is out of range"));
        let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).ok_or_else(out_of_range)?;
        let start = this_month.checked_sub_months(Months::new(months - 1)).ok_or_else(out_of_range)?;
        let end = today.and_hms_opt(23, 59, 59).ok_or_else(out_of_range)?.and_utc();
        let spans = (0..months).map(|index| month_span(start, index, today)).collect::<Option<Vec<_>>>();
        Ok(Clock { today, start, end, months: spans.ok_or_else(out_of_range)? })
    }

    /// The month of the history holding a date.
    fn month_of(&self, date: NaiveDate) -> Option<usize> {
        let months = (date.year() - self.start.year()) * 12 + date.month() as i32 - self.start.month() as i32;
        usize::try_from(months).ok().filter(|m| *m < self.months.len())
    }
}

fn month_span(start: NaiveDate, index: u32, today: NaiveDate) -> Option<MonthSpan> {
    let first = start.checked_add_months(Months::new(index))?;
    let next = first.checked_add_months(Months::new(1))?;
    let last = (next - TimeDelta::days(1)).min(today);
    Some(MonthSpan { index, first, last, days_in_month: (next - first).num_days() })
}

/// The UTC instant of a New York wall-clock time, `seconds` after midnight
/// (a time skipped by the change to daylight saving time moves an hour on).
fn at_local(date: NaiveDate, seconds: u32) -> Ts {
    let naive = date.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(seconds));
    TIME_ZONE
        .from_local_datetime(&naive)
        .earliest()
        .or_else(|| TIME_ZONE.from_local_datetime(&(naive + TimeDelta::hours(1))).earliest())
        .map_or_else(|| naive.and_utc(), |local| local.with_timezone(&Utc))
}

fn local_date(at: Ts) -> NaiveDate {
    at.with_timezone(&TIME_ZONE).date_naive()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn seconds(n: u32) -> TimeDelta {
    TimeDelta::seconds(i64::from(n))
}

/// A time during office hours (08:00-18:00 New York) of a date.
fn business_time(rng: &mut ChaCha8Rng, date: NaiveDate) -> Ts {
    at_local(date, rng.random_range(8 * HOUR..18 * HOUR))
}

/// A time during office hours some days (drawn from `after`) after a date.
fn business_time_after(rng: &mut ChaCha8Rng, date: NaiveDate, after: RangeInclusive<i64>) -> Ts {
    let day = date + days(rng.random_range(after));
    business_time(rng, day)
}

/// An amount from integer cents.
fn cents(value: i64) -> Decimal {
    Decimal::new(value, 2)
}

/// Rounded to cents (half away from zero), with exactly two decimals.
fn money(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded
}

/// `percent` % of an amount, in cents.
fn share(amount: Decimal, percent: u32) -> Decimal {
    money(amount * Decimal::from(percent) / Decimal::ONE_HUNDRED)
}

/// A random stream of its own for each part, so parts do not disturb each other.
fn stream(seed: u64, part: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(part);
    rng
}

fn percent(rng: &mut ChaCha8Rng, chance: u32) -> bool {
    rng.random_ratio(chance.min(100), 100)
}

fn per_mille(rng: &mut ChaCha8Rng, chance: u32) -> bool {
    rng.random_ratio(chance.min(1000), 1000)
}

/// A position drawn with the given weights (0 when they are all 0).
fn pick_index<I: Iterator<Item = u32> + Clone>(rng: &mut ChaCha8Rng, weights: I) -> usize {
    let total: u32 = weights.clone().sum();
    if total == 0 {
        return 0;
    }
    let mut roll = rng.random_range(0..total);
    for (i, weight) in weights.enumerate() {
        if roll < weight {
            return i;
        }
        roll -= weight;
    }
    0
}

/// An item of a weighted table.
fn pick<T: Copy>(rng: &mut ChaCha8Rng, table: &[(T, u32)]) -> T {
    table[pick_index(rng, table.iter().map(|(_, weight)| *weight))].0
}

/// The record id of a position in a list.
fn id(index: usize) -> i64 {
    index as i64 + 1
}

/// A keyed permutation of the numbers below 2^`bits` (positions must be
/// below it): consecutive positions become scattered numbers that never
/// repeat, as xor-shifts and odd multipliers are invertible.
fn scramble(position: usize, key: u64, bits: u32) -> u64 {
    let mask = (1_u64 << bits) - 1;
    let mut x = (position as u64 ^ key) & mask;
    for _ in 0..3 {
        x ^= x >> (bits / 2);
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15) & mask;
    }
    x
}

fn latest(first: Ts, others: impl IntoIterator<Item = Option<Ts>>) -> Ts {
    others.into_iter().flatten().fold(first, Ts::max)
}

// ---------------------------------------------------------------------------
// Reference data: products, sales reps, customers

struct Product {
    sku: &'static str,
    name: &'static str,
    category: Option<&'static str>,
    price_cents: i64,
    /// How often it is ordered.
    popularity: u32,
}

const fn product(
    sku: &'static str,
    name: &'static str,
    category: Option<&'static str>,
    price_cents: i64,
    popularity: u32,
) -> Product {
    Product { sku, name, category, price_cents, popularity }
}

const HARDWARE: Option<&str> = Some("Hardware");
const NETWORKING: Option<&str> = Some("Networking");
const SOFTWARE: Option<&str> = Some("Software");
const SERVICES: Option<&str> = Some("Services");
const SUPPLIES: Option<&str> = Some("Supplies");

const PRODUCTS: [Product; 25] = [
    product("HW-LAP-14", "ProBook 14 Laptop", HARDWARE, 124_900, 8),
    product("HW-LAP-16", "ProBook 16 Workstation", HARDWARE, 239_900, 4),
    product("HW-MON-27", "27-inch 4K Monitor", HARDWARE, 44_900, 9),
    product("HW-DOCK-01", "USB-C Docking Station", HARDWARE, 22_900, 8),
    product("HW-SRV-R2", "Rack Server R2", HARDWARE, 489_900, 1),
    product("HW-KB-01", "Wireless Keyboard", HARDWARE, 5_900, 10),
    product("HW-MS-01", "Ergonomic Mouse", HARDWARE, 3_900, 10),
    product("HW-HS-01", "Noise-Cancelling Headset", HARDWARE, 17_900, 7),
    product("NET-SW-24", "24-Port Managed Switch", NETWORKING, 68_900, 4),
    product("NET-AP-6", "Wi-Fi 6 Access Point", NETWORKING, 24_900, 6),
    product("NET-FW-100", "Firewall Appliance 100", NETWORKING, 179_900, 2),
    product("NET-CAB-50", "Cat6 Patch Cables (50 pack)", NETWORKING, 8_900, 7),
    product("SW-OFF-Y", "Office Suite (annual seat)", SOFTWARE, 14_900, 9),
    product("SW-SEC-Y", "Endpoint Security (annual seat)", SOFTWARE, 6_900, 8),
    product("SW-BKP-Y", "Cloud Backup 1 TB (annual)", SOFTWARE, 29_900, 5),
    product("SW-CRM-Y", "CRM Professional (annual seat)", SOFTWARE, 78_000, 3),
    product("SVC-INST", "On-site Installation", SERVICES, 95_000, 3),
    product("SVC-TRN-D", "Training Day", SERVICES, 140_000, 2),
    product("SVC-SUP-Y", "Premium Support (annual)", SERVICES, 250_000, 2),
    product("SVC-CONS-H", "Consulting Hour", SERVICES, 17_500, 5),
    product("SUP-TON-BK", "Toner Cartridge Black", SUPPLIES, 8_999, 9),
    product("SUP-PAP-10", "Copy Paper (10 reams)", SUPPLIES, 5_450, 9),
    product("SUP-LBL-1K", "Shipping Labels (1000)", SUPPLIES, 2_499, 6),
    product("GFT-CARD-100", "Gift Card $100", None, 10_000, 2),
    product("MISC-RUSH", "Rush Handling Fee", None, 3_500, 3),
];

struct SalesRep {
    name: &'static str,
    email: &'static str,
    /// Share of the customer accounts they own.
    accounts: u32,
}

const SALES_REPS: [SalesRep; 6] = [
    SalesRep { name: "Maria Gonzalez", email: "maria.gonzalez@example.com", accounts: 25 },
    SalesRep { name: "James Carter", email: "james.carter@example.com", accounts: 20 },
    SalesRep { name: "Aisha Patel", email: "aisha.patel@example.com", accounts: 18 },
    SalesRep { name: "Tom Becker", email: "tom.becker@example.com", accounts: 15 },
    SalesRep { name: "Lena Novak", email: "lena.novak@example.com", accounts: 12 },
    SalesRep { name: "David Kim", email: "david.kim@example.com", accounts: 10 },
];

const CUSTOMERS: usize = 120;
const FIRST_WORDS: [&str; 16] = [
    "Acme",
    "Blue Ridge",
    "Summit",
    "Harbor",
    "Pioneer",
    "Cedar",
    "Granite",
    "Silverline",
    "Northwind",
    "Redwood",
    "Lakeside",
    "Ironclad",
    "Evergreen",
    "Bright Path",
    "Keystone",
    "Maple Leaf",
];
const SECOND_WORDS: [&str; 10] = [
    "Logistics",
    "Manufacturing",
    "Dental",
    "Foods",
    "Architects",
    "Consulting",
    "Health",
    "Retail",
    "Engineering",
    "Media",
];
const LEGAL_FORMS: [(&str, u32); 4] = [("Inc.", 40), ("LLC", 30), ("Corp.", 10), ("", 20)];
const MAILBOXES: [&str; 4] = ["accounts", "billing", "ap", "finance"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Key,
    Regular,
    Small,
}

/// How a customer pays its invoices.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Habit {
    Early,
    OnTime,
    Late,
    Delinquent,
}

const TIERS: [(Tier, u32); 3] = [(Tier::Key, 10), (Tier::Regular, 30), (Tier::Small, 60)];
const HABITS: [(Habit, u32); 4] = [(Habit::Early, 45), (Habit::OnTime, 35), (Habit::Late, 15), (Habit::Delinquent, 5)];
const METHODS: [(PaymentMethod, u32); 5] = [
    (PaymentMethod::CreditCard, 40),
    (PaymentMethod::BankTransfer, 30),
    (PaymentMethod::Paypal, 12),
    (PaymentMethod::Check, 13),
    (PaymentMethod::Cash, 5),
];

/// How a customer buys and pays (not part of the record).
struct Profile {
    /// Relative number of orders.
    weight: u32,
    /// Quantities are multiplied by this.
    volume: i64,
    /// Index of the account owner in `SALES_REPS`.
    rep: usize,
    terms_days: i64,
    habit: Habit,
    method: PaymentMethod,
}

struct Customer {
    customer_number: String,
    company_name: String,
    email: String,
    created_at: Ts,
    credit_limit: Option<Decimal>,
    profile: Profile,
}

/// 120 customers numbered in the order they were created; two in five
/// existed before the history starts, the others join during it.
fn customers(rng: &mut ChaCha8Rng, clock: &Clock) -> Vec<Customer> {
    let names = index::sample(rng, FIRST_WORDS.len() * SECOND_WORDS.len(), CUSTOMERS);
    let mut list: Vec<Customer> = names.iter().enumerate().map(|(i, name)| new_customer(rng, clock, i, name)).collect();
    list.sort_by_key(|c| c.created_at);
    for (i, customer) in list.iter_mut().enumerate() {
        customer.customer_number = format!("CUST-{:05}", i + 1);
    }
    list
}

fn new_customer(rng: &mut ChaCha8Rng, clock: &Clock, position: usize, name: usize) -> Customer {
    let first = FIRST_WORDS[name % FIRST_WORDS.len()];
    let second = SECOND_WORDS[name / FIRST_WORDS.len()];
    let legal = pick(rng, &LEGAL_FORMS);
    let company_name = if legal.is_empty() { format!("{first} {second}") } else { format!("{first} {second} {legal}") };
    let domain: String = format!("{first}{second}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let email = format!("{}@{domain}.example", MAILBOXES[rng.random_range(0..MAILBOXES.len())]);
    let created_day = if position < CUSTOMERS * 2 / 5 {
        clock.start - days(rng.random_range(1..=900))
    } else {
        clock.start + days(rng.random_range(0..=(clock.today - clock.start).num_days()))
    };
    let created_at = business_time(rng, created_day).min(clock.end);
    let tier = pick(rng, &TIERS);
    let limit_dollars = match tier {
        Tier::Key => pick(rng, &[(100_000, 60), (150_000, 40)]),
        Tier::Regular => pick(rng, &[(25_000, 60), (40_000, 40)]),
        Tier::Small => pick(rng, &[(5_000, 50), (10_000, 50)]),
    };
    let credit_limit = (!percent(rng, 15)).then(|| cents(limit_dollars * 100));
    let profile = new_profile(rng, tier);
    Customer { customer_number: String::new(), company_name, email, created_at, credit_limit, profile }
}

fn new_profile(rng: &mut ChaCha8Rng, tier: Tier) -> Profile {
    let (weight, volume) = match tier {
        Tier::Key => (24, 2),
        Tier::Regular => (6, 1),
        Tier::Small => (rng.random_range(1..=2), 1),
    };
    let terms_days = if tier == Tier::Key {
        pick(rng, &[(30, 50), (60, 40), (15, 10)])
    } else {
        pick(rng, &[(30, 75), (15, 15), (60, 10)])
    };
    Profile {
        weight,
        volume,
        rep: pick_index(rng, SALES_REPS.iter().map(|r| r.accounts)),
        terms_days,
        habit: pick(rng, &HABITS),
        method: pick(rng, &METHODS),
    }
}

// ---------------------------------------------------------------------------
// Orders

struct OrderLine {
    product_id: i64,
    quantity: i64,
    unit_price: Decimal,
    line_total: Decimal,
}

struct Order {
    order_number: String,
    customer_id: i64,
    sales_rep_id: Option<i64>,
    source: OrderSource,
    status: OrderStatus,
    currency: &'static str,
    total_amount: Decimal,
    lines: Vec<OrderLine>,
    ordered_at: Ts,
    confirmed_at: Option<Ts>,
    shipped_at: Option<Ts>,
    delivered_at: Option<Ts>,
    completed_at: Option<Ts>,
    cancelled_at: Option<Ts>,
    promised_delivery_date: Option<NaiveDate>,
    returned_at: Option<Ts>,
    fulfillment_error: bool,
    /// Index of the customer.
    customer: usize,
}

impl Order {
    fn updated_at(&self) -> Ts {
        let steps = [self.confirmed_at, self.shipped_at, self.delivered_at, self.completed_at, self.cancelled_at];
        latest(self.ordered_at, steps.into_iter().chain([self.returned_at]))
    }
}

/// Relative order volume by calendar month (January first).
const SEASON: [u64; 12] = [82, 85, 98, 96, 100, 97, 90, 92, 105, 110, 122, 118];
/// Monthly growth, in per mille.
const GROWTH_PER_MILLE: u64 = 15;
const ORDER_NUMBER_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `ORD-` and 8 characters, unique per position.
fn order_number(position: usize, key: u64) -> String {
    let mut code = scramble(position, key, 40);
    let mut number = String::from("ORD-");
    for _ in 0..8 {
        number.push(char::from(ORDER_NUMBER_ALPHABET[(code % 32) as usize]));
        code /= 32;
    }
    number
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Draft,
    Cancelled,
    Fulfilled,
}

const FATES: [(Fate, u32); 3] = [(Fate::Draft, 10), (Fate::Cancelled, 40), (Fate::Fulfilled, 950)];
const SOURCES: [(OrderSource, u32); 4] =
    [(OrderSource::OnlineStore, 45), (OrderSource::Phone, 20), (OrderSource::Email, 20), (OrderSource::Api, 15)];
const LINE_COUNTS: [(usize, u32); 5] = [(1, 35), (2, 25), (3, 20), (4, 12), (5, 8)];
const QUANTITIES: [(i64, u32); 7] = [(1, 40), (2, 22), (3, 14), (4, 8), (5, 7), (10, 6), (20, 3)];
/// Quantities of products from $500 up.
const FEW: [(i64, u32); 4] = [(1, 65), (2, 22), (3, 9), (5, 4)];
const EXPENSIVE_CENTS: i64 = 50_000;
const DISCOUNTS: [(i64, u32); 3] = [(5, 50), (10, 35), (15, 15)];
const SHIP_DAYS: [(i64, u32); 10] =
    [(1, 30), (2, 25), (3, 15), (4, 10), (5, 6), (6, 4), (7, 3), (8, 3), (9, 2), (10, 2)];
const TRANSIT_DAYS: [(i64, u32); 6] = [(1, 15), (2, 30), (3, 25), (4, 15), (5, 10), (6, 5)];

/// Orders in time order (ids follow it), each from a customer who existed
/// then; customers with more weight order more often, and a customer's
/// first order is likelier soon after they join.
fn orders(rng: &mut ChaCha8Rng, clock: &Clock, customers: &[Customer], per_month: u32) -> Vec<Order> {
    let key = rng.random();
    // A customer's weight is tripled until their first order.
    let mut weights: Vec<u32> = customers.iter().map(|c| c.profile.weight * 3).collect();
    let mut orders = Vec::new();
    for ordered_at in order_times(rng, clock, per_month) {
        let available = customers.partition_point(|c| c.created_at < ordered_at);
        if available == 0 {
            continue;
        }
        let customer = pick_index(rng, weights[..available].iter().copied());
        weights[customer] = customers[customer].profile.weight;
        let number = order_number(orders.len(), key);
        orders.push(new_order(rng, clock, customers, customer, ordered_at, number));
    }
    orders
}

/// When orders are placed: per month by season and growth, weekdays busier
/// than weekends, sorted.
fn order_times(rng: &mut ChaCha8Rng, clock: &Clock, per_month: u32) -> Vec<Ts> {
    let mut times = Vec::new();
    for month in &clock.months {
        let days: Vec<NaiveDate> = month.first.iter_days().take_while(|d| *d <= month.last).collect();
        for _ in 0..month_order_count(rng, month, per_month) {
            let day = days[pick_index(rng, days.iter().map(day_weight))];
            times.push(order_time(rng, clock, day));
        }
    }
    times.sort();
    times
}

fn month_order_count(rng: &mut ChaCha8Rng, month: &MonthSpan, per_month: u32) -> u64 {
    let season = SEASON[month.first.month0() as usize];
    let growth = 1000 + GROWTH_PER_MILLE * u64::from(month.index);
    let full_month = u64::from(per_month) * season * growth / 100_000;
    let covered = full_month * month.days_covered().unsigned_abs() / month.days_in_month.unsigned_abs();
    covered * rng.random_range(94..=106) / 100
}

fn day_weight(day: &NaiveDate) -> u32 {
    match day.weekday() {
        Weekday::Sat => 4,
        Weekday::Sun => 3,
        _ => 10,
    }
}

/// Mostly office hours, but some late evening and night orders, whose UTC
/// date differs from the New York date. Never after the end of `today`.
fn order_time(rng: &mut ChaCha8Rng, clock: &Clock, day: NaiveDate) -> Ts {
    let second_of_day = match rng.random_range(0..100) {
        0..70 => rng.random_range(8 * HOUR..18 * HOUR),
        70..85 => rng.random_range(18 * HOUR..22 * HOUR),
        85..93 => rng.random_range(22 * HOUR..24 * HOUR),
        _ => rng.random_range(0..7 * HOUR),
    };
    let at = at_local(day, second_of_day);
    if at <= clock.end { at } else { clock.end - seconds(rng.random_range(HOUR..8 * HOUR)) }
}

fn new_order(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    customers: &[Customer],
    customer: usize,
    ordered_at: Ts,
    order_number: String,
) -> Order {
    let profile = &customers[customer].profile;
    let fate = pick(rng, &FATES);
    let lines = if fate == Fate::Draft && percent(rng, 50) { Vec::new() } else { order_lines(rng, profile) };
    let source = pick(rng, &SOURCES);
    let mut order = Order {
        order_number,
        customer_id: id(customer),
        sales_rep_id: sales_rep(rng, profile, source),
        source,
        status: OrderStatus::Draft,
        currency: CURRENCY,
        total_amount: money(lines.iter().map(|l| l.line_total).sum()),
        lines,
        ordered_at,
        confirmed_at: None,
        shipped_at: None,
        delivered_at: None,
        completed_at: None,
        cancelled_at: None,
        promised_delivery_date: None,
        returned_at: None,
        fulfillment_error: false,
        customer,
    };
    if fate != Fate::Draft {
        order.promised_delivery_date =
            percent(rng, 90).then(|| local_date(ordered_at) + days(rng.random_range(7..=10)));
        let steps = plan_steps(rng, ordered_at, source, fate == Fate::Cancelled);
        apply_steps(&mut order, &steps, clock.end);
    }
    order
}

fn sales_rep(rng: &mut ChaCha8Rng, profile: &Profile, source: OrderSource) -> Option<i64> {
    let unassigned = if source == OrderSource::OnlineStore { 35 } else { 5 };
    if percent(rng, unassigned) {
        None
    } else if percent(rng, 90) {
        Some(id(profile.rep))
    } else {
        Some(id(rng.random_range(0..SALES_REPS.len())))
    }
}

/// 1-5 lines of distinct products; now and then a bulk order.
fn order_lines(rng: &mut ChaCha8Rng, profile: &Profile) -> Vec<OrderLine> {
    let count = pick(rng, &LINE_COUNTS);
    let bulk = per_mille(rng, 8);
    let mut products: Vec<usize> = Vec::with_capacity(count);
    while products.len() < count {
        let product = pick_index(rng, PRODUCTS.iter().map(|p| p.popularity));
        if !products.contains(&product) {
            products.push(product);
        }
    }
    products.into_iter().map(|product| order_line(rng, product, profile.volume, bulk)).collect()
}

fn order_line(rng: &mut ChaCha8Rng, product: usize, volume: i64, bulk: bool) -> OrderLine {
    let quantity = if bulk {
        rng.random_range(5..=20)
    } else if PRODUCTS[product].price_cents >= EXPENSIVE_CENTS {
        pick(rng, &FEW)
    } else {
        pick(rng, &QUANTITIES) * volume
    };
    let discount = if percent(rng, 15) { pick(rng, &DISCOUNTS) } else { 0 };
    let unit_price = cents(PRODUCTS[product].price_cents * (100 - discount) / 100);
    OrderLine { product_id: id(product), quantity, unit_price, line_total: unit_price * Decimal::from(quantity) }
}

/// When an order will reach each step, whether or not that is in the past.
struct Steps {
    confirmed: Ts,
    processing: Ts,
    shipped: Ts,
    delivered: Ts,
    completed: Option<Ts>,
    returned: Option<Ts>,
    cancelled: Option<Ts>,
    fulfillment_error: bool,
}

fn plan_steps(rng: &mut ChaCha8Rng, ordered_at: Ts, source: OrderSource, cancel: bool) -> Steps {
    let confirmed = confirmation(rng, ordered_at, source);
    let ship_day = local_date(ordered_at) + days(pick(rng, &SHIP_DAYS));
    let shipped = business_time(rng, ship_day).max(confirmed + TimeDelta::hours(2));
    let transit = pick(rng, &TRANSIT_DAYS);
    let delivered = business_time(rng, local_date(shipped) + days(transit));
    let completed =
        percent(rng, 75).then(|| delivered + days(rng.random_range(3..=14)) + seconds(rng.random_range(0..8 * HOUR)));
    let returned = percent(rng, 4).then(|| business_time_after(rng, local_date(delivered), 2..=25));
    let cancelled = cancel.then(|| {
        let until_shipped = u32::try_from((shipped - ordered_at).num_seconds()).unwrap_or(u32::MAX);
        let window = until_shipped.saturating_sub(10 * MINUTE).min(72 * HOUR);
        ordered_at + seconds(rng.random_range(20 * MINUTE..window))
    });
    Steps {
        confirmed,
        processing: confirmed + (shipped - confirmed) / 2,
        shipped,
        delivered,
        completed,
        returned,
        cancelled,
        fulfillment_error: percent(rng, 2),
    }
}

/// Most orders are confirmed within hours, some take a day or more, and
/// phone and email orders of a weekend wait for Monday morning.
fn confirmation(rng: &mut ChaCha8Rng, ordered_at: Ts, source: OrderSource) -> Ts {
    let date = local_date(ordered_at);
    let manual = matches!(source, OrderSource::Phone | OrderSource::Email);
    if manual && matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        let monday = date + days(7 - i64::from(date.weekday().num_days_from_monday()));
        return at_local(monday, rng.random_range(8 * HOUR..11 * HOUR));
    }
    let delay =
        if percent(rng, 70) { rng.random_range(2 * MINUTE..3 * HOUR) } else { rng.random_range(6 * HOUR..36 * HOUR) };
    ordered_at + seconds(delay)
}

/// Sets the steps reached by the end of `today` and the status they give.
fn apply_steps(order: &mut Order, steps: &Steps, end: Ts) {
    let seen = |at: Ts| (at <= end).then_some(at);
    if let Some(cancelled) = steps.cancelled.and_then(seen) {
        order.status = OrderStatus::Cancelled;
        order.cancelled_at = Some(cancelled);
        order.confirmed_at = seen(steps.confirmed).filter(|at| *at < cancelled);
        return;
    }
    order.confirmed_at = seen(steps.confirmed);
    order.shipped_at = seen(steps.shipped);
    order.delivered_at = seen(steps.delivered);
    order.completed_at = steps.completed.and_then(seen);
    order.returned_at = steps.returned.and_then(seen);
    order.fulfillment_error = steps.fulfillment_error && order.delivered_at.is_some();
    order.status = if order.completed_at.is_some() {
        OrderStatus::Completed
    } else if order.delivered_at.is_some() {
        OrderStatus::Delivered
    } else if order.shipped_at.is_some() {
        OrderStatus::Shipped
    } else if steps.processing <= end {
        OrderStatus::Processing
    } else if order.confirmed_at.is_some() {
        OrderStatus::Confirmed
    } else {
        OrderStatus::Pending
    };
}

// ---------------------------------------------------------------------------
// Invoices and payments

struct PaymentApplication {
    payment_id: i64,
    amount: Decimal,
    applied_at: Ts,
}

struct Invoice {
    invoice_number: String,
    order_id: Option<i64>,
    customer_id: i64,
    status: InvoiceStatus,
    currency: &'static str,
    total_amount: Decimal,
    issued_at: Option<Ts>,
    due_date: NaiveDate,
    payment_applications: Vec<PaymentApplication>,
    written_off_amount: Decimal,
    written_off_at: Option<Ts>,
    /// When a draft was saved or the invoice cancelled.
    touched_at: Ts,
}

impl Invoice {
    fn updated_at(&self) -> Ts {
        let applications = self.payment_applications.iter().map(|a| Some(a.applied_at));
        latest(self.touched_at, applications.chain([self.issued_at, self.written_off_at]))
    }

    fn paid(&self) -> Decimal {
        self.payment_applications.iter().map(|a| a.amount).sum()
    }
}

struct Dispute {
    reason: &'static str,
    disputed_at: Ts,
    evidence_due_date: NaiveDate,
    status: DisputeStatus,
}

struct Payment {
    payment_number: String,
    invoice_id: Option<i64>,
    order_id: Option<i64>,
    customer_id: i64,
    amount: Decimal,
    currency: &'static str,
    method: PaymentMethod,
    gateway: Option<Gateway>,
    status: PaymentStatus,
    created_at: Ts,
    completed_at: Option<Ts>,
    processing_time_ms: Option<i64>,
    gateway_response_time_ms: Option<i64>,
    fee_amount: Decimal,
    refunded_amount: Decimal,
    failure_reason: Option<FailureReason>,
    failed_at: Option<Ts>,
    retry_count: i64,
    can_retry: bool,
    dispute: Option<Dispute>,
    /// Index of the invoice this payment is applied to.
    applied_to: Option<usize>,
}

impl Payment {
    fn updated_at(&self) -> Ts {
        latest(self.created_at, [self.completed_at, self.failed_at, self.dispute.as_ref().map(|d| d.disputed_at)])
    }
}

#[derive(Default)]
struct Billing {
    invoices: Vec<Invoice>,
    payments: Vec<Payment>,
}

const ISSUE_DAYS: [(i64, u32); 3] = [(0, 50), (1, 35), (2, 15)];
const INSTALMENTS: [(usize, u32); 3] = [(1, 78), (2, 15), (3, 7)];
const DISPUTE_REASONS: [(&str, u32); 6] = [
    ("fraudulent", 25),
    ("product_not_received", 20),
    ("product_unacceptable", 20),
    ("duplicate", 10),
    ("credit_not_processed", 15),
    ("general", 10),
];

/// An invoice for most orders and the payments made against it; then
/// payment ids in time order, the applications and the invoice statuses.
fn billing(rng: &mut ChaCha8Rng, clock: &Clock, customers: &[Customer], orders: &[Order]) -> Billing {
    let mut billing = Billing::default();
    for (index, order) in orders.iter().enumerate() {
        let profile = &customers[order.customer].profile;
        let invoice_id = id(billing.invoices.len());
        let Some(mut invoice) = new_invoice(rng, clock, order, id(index), invoice_id, profile.terms_days) else {
            continue;
        };
        if let (InvoiceStatus::Sent, Some(issued_at)) = (invoice.status, invoice.issued_at) {
            let target = Target { invoice: billing.invoices.len(), issued_at, invoice_id, order_id: id(index), order };
            let payments = collect(rng, clock, &mut invoice, &target, profile);
            billing.payments.extend(payments);
        }
        billing.invoices.push(invoice);
    }
    number_payments(rng, &mut billing);
    for invoice in &mut billing.invoices {
        invoice.status = upstream_status(rng, clock, invoice);
    }
    billing
}

/// The invoice of an order: issued 0-2 days after the order once it is
/// confirmed, a draft while it is pending, cancelled with the order if it was
/// issued by then; a few orders are never invoiced.
fn new_invoice(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    order: &Order,
    order_id: i64,
    invoice_id: i64,
    terms_days: i64,
) -> Option<Invoice> {
    let draft = |touched_at: Ts| Invoice {
        invoice_number: format!("INV-{invoice_id:06}"),
        order_id: Some(order_id),
        customer_id: order.customer_id,
        status: InvoiceStatus::Draft,
        currency: CURRENCY,
        total_amount: order.total_amount,
        issued_at: None,
        due_date: local_date(order.ordered_at) + days(terms_days),
        payment_applications: Vec::new(),
        written_off_amount: cents(0),
        written_off_at: None,
        touched_at,
    };
    let Some(confirmed) = order.confirmed_at else {
        // Drafts and orders cancelled before confirmation have none.
        let pending = order.status == OrderStatus::Pending;
        return pending.then(|| draft((order.ordered_at + seconds(rng.random_range(MINUTE..HOUR))).min(clock.end)));
    };
    let issue_day = local_date(order.ordered_at) + days(pick(rng, &ISSUE_DAYS));
    let issued_at = business_time(rng, issue_day).max(confirmed + seconds(rng.random_range(5 * MINUTE..HOUR)));
    let issued = |status, touched_at| Invoice {
        status,
        issued_at: Some(issued_at),
        due_date: local_date(issued_at) + days(terms_days),
        ..draft(touched_at)
    };
    if let Some(cancelled) = order.cancelled_at {
        return (issued_at < cancelled).then(|| issued(InvoiceStatus::Cancelled, cancelled));
    }
    if !percent(rng, 95) {
        return None;
    }
    if issued_at > clock.end {
        return Some(draft((confirmed + seconds(rng.random_range(MINUTE..HOUR))).min(clock.end)));
    }
    Some(issued(InvoiceStatus::Sent, issued_at))
}

/// Who a payment is for.
struct Target<'a> {
    invoice: usize,
    issued_at: Ts,
    invoice_id: i64,
    order_id: i64,
    order: &'a Order,
}

/// What the customer pays: when, in how many parts, and whether they stop
/// paying before the end.
struct Schedule {
    parts: Vec<(Decimal, Ts)>,
    defaulted: bool,
}

fn schedule(rng: &mut ChaCha8Rng, habit: Habit, issued_at: Ts, due_date: NaiveDate, total: Decimal) -> Schedule {
    let issue_day = local_date(issued_at);
    let terms = (due_date - issue_day).num_days();
    let first_day = match habit {
        Habit::Early => rng.random_range(2..=(terms * 2 / 3).max(3)),
        Habit::OnTime => rng.random_range((terms - 7).max(1)..=terms + 3),
        Habit::Late => rng.random_range(terms + 5..=terms + 40),
        Habit::Delinquent => rng.random_range(terms + 20..=terms + 80),
    };
    let count = if habit == Habit::Delinquent { rng.random_range(2..=3) } else { pick(rng, &INSTALMENTS) };
    let amounts = instalments(rng, total, count);
    let kept = match (habit, rng.random_range(0..100)) {
        (Habit::Delinquent, 0..50) => 0,
        (Habit::Delinquent, 50..80) | (Habit::Late, 0..10) => 1,
        (_, 0..2) => 0,
        _ => amounts.len(),
    };
    let mut day = issue_day + days(first_day);
    let mut parts = Vec::with_capacity(kept);
    for amount in amounts.iter().take(kept) {
        parts.push((*amount, business_time(rng, day).max(issued_at + TimeDelta::hours(1))));
        day += days(rng.random_range(10..=30));
    }
    Schedule { defaulted: kept < amounts.len(), parts }
}

/// A total split into `count` parts of cents, each > 0.
fn instalments(rng: &mut ChaCha8Rng, total: Decimal, count: usize) -> Vec<Decimal> {
    match count {
        2 => {
            let first = share(total, rng.random_range(40..=60));
            vec![first, total - first]
        }
        3 => {
            let first = share(total, rng.random_range(30..=40));
            let second = share(total, rng.random_range(30..=40));
            vec![first, second, total - first - second]
        }
        _ => vec![total],
    }
}

/// The payments against an issued invoice (each one made by the end of
/// `today` applied to it), failed attempts, refunds, disputes and a
/// write-off when the customer stopped paying long ago.
fn collect(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    invoice: &mut Invoice,
    target: &Target,
    profile: &Profile,
) -> Vec<Payment> {
    let plan = schedule(rng, profile.habit, target.issued_at, invoice.due_date, invoice.total_amount);
    let mut payments = Vec::new();
    for (amount, at) in &plan.parts {
        let method = if percent(rng, 80) { profile.method } else { pick(rng, &METHODS) };
        pay(rng, clock, target, &mut payments, *amount, method, *at);
    }
    let applied: Vec<usize> = (0..payments.len()).filter(|i| payments[*i].applied_to.is_some()).collect();
    if applied.is_empty() && percent(rng, 25) {
        failed_attempts(rng, clock, target, invoice, profile.method, &mut payments);
    }
    if let Some(last) = applied.last() {
        settle_afterwards(rng, clock, &mut payments[*last], target.order.returned_at.is_some());
    }
    let paid: Decimal = applied.iter().map(|i| payments[*i].amount).sum();
    let last_paid = applied.last().and_then(|i| payments[*i].completed_at);
    if plan.defaulted && paid < invoice.total_amount {
        write_off(rng, clock, invoice, paid, last_paid);
    }
    payments
}

/// One payment of a part: completed (applied to the invoice) when it went
/// through by the end of `today`, pending when it was only submitted, and
/// sometimes preceded by a failed attempt.
fn pay(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    target: &Target,
    payments: &mut Vec<Payment>,
    amount: Decimal,
    method: PaymentMethod,
    at: Ts,
) {
    let mut payment = attempt(rng, target, amount, method, at);
    if at > clock.end {
        if payment.created_at <= clock.end {
            let no_answer_yet = Payment { processing_time_ms: None, gateway_response_time_ms: None, ..payment };
            payments.push(Payment { status: PaymentStatus::Pending, ..no_answer_yet });
        }
        return;
    }
    if can_fail(method) && percent(rng, 5) {
        let failed_at = payment.created_at - seconds(rng.random_range(HOUR..96 * HOUR));
        if failed_at > target.issued_at + TimeDelta::hours(1) {
            payments.push(failed(rng, target, amount, method, failed_at, true));
        }
    }
    payment.status = PaymentStatus::Completed;
    payment.completed_at = Some(at);
    payment.fee_amount = fee(method, amount);
    payment.applied_to = Some(target.invoice);
    payments.push(payment);
}

fn can_fail(method: PaymentMethod) -> bool {
    matches!(method, PaymentMethod::CreditCard | PaymentMethod::Paypal | PaymentMethod::BankTransfer)
}

/// A payment submitted so that its answer comes at `answered_at`: seconds
/// before through a gateway (which reports its timings), hours before for a
/// bank transfer; status, completion and fee are left to the caller.
fn attempt(rng: &mut ChaCha8Rng, target: &Target, amount: Decimal, method: PaymentMethod, answered_at: Ts) -> Payment {
    let (gateway, delay_ms, gateway_ms) = match method {
        PaymentMethod::CreditCard => {
            (Some(Gateway::Stripe), rng.random_range(900..=4500), Some(rng.random_range(150..=900)))
        }
        PaymentMethod::Paypal => {
            (Some(Gateway::Paypal), rng.random_range(1500..=7000), Some(rng.random_range(300..=1500)))
        }
        PaymentMethod::BankTransfer => (None, i64::from(rng.random_range(4 * HOUR..30 * HOUR)) * 1000, None),
        PaymentMethod::Check | PaymentMethod::Cash => (None, 0, None),
    };
    // Whole seconds, and at least a minute after the invoice was issued.
    let whole_seconds = (delay_ms + 999) / 1000;
    let earliest = (target.issued_at + seconds(MINUTE)).min(answered_at);
    let created_at = (answered_at - TimeDelta::seconds(whole_seconds)).max(earliest);
    let delay_ms = delay_ms.min((answered_at - created_at).num_milliseconds());
    Payment {
        payment_number: String::new(),
        invoice_id: Some(target.invoice_id),
        order_id: Some(target.order_id),
        customer_id: target.order.customer_id,
        amount,
        currency: CURRENCY,
        method,
        gateway,
        status: PaymentStatus::Pending,
        created_at,
        completed_at: None,
        processing_time_ms: gateway.map(|_| delay_ms),
        gateway_response_time_ms: gateway_ms,
        fee_amount: cents(0),
        refunded_amount: cents(0),
        failure_reason: None,
        failed_at: None,
        retry_count: 0,
        can_retry: false,
        dispute: None,
        applied_to: None,
    }
}

/// Card 2.9% + 0.30, PayPal 3.49% + 0.49, nothing for the others.
fn fee(method: PaymentMethod, amount: Decimal) -> Decimal {
    match method {
        PaymentMethod::CreditCard => money(amount * Decimal::new(29, 3) + cents(30)),
        PaymentMethod::Paypal => money(amount * Decimal::new(349, 4) + cents(49)),
        _ => cents(0),
    }
}

fn failure_reasons(method: PaymentMethod) -> &'static [(FailureReason, u32)] {
    match method {
        PaymentMethod::CreditCard => &[
            (FailureReason::CardDeclined, 40),
            (FailureReason::InsufficientFunds, 25),
            (FailureReason::ExpiredCard, 20),
            (FailureReason::InvalidDetails, 8),
            (FailureReason::Other, 7),
        ],
        PaymentMethod::Paypal => {
            &[(FailureReason::InsufficientFunds, 40), (FailureReason::Other, 40), (FailureReason::InvalidDetails, 20)]
        }
        _ => &[(FailureReason::InsufficientFunds, 60), (FailureReason::InvalidDetails, 25), (FailureReason::Other, 15)],
    }
}

/// A failed attempt; `retried` when a later payment went through, so it can
/// no longer be retried.
fn failed(
    rng: &mut ChaCha8Rng,
    target: &Target,
    amount: Decimal,
    method: PaymentMethod,
    failed_at: Ts,
    retried: bool,
) -> Payment {
    let payment = attempt(rng, target, amount, method, failed_at);
    let reason = pick(rng, failure_reasons(method));
    let retry_count = rng.random_range(0..=3);
    let retryable =
        matches!(reason, FailureReason::InsufficientFunds | FailureReason::CardDeclined | FailureReason::Other);
    Payment {
        status: PaymentStatus::Failed,
        failure_reason: Some(reason),
        failed_at: Some(failed_at),
        retry_count,
        can_retry: !retried && retryable && retry_count < 3,
        ..payment
    }
}

/// One or two failed attempts on an invoice nothing was paid on.
fn failed_attempts(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    target: &Target,
    invoice: &Invoice,
    method: PaymentMethod,
    payments: &mut Vec<Payment>,
) {
    let method = if can_fail(method) { method } else { PaymentMethod::CreditCard };
    let from = invoice.issued_at.unwrap_or(invoice.touched_at) + TimeDelta::days(1);
    let until = clock.end.min(at_local(invoice.due_date, 0) + days(45));
    let window = u32::try_from((until - from).num_seconds()).unwrap_or(0);
    if window <= HOUR {
        return;
    }
    for _ in 0..rng.random_range(1..=2) {
        let failed_at = from + seconds(rng.random_range(HOUR..window));
        payments.push(failed(rng, target, invoice.total_amount, method, failed_at, false));
    }
}

/// A refund after a return (and now and then as goodwill) or a dispute.
fn settle_afterwards(rng: &mut ChaCha8Rng, clock: &Clock, payment: &mut Payment, returned: bool) {
    if returned || per_mille(rng, 5) {
        payment.status = PaymentStatus::Refunded;
        payment.refunded_amount =
            if percent(rng, 40) { payment.amount } else { share(payment.amount, rng.random_range(10..=60)) };
        return;
    }
    let Some(completed_at) = payment.completed_at else { return };
    if payment.gateway.is_none() || !per_mille(rng, 25) {
        return;
    }
    payment.dispute = dispute(rng, clock, completed_at);
    if let Some(dispute) = &payment.dispute {
        payment.status =
            if dispute.status == DisputeStatus::Won { PaymentStatus::Completed } else { PaymentStatus::Disputed };
    }
}

/// A chargeback 5-60 days after the payment, if that is by the end of
/// `today`: open while the evidence is due or under review, then won or lost.
fn dispute(rng: &mut ChaCha8Rng, clock: &Clock, completed_at: Ts) -> Option<Dispute> {
    let disputed_at = business_time_after(rng, local_date(completed_at), 5..=60);
    if disputed_at > clock.end {
        return None;
    }
    let evidence_due_date = local_date(disputed_at) + days(rng.random_range(7..=21));
    let days_past_due = (clock.today - evidence_due_date).num_days();
    let status = if days_past_due < 0 {
        if percent(rng, 60) { DisputeStatus::NeedsResponse } else { DisputeStatus::UnderReview }
    } else if days_past_due <= 45 {
        DisputeStatus::UnderReview
    } else if percent(rng, 55) {
        DisputeStatus::Won
    } else {
        DisputeStatus::Lost
    };
    Some(Dispute { reason: pick(rng, &DISPUTE_REASONS), disputed_at, evidence_due_date, status })
}

/// Most invoices a customer stopped paying are written off 90-150 days
/// after the due date.
fn write_off(rng: &mut ChaCha8Rng, clock: &Clock, invoice: &mut Invoice, paid: Decimal, last_paid: Option<Ts>) {
    if !percent(rng, 60) {
        return;
    }
    let planned = business_time_after(rng, invoice.due_date, 90..=150);
    let written_off_at = last_paid.map_or(planned, |at| planned.max(at + days(30)));
    if written_off_at <= clock.end {
        invoice.written_off_amount = invoice.total_amount - paid;
        invoice.written_off_at = Some(written_off_at);
    }
}

/// Payment ids and numbers in time order, and the applications that refer
/// to them.
fn number_payments(rng: &mut ChaCha8Rng, billing: &mut Billing) {
    billing.payments.sort_by_key(|p| p.created_at);
    let key = rng.random();
    // 8 digits (more beyond 2^26 payments), unique per position.
    let bits = 26.max(usize::BITS - billing.payments.len().leading_zeros());
    for (index, payment) in billing.payments.iter_mut().enumerate() {
        payment.payment_number = format!("PAY-{}", 10_000_000 + scramble(index, key, bits));
        let (Some(invoice), Some(applied_at)) = (payment.applied_to, payment.completed_at) else { continue };
        let application = PaymentApplication { payment_id: id(index), amount: payment.amount, applied_at };
        billing.invoices[invoice].payment_applications.push(application);
    }
    for invoice in &mut billing.invoices {
        invoice.payment_applications.sort_by_key(|a| a.applied_at);
    }
}

/// The status as upstream last set it: its nightly overdue run misses a few.
fn upstream_status(rng: &mut ChaCha8Rng, clock: &Clock, invoice: &Invoice) -> InvoiceStatus {
    if matches!(invoice.status, InvoiceStatus::Draft | InvoiceStatus::Cancelled) {
        return invoice.status;
    }
    let paid = invoice.paid();
    if paid + invoice.written_off_amount >= invoice.total_amount {
        InvoiceStatus::Paid
    } else if invoice.due_date < clock.today && percent(rng, 85) {
        InvoiceStatus::Overdue
    } else if paid > Decimal::ZERO {
        InvoiceStatus::PartiallyPaid
    } else {
        InvoiceStatus::Sent
    }
}

// ---------------------------------------------------------------------------
// Sales targets and marketing spend

struct MonthlyAmount {
    month: String,
    amount: Decimal,
    updated_at: Ts,
}

struct MonthlyPlans {
    targets: Vec<MonthlyAmount>,
    spend: Vec<MonthlyAmount>,
}

/// A revenue target per month near what was (or, for the current month, is
/// being) achieved, rounded to thousands, set before the month; marketing
/// spend growing with the business, booked after the month.
fn monthly_plans(rng: &mut ChaCha8Rng, clock: &Clock, orders: &[Order], per_month: u32) -> MonthlyPlans {
    let revenue = monthly_revenue(clock, orders);
    let thousand = Decimal::from(1000);
    let mut plans = MonthlyPlans { targets: Vec::new(), spend: Vec::new() };
    for (month, revenue) in clock.months.iter().zip(revenue) {
        let pace = revenue * Decimal::from(month.days_in_month) / Decimal::from(month.days_covered());
        let target = (share(pace, rng.random_range(90..=112)) / thousand).round() * thousand;
        let planned_at = at_local(month.first - days(rng.random_range(3..=10)), 10 * HOUR);
        plans.targets.push(MonthlyAmount { month: month.label(), amount: money(target), updated_at: planned_at });
        let spend_cents = (800_000 + 15_000 * i64::from(month.index) + rng.random_range(-150_000..=150_000))
            * i64::from(per_month)
            / 400;
        let booked_at = at_local(month.last + days(2), 11 * HOUR).min(clock.end);
        plans.spend.push(MonthlyAmount { month: month.label(), amount: cents(spend_cents), updated_at: booked_at });
    }
    plans
}

/// Revenue of revenue-bearing orders by New York month.
fn monthly_revenue(clock: &Clock, orders: &[Order]) -> Vec<Decimal> {
    let mut revenue = vec![Decimal::ZERO; clock.months.len()];
    let bearing = orders.iter().filter(|o| !matches!(o.status, OrderStatus::Draft | OrderStatus::Cancelled));
    for order in bearing {
        if let Some(month) = clock.month_of(local_date(order.ordered_at)) {
            revenue[month] += order.total_amount;
        }
    }
    revenue
}

// ---------------------------------------------------------------------------
// JSON output
//
// Records are written by hand rather than with serde_json, whose byte-by-byte
// string escaping took most of a debug build's run time on the ten megabytes
// of the default data set; keys and numbers are put together so that each
// costs one `String` call. No string here needs escaping (word lists, codes,
// digits and the validated tenant id); the tests parse every line.

trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// `,"name":`, written in one go.
macro_rules! key {
    ($name:expr) => {
        concat!(",\"", $name, "\":")
    };
}

/// The fields of a struct, each under its own name.
macro_rules! json_fields {
    ($object:expr, $value:expr, $($field:ident),+ $(,)?) => {
        $object$(.field(key!(stringify!($field)), &$value.$field))+
    };
}

/// A JSON object being written, field by field.
struct JsonObject<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> JsonObject<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        JsonObject { out, empty: true }
    }

    /// A field under a key made by [`key!`].
    fn field<T: ToJson + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.out.push_str(if self.empty { key.strip_prefix(',').unwrap_or(key) } else { key });
        self.empty = false;
        value.write_json(self.out);
        self
    }

    fn end(self) {
        self.out.push('}');
    }
}

/// A record type's own fields, after the common ones.
trait Body {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a>;
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        out.push('"');
        out.push_str(self);
        out.push('"');
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

/// A short piece of ASCII put together on the stack and appended in one go:
/// each call on a `String` is costly in debug builds, and numbers formatted
/// with `write!` more so.
struct Ascii {
    bytes: [u8; 48],
    len: usize,
}

impl Ascii {
    fn new() -> Self {
        Ascii { bytes: [0; 48], len: 0 }
    }

    fn byte(&mut self, byte: u8) -> &mut Self {
        self.bytes[self.len] = byte;
        self.len += 1;
        self
    }

    /// A number in decimal, zero-padded to `width` digits.
    fn number(&mut self, mut value: u64, width: usize) -> &mut Self {
        let mut digits = 1;
        let mut rest = value / 10;
        while rest > 0 {
            digits += 1;
            rest /= 10;
        }
        let end = self.len + digits.max(width);
        let mut at = end;
        while at > self.len {
            at -= 1;
            self.bytes[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len = end;
        self
    }

    fn append_to(&self, out: &mut String) {
        out.push_str(std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default());
    }
}

impl ToJson for i64 {
    fn write_json(&self, out: &mut String) {
        let mut text = Ascii::new();
        if *self < 0 {
            text.byte(b'-');
        }
        text.number(self.unsigned_abs(), 1).append_to(out);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// Money as a string with two decimals.
impl ToJson for Decimal {
    fn write_json(&self, out: &mut String) {
        let cents = if self.scale() == 2 { *self } else { money(*self) }.mantissa();
        let Ok(units) = u64::try_from(cents.unsigned_abs() / 100) else {
            return money(*self).to_string().write_json(out);
        };
        let mut text = Ascii::new();
        text.byte(b'"');
        if cents < 0 {
            text.byte(b'-');
        }
        let hundredths = (cents.unsigned_abs() % 100) as u64;
        text.number(units, 1).byte(b'.').number(hundredths, 2).byte(b'"').append_to(out);
    }
}

fn date_text(text: &mut Ascii, date: NaiveDate) -> &mut Ascii {
    let year = u64::from(date.year().unsigned_abs());
    text.number(year, 4).byte(b'-').number(u64::from(date.month()), 2).byte(b'-').number(u64::from(date.day()), 2)
}

/// `YYYY-MM-DD`.
impl ToJson for NaiveDate {
    fn write_json(&self, out: &mut String) {
        date_text(Ascii::new().byte(b'"'), *self).byte(b'"').append_to(out);
    }
}

/// RFC 3339 in UTC with `Z`, whole seconds.
impl ToJson for Ts {
    fn write_json(&self, out: &mut String) {
        let seconds = u64::from(self.num_seconds_from_midnight());
        let mut text = Ascii::new();
        date_text(text.byte(b'"'), self.date_naive()).byte(b'T').number(seconds / 3600, 2).byte(b':');
        text.number(seconds / 60 % 60, 2).byte(b':').number(seconds % 60, 2).byte(b'Z').byte(b'"').append_to(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

macro_rules! enum_to_json {
    ($($name:ty),+) => {
        $(impl ToJson for $name {
            fn write_json(&self, out: &mut String) {
                self.as_str().write_json(out);
            }
        })+
    };
}

enum_to_json!(
    OrderSource,
    OrderStatus,
    InvoiceStatus,
    PaymentMethod,
    Gateway,
    PaymentStatus,
    FailureReason,
    DisputeStatus
);

struct TenantSettings {
    time_zone: &'static str,
    currency: &'static str,
    vip_lifetime_revenue: Decimal,
}

impl Body for TenantSettings {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, time_zone, currency, vip_lifetime_revenue)
    }
}

impl Body for Customer {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, customer_number, company_name, email, created_at, credit_limit)
    }
}

impl Body for Product {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, sku, name, category)
    }
}

impl Body for SalesRep {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, name, email)
    }
}

impl Body for MonthlyAmount {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, month, amount)
    }
}

impl ToJson for OrderLine {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, product_id, quantity, unit_price, line_total).end();
    }
}

impl Body for Order {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            order_number,
            customer_id,
            sales_rep_id,
            source,
            status,
            currency,
            total_amount,
            lines,
            ordered_at,
            confirmed_at,
            shipped_at,
            delivered_at,
            completed_at,
            cancelled_at,
            promised_delivery_date,
            returned_at,
            fulfillment_error
        )
    }
}

impl ToJson for PaymentApplication {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, payment_id, amount, applied_at).end();
    }
}

impl Body for Invoice {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            invoice_number,
            order_id,
            customer_id,
            status,
            currency,
            total_amount,
            issued_at,
            due_date,
            payment_applications,
            written_off_amount,
            written_off_at
        )
    }
}

impl ToJson for Dispute {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, reason, disputed_at, evidence_due_date, status).end();
    }
}

impl Body for Payment {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            payment_number,
            invoice_id,
            order_id,
            customer_id,
            amount,
            currency,
            method,
            gateway,
            status,
            created_at,
            completed_at,
            processing_time_ms,
            gateway_response_time_ms,
            fee_amount,
            refunded_amount,
            failure_reason,
            failed_at,
            retry_count,
            can_retry,
            dispute
        )
    }
}

/// Orders, invoices and payments in the order of their dates.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Activity {
    Order(usize),
    Invoice(usize),
    Payment(usize),
}

struct RecordWriter<'a> {
    out: io::BufWriter<&'a mut dyn Write>,
    tenant: &'a str,
    line: String,
    stats: DemoStats,
}

impl RecordWriter<'_> {
    /// One record, version 1, as a line.
    fn write(&mut self, record_type: RecordType, id: i64, updated_at: Ts, body: &impl Body) -> io::Result<()> {
        let record_type = record_type.as_str();
        self.line.clear();
        let common = JsonObject::new(&mut self.line)
            .field(key!("type"), record_type)
            .field(key!("tenant_id"), self.tenant)
            .field(key!("id"), &id)
            .field(key!("version"), &1_i64)
            .field(key!("updated_at"), &updated_at);
        body.fields(common).end();
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.stats.lines += 1;
        *self.stats.by_type.entry(record_type).or_default() += 1;
        Ok(())
    }

    fn reference_data(&mut self, clock: &Clock, customers: &[Customer], plans: &MonthlyPlans) -> io::Result<()> {
        let set_up_at = at_local(clock.start - days(1000), 9 * HOUR);
        let settings =
            TenantSettings { time_zone: TIME_ZONE_NAME, currency: CURRENCY, vip_lifetime_revenue: cents(1_000_000) };
        self.write(RecordType::TenantSettings, 1, set_up_at, &settings)?;
        for (index, customer) in customers.iter().enumerate() {
            self.write(RecordType::Customer, id(index), customer.created_at, customer)?;
        }
        for (index, product) in PRODUCTS.iter().enumerate() {
            self.write(RecordType::Product, id(index), set_up_at, product)?;
        }
        for (index, rep) in SALES_REPS.iter().enumerate() {
            self.write(RecordType::SalesRep, id(index), set_up_at, rep)?;
        }
        for (index, target) in plans.targets.iter().enumerate() {
            self.write(RecordType::SalesTarget, id(index), target.updated_at, target)?;
        }
        for (index, spend) in plans.spend.iter().enumerate() {
            self.write(RecordType::MarketingSpend, id(index), spend.updated_at, spend)?;
        }
        Ok(())
    }

    fn activity(&mut self, orders: &[Order], billing: &Billing) -> io::Result<()> {
        let mut timeline: Vec<(Ts, Activity)> = Vec::new();
        timeline.extend(orders.iter().enumerate().map(|(i, o)| (o.ordered_at, Activity::Order(i))));
        let invoices = billing.invoices.iter().enumerate();
        timeline.extend(invoices.map(|(i, inv)| (inv.issued_at.unwrap_or(inv.touched_at), Activity::Invoice(i))));
        timeline.extend(billing.payments.iter().enumerate().map(|(i, p)| (p.created_at, Activity::Payment(i))));
        timeline.sort();
        for (_, activity) in timeline {
            match activity {
                Activity::Order(i) => self.write(RecordType::Order, id(i), orders[i].updated_at(), &orders[i])?,
                Activity::Invoice(i) => {
                    let invoice = &billing.invoices[i];
                    self.write(RecordType::Invoice, id(i), invoice.updated_at(), invoice)?;
                }
                Activity::Payment(i) => {
                    let payment = &billing.payments[i];
                    self.write(RecordType::Payment, id(i), payment.updated_at(), payment)?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
    use std::sync::OnceLock;

    use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
    use rust_decimal::Decimal;
    use rust_decimal::RoundingStrategy::MidpointAwayFromZero;
    use rust_decimal_macros::dec;
    use sales_shared::records::{
        DisputeStatus, Gateway, Invoice, InvoiceStatus, Order, OrderStatus, Payment, PaymentMethod, PaymentStatus,
        RecordBody, RecordType, SourceRecord, StrEnum, check_currency, parse_record,
    };
    use serde_json::Value;

    use super::{DemoOptions, DemoStats, generate};

    struct DataSet {
        text: String,
        stats: DemoStats,
        records: Vec<SourceRecord>,
    }

    fn run(options: &DemoOptions) -> (String, DemoStats) {
        let mut out = Vec::new();
        let stats = generate(options, &mut out).expect("demo data is generated");
        (String::from_utf8(out).expect("output is UTF-8"), stats)
    }

    /// Every line parsed; panics naming the first bad line and its rejection.
    fn parse_all(text: &str) -> Vec<SourceRecord> {
        let parsed = text.lines().enumerate().map(|(i, line)| (i, line, parse_record(line)));
        parsed
            .map(|(i, line, result)| result.unwrap_or_else(|rejection| panic!("line {}: {rejection}\n{line}", i + 1)))
            .collect()
    }

    fn default_set() -> &'static DataSet {
        static SET: OnceLock<DataSet> = OnceLock::new();
        SET.get_or_init(|| {
            let (text, stats) = run(&DemoOptions::default());
            let records = parse_all(&text);
            DataSet { text, stats, records }
        })
    }

    fn local(at: DateTime<FixedOffset>) -> NaiveDate {
        super::local_date(at.with_timezone(&Utc))
    }

    fn end_of(today: NaiveDate) -> DateTime<Utc> {
        today.and_hms_opt(23, 59, 59).unwrap().and_utc()
    }

    fn orders(set: &DataSet) -> BTreeMap<i64, &Order> {
        let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
        bodies
            .filter_map(|(id, body)| if let Some(RecordBody::Order(o)) = body { Some((id, o)) } else { None })
            .collect()
    }

    fn invoices(set: &DataSet) -> BTreeMap<i64, &Invoice> {
        let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
        bodies
            .filter_map(|(id, body)| if let Some(RecordBody::Invoice(i)) = body { Some((id, i)) } else { None })
            .collect()
    }

    fn payments(set: &DataSet) -> BTreeMap<i64, &Payment> {
        let bodies = set.records.iter().map(|r| (r.key.id, r.body.as_ref()));
        bodies
            .filter_map(|(id, body)| if let Some(RecordBody::Payment(p)) = body { Some((id, p)) } else { None })
            .collect()
    }

    fn months_of(set: &DataSet, record_type: RecordType) -> Vec<String> {
        let monthly = set.records.iter().filter(|r| r.key.record_type == record_type);
        monthly
            .filter_map(|r| match &r.body {
                Some(RecordBody::SalesTarget(m) | RecordBody::MarketingSpend(m)) => Some(m.month.clone()),
                _ => None,
            })
            .collect()
    }

    fn paid(invoice: &Invoice) -> Decimal {
        invoice.payment_applications.iter().map(|a| a.amount).sum()
    }

    fn balance(invoice: &Invoice) -> Decimal {
        invoice.total_amount - paid(invoice) - invoice.written_off_amount
    }

    #[test]
    fn every_line_is_a_valid_source_record() {
        let set = default_set();
        assert_eq!(set.records.len(), set.text.lines().count());
        assert_eq!(set.records[0].key.record_type, RecordType::TenantSettings);
        let mut keys = HashSet::new();
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for record in &set.records {
            check_currency(record, "USD").unwrap_or_else(|r| panic!("{:?}: {r}", record.key));
            assert_eq!(record.key.tenant_id, "demo");
            assert_eq!(record.version, 1, "{:?}", record.key);
            assert!(keys.insert(record.key.clone()), "duplicate {:?}", record.key);
            *by_type.entry(record.key.record_type.as_str()).or_default() += 1;
        }
        assert_eq!(set.stats.lines, set.records.len());
        assert_eq!(set.stats.by_type, by_type);
    }

    #[test]
    fn small_and_edge_options_give_valid_records() {
        let cases = [("t_1", (2024, 3, 10), 1, 30), ("edge-2", (2025, 3, 1), 2, 5), ("x", (2025, 11, 2), 3, 0)];
        for (tenant, (y, m, d), months, orders_per_month) in cases {
            let today = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let options = DemoOptions { months, orders_per_month, ..DemoOptions::new(tenant, today) };
            let (text, stats) = run(&options);
            let records = parse_all(&text);
            assert_eq!(stats.lines, records.len());
            assert!(records.iter().all(|r| r.updated_at <= end_of(today)), "{tenant}: a record after {today}");
        }
    }

    #[test]
    fn bad_options_are_refused() {
        let today = NaiveDate::from_ymd_opt(2025, 12, 17).unwrap();
        for options in [
            DemoOptions { months: 0, ..DemoOptions::new("demo", today) },
            DemoOptions { months: 241, ..DemoOptions::new("demo", today) },
            DemoOptions { orders_per_month: 100_001, ..DemoOptions::new("demo", today) },
            DemoOptions::new("bad tenant", today),
            DemoOptions::new("", today),
        ] {
            let error = generate(&options, &mut Vec::new()).expect_err("options are refused");
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "{options:?}");
        }
    }

    #[test]
    fn same_options_give_the_same_bytes_and_another_seed_other_bytes() {
        let options = DemoOptions { months: 3, orders_per_month: 150, ..DemoOptions::default() };
        let (first, _) = run(&options);
        let (second, _) = run(&options);
        assert!(first == second, "two runs with the same options differ");
        assert_eq!(default_set().text, run(&DemoOptions::default()).0);
        let (other, _) = run(&DemoOptions { seed: options.seed + 1, ..options });
        assert_ne!(first, other);
    }

    #[test]
    fn orders_span_the_history_with_every_status_and_realistic_shapes() {
        let set = default_set();
        let orders = orders(set);
        assert!(orders.len() >= 3000, "only {} orders", orders.len());
        let months: BTreeSet<(i32, u32)> =
            orders.values().map(|o| local(o.ordered_at)).map(|d| (d.year(), d.month())).collect();
        assert!(months.len() >= 13, "orders span {} months", months.len());
        let statuses: BTreeSet<OrderStatus> = orders.values().map(|o| o.status).collect();
        assert_eq!(statuses.len(), OrderStatus::ALL.len(), "statuses: {statuses:?}");
        assert!(orders.values().any(|o| o.status == OrderStatus::Draft && o.lines.is_empty()));
        assert!(orders.values().filter(|o| o.total_amount >= Decimal::from(10_000)).count() >= 3);
        assert!(orders.values().any(|o| o.ordered_at.date_naive() != local(o.ordered_at)), "no order near midnight");
        assert!(orders.values().any(|o| o.sales_rep_id.is_none()) && orders.values().any(|o| o.returned_at.is_some()));
        assert!(orders.values().any(|o| o.fulfillment_error));
        let numbers: HashSet<&str> = orders.values().map(|o| o.order_number.as_str()).collect();
        assert_eq!(numbers.len(), orders.len(), "order numbers repeat");
        let well_formed =
            |n: &&str| n.len() == 12 && n.starts_with("ORD-") && n[4..].chars().all(|c| c.is_ascii_alphanumeric());
        assert!(numbers.iter().all(well_formed));
        let cancelled = orders.values().filter(|o| o.status == OrderStatus::Cancelled).count();
        assert!((orders.len() * 2 / 100..orders.len() * 6 / 100).contains(&cancelled), "{cancelled} cancelled");
        let mut per_customer: HashMap<i64, usize> = HashMap::new();
        for order in orders.values() {
            *per_customer.entry(order.customer_id).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_customer.into_values().collect();
        counts.sort_unstable();
        let (median, top) = (counts[counts.len() / 2], counts[counts.len() - 1]);
        assert!(top >= 5 * median, "not skewed: median {median}, top {top}");
    }

    #[test]
    fn invoices_and_payments_cover_every_collection_story() {
        let set = default_set();
        let invoices = invoices(set);
        let statuses: BTreeSet<InvoiceStatus> = invoices.values().map(|i| i.status).collect();
        assert_eq!(statuses.len(), InvoiceStatus::ALL.len(), "statuses: {statuses:?}");
        let partial = |i: &&Invoice| i.payment_applications.len() >= 2 && balance(i) > Decimal::ZERO;
        assert!(invoices.values().any(partial), "no invoice partly paid in instalments");
        assert!(invoices.values().any(|i| i.payment_applications.len() == 3 && balance(i).is_zero()));
        assert!(invoices.values().filter(|i| i.written_off_amount > Decimal::ZERO).count() >= 3, "too few write-offs");
        let payments = payments(set);
        let statuses: BTreeSet<PaymentStatus> = payments.values().map(|p| p.status).collect();
        assert_eq!(statuses.len(), PaymentStatus::ALL.len(), "statuses: {statuses:?}");
        let methods: BTreeSet<PaymentMethod> = payments.values().map(|p| p.method).collect();
        assert_eq!(methods.len(), PaymentMethod::ALL.len());
        let failed = payments.values().filter(|p| p.status == PaymentStatus::Failed);
        let retryable: BTreeSet<bool> = failed.map(|p| p.can_retry).collect();
        assert_eq!(retryable.len(), 2, "failed payments should be retryable and not");
        assert!(payments.values().any(|p| p.status == PaymentStatus::Refunded && p.refunded_amount < p.amount));
        assert!(payments.values().any(|p| p.status == PaymentStatus::Refunded && p.refunded_amount == p.amount));
        let disputes: BTreeSet<DisputeStatus> =
            payments.values().filter_map(|p| p.dispute.as_ref()).map(|d| d.status).collect();
        assert_eq!(disputes.len(), DisputeStatus::ALL.len(), "dispute statuses: {disputes:?}");
    }

    #[test]
    fn every_month_has_a_sales_target_and_marketing_spend() {
        let set = default_set();
        let expected: Vec<String> = (0..14)
            .map(|k| NaiveDate::from_ymd_opt(2024, 11, 1).unwrap() + chrono::Months::new(k))
            .map(|d| d.format("%Y-%m").to_string())
            .collect();
        assert_eq!(months_of(set, RecordType::SalesTarget), expected);
        assert_eq!(months_of(set, RecordType::MarketingSpend), expected);
    }

    /// Every timestamp string of a JSON value.
    fn timestamps(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => found.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|v| timestamps(v, found)),
            Value::Object(fields) => fields.values().for_each(|v| timestamps(v, found)),
            _ => {}
        }
    }

    /// Every money field of a JSON value, with its name.
    fn money_fields(value: &Value, found: &mut Vec<(String, Value)>) {
        const MONEY: [&str; 9] = [
            "amount",
            "total_amount",
            "unit_price",
            "line_total",
            "fee_amount",
            "refunded_amount",
            "written_off_amount",
            "credit_limit",
            "vip_lifetime_revenue",
        ];
        match value {
            Value::Array(items) => items.iter().for_each(|v| money_fields(v, found)),
            Value::Object(fields) => {
                for (name, v) in fields {
                    if MONEY.contains(&name.as_str()) {
                        found.push((name.clone(), v.clone()));
                    }
                    money_fields(v, found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn nothing_happens_after_today_and_updated_at_is_the_latest_timestamp() {
        let set = default_set();
        let end = end_of(DemoOptions::default().today);
        for line in set.text.lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            let updated_at = value["updated_at"].as_str().unwrap();
            let mut found = Vec::new();
            timestamps(&value, &mut found);
            for timestamp in &found {
                assert!(timestamp.ends_with('Z'), "{timestamp} is not UTC with Z: {line}");
                let at = DateTime::parse_from_rfc3339(timestamp).unwrap();
                assert!(at <= end, "{timestamp} is after today: {line}");
                assert!(
                    at <= DateTime::parse_from_rfc3339(updated_at).unwrap(),
                    "{timestamp} after updated_at: {line}"
                );
            }
            let mut money = Vec::new();
            money_fields(&value, &mut money);
            for (name, amount) in money {
                let ok = amount.is_null() && name == "credit_limit"
                    || amount.as_str().is_some_and(|s| s.split_once('.').is_some_and(|(_, cents)| cents.len() == 2));
                assert!(ok, "{name} = {amount} is not a string with 2 decimals: {line}");
            }
        }
        let months =
            months_of(set, RecordType::SalesTarget).into_iter().chain(months_of(set, RecordType::MarketingSpend));
        assert!(months.max().unwrap().as_str() <= "2025-12");
    }

    #[test]
    fn order_totals_add_up_and_steps_follow_each_other() {
        for (id, order) in orders(default_set()) {
            let lines: Decimal = order.lines.iter().map(|l| l.line_total).sum();
            assert_eq!(order.total_amount, lines, "order {id}");
            for line in &order.lines {
                assert_eq!(line.line_total, line.unit_price * Decimal::from(line.quantity), "order {id}");
            }
            assert!(order.status == OrderStatus::Draft || !order.lines.is_empty(), "order {id} has no lines");
            assert_eq!(order.status == OrderStatus::Cancelled, order.cancelled_at.is_some(), "order {id}");
            let steps = [order.confirmed_at, order.shipped_at, order.delivered_at, order.completed_at];
            let reached: Vec<_> = steps.iter().map_while(|s| *s).collect();
            assert_eq!(reached.len(), steps.iter().flatten().count(), "order {id} skips a step");
            assert!(reached.windows(2).all(|w| w[0] < w[1]) && reached.iter().all(|s| *s > order.ordered_at));
            if let Some(shipped) = order.shipped_at {
                let days = (local(shipped) - local(order.ordered_at)).num_days();
                assert!((1..=10).contains(&days), "order {id} shipped after {days} days");
            }
        }
    }

    #[test]
    fn invoice_applications_match_payments_and_never_exceed_the_total() {
        let set = default_set();
        let (orders, payments) = (orders(set), payments(set));
        let mut applied = HashSet::new();
        for (id, invoice) in invoices(set) {
            let order = orders[&invoice.order_id.unwrap()];
            assert_eq!(invoice.total_amount, order.total_amount, "invoice {id}");
            assert!(paid(invoice) <= invoice.total_amount, "invoice {id} is overpaid");
            assert!(balance(invoice) >= Decimal::ZERO, "invoice {id} written off too much");
            for application in &invoice.payment_applications {
                let payment = payments[&application.payment_id];
                assert!(payment.is_captured(), "invoice {id}: payment {} not captured", application.payment_id);
                assert_eq!(payment.invoice_id, Some(id));
                assert_eq!(payment.amount, application.amount);
                assert_eq!(payment.completed_at, Some(application.applied_at));
                assert!(applied.insert(application.payment_id), "payment {} applied twice", application.payment_id);
            }
            if let Some(issued_at) = invoice.issued_at {
                let terms = (invoice.due_date - local(issued_at)).num_days();
                assert!([15, 30, 60].contains(&terms), "invoice {id}: net {terms}");
                let after_order = (local(issued_at) - local(order.ordered_at)).num_days();
                assert!((0..=2).contains(&after_order), "invoice {id} issued {after_order} days after the order");
            }
        }
        let numbers: HashSet<&str> = payments.values().map(|p| p.payment_number.as_str()).collect();
        assert_eq!(numbers.len(), payments.len(), "payment numbers repeat");
        assert!(
            numbers
                .iter()
                .all(|n| n.len() == 12 && n.starts_with("PAY-") && n[4..].chars().all(|c| c.is_ascii_digit()))
        );
        for (id, payment) in payments {
            assert_eq!(payment.is_captured(), applied.contains(&id), "payment {id}");
            assert!(payment.refunded_amount <= payment.amount && payment.fee_amount < payment.amount);
            assert_eq!(payment.status == PaymentStatus::Failed, payment.failed_at.is_some(), "payment {id}");
            assert_eq!(payment.completed_at.is_some(), payment.is_captured(), "payment {id}");
            let gateway = match payment.method {
                PaymentMethod::CreditCard => Some(Gateway::Stripe),
                PaymentMethod::Paypal => Some(Gateway::Paypal),
                _ => None,
            };
            assert_eq!(payment.gateway, gateway, "payment {id}");
            let answered = payment.status != PaymentStatus::Pending;
            assert_eq!(payment.processing_time_ms.is_some(), gateway.is_some() && answered, "payment {id}");
            if payment.method == PaymentMethod::CreditCard && payment.is_captured() {
                let fee = (payment.amount * dec!(0.029) + dec!(0.30)).round_dp_with_strategy(2, MidpointAwayFromZero);
                assert_eq!(payment.fee_amount, fee, "payment {id}");
            }
        }
    }
}
