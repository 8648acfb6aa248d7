//! Random ids and hex text: alert rules, events and secrets, export jobs.

/// `n` random bytes from the system's source; the clock's nanoseconds if
/// that source fails (ids stay distinct, if guessable).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default().to_be_bytes();
        for (b, n) in bytes.iter_mut().zip(nanos) {
            *b = n;
        }
    }
    bytes
}

/// `n` random bytes as hex.
pub fn random_hex(n: usize) -> String {
    let bytes: [u8; 32] = random_bytes();
    hex(&bytes[..n.min(32)])
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_random_ids_differ() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        let (a, b) = (random_hex(8), random_hex(8));
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
    }
}
