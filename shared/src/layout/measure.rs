/// Ages (days past due) of the `aging` family's thresholds: the
/// standard aging buckets' lower limits.
pub const AGING_THRESHOLDS: [i64; 4] = [1, 31, 61, 91];
pub const OPEN_COUNT: &str = "open_count";
pub const OPEN_BALANCE: &str = "open_balance";
pub const OPEN_TOTAL: &str = "open_total";
pub const OPEN_ISSUE_DAYS: &str = "open_issue_days";
/// `overdue{k}_count`, `overdue{k}_balance`.
pub fn overdue(k: i64, what: &str) -> String {
    format!("overdue{k}_{what}")
}

/// What an `invoices_open` step counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenStep {
    Count,
    Balance,
    PartiallyPaid,
    OverdueCount,
    OverdueBalance,
    OverduePartiallyPaid,
}

impl OpenStep {
    pub const ALL: [OpenStep; 6] = [
        OpenStep::Count,
        OpenStep::Balance,
        OpenStep::PartiallyPaid,
        OpenStep::OverdueCount,
        OpenStep::OverdueBalance,
        OpenStep::OverduePartiallyPaid,
    ];
    fn code(self) -> &'static str {
        match self {
            OpenStep::Count => "n",
            OpenStep::Balance => "b",
            OpenStep::PartiallyPaid => "p",
            OpenStep::OverdueCount => "on",
            OpenStep::OverdueBalance => "ob",
            OpenStep::OverduePartiallyPaid => "op",
        }
    }
}

/// `{code}{days since 1970-01-01, 3 base-62 digits}`: an
/// `invoices_open` step on `day` (`ob5jv` is 2025-12-07; days before
/// 1970 or after 2622: `{code}_{days}`). These items hold a measure per
/// step date, and every byte is paid on each write.
pub fn open_step(step: OpenStep, day: chrono::NaiveDate) -> String {
    let days = (day - crate::calendar::epoch()).num_days();
    match super::compact::encode(days, 3) {
        Some(days) => format!("{}{days}", step.code()),
        None => format!("{}_{days}", step.code()),
    }
}

/// The step and date of an `invoices_open` measure.
pub fn open_step_of(name: &str) -> Option<(OpenStep, chrono::NaiveDate)> {
    let (code, days) = match name.split_once('_') {
        Some((code, days)) => (code, days.parse().ok()?),
        None => {
            let split = name.len().checked_sub(3).filter(|at| name.is_char_boundary(*at))?;
            (&name[..split], super::compact::decode(&name[split..], 3)?)
        }
    };
    let step = OpenStep::ALL.into_iter().find(|s| s.code() == code)?;
    let day = crate::calendar::epoch().checked_add_signed(chrono::Duration::days(days))?;
    Some((step, day))
}

/// `due{YYYYMMDD}`: a customer's open balance due on a day (`customer_ar`).
pub fn due_on(day: chrono::NaiveDate) -> String {
    day.format("due%Y%m%d").to_string()
}
pub fn day_of_due(name: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(name.strip_prefix("due")?, "%Y%m%d").ok()
}
/// A customer's invoices issued in a bucket (`customer_invoices`, with
/// `invoiced`, `paid`, `paid_by_payments`, `paid_on_time`).
pub const INVOICE_COUNT: &str = "count";
/// Issued, not cancelled invoices of a customer (`customer_ar`).
pub const ISSUED_INVOICES: &str = "issued";

/// What a `daily_orders` measure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Daily {
    /// Placed orders (drafts excluded).
    Placed,
    /// Revenue-bearing orders.
    RevenueBearing,
    /// Their revenue (cents).
    Revenue,
}

impl Daily {
    pub const ALL: [Daily; 3] = [Daily::Placed, Daily::RevenueBearing, Daily::Revenue];

    fn letter(self) -> char {
        match self {
            Daily::Placed => 'p',
            Daily::RevenueBearing => 'n',
            Daily::Revenue => 'r',
        }
    }

    /// The `orders` measure it is a day's part of.
    pub fn orders_measure(self) -> &'static str {
        match self {
            Daily::Placed => PLACED,
            Daily::RevenueBearing => REVENUE_BEARING,
            Daily::Revenue => REVENUE,
        }
    }
}

/// `p{DD}` (placed), `n{DD}` (revenue-bearing), `r{DD}` (revenue) in the
/// month's item: short names, as the item is rewritten on every order
/// change and paid by the KB.
pub fn daily(what: Daily, day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}{:02}", what.letter(), day.day())
}

/// The measure and day of the month of a `daily_orders` measure.
pub fn daily_of(name: &str) -> Option<(Daily, u32)> {
    let mut chars = name.chars();
    let letter = chars.next()?;
    let what = Daily::ALL.into_iter().find(|d| d.letter() == letter)?;
    let day = chars.as_str();
    if day.len() != 2 {
        return None;
    }
    Some((what, day.parse().ok().filter(|d| (1..=31).contains(d))?))
}

/// `order_cash` measures: the order's date, an invoice's paid date.
pub fn ordered_on(day: chrono::NaiveDate) -> String {
    day.format("o%Y%m%d").to_string()
}
pub fn cash_paid_on(day: chrono::NaiveDate) -> String {
    day.format("p%Y%m%d").to_string()
}
/// `('o' | 'p', day)` of an `order_cash` measure.
pub fn order_cash_of(name: &str) -> Option<(char, chrono::NaiveDate)> {
    let kind = name.chars().next().filter(|c| matches!(c, 'o' | 'p'))?;
    Some((kind, chrono::NaiveDate::parse_from_str(&name[1..], "%Y%m%d").ok()?))
}
pub const CYCLES: &str = "cycles";
pub const CYCLE_DAYS: &str = "cycle_days";

/// `open_disputes_due` measures.
pub const OPEN_DISPUTES: &str = "open_disputes";
pub const OPEN_DISPUTE_AMOUNT: &str = "open_dispute_amount";
pub const NEEDS_RESPONSE: &str = "needs_response";

/// Derived customer counts (`customer_counts`).
pub const UNIQUE_CUSTOMERS: &str = "unique_customers";
pub const NEW_CUSTOMERS: &str = "new_customers";
/// Per calendar bucket: revenue and revenue-bearing orders (in the
/// bucket) of its new customers; customers also active in the bucket
/// before; customers active in it whose lifetime revenue through its
/// last day reaches the tenant's VIP threshold, with their revenue and
/// revenue-bearing orders in it.
pub const NEW_REVENUE: &str = "new_revenue";
pub const NEW_BEARING: &str = "new_revenue_bearing";
pub const RETAINED: &str = "retained_customers";
pub const VIP_CUSTOMERS: &str = "vip_customers";
pub const VIP_REVENUE: &str = "vip_revenue";
pub const VIP_BEARING: &str = "vip_revenue_bearing";
/// Dated (D/M/Y), for ranges that end at the latest data: every buyer's
/// lifetime revenue and revenue-bearing orders by their first placed
/// order day (`new_lifetime_*`: summed over a range, the revenue of its new
/// customers), and for each customer whose lifetime revenue reaches the
/// VIP threshold now, 1 at their last placed order day (`vip_now`) and
/// their revenue and revenue-bearing orders by day (`vip_now_*`).
pub const NEW_LIFETIME_REVENUE: &str = "new_lifetime_revenue";
pub const NEW_LIFETIME_BEARING: &str = "new_lifetime_bearing";
pub const VIP_NOW: &str = "vip_now";
pub const VIP_NOW_REVENUE: &str = "vip_now_revenue";
pub const VIP_NOW_BEARING: &str = "vip_now_bearing";
/// Per month: revenue from customers with a revenue-bearing order in
/// the month before.
pub const RECURRING_REVENUE: &str = "recurring_revenue";
/// Dated (D/M/Y, summed through a date E): customers with a
/// revenue-bearing order by E (`buyers`, dated by their first), their
/// placed orders by E (`buyer_orders`, each dated by the later of its
/// day and the customer's first revenue-bearing day), those with two
/// placed orders by E (`repeat_buyers`), and the gaps between
/// consecutive placed orders (`gaps`, `gap_days`, dated likewise).
pub const BUYERS: &str = "buyers";
pub const BUYER_ORDERS: &str = "buyer_orders";
pub const REPEAT_BUYERS: &str = "repeat_buyers";
pub const GAPS: &str = "gaps";
pub const GAP_DAYS: &str = "gap_days";
/// Orders by local order date.
pub const PLACED: &str = "placed";
pub const REVENUE_BEARING: &str = "revenue_bearing";
pub const REVENUE: &str = "revenue";
pub const CONFIRMED: &str = "confirmed";
pub const SHIPPED: &str = "shipped";
/// High-value bands of revenue-bearing orders (`orders` day and month
/// items only, not per rep; summed with `sum_without_years`):
/// band `k` holds the orders with `edge(k) <= total < edge(k + 1)`,
/// edges in a 1-2-5 series of cents from [`HIGH_VALUE_FLOOR`], as
/// `hv{k}n` (count) and `hv{k}v` (value). The count and value of the
/// orders of at least any edge are sums of whole bands.
pub const HIGH_VALUE_FLOOR: i64 = 100_000;
/// How many bands: the last edge is 10^14 cents, past every amount
/// the record limits allow.
pub const HIGH_VALUE_BANDS: usize = 28;
/// The lower edge of band `k` in cents (`None` past the last band).
pub fn high_value_edge(k: usize) -> Option<i64> {
    if k >= HIGH_VALUE_BANDS {
        return None;
    }
    let mantissa = [1, 2, 5][k % 3];
    10i64.checked_pow(5 + (k / 3) as u32).and_then(|p| p.checked_mul(mantissa))
}
/// The band of a total in cents (`None` below the floor).
pub fn high_value_band(cents: super::Measure) -> Option<usize> {
    (0..HIGH_VALUE_BANDS)
        .rev()
        .find(|k| high_value_edge(*k).is_some_and(|edge| super::Measure::from(edge) <= cents))
}
/// `hv{k}n`: the orders of band `k`.
pub fn high_value_count(k: usize) -> String {
    format!("hv{k}n")
}
/// `hv{k}v`: the value of the orders of band `k`.
pub fn high_value_value(k: usize) -> String {
    format!("hv{k}v")
}
/// `(band, 'n' | 'v')` of a high-value band measure.
pub fn high_value_of(name: &str) -> Option<(usize, char)> {
    let rest = name.strip_prefix("hv")?;
    let what = rest.chars().last().filter(|c| matches!(c, 'n' | 'v'))?;
    let k: usize = rest[..rest.len() - 1].parse().ok()?;
    (k < HIGH_VALUE_BANDS).then_some((k, what))
}
/// Count by current status: `status_{name}` (orders and payments).
pub fn status(name: &str) -> String {
    format!("status_{name}")
}
/// Orders: sum of `total_amount` by current status (`status_{name}_value`).
pub fn status_value(name: &str) -> String {
    format!("status_{name}_value")
}
/// Placed orders of a customer on a local day: `d{YYYYMMDD}`.
pub fn order_day(day: chrono::NaiveDate) -> String {
    day.format("d%Y%m%d").to_string()
}
/// Revenue-bearing orders (`r{YYYYMMDD}`) and their revenue
/// (`v{YYYYMMDD}`) of a customer on a local day (`customer_days`).
pub fn bearing_day(day: chrono::NaiveDate) -> String {
    day.format("r%Y%m%d").to_string()
}
pub fn revenue_day(day: chrono::NaiveDate) -> String {
    day.format("v%Y%m%d").to_string()
}
/// What a `customer_days` measure counts, and its day.
pub fn customer_day_of(name: &str) -> Option<(char, chrono::NaiveDate)> {
    let kind = name.chars().next().filter(|c| matches!(c, 'd' | 'r' | 'v'))?;
    Some((kind, chrono::NaiveDate::parse_from_str(&name[1..], "%Y%m%d").ok()?))
}
pub fn day_of_order_day(name: &str) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::parse_from_str(name.strip_prefix('d')?, "%Y%m%d").ok()
}
/// Payments by local creation date.
pub const CAPTURED: &str = "captured";
pub const PROCESSED: &str = "processed";
pub const REFUNDED: &str = "refunded";
pub const FEES: &str = "fees";
/// Invoices by local issue date.
pub const ISSUED: &str = "issued";
pub const BILLABLE: &str = "billable";
pub const INVOICED: &str = "invoiced";
pub const PAID: &str = "paid";
pub const WRITTEN_OFF: &str = "written_off";
pub const PAID_BY_PAYMENTS: &str = "paid_by_payments";
pub const DAYS_TO_PAY: &str = "days_to_pay";
/// Invoices by the local date their payments reached the total.
pub const PAID_OFF: &str = "paid_off";
/// Change of open receivables on a local date (prefix sums give the
/// balance at the end of any day).
pub const AR_CHANGE: &str = "ar_change";

/// One sales rep's placed and revenue-bearing orders and revenue in the
/// `rep_orders` items: `rep{id}_{measure}` ([`PLACED`],
/// [`REVENUE_BEARING`], [`REVENUE`]).
pub fn of_rep(rep_id: i64, measure: &str) -> String {
    format!("rep{rep_id}_{measure}")
}
/// The rep and the measure of a [`of_rep`] name.
pub fn rep_measure_of(name: &str) -> Option<(i64, &str)> {
    let (id, measure) = name.strip_prefix("rep")?.split_once('_')?;
    Some((id.parse().ok()?, measure))
}

/// Orders by channel: `source_{source}_placed`, `source_{source}_revenue`.
pub fn source_placed(source: &str) -> String {
    format!("source_{source}_placed")
}
pub fn source_revenue(source: &str) -> String {
    format!("source_{source}_revenue")
}
/// Shipped placed orders; days from local order date to local ship
/// date: their sum and an exact histogram `fd{n}`.
pub const FULFILLED: &str = "fulfilled";
pub const FULFILLMENT_DAYS: &str = "fulfillment_days";
pub fn fulfillment_days_bin(days: i64) -> String {
    format!("{FULFILLMENT_DAYS_BINS}{days}")
}
/// The prefix of the fulfillment-days histogram: `fd{days}` (short:
/// the `orders` items are paid by the KB on every order change).
pub const FULFILLMENT_DAYS_BINS: &str = "fd";
/// Revenue-bearing orders not shipped yet.
pub const PENDING_FULFILLMENT: &str = "pending_fulfillment";
/// Placed orders with both `delivered_at` and a promised date, and those
/// delivered on a local date <= the promise.
pub const DELIVERY_PROMISED: &str = "delivery_promised";
pub const DELIVERED_ON_TIME: &str = "delivered_on_time";
/// Placed orders with `delivered_at`, and those without a fulfillment error.
pub const DELIVERED: &str = "delivered";
pub const DELIVERED_ACCURATE: &str = "delivered_accurate";
/// Revenue-bearing orders delivered, and those returned.
pub const REVENUE_BEARING_DELIVERED: &str = "revenue_bearing_delivered";
pub const REVENUE_BEARING_RETURNED: &str = "revenue_bearing_returned";

/// The order-value sketch's bin `index` (`sketch`): `o` and two base-62
/// digits (`oiP`), `o_{index}` past them (never, within the record
/// limits), `oz` for amounts of zero and below. Several hundred fill a
/// month's `orders` item, paid by the KB on every order change.
pub fn order_value_bin(index: Option<i64>) -> String {
    match index.map(|i| (i, super::compact::encode(i, 2))) {
        None => ORDER_VALUE_ZERO.to_owned(),
        Some((_, Some(digits))) => format!("o{digits}"),
        Some((i, None)) => format!("o_{i}"),
    }
}
const ORDER_VALUE_ZERO: &str = "oz";

/// The bin of an order-value sketch measure: `Some(None)` for the zero
/// bin, `None` for any other measure.
pub fn order_value_bin_of(name: &str) -> Option<Option<i64>> {
    if name == ORDER_VALUE_ZERO {
        return Some(None);
    }
    let rest = name.strip_prefix('o')?;
    match rest.strip_prefix('_') {
        Some(decimal) => decimal.parse().ok().map(Some),
        None => super::compact::decode(rest, 2).map(Some),
    }
}

/// What a `product_sales` measure holds for one product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductFigure {
    Units,
    Revenue,
}

/// `p{id}_units`, `p{id}_revenue`: one product's figures in its
/// `product_sales` shard item.
pub fn product(id: i64, figure: ProductFigure) -> String {
    match figure {
        ProductFigure::Units => format!("p{id}_units"),
        ProductFigure::Revenue => format!("p{id}_revenue"),
    }
}

/// The product and figure of a `product_sales` measure.
pub fn product_of(name: &str) -> Option<(i64, ProductFigure)> {
    let (id, what) = name.strip_prefix('p')?.split_once('_')?;
    let figure = match what {
        "units" => ProductFigure::Units,
        "revenue" => ProductFigure::Revenue,
        _ => return None,
    };
    Some((id.parse().ok()?, figure))
}

/// Captured payments by method: count, amount, fees.
pub fn method_captured(method: &str) -> String {
    format!("method_{method}_captured")
}
pub fn method_amount(method: &str) -> String {
    format!("method_{method}_amount")
}
pub fn method_fees(method: &str) -> String {
    format!("method_{method}_fees")
}
/// Payments by gateway: all, captured, failed, response-time sum and count.
pub fn gateway(gateway: &str, what: &str) -> String {
    format!("gateway_{gateway}_{what}")
}
/// Captured payments with a processing time: sum (ms) and count.
pub const PROCESSING_MS: &str = "processing_ms";
pub const PROCESSING_TIMED: &str = "processing_timed";
/// Failed payments: amount, retryable count and amount, and count per
/// reason (`reason_{reason}`, a missing reason counted as `other`).
pub const FAILED_AMOUNT: &str = "failed_amount";
pub const RETRYABLE: &str = "retryable";
pub const RETRYABLE_AMOUNT: &str = "retryable_amount";
pub fn failure_reason(reason: &str) -> String {
    format!("reason_{reason}")
}

/// Invoices by local issue date, paid by payments: exact histogram of
/// days to pay, and those paid on or before the due date.
pub fn days_to_pay_bin(days: i64) -> String {
    format!("{DAYS_TO_PAY_BINS}{days}")
}
/// The value of a histogram bin named `{prefix}{value}` (by
/// [`fulfillment_days_bin`] or [`days_to_pay_bin`]); `None` for another
/// name.
pub fn bin_of(name: &str, prefix: &str) -> Option<i64> {
    name.strip_prefix(prefix)?.parse().ok()
}
/// The prefix of the days-to-pay histogram: `dp{days}`.
pub const DAYS_TO_PAY_BINS: &str = "dp";
pub const PAID_ON_TIME: &str = "paid_on_time";
/// Cancelled invoices by local issue date; drafts by local `updated_at` date.
pub const CANCELLED: &str = "cancelled";
pub const DRAFTS: &str = "drafts";

/// Dispute outcome counts and amounts: `dispute_{status}`, `dispute_{status}_amount`.
pub fn dispute(status: &str) -> String {
    format!("dispute_{status}")
}
pub fn dispute_amount(status: &str) -> String {
    format!("dispute_{status}_amount")
}
