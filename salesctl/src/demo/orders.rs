//! Orders: how many a month, their lines, and the steps each one goes through.

use super::*;

#[derive(Serialize)]
pub(super) struct OrderLine {
    pub(super) product_id: i64,
    pub(super) quantity: i64,
    #[serde(serialize_with = "json::money")]
    pub(super) unit_price: Decimal,
    #[serde(serialize_with = "json::money")]
    pub(super) line_total: Decimal,
}

#[derive(Serialize)]
pub(super) struct Order {
    pub(super) order_number: String,
    pub(super) customer_id: i64,
    pub(super) sales_rep_id: Option<i64>,
    pub(super) source: OrderSource,
    pub(super) status: OrderStatus,
    pub(super) currency: &'static str,
    #[serde(serialize_with = "json::money")]
    pub(super) total_amount: Decimal,
    pub(super) lines: Vec<OrderLine>,
    #[serde(serialize_with = "json::timestamp")]
    pub(super) ordered_at: Ts,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) confirmed_at: Option<Ts>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) shipped_at: Option<Ts>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) delivered_at: Option<Ts>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) completed_at: Option<Ts>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) cancelled_at: Option<Ts>,
    pub(super) promised_delivery_date: Option<NaiveDate>,
    #[serde(serialize_with = "json::timestamp_option")]
    pub(super) returned_at: Option<Ts>,
    pub(super) fulfillment_error: bool,
    /// Index of the customer.
    #[serde(skip)]
    pub(super) customer: usize,
}

impl Order {
    pub(super) fn updated_at(&self) -> Ts {
        let steps = [
            self.confirmed_at,
            self.shipped_at,
            self.delivered_at,
            self.completed_at,
            self.cancelled_at,
        ];
        latest(self.ordered_at, steps.into_iter().chain([self.returned_at]))
    }
}

/// Relative order volume by calendar month (January first).
pub(super) const SEASON: [u64; 12] = [82, 85, 98, 96, 100, 97, 90, 92, 105, 110, 122, 118];
/// Monthly growth, in per mille.
pub(super) const GROWTH_PER_MILLE: u64 = 15;
pub(super) const ORDER_NUMBER_ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `ORD-` and 8 characters, unique per position.
pub(super) fn order_number(position: usize, key: u64) -> String {
    let mut code = scramble(position, key, 40);
    let mut number = String::from("ORD-");
    for _ in 0..8 {
        number.push(char::from(ORDER_NUMBER_ALPHABET[(code % 32) as usize]));
        code /= 32;
    }
    number
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Fate {
    Draft,
    Cancelled,
    Fulfilled,
}

pub(super) const FATES: [(Fate, u32); 3] =
    [(Fate::Draft, 10), (Fate::Cancelled, 40), (Fate::Fulfilled, 950)];
pub(super) const SOURCES: [(OrderSource, u32); 4] = [
    (OrderSource::OnlineStore, 45),
    (OrderSource::Phone, 20),
    (OrderSource::Email, 20),
    (OrderSource::Api, 15),
];
pub(super) const LINE_COUNTS: [(usize, u32); 5] = [(1, 35), (2, 25), (3, 20), (4, 12), (5, 8)];
pub(super) const QUANTITIES: [(i64, u32); 7] =
    [(1, 40), (2, 22), (3, 14), (4, 8), (5, 7), (10, 6), (20, 3)];
/// Quantities of products from $500 up.
pub(super) const FEW: [(i64, u32); 4] = [(1, 65), (2, 22), (3, 9), (5, 4)];
pub(super) const EXPENSIVE_CENTS: i64 = 50_000;
pub(super) const DISCOUNTS: [(i64, u32); 3] = [(5, 50), (10, 35), (15, 15)];
pub(super) const SHIP_DAYS: [(i64, u32); 10] =
    [(1, 30), (2, 25), (3, 15), (4, 10), (5, 6), (6, 4), (7, 3), (8, 3), (9, 2), (10, 2)];
pub(super) const TRANSIT_DAYS: [(i64, u32); 6] =
    [(1, 15), (2, 30), (3, 25), (4, 15), (5, 10), (6, 5)];

/// Orders in time order (ids follow it), each from a customer who existed
/// then; customers with more weight order more often, and a customer's
/// first order is likelier soon after they join.
pub(super) fn orders(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    customers: &[Customer],
    per_month: u32,
) -> Vec<Order> {
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
pub(super) fn order_times(rng: &mut ChaCha8Rng, clock: &Clock, per_month: u32) -> Vec<Ts> {
    let mut times = Vec::new();
    for month in &clock.months {
        let days: Vec<NaiveDate> =
            month.first.iter_days().take_while(|d| *d <= month.last).collect();
        for _ in 0..month_order_count(rng, month, per_month) {
            let day = days[pick_index(rng, days.iter().map(day_weight))];
            times.push(order_time(rng, clock, day));
        }
    }
    times.sort();
    times
}

pub(super) fn month_order_count(rng: &mut ChaCha8Rng, month: &MonthSpan, per_month: u32) -> u64 {
    let season = SEASON[month.first.month0() as usize];
    let growth = 1000 + GROWTH_PER_MILLE * u64::from(month.index);
    let full_month = u64::from(per_month) * season * growth / 100_000;
    let covered =
        full_month * month.days_covered().unsigned_abs() / month.days_in_month.unsigned_abs();
    covered * rng.random_range(94..=106) / 100
}

pub(super) fn day_weight(day: &NaiveDate) -> u32 {
    match day.weekday() {
        Weekday::Sat => 4,
        Weekday::Sun => 3,
        _ => 10,
    }
}

/// Mostly office hours, but some late evening and night orders, whose UTC
/// date differs from the New York date. Never after the end of `today`.
pub(super) fn order_time(rng: &mut ChaCha8Rng, clock: &Clock, day: NaiveDate) -> Ts {
    let second_of_day = match rng.random_range(0..100) {
        0..70 => rng.random_range(8 * HOUR..18 * HOUR),
        70..85 => rng.random_range(18 * HOUR..22 * HOUR),
        85..93 => rng.random_range(22 * HOUR..24 * HOUR),
        _ => rng.random_range(0..7 * HOUR),
    };
    let at = at_local(day, second_of_day);
    if at <= clock.end { at } else { clock.end - seconds(rng.random_range(HOUR..8 * HOUR)) }
}

pub(super) fn new_order(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    customers: &[Customer],
    customer: usize,
    ordered_at: Ts,
    order_number: String,
) -> Order {
    let profile = &customers[customer].profile;
    let fate = pick(rng, &FATES);
    let lines = if fate == Fate::Draft && percent(rng, 50) {
        Vec::new()
    } else {
        order_lines(rng, profile)
    };
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

pub(super) fn sales_rep(
    rng: &mut ChaCha8Rng,
    profile: &Profile,
    source: OrderSource,
) -> Option<i64> {
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
pub(super) fn order_lines(rng: &mut ChaCha8Rng, profile: &Profile) -> Vec<OrderLine> {
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

pub(super) fn order_line(
    rng: &mut ChaCha8Rng,
    product: usize,
    volume: i64,
    bulk: bool,
) -> OrderLine {
    let quantity = if bulk {
        rng.random_range(5..=20)
    } else if PRODUCTS[product].price_cents >= EXPENSIVE_CENTS {
        pick(rng, &FEW)
    } else {
        pick(rng, &QUANTITIES) * volume
    };
    let discount = if percent(rng, 15) { pick(rng, &DISCOUNTS) } else { 0 };
    let unit_price = cents(PRODUCTS[product].price_cents * (100 - discount) / 100);
    OrderLine {
        product_id: id(product),
        quantity,
        unit_price,
        line_total: unit_price * Decimal::from(quantity),
    }
}

/// When an order will reach each step, whether or not that is in the past.
pub(super) struct Steps {
    pub(super) confirmed: Ts,
    pub(super) processing: Ts,
    pub(super) shipped: Ts,
    pub(super) delivered: Ts,
    pub(super) completed: Option<Ts>,
    pub(super) returned: Option<Ts>,
    pub(super) cancelled: Option<Ts>,
    pub(super) fulfillment_error: bool,
}

pub(super) fn plan_steps(
    rng: &mut ChaCha8Rng,
    ordered_at: Ts,
    source: OrderSource,
    cancel: bool,
) -> Steps {
    let confirmed = confirmation(rng, ordered_at, source);
    let ship_day = local_date(ordered_at) + days(pick(rng, &SHIP_DAYS));
    let shipped = business_time(rng, ship_day).max(confirmed + TimeDelta::hours(2));
    let transit = pick(rng, &TRANSIT_DAYS);
    let delivered = business_time(rng, local_date(shipped) + days(transit));
    let completed = percent(rng, 75).then(|| {
        delivered + days(rng.random_range(3..=14)) + seconds(rng.random_range(0..8 * HOUR))
    });
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
pub(super) fn confirmation(rng: &mut ChaCha8Rng, ordered_at: Ts, source: OrderSource) -> Ts {
    let date = local_date(ordered_at);
    let manual = matches!(source, OrderSource::Phone | OrderSource::Email);
    if manual && matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        let monday = date + days(7 - i64::from(date.weekday().num_days_from_monday()));
        return at_local(monday, rng.random_range(8 * HOUR..11 * HOUR));
    }
    let delay = if percent(rng, 70) {
        rng.random_range(2 * MINUTE..3 * HOUR)
    } else {
        rng.random_range(6 * HOUR..36 * HOUR)
    };
    ordered_at + seconds(delay)
}

/// Sets the steps reached by the end of `today` and the status they give.
pub(super) fn apply_steps(order: &mut Order, steps: &Steps, end: Ts) {
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
