use super::Measure;

/// The index key of an order of `total_cents` (`{total:015}#{id:020}`).
pub fn encode(total_cents: Measure, order_id: i64) -> String {
    format!("{:015}#{:020}", total_cents.max(0), order_id)
}

/// `(total, id)` of an index key written by [`encode`].
pub fn parse(key: &str) -> Option<(i64, i64)> {
    let (total, id) = key.split_once('#')?;
    Some((total.parse().ok()?, id.parse().ok()?))
}

/// The lowest key of the orders of at least `cents`.
pub fn from_amount(cents: i64) -> String {
    format!("{:015}#", cents.max(0))
}

/// The highest key of the orders of at most `cents`.
pub fn through_amount(cents: i64) -> String {
    format!("{:015}#~", cents.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_amount_then_id_and_parse_back() {
        let key = encode(123_456, 42);
        assert_eq!(parse(&key), Some((123_456, 42)));
        assert!(encode(999, 7) < encode(1_000, 1), "by amount first");
        assert!(encode(1_000, 1) < encode(1_000, 2), "then by id");
        assert!(
            from_amount(1_000) <= encode(1_000, 0)
                && encode(1_000, i64::MAX) <= through_amount(1_000)
        );
        assert!(through_amount(999) < from_amount(1_000));
        assert_eq!(parse("nonsense"), None);
        // A negative total (a refund beyond the order) keys as zero.
        assert_eq!(parse(&encode(-5, 3)), Some((0, 3)));
    }
}
