use super::Measure;

/// Values are clamped to +-10^30 (far past any sum the record limits
/// allow) so that every key has the same width.
const LIMIT: Measure = 1_000_000_000_000_000_000_000_000_000_000;

/// `{10^30 - value, 31 digits}#{id, 20 digits}`.
pub fn sk(value: Measure, id: i64) -> String {
    let inverted = LIMIT - value.clamp(-LIMIT, LIMIT);
    super::entity_key::under(format_args!("{inverted:031}"), id)
}

/// The id of a ranking key.
pub use super::entity_key::id_of;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_value_descending_then_id() {
        let mut keys = [sk(5, 2), sk(7, 9), sk(5, 1), sk(0, 3), sk(-4, 1), sk(Measure::MAX, 8)];
        keys.sort();
        let ids: Vec<i64> = keys.iter().filter_map(|k| id_of(k)).collect();
        assert_eq!(ids, vec![8, 9, 1, 2, 3, 1]);
    }
}
