//! Exact money: parsing, integer minor units (cents) for storage, and JSON
//! output rounded half away from zero.
//!
//! Money never passes through binary floating point. It is parsed from JSON
//! strings or numbers with at most two fractional digits, stored in DynamoDB
//! as integer cents (`N` attributes holding integers are read back exactly),
//! and written to JSON as a number with fixed places.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serializer;
use serde_json::value::RawValue;

/// Integer minor units (cents for every currency the API serves).
pub type Cents = i64;

/// Why a money value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    NotANumber,
    TooManyDecimals,
    OutOfRange,
}

impl MoneyError {
    pub fn rule(self) -> &'static str {
        match self {
            MoneyError::NotANumber => "must be a decimal amount (string or number)",
            MoneyError::TooManyDecimals => "must have at most 2 fractional digits",
            MoneyError::OutOfRange => "is out of range",
        }
    }
}

/// Parses a money amount written as a decimal string (`"1456.10"`).
pub fn parse_money_str(text: &str) -> Result<Decimal, MoneyError> {
    let text = text.trim();
    if text.is_empty() || text.contains(['e', 'E']) {
        return Err(MoneyError::NotANumber);
    }
    // Decimal parsing rounds past 28 fractional digits ("1.000...0001" reads
    // as 1): count the written fractional digits before it can.
    if let Some((_, fraction)) = text.split_once('.') {
        let significant =
            fraction.trim_end_matches(['0', '_']).bytes().filter(u8::is_ascii_digit).count();
        if significant > 2 {
            return Err(MoneyError::TooManyDecimals);
        }
    }
    let value: Decimal = text.parse().map_err(|_| {
        // Only digits (and one point) that do not fit: too large.
        let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !whole.is_empty() && digits(whole) && digits(fraction) {
            MoneyError::OutOfRange
        } else {
            MoneyError::NotANumber
        }
    })?;
    let value = value.normalize();
    if value.scale() > 2 {
        return Err(MoneyError::TooManyDecimals);
    }
    to_cents(value).ok_or(MoneyError::OutOfRange)?;
    Ok(value)
}

/// Parses a money amount from a JSON value: a string, or a number whose
/// shortest decimal form is used (exact for any amount with at most 15
/// significant digits).
pub fn parse_money_json(value: &serde_json::Value) -> Result<Decimal, MoneyError> {
    match value {
        serde_json::Value::String(s) => parse_money_str(s),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let d = Decimal::from(i);
                to_cents(d).ok_or(MoneyError::OutOfRange)?;
                Ok(d)
            } else if let Some(f) = n.as_f64() {
                // Rust prints the shortest text that reads back as the same
                // f64, which is the text the writer meant for <= 15 digits.
                parse_money_str(&format!("{f}"))
            } else {
                Err(MoneyError::OutOfRange)
            }
        }
        _ => Err(MoneyError::NotANumber),
    }
}

/// Exact conversion to cents; `None` when the amount has more than two
/// fractional digits or does not fit.
pub fn to_cents(value: Decimal) -> Option<Cents> {
    let scaled = value.checked_mul(Decimal::ONE_HUNDRED)?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled).ok()
}

/// Cents back to a decimal amount with two places.
pub fn from_cents(cents: Cents) -> Decimal {
    Decimal::new(cents, 2)
}

/// Rounds half away from zero to `places`.
pub fn round(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// `numerator / denominator`, or zero when the denominator is zero (the
/// rule for rates and averages).
pub fn ratio_or_zero(numerator: Decimal, denominator: Decimal) -> Decimal {
    if denominator.is_zero() { Decimal::ZERO } else { numerator / denominator }
}

/// Percentage change `(current - previous) / previous * 100`, `None` when
/// the previous value is zero.
pub fn change_percentage(current: Decimal, previous: Decimal) -> Option<Decimal> {
    if previous.is_zero() {
        None
    } else {
        Some((current - previous) / previous * Decimal::ONE_HUNDRED)
    }
}

fn write_fixed<S: Serializer>(
    value: Decimal,
    places: u32,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let rounded = round(value, places);
    write_number(format!("{:.*}", places as usize, rounded), serializer)
}

/// `text`, a decimal's digits, as a JSON number.
fn write_number<S: Serializer>(text: String, serializer: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(text).map_err(serde::ser::Error::custom)?;
    serde::Serialize::serialize(&raw, serializer)
}

/// Serde helpers writing a decimal as a JSON number with fixed places:
/// `#[serde(serialize_with = "json::money")]`.
pub mod json {
    use super::*;

    pub fn money<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write_fixed(*v, 2, s)
    }
    pub fn percent<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write_fixed(*v, 2, s)
    }
    pub fn days<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write_fixed(*v, 1, s)
    }
    pub fn opt_money<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => write_fixed(*v, 2, s),
            None => s.serialize_none(),
        }
    }
    pub fn opt_percent<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        opt_money(v, s)
    }
    /// A decimal as a JSON number with the places it has (trailing zeros
    /// dropped): a threshold or a value as given.
    pub fn number<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        write_number(v.normalize().to_string(), s)
    }
    pub fn opt_number<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => number(v, s),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn parses_strings_and_numbers_exactly() {
        assert_eq!(parse_money_str("1456.10"), Ok(dec!(1456.1)));
        assert_eq!(parse_money_json(&serde_json::json!(0.1)), Ok(dec!(0.1)));
        assert_eq!(parse_money_json(&serde_json::json!(99999999999.99)), Ok(dec!(99999999999.99)));
        assert_eq!(parse_money_json(&serde_json::json!(12)), Ok(dec!(12)));
        assert_eq!(parse_money_str("1.005"), Err(MoneyError::TooManyDecimals));
        assert_eq!(parse_money_str("1.500"), Ok(dec!(1.5)));
        assert_eq!(parse_money_str("abc"), Err(MoneyError::NotANumber));
        assert_eq!(parse_money_str("1e3"), Err(MoneyError::NotANumber));
        assert_eq!(parse_money_json(&serde_json::json!(true)), Err(MoneyError::NotANumber));
    }

    #[test]
    fn never_rounds_digits_away() {
        // rust_decimal alone reads both of these as 1 and 0.
        assert_eq!(
            parse_money_str("1.00000000000000000000000000001"),
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(
            parse_money_str("0.000000000000000000000000000000001"),
            Err(MoneyError::TooManyDecimals)
        );
        assert_eq!(parse_money_str("1.50000000000000000000000000000000"), Ok(dec!(1.5)));
        assert_eq!(
            parse_money_str("99999999999999999999999999999999"),
            Err(MoneyError::OutOfRange)
        );
        assert_eq!(parse_money_str("-1.2.3"), Err(MoneyError::NotANumber));
    }

    #[test]
    fn cents_round_trip() {
        for v in [dec!(0.01), dec!(0.10), dec!(1456789.12), dec!(99999999999.99), dec!(-3.5)] {
            let c = to_cents(v).unwrap();
            assert_eq!(from_cents(c), v);
        }
        assert_eq!(to_cents(dec!(0.001)), None);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round(dec!(2.345), 2), dec!(2.35));
        assert_eq!(round(dec!(-2.345), 2), dec!(-2.35));
        assert_eq!(round(dec!(23.45), 1), dec!(23.5));
    }

    #[test]
    fn json_numbers_have_fixed_places() {
        #[derive(serde::Serialize)]
        struct Out {
            #[serde(serialize_with = "json::money")]
            m: Decimal,
            #[serde(serialize_with = "json::days")]
            d: Decimal,
            #[serde(serialize_with = "json::opt_money")]
            n: Option<Decimal>,
        }
        let text = serde_json::to_string(&Out { m: dec!(0), d: dec!(3.25), n: None }).unwrap();
        assert_eq!(text, r#"{"m":0.00,"d":3.3,"n":null}"#);
    }

    #[test]
    fn changes_and_ratios() {
        assert_eq!(change_percentage(dec!(115), dec!(100)), Some(dec!(15)));
        assert_eq!(change_percentage(dec!(5), dec!(0)), None);
        assert_eq!(ratio_or_zero(dec!(5), dec!(0)), dec!(0));
    }
}
