#!/usr/bin/env python3
"""What users would do instead (issue 11): the requests of the read-cost
table as SQL over the same generated records in DuckDB, timed at each scale.

    # the JSON Lines of each scale (no DynamoDB needed):
    READ_COST_JSONL=/tmp/scale READ_COST_JSONL_ONLY=1 \
        cargo bench -p salesctl --bench read_cost -- 1,10,100
    pip install duckdb
    python3 salesctl/benches/duckdb_side_by_side.py /tmp/scale/scale-1x.jsonl /tmp/scale/scale-10x.jsonl ...

Each file is loaded into typed tables (time reported apart), then each
query runs REPEAT times (default 5, env DUCKDB_REPEAT) and its median is
reported. The queries compute the main figures of each request the way an
analyst would (revenue of revenue-bearing orders, invoice balances as of a
date from their dated applications, order-to-cash from order to last
payment, ...); they are close to, not the same as, every figure of
docs/metrics.md: the point is how their time grows with the rows.
Dates are New York dates; "today" is 2025-12-17, as in the bench.
"""

import os
import statistics
import sys
import time

import duckdb

TODAY = "2025-12-17"
MONTH = ("2025-12-01", TODAY)
YEAR = ("2025-01-01", TODAY)
FOUR_YEARS = ("2022-01-01", TODAY)
AGING_PAST = "2024-06-17"

LOAD = """
SET TimeZone = 'America/New_York';
CREATE OR REPLACE TABLE raw AS SELECT json AS j FROM read_ndjson_objects('{path}');
CREATE OR REPLACE TABLE customers AS
  SELECT (j->>'id')::BIGINT AS id, (j->>'created_at')::TIMESTAMPTZ AS created_at
  FROM raw WHERE j->>'type' = 'customer';
CREATE OR REPLACE TABLE products AS
  SELECT (j->>'id')::BIGINT AS id, j->>'sku' AS sku, j->>'name' AS name FROM raw WHERE j->>'type' = 'product';
CREATE OR REPLACE TABLE orders AS
  SELECT (j->>'id')::BIGINT AS id, (j->>'customer_id')::BIGINT AS customer_id,
         (j->>'sales_rep_id')::BIGINT AS sales_rep_id, j->>'source' AS source, j->>'status' AS status,
         (j->>'total_amount')::DECIMAL(18,2) AS total,
         ((j->>'ordered_at')::TIMESTAMPTZ)::DATE AS day,
         ((j->>'shipped_at')::TIMESTAMPTZ)::DATE AS shipped_day,
         ((j->>'delivered_at')::TIMESTAMPTZ)::DATE AS delivered_day,
         j->'lines' AS lines
  FROM raw WHERE j->>'type' = 'order';
CREATE OR REPLACE TABLE order_lines AS
  SELECT o.id AS order_id, o.day, o.status, (l->>'product_id')::BIGINT AS product_id,
         (l->>'quantity')::BIGINT AS quantity, (l->>'line_total')::DECIMAL(18,2) AS line_total
  FROM orders o, unnest(CAST(o.lines AS JSON[])) AS t(l);
CREATE OR REPLACE TABLE invoices AS
  SELECT (j->>'id')::BIGINT AS id, (j->>'customer_id')::BIGINT AS customer_id,
         (j->>'order_id')::BIGINT AS order_id, j->>'status' AS status,
         (j->>'total_amount')::DECIMAL(18,2) AS total,
         ((j->>'issued_at')::TIMESTAMPTZ)::DATE AS issued,
         (j->>'due_date')::DATE AS due,
         (j->>'written_off_amount')::DECIMAL(18,2) AS written_off,
         ((j->>'written_off_at')::TIMESTAMPTZ)::DATE AS written_off_day,
         j->'payment_applications' AS applications
  FROM raw WHERE j->>'type' = 'invoice';
CREATE OR REPLACE TABLE applications AS
  SELECT i.id AS invoice_id, (a->>'amount')::DECIMAL(18,2) AS amount,
         ((a->>'applied_at')::TIMESTAMPTZ)::DATE AS day
  FROM invoices i, unnest(CAST(i.applications AS JSON[])) AS t(a);
CREATE OR REPLACE TABLE payments AS
  SELECT (j->>'id')::BIGINT AS id, j->>'status' AS status, j->>'method' AS method,
         (j->>'amount')::DECIMAL(18,2) AS amount, j->>'failure_reason' AS failure_reason,
         ((j->>'created_at')::TIMESTAMPTZ)::DATE AS day
  FROM raw WHERE j->>'type' = 'payment';
DROP TABLE raw;
"""

BEARING = "status NOT IN ('draft', 'cancelled')"


def balances(as_of):
    """Open balance of every invoice issued by `as_of`, as of that date."""
    return f"""
      SELECT i.id, i.customer_id, i.due, i.total
             - coalesce((SELECT sum(a.amount) FROM applications a WHERE a.invoice_id = i.id AND a.day <= DATE '{as_of}'), 0)
             - CASE WHEN i.written_off_day <= DATE '{as_of}' THEN i.written_off ELSE 0 END AS balance
      FROM invoices i
      WHERE i.issued <= DATE '{as_of}' AND i.status <> 'cancelled'"""


def dashboard(period):
    start, end = period
    return f"""
      SELECT (SELECT count(*) FROM orders WHERE day BETWEEN '{start}' AND '{end}') AS orders,
             (SELECT sum(total) FROM orders WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}') AS revenue,
             (SELECT avg(total) FROM orders WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}') AS aov,
             (SELECT sum(total) FROM invoices WHERE issued BETWEEN '{start}' AND '{end}') AS invoiced,
             (SELECT sum(amount) FROM payments WHERE status = 'completed' AND day BETWEEN '{start}' AND '{end}') AS captured,
             (SELECT sum(balance) FROM ({balances(end)}) WHERE balance > 0) AS receivables,
             (SELECT count(*) FROM (SELECT day FROM orders WHERE day BETWEEN '{start}' AND '{end}' GROUP BY day)) AS trend_days"""


def customer_analytics(period):
    start, end = period
    return f"""
      WITH firsts AS (SELECT customer_id, min(day) AS first_day, sum(total) AS lifetime
                      FROM orders WHERE {BEARING} AND day <= '{end}' GROUP BY customer_id),
           active AS (SELECT customer_id, count(*) AS n, sum(total) AS revenue FROM orders
                      WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}' GROUP BY customer_id)
      SELECT count(*) AS active,
             count(*) FILTER (WHERE f.first_day >= '{start}') AS new_customers,
             avg(a.n) AS purchase_frequency,
             (SELECT avg(lifetime) FROM firsts) AS lifetime_value,
             (SELECT list(customer_id ORDER BY revenue DESC, customer_id) FROM
                (SELECT * FROM active ORDER BY revenue DESC, customer_id LIMIT 10)) AS top
      FROM active a JOIN firsts f USING (customer_id)"""


def top_customers(period):
    start, end = period
    return f"""
      SELECT customer_id, count(*) AS orders, sum(total) AS revenue, avg(total) AS aov FROM orders
      WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}'
      GROUP BY customer_id ORDER BY revenue DESC, customer_id LIMIT 10"""


def performance(period):
    start, end = period
    return f"""
      WITH cash AS (SELECT o.id, max(a.day) - o.day AS days FROM orders o
                    JOIN invoices i ON i.order_id = o.id JOIN applications a ON a.invoice_id = i.id
                    WHERE o.day BETWEEN '{start}' AND '{end}' AND i.status = 'paid' GROUP BY o.id, o.day)
      SELECT (SELECT avg(days) FROM cash) AS order_to_cash,
             (SELECT sum(total) FROM orders WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}') AS revenue,
             (SELECT count(DISTINCT customer_id) FROM orders WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}')
               AS customers,
             (SELECT sum(balance) FROM ({balances(end)}) WHERE balance > 0) AS receivables"""


def aging(as_of):
    return f"""
      SELECT CASE WHEN DATE '{as_of}' - due <= 0 THEN 'current'
                  WHEN DATE '{as_of}' - due <= 30 THEN '1_30'
                  WHEN DATE '{as_of}' - due <= 60 THEN '31_60'
                  WHEN DATE '{as_of}' - due <= 90 THEN '61_90' ELSE 'over_90' END AS bucket,
             count(*), sum(balance)
      FROM ({balances(as_of)}) WHERE balance > 0 GROUP BY bucket ORDER BY bucket"""


def invoice_statistics(period):
    start, end = period
    return f"""
      WITH issued AS (SELECT * FROM invoices WHERE issued BETWEEN '{start}' AND '{end}'),
           paid AS (SELECT i.id, max(a.day) - i.issued AS days FROM issued i
                    JOIN applications a ON a.invoice_id = i.id WHERE i.status = 'paid' GROUP BY i.id, i.issued)
      SELECT (SELECT list(struct_pack(status := status, n := n)) FROM
                (SELECT status, count(*) AS n FROM issued GROUP BY status)) AS counts,
             (SELECT sum(total) FROM issued) AS invoiced,
             (SELECT avg(days) FROM paid) AS days_to_pay,
             (SELECT sum(balance) FROM ({balances(end)}) WHERE balance > 0) AS outstanding,
             (SELECT list(customer_id) FROM (SELECT customer_id, sum(total) AS t FROM issued
                GROUP BY customer_id ORDER BY t DESC, customer_id LIMIT 10)) AS top"""


def order_metrics(period):
    start, end = period
    return f"""
      SELECT count(*) AS orders, sum(total) FILTER (WHERE {BEARING}) AS revenue,
             avg(shipped_day - day) AS fulfillment_days,
             (SELECT list(struct_pack(source := source, n := n)) FROM (SELECT source, count(*) AS n FROM orders
                WHERE day BETWEEN '{start}' AND '{end}' GROUP BY source)) AS by_source,
             (SELECT list(sales_rep_id) FROM (SELECT sales_rep_id, sum(total) AS t FROM orders
                WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}' AND sales_rep_id IS NOT NULL
                GROUP BY sales_rep_id ORDER BY t DESC LIMIT 5)) AS top_reps,
             (SELECT count(DISTINCT customer_id) FROM orders WHERE day BETWEEN '{start}' AND '{end}') AS customers
      FROM orders WHERE day BETWEEN '{start}' AND '{end}'"""


def revenue_by_product(period):
    start, end = period
    return f"""
      SELECT product_id, sum(quantity) AS units, sum(line_total) AS revenue FROM order_lines
      WHERE {BEARING} AND day BETWEEN '{start}' AND '{end}'
      GROUP BY product_id ORDER BY revenue DESC, product_id LIMIT 10"""


QUERIES = [
    ("dashboard period=month", dashboard(MONTH)),
    ("dashboard period=year", dashboard(YEAR)),
    ("dashboard/customer-analytics period=month", customer_analytics(MONTH)),
    ("dashboard/customer-analytics period=year", customer_analytics(YEAR)),
    ("dashboard/performance period=month", performance(MONTH)),
    ("dashboard/performance period=year", performance(YEAR)),
    ("dashboard/widgets/top-customers period=year", top_customers(YEAR)),
    ("invoices/aging-report default", aging(TODAY)),
    ("invoices/aging-report as_of 18 months back", aging(AGING_PAST)),
    ("invoices/statistics 4 years", invoice_statistics(FOUR_YEARS)),
    ("orders/performance-metrics 4 years", order_metrics(FOUR_YEARS)),
    ("dashboard/revenue?group_by=product 4 years", revenue_by_product(FOUR_YEARS)),
]


def main():
    paths = sys.argv[1:]
    if not paths:
        sys.exit(__doc__)
    repeat = int(os.environ.get("DUCKDB_REPEAT", "5"))
    columns = []
    results = {}
    for path in paths:
        name = os.path.basename(path).removeprefix("scale-").removesuffix(".jsonl")
        columns.append(name)
        db = duckdb.connect()
        started = time.perf_counter()
        db.execute(LOAD.format(path=path))
        load = time.perf_counter() - started
        rows = {t: db.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("orders", "invoices", "payments")}
        print(f"{name}: loaded in {load:.1f} s {rows}", flush=True)
        results[(name, "load")] = load * 1000
        for label, sql in QUERIES:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                db.execute(sql).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            results[(name, label)] = statistics.median(times)
            print(f"  {name} {label}: {results[(name, label)]:.1f} ms", flush=True)
        db.close()
    print()
    print("| request (DuckDB, median ms) | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    print("| load the JSON Lines (once) | " + " | ".join(f"{results[(c, 'load')]:.0f}" for c in columns) + " |")
    for label, _ in QUERIES:
        print(f"| {label} | " + " | ".join(f"{results[(c, label)]:.1f}" for c in columns) + " |")


if __name__ == "__main__":
    main()
