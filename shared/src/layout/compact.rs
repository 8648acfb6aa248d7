const DIGITS: &[u8; 62] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// `n` in exactly `width` base-62 digits, or `None` when it does not fit.
pub fn encode(n: i64, width: u32) -> Option<String> {
    if n < 0 || n >= 62_i64.checked_pow(width)? {
        return None;
    }
    let mut out = vec![b'0'; width as usize];
    let mut rest = n;
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(rest % 62) as usize];
        rest /= 62;
    }
    String::from_utf8(out).ok()
}

/// The number of `width` base-62 digits.
pub fn decode(text: &str, width: usize) -> Option<i64> {
    if text.len() != width {
        return None;
    }
    text.bytes().try_fold(0_i64, |n, b| {
        let digit = DIGITS.iter().position(|d| *d == b)?;
        Some(n * 62 + digit as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_the_width() {
        for n in [0, 1, 9, 10, 61, 62, 3843, 20_429, 238_327] {
            let width = if n < 3844 { 2 } else { 3 };
            assert_eq!(decode(&encode(n, width).unwrap(), width as usize), Some(n), "{n}");
        }
        assert_eq!(encode(0, 2).as_deref(), Some("00"));
        assert_eq!(encode(3843, 2).as_deref(), Some("ZZ"));
        assert_eq!((encode(3844, 2), encode(-1, 3)), (None, None));
        assert_eq!((decode("0-", 2), decode("abc", 2), decode("", 0)), (None, None, Some(0)));
    }
}
