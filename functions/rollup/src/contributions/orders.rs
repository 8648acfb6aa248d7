//! What an order contributes: its measures by date and by rep, the
//! product sales, the customer's days, and its index rows.

use super::*;

pub(super) fn order_contribution(c: &mut Contribution, order: &Order, tz: Tz) {
    let day = local_date(&order.ordered_at, tz);
    let mut f = vec![family::ORDERS.to_owned()];
    f.extend(order.sales_rep_id.map(family::orders_of_rep));
    c.add(&f, day, &measure::status(order.status.as_str()), 1);
    c.add(&f, day, &measure::status_value(order.status.as_str()), cents(order.total_amount));
    if !order.is_placed() {
        return;
    }
    let source = order.source.as_str();
    let reps = [family::REP_ORDERS.to_owned()];
    let rep = |name: &str| order.sales_rep_id.map(|id| measure::of_rep(id, name));
    if let Some(placed) = rep(measure::PLACED) {
        c.add(&reps, day, &placed, 1);
    }
    c.add(&f, day, measure::PLACED, 1);
    c.add(&f, day, &measure::source_placed(source), 1);
    c.add(&f, day, measure::CONFIRMED, i64::from(order.confirmed_at.is_some()));
    c.add(&f, day, measure::SHIPPED, i64::from(order.shipped_at.is_some()));
    if let Some(shipped_at) = order.shipped_at {
        let days = (local_date(&shipped_at, tz) - day).num_days();
        c.add(&f, day, measure::FULFILLED, 1);
        c.add(&f, day, measure::FULFILLMENT_DAYS, days);
        c.add(&f, day, &measure::fulfillment_days_bin(days), 1);
    }
    if let Some(delivered_at) = order.delivered_at {
        c.add(&f, day, measure::DELIVERED, 1);
        c.add(&f, day, measure::DELIVERED_ACCURATE, i64::from(!order.fulfillment_error));
        if let Some(promised) = order.promised_delivery_date {
            c.add(&f, day, measure::DELIVERY_PROMISED, 1);
            c.add(
                &f,
                day,
                measure::DELIVERED_ON_TIME,
                i64::from(local_date(&delivered_at, tz) <= promised),
            );
        }
    }
    // Trends: the month's item holds one measure per day.
    let key = (family::DAILY_ORDERS.to_owned(), bucket_key(Grain::Month, day));
    c.count_family(key.clone(), measure::daily(Daily::Placed, day), 1);
    if order.is_revenue_bearing() {
        c.count_family(key.clone(), measure::daily(Daily::RevenueBearing, day), 1);
        c.count_family(key, measure::daily(Daily::Revenue, day), cents(order.total_amount));
    }
    let mut customers = vec![family::CUSTOMER_SALES.to_owned()];
    customers.extend(order.sales_rep_id.map(family::customer_sales_of_rep));
    let customer = order.customer_id;
    c.add_entity(&customers, day, customer, measure::PLACED, 1);
    if order.is_revenue_bearing() {
        let revenue = cents(order.total_amount);
        c.add_entity(&customers, day, customer, measure::REVENUE_BEARING, 1);
        c.add_entity(&customers, day, customer, measure::REVENUE, revenue);
        // The order-value sketch (of every slice) and the high-value bands
        // (of all orders only) skip the year items.
        c.add_without_years(&f, day, &sketch::bin_name(revenue), 1);
        if let Some(band) = measure::high_value_band(revenue) {
            let orders = [family::ORDERS.to_owned()];
            c.add_without_years(&orders, day, &measure::high_value_count(band), 1);
            c.add_without_years(&orders, day, &measure::high_value_value(band), revenue);
        }
        let products = [family::PRODUCT_SALES.to_owned()];
        // Products share one item per shard and bucket, so an order with
        // many lines still fits one transaction (at most PRODUCT_SHARDS x 3
        // items) and no item grows past a shard's share of the catalogue.
        for line in &order.lines {
            let shard = line.product_id.rem_euclid(family::PRODUCT_SHARDS);
            let (units, revenue) = (
                measure::product(line.product_id, Units),
                measure::product(line.product_id, Revenue),
            );
            c.add_entity(&products, day, shard, &units, line.quantity);
            c.add_entity(&products, day, shard, &revenue, cents(line.line_total));
        }
        c.add(&f, day, measure::REVENUE_BEARING, 1);
        c.add(&f, day, measure::REVENUE, revenue);
        if let (Some(bearing), Some(rep_revenue)) =
            (rep(measure::REVENUE_BEARING), rep(measure::REVENUE))
        {
            c.add(&reps, day, &bearing, 1);
            c.add(&reps, day, &rep_revenue, revenue);
        }
        c.add(&f, day, &measure::source_revenue(source), revenue);
        c.add(&f, day, measure::PENDING_FULFILLMENT, i64::from(order.shipped_at.is_none()));
        // return_rate: returned over delivered revenue-bearing orders (a
        // return counts even when the delivery was not recorded).
        c.add(&f, day, measure::REVENUE_BEARING_DELIVERED, i64::from(order.delivered_at.is_some()));
        c.add(&f, day, measure::REVENUE_BEARING_RETURNED, i64::from(order.returned_at.is_some()));
    }
}

/// Index items of an order: by amount (day, month and year partitions) and
/// among the latest placed orders.
pub(super) fn order_index(c: &mut Contribution, tenant: &str, id: i64, order: &Order, tz: Tz) {
    let day = local_date(&order.ordered_at, tz);
    let total = cents(order.total_amount);
    let attributes = || {
        vec![
            ("order_id", number(id)),
            ("order_number", AttributeValue::S(order.order_number.clone())),
            ("customer_id", number(order.customer_id)),
            ("sales_rep_id", order.sales_rep_id.map_or(AttributeValue::Null(true), number)),
            ("total", number(total)),
            ("status", AttributeValue::S(order.status.as_str().to_owned())),
            ("ordered_on", AttributeValue::S(day.to_string())),
        ]
    };
    // Every order, drafts included, by local date in its month's partition
    // (exports stream these in date order).
    let mut by_date = attributes();
    by_date.push(("source", AttributeValue::S(order.source.as_str().to_owned())));
    c.index(
        tenant,
        &family::bucketed(family::ORDERS_BY_DATE, &month_key(day)),
        entity_key::under(day, id),
        by_date,
    );
    if !order.is_placed() {
        return;
    }
    for bucket in bucket_keys(day) {
        c.index(
            tenant,
            &family::bucketed(family::ORDERS_BY_AMOUNT, &bucket),
            sales_shared::layout::amount_key::encode(total, id),
            attributes(),
        );
    }
    // Newest first when read backwards; within one instant, ids ascending
    // (the key holds the id's complement).
    let at = order.ordered_at.with_timezone(&chrono::Utc).format("%Y-%m-%dT%H:%M:%S%.9fZ");
    c.index(
        tenant,
        family::RECENT_ORDERS,
        entity_key::under(at, i64::MAX.saturating_sub(id)),
        attributes(),
    );
}
