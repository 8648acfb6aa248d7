//! The report's last page: one line per figure, in the words of
//! docs/metrics.md (the API's definitions, which the report's figures are).

pub const DEFINITIONS: &[(&str, &str)] = &[
    (
        "Revenue",
        "Sum of the totals of placed, non-cancelled orders with a local order date in the month (summary.total_revenue).",
    ),
    (
        "Orders",
        "Placed orders (not drafts) dated in the month, cancelled ones included (summary.total_orders).",
    ),
    (
        "Average order value",
        "Revenue / the month's revenue-bearing orders; 0 without any (summary.average_order_value).",
    ),
    (
        "Collection rate",
        "Paid / invoiced x 100 over the non-draft, non-cancelled invoices issued in the month (summary.collection_rate).",
    ),
    (
        "Outstanding receivables",
        "Open balance of all non-cancelled invoices at the end of the month's last day (summary.outstanding_receivables).",
    ),
    (
        "DSO",
        "Receivables at the month's end / invoiced in the month x days in the month; 0 when nothing was invoiced.",
    ),
    (
        "Failed payment rate",
        "Payments of the month now failed / all the month's payments x 100 (success_metrics.failure_rate).",
    ),
    (
        "Change vs a month",
        "(this month - that month) / that month x 100 from unrounded values; for rates, the difference in points (pp).",
    ),
    (
        "Trend line",
        "The figure for each of the last twelve months, this month last, on the tile's own scale.",
    ),
    (
        "Revenue by day",
        "Revenue of each local day of the month; the grey line is the previous month by day of month.",
    ),
    (
        "Receivables aging",
        "Invoices open at the end of each month end's day, by days past due: current, 1-30, 31-60, 61-90, over 90.",
    ),
    (
        "Revenue by product",
        "Revenue of the month's order lines per product; the products after the first ten are one bar, Other.",
    ),
    (
        "Top customers",
        "Customers by revenue in the month, ties by id: placed orders, revenue, revenue / revenue-bearing orders.",
    ),
    (
        "Overdue balance",
        "The aging report's by_customer at the month's end: every bucket but current, largest first.",
    ),
    (
        "Failed payments by reason",
        "The month's payments now failed, by failure reason (a missing reason counts as other).",
    ),
    (
        "Open disputes by reason",
        "Disputes open when the report was written (not only the month's), by reason, with their amounts.",
    ),
    (
        "Data through",
        "The newest change the figures include: later changes are in the next report or the API.",
    ),
];
