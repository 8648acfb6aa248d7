use super::Measure;

/// Levels of the tree, the exact values' level included.
pub const DEPTH: usize = 3;

/// Leading bits of a value that name its sub-bin: 32 sub-bins per bin,
/// so that a `bin#` item (count and sum per sub-bin) stays under 1 KB,
/// the unit of a write; as many more for the next level.
const SUB_BITS: u32 = 6;

/// The bit length of a value (0 for zero and below).
pub fn bits(value: Measure) -> Measure {
    Measure::from(128 - value.max(0).leading_zeros())
}

/// The path of a value through the tree: its bit length, leading 6
/// bits and leading 12 bits (all of it when shorter), then the value.
pub fn path(value: Measure) -> [Measure; DEPTH + 1] {
    let bits = bits(value);
    let leading = |n: u32| value >> (bits as u32).saturating_sub(n);
    [bits, leading(SUB_BITS), leading(2 * SUB_BITS), value]
}

/// The sort key of the item that counts the next step of `prefix`
/// (a path's first 1 to [`DEPTH`] steps); `None` for any other length.
pub fn level_sk(prefix: &[Measure]) -> Option<String> {
    match *prefix {
        [bits] => Some(format!("{BIN}{bits:03}")),
        [bits, sub] => Some(format!("val#{bits:03}#{sub:03}")),
        [bits, sub, mid] => Some(format!("val#{bits:03}#{sub:03}#{mid:04}")),
        _ => None,
    }
}

/// The prefix of the top level's keys.
const BIN: &str = "bin#";

/// The key range holding every `bin#` item (first, last).
pub fn bins_range() -> (&'static str, &'static str) {
    (BIN, "bin#~")
}

/// The bit length a `bin#` item counts.
pub fn bits_of(sk: &str) -> Option<Measure> {
    sk.strip_prefix(BIN)?.parse().ok()
}

/// The measures one value adds to the tree, per level: (sort key,
/// measure, amount).
pub fn contributions(value: Measure) -> Vec<(String, String, Measure)> {
    let path = path(value);
    let mut out = Vec::with_capacity(2 * DEPTH);
    for depth in 1..=DEPTH {
        let Some(sk) = level_sk(&path[..depth]) else { continue };
        let step = path[depth];
        if depth == DEPTH {
            out.push((sk, format!("v{step}"), 1));
        } else {
            out.push((sk.clone(), format!("n{step}"), 1));
            out.push((sk, format!("s{step}"), value));
        }
    }
    out
}

/// (`'n' | 's' | 'v'`, number) of a histogram measure.
pub fn parse(name: &str) -> Option<(char, Measure)> {
    let kind = name.chars().next().filter(|c| matches!(c, 'n' | 's' | 'v'))?;
    Some((kind, name[1..].parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_ordered_paths() {
        assert_eq!(path(0), [0, 0, 0, 0]);
        assert_eq!(path(50), [6, 50, 50, 50]);
        assert_eq!(path(200), [8, 50, 200, 200]);
        assert_eq!(path(1_000_000), [20, 1_000_000 >> 14, 1_000_000 >> 8, 1_000_000]);
        // Every step grows with the value.
        let mut last = path(0);
        for v in [1, 2, 255, 256, 257, 1000, 4095, 4096, 4097, 10_000_000, 10_000_001] {
            let p = path(v);
            assert!(p >= last, "{v}");
            last = p;
        }
    }

    #[test]
    fn levels_are_named_and_parsed_back() {
        assert_eq!(level_sk(&[17]).as_deref(), Some("bin#017"));
        assert_eq!(bits_of("bin#017"), Some(17));
        assert_eq!((bits_of("val#017#040"), bits_of("bin#x")), (None, None));
        assert_eq!(level_sk(&[17, 40]).as_deref(), Some("val#017#040"));
        assert_eq!(level_sk(&[17, 40, 2600]).as_deref(), Some("val#017#040#2600"));
        assert_eq!(level_sk(&[]), None);
        assert_eq!(level_sk(&[1, 2, 3, 4]), None);
        let (first, last) = bins_range();
        assert!(first < "bin#017" && "bin#017" < last && last < "val#");
        let adds = contributions(100_000);
        assert_eq!(adds.len(), 5);
        assert_eq!(adds[0], ("bin#017".to_owned(), "n48".to_owned(), 1));
        assert_eq!(adds[1], ("bin#017".to_owned(), "s48".to_owned(), 100_000));
        assert_eq!(adds[2], ("val#017#048".to_owned(), "n3125".to_owned(), 1));
        assert_eq!(adds[4], ("val#017#048#3125".to_owned(), "v100000".to_owned(), 1));
        for (_, name, n) in adds {
            let (kind, _) = parse(&name).unwrap();
            assert!(kind == 's' || n == 1);
        }
        assert_eq!(parse("s-3"), Some(('s', -3)));
        assert_eq!(parse("x1"), None);
    }
}
