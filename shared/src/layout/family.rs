pub const ORDERS: &str = "orders";
pub const PAYMENTS: &str = "payments";
pub const INVOICES: &str = "invoices";
/// Copies of customers, products, sales reps, monthly targets and
/// marketing spend, one item per record (`sk` = id or month).
pub const CUSTOMERS: &str = "customers";
pub const PRODUCTS: &str = "products";
pub const SALES_REPS: &str = "sales_reps";
pub const SALES_TARGETS: &str = "sales_targets";
pub const MARKETING_SPEND: &str = "marketing_spend";

/// Per-entity measures: one item per entity and bucket, `pk =
/// {tenant}#customer_sales`, `sk = {bucket}#{id:020}` (`Y#2025#…`), so an
/// item never grows with the number of customers, and a range is read
/// with the cover's few queries. Read back per customer (`EntityMeasures`).
/// Products use 8 shards as ids (`p{id}_{what}` measures in each).
pub const CUSTOMER_SALES: &str = "customer_sales";
pub const CUSTOMER_INVOICES: &str = "customer_invoices";
pub const PRODUCT_SALES: &str = "product_sales";
/// One undated item per customer (`sk` = id, 20 digits) counting their
/// placed orders per local order day (`d{YYYYMMDD}`): first order date,
/// gaps between purchases.
pub const CUSTOMER_DAYS: &str = "customer_days";
/// Derived from the state items above (`rollup::derive`), per calendar
/// bucket (`D#`, `W#`, `M#`, `Q#`, `Y#`): `unique_customers` (customers
/// with a placed order in the bucket) and `new_customers` (first placed
/// order ever in the bucket).
pub const CUSTOMER_COUNTS: &str = "customer_counts";
/// Derived from `customer_days`, one partition per year
/// (`customer_returns#2024`), keyed by D/M/Y bucket: the customers'
/// returns (an order day after their first) by previous order day
/// ([`super::returns`]).
pub const CUSTOMER_RETURNS: &str = "customer_returns";
/// Derived ranking items, one partition per calendar bucket
/// (`top_customers#M#2025-12`), `sk` from [`super::ranking::sk`]:
/// the bucket's customers by revenue, descending, ids ascending.
pub const TOP_CUSTOMERS: &str = "top_customers";
/// Derived ranking of every customer with a placed order by lifetime
/// revenue (one partition, `sk` from [`super::ranking::sk`]): an upper
/// bound of each customer's revenue in any range, read by the top-N of
/// long custom ranges.
pub const TOP_LIFETIME: &str = "top_lifetime";
/// Invoices open at any date, as dated steps (`contributions::receivables`),
/// by local date at D/M/Y: `open_*` measures (count, balance, total,
/// issue days) and `overdue{k}_*` (count, balance) for each of
/// [`super::measure::AGING_THRESHOLDS`]: summed through A, the invoices
/// open at A, and those at least k days past due.
pub const AGING: &str = "aging";
/// The same steps by local *issue* date (`D#` and `M#` items only),
/// each measure named by the date of its step
/// ([`super::measure::open_step`]): the invoices of a period open (and
/// overdue) at any date.
pub const INVOICES_OPEN: &str = "invoices_open";
/// One state item per customer (`sk` = id, 20 digits; partitions
/// sharded like `customer_days`): the balance of their open invoices
/// by due date (`due{YYYYMMDD}`) and their issued invoices
/// (`issued`), after every event.
pub const CUSTOMER_AR: &str = "customer_ar";
/// One state item per order (`sk` = id, 20 digits; sharded): the
/// local order date of a placed order (`o{YYYYMMDD}`) and the dates
/// its invoices were paid by payments (`p{YYYYMMDD}`): the join of
/// order-to-cash, made when either side is written.
pub const ORDER_CASH: &str = "order_cash";
/// Derived from `order_cash`, by local order date (D/M/Y):
/// `cycles` (orders with a paid invoice) and `cycle_days`.
pub const CASH_CYCLES: &str = "cash_cycles";
/// Derived from `customer_days`: the lifetime revenue of every
/// customer with a revenue-bearing order, as a histogram of three
/// levels ([`super::lifetime`]), so that the exact median and the sum
/// of the top tenth read the `bin#` items and a few items below them.
pub const LIFETIME_VALUES: &str = "lifetime_values";
/// Open disputes by local evidence due date (D/M/Y): `open_disputes`,
/// `open_dispute_amount`, `needs_response`: totals over all dates, and
/// the urgent ones through today + 3.
pub const OPEN_DISPUTES_DUE: &str = "open_disputes_due";
/// Derived ranking of customers by open balance (one partition).
pub const AR_CUSTOMERS: &str = "ar_customers";
/// Derived ranking of customers by amount invoiced, per calendar month.
pub const TOP_INVOICED: &str = "top_invoiced";
/// Derived ranking of every customer with an issued invoice by the amount
/// invoiced over their lifetime (`invoiced` of `customer_ar`; one
/// partition): an upper bound of what they were invoiced in any range, read
/// by the top-N of other ranges.
pub const TOP_INVOICED_LIFETIME: &str = "top_invoiced_lifetime";
/// Placed orders and revenue per local day in one item per month
/// (`M#YYYY-MM`, measures [`super::measure::daily`]): a trend of any
/// length reads an item per month.
pub const DAILY_ORDERS: &str = "daily_orders";
/// The rep slice of `customer_sales` (`sales_rep_id` filter).
/// Every sales rep's placed and revenue-bearing orders and revenue, by
/// local order date (D/M/Y): `rep{id}_placed`, ... ([`super::measure::of_rep`]),
/// so that the reps of any range are one read of its cover.
pub const REP_ORDERS: &str = "rep_orders";
pub fn customer_sales_of_rep(rep_id: i64) -> String {
    format!("{CUSTOMER_SALES}@rep={rep_id}")
}
/// `product_sales` items: one per shard of product ids and bucket, with
/// measures `p{id}_units`, `p{id}_revenue`.
pub const PRODUCT_SHARDS: i64 = 8;
/// `customer_days` items are spread over this many partitions by id.
pub const ENTITY_SHARDS: i64 = 8;
pub fn sharded(family: &str, id: i64) -> String {
    format!("{family}#{}", id.rem_euclid(ENTITY_SHARDS))
}
/// Dispute outcomes by local dispute date.
pub const DISPUTES: &str = "disputes";
/// Index items: placed orders by amount (one partition per day, month
/// and year bucket: `orders_by_amount#D#2025-12-01`), the latest placed
/// orders, failed payments by bucket, open disputes by evidence due
/// date, and invoices by the local date their balance reached zero
/// (`9999-12-31` while open).
pub const ORDERS_BY_AMOUNT: &str = "orders_by_amount";
pub const RECENT_ORDERS: &str = "recent_orders";
pub const FAILED_PAYMENTS: &str = "failed_payments";
pub const OPEN_DISPUTES: &str = "open_disputes";
pub const INVOICES_BY_CLOSE: &str = "invoices_by_close";
/// Every order (drafts included) and every issued invoice by local date,
/// one partition per month (`orders_by_date#2025-12`): exports.
pub const ORDERS_BY_DATE: &str = "orders_by_date";
pub const INVOICES_BY_ISSUE: &str = "invoices_by_issue";
/// Close date of invoices still open.
pub const STILL_OPEN: &str = "9999-12-31";
pub fn bucketed(family: &str, bucket_key: &str) -> String {
    format!("{family}#{bucket_key}")
}

/// The base family and the bucket (or shard) of a family written by
/// [`bucketed`] or [`sharded`]: `top_customers#M#2025-12` ->
/// (`top_customers`, `M#2025-12`); `None` for an unbucketed family.
pub fn split_bucketed(family: &str) -> Option<(&str, &str)> {
    family.split_once('#')
}

/// The shard of a family written by [`sharded`] from `base`.
pub fn shard_of(family: &str, base: &str) -> Option<i64> {
    split_bucketed(family).filter(|(b, _)| *b == base).and_then(|(_, shard)| shard.parse().ok())
}

/// The family a partition belongs to, without its bucket, shard or slice:
/// `orders@rep=3` -> `orders`, `top_customers#M#2025-12` -> `top_customers`.
pub fn base_of(family: &str) -> &str {
    family.split(['#', '@']).next().unwrap_or(family)
}

/// The `orders` measures of one sales rep's orders (`sales_rep_id` filter).
pub fn orders_of_rep(rep_id: i64) -> String {
    format!("orders@rep={rep_id}")
}
/// The `invoices` measures of one customer's invoices (`customer_id` filter).
pub fn invoices_of_customer(customer_id: i64) -> String {
    format!("invoices@customer={customer_id}")
}
/// The `payments` measures of one method, one status, or both.
pub fn payments_of(method: Option<&str>, status: Option<&str>) -> String {
    match (method, status) {
        (Some(m), Some(s)) => format!("payments@method={m}@status={s}"),
        (Some(m), None) => format!("payments@method={m}"),
        (None, Some(s)) => format!("payments@status={s}"),
        (None, None) => PAYMENTS.to_owned(),
    }
}
