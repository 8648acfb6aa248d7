//! Query parameters: unknown names (with a suggestion for typos),
//! duplicates and malformed values are 400s naming the parameter.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::records::parse_date;

// A parameter the request got wrong is a `Rejection` naming it: a 400
// (converted once into the API's error, in `http`).
use crate::rejection::Rejection;

#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, String>,
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A query date: exactly `YYYY-MM-DD` in digits, from 0001-01-01 to
/// 9999-12-31 (`parse_date` alone also takes a signed year such as
/// `-001-01-01`, and year 0 would label ISO weeks of year -1).
fn strict_date(text: &str) -> Option<NaiveDate> {
    let shaped = text
        .bytes()
        .enumerate()
        .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    parse_date(text).filter(|day| shaped && chrono::Datelike::year(day) >= 1)
}

impl Params {
    /// Parses a raw query string, accepting only `allowed` names.
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Self, Rejection> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| Rejection::whole(format!("malformed query string: {e}")))?;
        Self::from_pairs(pairs, allowed)
    }

    /// Named values from elsewhere than a query string (a JSON body's
    /// fields), checked like a query's.
    pub fn from_pairs(pairs: Vec<(String, String)>, allowed: &[&str]) -> Result<Self, Rejection> {
        let mut values = HashMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                let hint = allowed
                    .iter()
                    .map(|a| (edit_distance(&name, a), a))
                    .filter(|(d, _)| *d <= 2)
                    .min()
                    .map(|(_, a)| format!(" (did you mean `{a}`?)"))
                    .unwrap_or_default();
                return Err(Rejection::new(
                    &name,
                    format!("unknown parameter `{name}`{hint}; accepted: {}", allowed.join(", ")),
                ));
            }
            if values.insert(name.clone(), value).is_some() {
                return Err(Rejection::new(
                    &name,
                    format!("parameter `{name}` is given more than once"),
                ));
            }
        }
        Ok(Params { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Every (name, value) given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn date(&self, name: &str) -> Result<Option<NaiveDate>, Rejection> {
        self.get(name)
            .map(|v| {
                strict_date(v).ok_or_else(|| {
                    Rejection::new(name, format!("`{name}` must be a date YYYY-MM-DD, got `{v}`"))
                })
            })
            .transpose()
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, Rejection> {
        self.get(name)
            .map(|v| match v {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => {
                    Err(Rejection::new(name, format!("`{name}` must be true or false, got `{v}`")))
                }
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_of(err: Rejection) -> String {
        format!("{}: {}", err.field, err.rule)
    }

    #[test]
    fn typos_and_duplicates_are_named() {
        let err = Params::parse(Some("perod=month"), &["period", "from_date"]).unwrap_err();
        let text = param_of(err);
        assert!(text.starts_with("perod:"), "{text}");
        assert!(text.contains("did you mean `period`"), "{text}");
        let err = Params::parse(Some("period=a&period=b"), &["period"]).unwrap_err();
        assert!(param_of(err).starts_with("period:"));
    }

    #[test]
    fn typed_values() {
        let p = Params::parse(
            Some("from_date=2025-12-01&flag=true&bad=2025-13-01"),
            &["from_date", "flag", "bad"],
        )
        .unwrap();
        assert_eq!(p.date("from_date").unwrap(), "2025-12-01".parse().ok());
        assert_eq!(p.bool("flag").unwrap(), Some(true));
        assert!(param_of(p.date("bad").unwrap_err()).starts_with("bad:"));
        for odd in ["-001-01-01", "+999-01-01", "0000-01-01", "2025-1-011", "2025-01-1 "] {
            let p = Params::parse(Some(&format!("d={odd}")), &["d"]).unwrap();
            assert!(p.date("d").is_err(), "{odd}");
        }
        let p = Params::parse(Some("a=0001-01-01&b=9999-12-31"), &["a", "b"]).unwrap();
        assert!(p.date("a").unwrap().is_some() && p.date("b").unwrap().is_some());
        assert_eq!(p.date("missing").unwrap(), None);
    }
}

use crate::periods::{DateRange, MAX_RANGE_DAYS, PeriodKind};

impl Params {
    /// `period` (default `month`, or `custom` when only dates are given),
    /// `from_date` and `to_date`, resolved against tenant-local `today`.
    pub fn period(&self, today: NaiveDate) -> Result<(PeriodKind, DateRange), Rejection> {
        let from = self.date("from_date")?;
        let to = self.date("to_date")?;
        let kind = match self.get("period") {
            Some(text) => PeriodKind::parse(text).ok_or_else(|| {
                Rejection::new(
                    "period",
                    format!(
                        "`period` must be one of {}, got `{text}`",
                        PeriodKind::NAMES.join(", ")
                    ),
                )
            })?,
            None if from.is_some() || to.is_some() => PeriodKind::Custom,
            None => PeriodKind::Month,
        };
        if kind != PeriodKind::Custom {
            if from.is_some() {
                return Err(Rejection::new(
                    "from_date",
                    "`from_date` is only accepted with period=custom",
                ));
            }
            if to.is_some() {
                return Err(Rejection::new(
                    "to_date",
                    "`to_date` is only accepted with period=custom",
                ));
            }
            return Ok((kind, kind.containing(today)));
        }
        let from = from.ok_or_else(|| {
            Rejection::new("from_date", "`from_date` is required with period=custom")
        })?;
        let to = to
            .ok_or_else(|| Rejection::new("to_date", "`to_date` is required with period=custom"))?;
        Ok((kind, checked_range(from, to)?))
    }

    /// `from_date`/`to_date` of endpoints without `period`: the current
    /// month by default.
    pub fn date_range(&self, today: NaiveDate) -> Result<DateRange, Rejection> {
        let month = PeriodKind::Month.containing(today);
        let from = self.date("from_date")?.unwrap_or(month.from);
        let to = self.date("to_date")?.unwrap_or(month.to);
        checked_range(from, to)
    }
}

fn checked_range(from: NaiveDate, to: NaiveDate) -> Result<DateRange, Rejection> {
    if from > to {
        return Err(Rejection::new(
            "from_date",
            format!("`from_date` {from} is after `to_date` {to}"),
        ));
    }
    let range = DateRange::new(from, to);
    if range.days() > MAX_RANGE_DAYS {
        return Err(Rejection::new(
            "to_date",
            format!("the range covers {} days; at most {MAX_RANGE_DAYS} are allowed", range.days()),
        ));
    }
    Ok(range)
}

#[cfg(test)]
mod period_tests {
    use super::*;

    fn resolve(q: &str) -> Result<(PeriodKind, DateRange), Rejection> {
        let today: NaiveDate = "2025-12-17".parse().unwrap();
        Params::parse(Some(q), &["period", "from_date", "to_date"])?.period(today)
    }

    fn parameter(r: Result<(PeriodKind, DateRange), Rejection>) -> String {
        match r {
            Err(rejection) => rejection.field,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn periods_resolve_and_bad_ones_name_the_parameter() {
        assert_eq!(resolve("").unwrap().1.days(), 31);
        assert_eq!(resolve("period=quarter").unwrap().1.from, "2025-10-01".parse().unwrap());
        let (kind, range) = resolve("from_date=2025-01-01&to_date=2025-01-10").unwrap();
        assert_eq!((kind, range.days()), (PeriodKind::Custom, 10));
        assert_eq!(parameter(resolve("period=fortnight")), "period");
        assert_eq!(parameter(resolve("period=custom&to_date=2025-01-01")), "from_date");
        assert_eq!(
            parameter(resolve("period=custom&from_date=2025-02-01&to_date=2025-01-01")),
            "from_date"
        );
        assert_eq!(
            parameter(resolve("period=custom&from_date=2000-01-01&to_date=2025-01-01")),
            "to_date"
        );
        assert_eq!(parameter(resolve("period=month&from_date=2025-01-01")), "from_date");
        assert_eq!(parameter(resolve("from_date=2025-02-30&to_date=2025-03-01")), "from_date");
    }
}

/// Default and largest `limit` of list endpoints.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;

impl Params {
    /// `limit`: 1 to 100, default 10.
    pub fn limit(&self) -> Result<usize, Rejection> {
        match self.get("limit") {
            None => Ok(DEFAULT_LIMIT),
            Some(v) => {
                v.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                    Rejection::new(
                        "limit",
                        format!("`limit` must be a whole number from 1 to {MAX_LIMIT}, got `{v}`"),
                    )
                })
            }
        }
    }

    /// A positive whole-number id (`customer_id`, `sales_rep_id`).
    pub fn id(&self, name: &str) -> Result<Option<i64>, Rejection> {
        self.get(name)
            .map(|v| {
                v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    Rejection::new(
                        name,
                        format!("`{name}` must be a positive whole number, got `{v}`"),
                    )
                })
            })
            .transpose()
    }

    /// A non-negative money amount with at most two decimals.
    pub fn amount(&self, name: &str) -> Result<Option<rust_decimal::Decimal>, Rejection> {
        self.get(name)
            .map(|v| {
                crate::money::parse_money_str(v).ok().filter(|d| !d.is_sign_negative()).ok_or_else(|| {
                    Rejection::new(
                        name,
                        format!("`{name}` must be a non-negative amount with at most 2 decimals, got `{v}`"),
                    )
                })
            })
            .transpose()
    }

    /// A value from a fixed list.
    pub fn one_of<'a>(
        &self,
        name: &str,
        allowed: &[&'a str],
    ) -> Result<Option<&'a str>, Rejection> {
        self.get(name)
            .map(|v| {
                allowed.iter().find(|a| **a == v).copied().ok_or_else(|| {
                    Rejection::new(
                        name,
                        format!("`{name}` must be one of {}, got `{v}`", allowed.join(", ")),
                    )
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod list_param_tests {
    use super::*;

    fn bad(r: Result<impl std::fmt::Debug, Rejection>) -> String {
        match r {
            Err(rejection) => rejection.field,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn list_parameters() {
        let all = ["limit", "cursor", "customer_id", "minimum_amount", "status"];
        let p = |q: &str| Params::parse(Some(q), &all).unwrap();
        assert_eq!(p("").limit().unwrap(), 10);
        assert_eq!(p("limit=100").limit().unwrap(), 100);
        assert_eq!(bad(p("limit=0").limit()), "limit");
        assert_eq!(bad(p("limit=101").limit()), "limit");
        assert_eq!(bad(p("customer_id=-4").id("customer_id")), "customer_id");
        assert_eq!(bad(p("customer_id=abc").id("customer_id")), "customer_id");
        assert_eq!(p("customer_id=42").id("customer_id").unwrap(), Some(42));
        assert_eq!(bad(p("minimum_amount=-1").amount("minimum_amount")), "minimum_amount");
        assert_eq!(bad(p("minimum_amount=1.001").amount("minimum_amount")), "minimum_amount");
        assert_eq!(bad(p("status=shiped").one_of("status", &["shipped"])), "status");
    }
}
