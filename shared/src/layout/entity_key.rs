use std::fmt::Display;

/// `{id:020}`: a copy or the state item of one entity.
pub fn sk(id: i64) -> String {
    format!("{id:020}")
}

/// The id of an [`sk`], or of any key ending in `#{id:020}`.
pub fn id_of(sk: &str) -> Option<i64> {
    sk.rsplit_once('#').map_or(sk, |(_, id)| id).parse().ok()
}

/// `{prefix}#{id:020}`: an entity under a bucket key (`M#2025-12`), a
/// local date or an instant, so that a key range of prefixes holds
/// their entities in order.
pub fn under(prefix: impl Display, id: i64) -> String {
    format!("{prefix}#{id:020}")
}

/// The first and last key of the entities under the prefixes from
/// `first` through `last` (inclusive).
pub fn range_under(first: impl Display, last: impl Display) -> (String, String) {
    (first_under(first), format!("{last}#~"))
}

/// The first key of the entities under `prefix` (and of any prefix
/// after it).
pub fn first_under(prefix: impl Display) -> String {
    format!("{prefix}#")
}

/// The prefix of an [`under`] key (what comes before its id).
pub fn prefix_of(sk: &str) -> Option<&str> {
    Some(sk.rsplit_once('#')?.0)
}

/// A bound just after `sk` and before the next id under its prefix.
pub fn just_after(sk: &str) -> String {
    format!("{sk}~")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_sort_by_prefix_then_id() {
        assert_eq!(sk(42), "00000000000000000042");
        assert_eq!(id_of(&sk(42)), Some(42));
        assert_eq!(id_of(&under("M#2025-12", 7)), Some(7));
        assert_eq!(id_of(&under("2025-12-01T10:00:00Z", -3)), Some(-3));
        assert_eq!(id_of("M#2025-12#x"), None);
        let mut keys = [under("M#2025-12", 10), under("M#2025-11", 99), under("M#2025-12", 9)];
        keys.sort();
        assert_eq!(keys.iter().filter_map(|k| id_of(k)).collect::<Vec<_>>(), [99, 9, 10]);
        let (first, last) = range_under("M#2025-11", "M#2025-11");
        assert!(
            keys.iter().filter(|k| (first.as_str()..=last.as_str()).contains(&k.as_str())).count()
                == 1
        );
        let key = under("2025-12-01T10:00:00Z", 5);
        assert_eq!(prefix_of(&key), Some("2025-12-01T10:00:00Z"));
        assert!(key < just_after(&key) && just_after(&key) < under("2025-12-01T10:00:00Z", 6));
        assert!(just_after(&key) < range_under("", "2025-12-01T10:00:00Z").1);
        let (first, last) = range_under("D#2025-12-01", "D#2025-12-31");
        assert!(first < under("D#2025-12-01", 0) && under("D#2025-12-31", i64::MAX) < last);
        assert!(under("D#2025-11-30", i64::MAX) < first && last < under("D#2026-01-01", 0));
    }
}
