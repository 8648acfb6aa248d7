use super::measure::*;

#[test]
fn partition_keys_round_trip() {
    let pk = super::measures_pk("acme-1", "orders@rep=3");
    assert_eq!(super::tenant_and_family(&pk), Some(("acme-1", "orders@rep=3")));
    let pk = super::measures_pk("t", &super::family::sharded(super::family::CUSTOMER_DAYS, 11));
    assert_eq!(super::tenant_and_family(&pk), Some(("t", "customer_days#3")));
    assert_eq!(super::tenant_and_family("tenants"), None);
    assert!(super::is_aggregate_pk(&super::measures_pk("t", "orders")));
    assert!(!super::is_aggregate_pk(&super::watermark_key("t").0));
    assert!(
        super::tenant_prefix("t").starts_with("t#") && pk.starts_with(&super::tenant_prefix("t"))
    );
}

#[test]
fn families_split_into_base_bucket_and_shard() {
    use super::family::*;
    let ranked = bucketed(TOP_CUSTOMERS, "M#2025-12");
    assert_eq!(split_bucketed(&ranked), Some((TOP_CUSTOMERS, "M#2025-12")));
    assert_eq!(base_of(&ranked), TOP_CUSTOMERS);
    assert_eq!(base_of(&orders_of_rep(3)), ORDERS);
    assert_eq!(split_bucketed(ORDERS), None);
    let shard = sharded(CUSTOMER_DAYS, 13);
    assert_eq!(shard_of(&shard, CUSTOMER_DAYS), Some(13 % ENTITY_SHARDS));
    assert_eq!(shard_of(&shard, ORDERS), None);
    assert_eq!(shard_of(&ranked, TOP_CUSTOMERS), None, "a bucket is not a shard");
}

#[test]
fn histogram_bins_round_trip() {
    assert_eq!(bin_of(&fulfillment_days_bin(12), FULFILLMENT_DAYS_BINS), Some(12));
    assert_eq!(bin_of(&days_to_pay_bin(0), DAYS_TO_PAY_BINS), Some(0));
    assert_eq!(bin_of(&days_to_pay_bin(4), FULFILLMENT_DAYS_BINS), None);
    assert_eq!(bin_of(FULFILLED, FULFILLMENT_DAYS_BINS), None);
}

#[test]
fn compact_names_round_trip() {
    for index in [Some(0), Some(1151), Some(3843), Some(3844), Some(-5), None] {
        assert_eq!(order_value_bin_of(&order_value_bin(index)), Some(index), "{index:?}");
    }
    assert_eq!(order_value_bin(Some(1151)).len(), 3);
    for name in ["placed", "status_open", "hv3n", "fd3", "o", "oabc"] {
        assert_eq!(order_value_bin_of(name), None, "{name}");
    }
    for day in ["1970-01-01", "2025-12-07", "2622-01-01", "1969-12-31", "3000-01-01"] {
        let day: chrono::NaiveDate = day.parse().unwrap();
        for step in OpenStep::ALL {
            assert_eq!(open_step_of(&open_step(step, day)), Some((step, day)), "{step:?} {day}");
        }
    }
    let day: chrono::NaiveDate = "2025-12-07".parse().unwrap();
    assert_eq!(open_step(OpenStep::OverdueBalance, day), "ob5jv");
    assert_eq!(open_step_of("x5jv"), None);
    assert_eq!(fulfillment_days_bin(-2), "fd-2");
    assert_eq!(days_to_pay_bin(11), "dp11");
}

#[test]
fn product_measures_round_trip() {
    for (id, figure) in
        [(4, ProductFigure::Units), (-2, ProductFigure::Revenue), (i64::MAX, ProductFigure::Units)]
    {
        assert_eq!(product_of(&product(id, figure)), Some((id, figure)));
    }
    assert_eq!(product(4, ProductFigure::Units), "p4_units");
    assert_eq!(product_of("p4_price"), None);
    assert_eq!(product_of("placed"), None);
}

#[test]
fn high_value_bands_follow_a_1_2_5_series() {
    assert_eq!(high_value_edge(0), Some(HIGH_VALUE_FLOOR));
    assert_eq!(
        (high_value_edge(1), high_value_edge(2), high_value_edge(3)),
        (Some(200_000), Some(500_000), Some(1_000_000))
    );
    assert_eq!(high_value_edge(HIGH_VALUE_BANDS - 1), Some(100_000_000_000_000));
    assert_eq!(high_value_edge(HIGH_VALUE_BANDS), None);
    assert_eq!(high_value_band(99_999), None);
    assert_eq!(high_value_band(100_000), Some(0));
    assert_eq!(high_value_band(999_999), Some(2));
    assert_eq!(high_value_band(1_000_000), Some(3));
    assert_eq!(high_value_band(i128::MAX), Some(HIGH_VALUE_BANDS - 1));
    for k in 0..HIGH_VALUE_BANDS {
        assert_eq!(high_value_of(&high_value_count(k)), Some((k, 'n')));
        assert_eq!(high_value_of(&high_value_value(k)), Some((k, 'v')));
        let edge = i128::from(high_value_edge(k).unwrap());
        assert_eq!(high_value_band(edge), Some(k));
        assert_eq!(high_value_band(edge - 1), k.checked_sub(1));
    }
    assert_eq!(high_value_of("hv28n"), None);
    assert_eq!(high_value_of("hvxn"), None);
}

#[test]
fn measure_names_round_trip() {
    let day = chrono::NaiveDate::from_ymd_opt(2025, 12, 7).unwrap();
    for step in OpenStep::ALL {
        assert_eq!(open_step_of(&open_step(step, day)), Some((step, day)));
    }
    assert_eq!(open_step(OpenStep::OverdueBalance, day), "ob5jv");
    assert_eq!(open_step_of("x5jv"), None);
    assert_eq!(day_of_due(&due_on(day)), Some(day));
    assert_eq!(daily_of(&daily(Daily::Revenue, day)), Some((Daily::Revenue, 7)));
    assert_eq!(daily_of(&daily(Daily::Placed, day)), Some((Daily::Placed, 7)));
    assert_eq!(daily_of(&daily(Daily::RevenueBearing, day)), Some((Daily::RevenueBearing, 7)));
    assert_eq!(daily(Daily::RevenueBearing, day), "n07");
    for other in ["revenue_bearing", "p7", "p123", "p32", "x07", "p00", ""] {
        assert_eq!(daily_of(other), None, "{other}");
    }
    assert_eq!(day_of_order_day(&order_day(day)), Some(day));
}

#[test]
fn rep_measures_round_trip() {
    let name = super::measure::of_rep(12, super::measure::REVENUE_BEARING);
    assert_eq!(name, "rep12_revenue_bearing");
    assert_eq!(super::measure::rep_measure_of(&name), Some((12, "revenue_bearing")));
    assert_eq!(super::measure::rep_measure_of("repx_placed"), None);
    assert_eq!(super::measure::rep_measure_of("revenue"), None);
}
