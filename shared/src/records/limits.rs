//! The size limits of source records (docs/data-model.md, "Record limits"), in one place: the parser applies
//! them field by field, [`check_limits`] re-checks a record that reached us
//! another way (a stream image written without the loader), and the loader
//! checks a line's size before parsing it.
//!
//! Within these limits a tenant's sums stay exact: 10 million records of
//! 500 lines each, every amount at [`MAX_MONEY`], add up to about 5 * 10^23
//! cents, far inside `i128` and DynamoDB's 38 digits.

use rust_decimal::Decimal;

use super::{RecordBody, SourceRecord};
use crate::rejection::{FieldResult, Rejection};

/// Largest absolute value of any money field: 999 999 999 999.99.
pub const MAX_MONEY: Decimal = Decimal::from_parts(0x107A_3FFF, 0x5AF3, 0, false, 2);
/// [`MAX_MONEY`] in cents.
pub const MAX_MONEY_CENTS: i64 = 99_999_999_999_999;
/// Largest order-line quantity.
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Most lines an order may have.
pub const MAX_ORDER_LINES: usize = 500;
/// Most payment applications an invoice may have.
pub const MAX_PAYMENT_APPLICATIONS: usize = 1_000;
/// Largest JSON line of one record, in bytes (256 KiB), line break excluded.
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// Fractional digits a money amount may have.
pub const MONEY_SCALE: u32 = 2;

/// The rule a money amount past [`MAX_MONEY`] breaks.
pub const MONEY_RULE: &str = "must be at most 999999999999.99 in absolute value";

/// A money amount within [`MAX_MONEY`] with at most two fractional digits.
pub fn check_money(field: &str, value: Decimal) -> FieldResult<()> {
    if value.abs() > MAX_MONEY {
        return Err(Rejection::new(field, MONEY_RULE));
    }
    if value.normalize().scale() > MONEY_SCALE {
        return Err(Rejection::new(field, "must have at most 2 fractional digits"));
    }
    Ok(())
}

/// An order-line quantity: an integer from 1 to [`MAX_QUANTITY`].
pub fn check_quantity(field: &str, quantity: i64) -> FieldResult<()> {
    if quantity < 1 {
        Err(Rejection::new(field, "must be an integer >= 1"))
    } else if quantity > MAX_QUANTITY {
        Err(Rejection::new(field, format!("must be at most {MAX_QUANTITY}")))
    } else {
        Ok(())
    }
}

/// At most `max` elements in an array field.
pub fn check_count(field: &str, count: usize, max: usize) -> FieldResult<()> {
    if count > max {
        Err(Rejection::new(field, format!("must have at most {max} elements, has {count}")))
    } else {
        Ok(())
    }
}

/// A record's JSON line of `bytes` bytes (line break excluded).
pub fn check_line_size(bytes: usize) -> FieldResult<()> {
    if bytes > MAX_LINE_BYTES {
        Err(Rejection::new(
            "(line)",
            format!("must be at most {MAX_LINE_BYTES} bytes (256 KiB), has {bytes}"),
        ))
    } else {
        Ok(())
    }
}

/// Re-checks the limits of an already parsed record: every money field,
/// every quantity, the number of order lines and of payment applications.
/// [`super::parse_record`] applies the same checks; this is for records
/// decoded from the source table or a stream image, which upstream may have
/// written without the loader. A tombstone has nothing to check.
pub fn check_limits(record: &SourceRecord) -> FieldResult<()> {
    let Some(body) = &record.body else { return Ok(()) };
    match body {
        RecordBody::TenantSettings(s) => {
            check_money("vip_lifetime_revenue", s.vip_lifetime_revenue)
        }
        RecordBody::Customer(c) => {
            c.credit_limit.map_or(Ok(()), |v| check_money("credit_limit", v))
        }
        RecordBody::Product(_) | RecordBody::SalesRep(_) => Ok(()),
        RecordBody::Order(o) => {
            check_money("total_amount", o.total_amount)?;
            check_count("lines", o.lines.len(), MAX_ORDER_LINES)?;
            for (i, line) in o.lines.iter().enumerate() {
                check_quantity(&format!("lines[{i}].quantity"), line.quantity)?;
                check_money(&format!("lines[{i}].unit_price"), line.unit_price)?;
                check_money(&format!("lines[{i}].line_total"), line.line_total)?;
            }
            Ok(())
        }
        RecordBody::Invoice(inv) => {
            check_money("total_amount", inv.total_amount)?;
            check_count(
                "payment_applications",
                inv.payment_applications.len(),
                MAX_PAYMENT_APPLICATIONS,
            )?;
            for (i, a) in inv.payment_applications.iter().enumerate() {
                check_money(&format!("payment_applications[{i}].amount"), a.amount)?;
            }
            check_money("written_off_amount", inv.written_off_amount)
        }
        RecordBody::Payment(p) => {
            check_money("amount", p.amount)?;
            check_money("fee_amount", p.fee_amount)?;
            check_money("refunded_amount", p.refunded_amount)
        }
        RecordBody::SalesTarget(m) | RecordBody::MarketingSpend(m) => {
            check_money("amount", m.amount)
        }
    }
}
