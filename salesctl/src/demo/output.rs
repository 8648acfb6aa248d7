//! JSON output: records written as JSON Lines.
//!
//! Records are written by hand rather than with serde_json, whose
//! byte-by-byte string escaping took most of a debug build's run time on the
//! ten megabytes of the default data set; keys and numbers are put together
//! so that each costs one `String` call. The generated strings (word lists,
//! codes, digits and the validated tenant id) need no escaping; one that
//! does is written by serde_json, so no text can break a line. The tests
//! parse every line.

use super::*;

pub(super) trait ToJson {
    fn write_json(&self, out: &mut String);
}

/// `,"name":`, written in one go.
macro_rules! key {
    ($name:expr) => {
        concat!(",\"", $name, "\":")
    };
}

/// The fields of a struct, each under its own name.
macro_rules! json_fields {
    ($object:expr, $value:expr, $($field:ident),+ $(,)?) => {
        $object$(.field(key!(stringify!($field)), &$value.$field))+
    };
}

/// A JSON object being written, field by field.
pub(super) struct JsonObject<'a> {
    pub(super) out: &'a mut String,
    pub(super) empty: bool,
}

impl<'a> JsonObject<'a> {
    pub(super) fn new(out: &'a mut String) -> Self {
        out.push('{');
        JsonObject { out, empty: true }
    }

    /// A field under a key made by [`key!`].
    pub(super) fn field<T: ToJson + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.out.push_str(if self.empty { key.strip_prefix(',').unwrap_or(key) } else { key });
        self.empty = false;
        value.write_json(self.out);
        self
    }

    pub(super) fn end(self) {
        self.out.push('}');
    }
}

/// A record type's own fields, after the common ones.
pub(super) trait Body {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a>;
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        if self.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            out.push_str(&serde_json::Value::from(self).to_string());
            return;
        }
        out.push('"');
        out.push_str(self);
        out.push('"');
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

/// A short piece of ASCII put together on the stack and appended in one go:
/// each call on a `String` is costly in debug builds, and numbers formatted
/// with `write!` more so.
pub(super) struct Ascii {
    pub(super) bytes: [u8; 48],
    pub(super) len: usize,
}

impl Ascii {
    pub(super) fn new() -> Self {
        Ascii { bytes: [0; 48], len: 0 }
    }

    pub(super) fn byte(&mut self, byte: u8) -> &mut Self {
        self.bytes[self.len] = byte;
        self.len += 1;
        self
    }

    /// A number in decimal, zero-padded to `width` digits.
    pub(super) fn number(&mut self, mut value: u64, width: usize) -> &mut Self {
        let mut digits = 1;
        let mut rest = value / 10;
        while rest > 0 {
            digits += 1;
            rest /= 10;
        }
        let end = self.len + digits.max(width);
        let mut at = end;
        while at > self.len {
            at -= 1;
            self.bytes[at] = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len = end;
        self
    }

    pub(super) fn append_to(&self, out: &mut String) {
        out.push_str(std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default());
    }
}

impl ToJson for i64 {
    fn write_json(&self, out: &mut String) {
        let mut text = Ascii::new();
        if *self < 0 {
            text.byte(b'-');
        }
        text.number(self.unsigned_abs(), 1).append_to(out);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// Money as a string with two decimals.
impl ToJson for Decimal {
    fn write_json(&self, out: &mut String) {
        let cents = if self.scale() == 2 { *self } else { money(*self) }.mantissa();
        let Ok(units) = u64::try_from(cents.unsigned_abs() / 100) else {
            return money(*self).to_string().write_json(out);
        };
        let mut text = Ascii::new();
        text.byte(b'"');
        if cents < 0 {
            text.byte(b'-');
        }
        let hundredths = (cents.unsigned_abs() % 100) as u64;
        text.number(units, 1).byte(b'.').number(hundredths, 2).byte(b'"').append_to(out);
    }
}

pub(super) fn date_text(text: &mut Ascii, date: NaiveDate) -> &mut Ascii {
    let year = u64::from(date.year().unsigned_abs());
    text.number(year, 4)
        .byte(b'-')
        .number(u64::from(date.month()), 2)
        .byte(b'-')
        .number(u64::from(date.day()), 2)
}

/// `YYYY-MM-DD`.
impl ToJson for NaiveDate {
    fn write_json(&self, out: &mut String) {
        date_text(Ascii::new().byte(b'"'), *self).byte(b'"').append_to(out);
    }
}

/// RFC 3339 in UTC with `Z`, whole seconds.
impl ToJson for Ts {
    fn write_json(&self, out: &mut String) {
        let seconds = u64::from(self.num_seconds_from_midnight());
        let mut text = Ascii::new();
        date_text(text.byte(b'"'), self.date_naive())
            .byte(b'T')
            .number(seconds / 3600, 2)
            .byte(b':');
        text.number(seconds / 60 % 60, 2)
            .byte(b':')
            .number(seconds % 60, 2)
            .byte(b'Z')
            .byte(b'"')
            .append_to(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

macro_rules! enum_to_json {
    ($($name:ty),+) => {
        $(impl ToJson for $name {
            fn write_json(&self, out: &mut String) {
                self.as_str().write_json(out);
            }
        })+
    };
}

enum_to_json!(
    OrderSource,
    OrderStatus,
    InvoiceStatus,
    PaymentMethod,
    Gateway,
    PaymentStatus,
    FailureReason,
    DisputeStatus
);

pub(super) struct TenantSettings {
    pub(super) time_zone: &'static str,
    pub(super) currency: &'static str,
    pub(super) vip_lifetime_revenue: Decimal,
}

impl Body for TenantSettings {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, time_zone, currency, vip_lifetime_revenue)
    }
}

impl Body for Customer {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, customer_number, company_name, email, created_at, credit_limit)
    }
}

impl Body for Product {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, sku, name, category)
    }
}

impl Body for SalesRep {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, name, email)
    }
}

impl Body for MonthlyAmount {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(object, self, month, amount)
    }
}

impl ToJson for OrderLine {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, product_id, quantity, unit_price, line_total)
            .end();
    }
}

impl Body for Order {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            order_number,
            customer_id,
            sales_rep_id,
            source,
            status,
            currency,
            total_amount,
            lines,
            ordered_at,
            confirmed_at,
            shipped_at,
            delivered_at,
            completed_at,
            cancelled_at,
            promised_delivery_date,
            returned_at,
            fulfillment_error
        )
    }
}

impl ToJson for PaymentApplication {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, payment_id, amount, applied_at).end();
    }
}

impl Body for Invoice {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            invoice_number,
            order_id,
            customer_id,
            status,
            currency,
            total_amount,
            issued_at,
            due_date,
            payment_applications,
            written_off_amount,
            written_off_at
        )
    }
}

impl ToJson for Dispute {
    fn write_json(&self, out: &mut String) {
        json_fields!(JsonObject::new(out), self, reason, disputed_at, evidence_due_date, status)
            .end();
    }
}

impl Body for Payment {
    fn fields<'a>(&self, object: JsonObject<'a>) -> JsonObject<'a> {
        json_fields!(
            object,
            self,
            payment_number,
            invoice_id,
            order_id,
            customer_id,
            amount,
            currency,
            method,
            gateway,
            status,
            created_at,
            completed_at,
            processing_time_ms,
            gateway_response_time_ms,
            fee_amount,
            refunded_amount,
            failure_reason,
            failed_at,
            retry_count,
            can_retry,
            dispute
        )
    }
}

/// Orders, invoices and payments in the order of their dates.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Activity {
    Order(usize),
    Invoice(usize),
    Payment(usize),
}

pub(super) struct RecordWriter<'a> {
    pub(super) out: io::BufWriter<&'a mut dyn Write>,
    pub(super) tenant: &'a str,
    pub(super) line: String,
    pub(super) stats: DemoStats,
}

impl RecordWriter<'_> {
    /// One record, version 1, as a line.
    pub(super) fn write(
        &mut self,
        record_type: RecordType,
        id: i64,
        updated_at: Ts,
        body: &impl Body,
    ) -> io::Result<()> {
        let record_type = record_type.as_str();
        self.line.clear();
        let common = JsonObject::new(&mut self.line)
            .field(key!("type"), record_type)
            .field(key!("tenant_id"), self.tenant)
            .field(key!("id"), &id)
            .field(key!("version"), &1_i64)
            .field(key!("updated_at"), &updated_at);
        body.fields(common).end();
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())?;
        self.stats.lines += 1;
        *self.stats.by_type.entry(record_type).or_default() += 1;
        Ok(())
    }

    pub(super) fn reference_data(
        &mut self,
        clock: &Clock,
        customers: &[Customer],
        plans: &MonthlyPlans,
    ) -> io::Result<()> {
        let set_up_at = at_local(clock.start - days(1000), 9 * HOUR);
        let settings = TenantSettings {
            time_zone: TIME_ZONE_NAME,
            currency: CURRENCY,
            vip_lifetime_revenue: cents(1_000_000),
        };
        self.write(RecordType::TenantSettings, 1, set_up_at, &settings)?;
        for (index, customer) in customers.iter().enumerate() {
            self.write(RecordType::Customer, id(index), customer.created_at, customer)?;
        }
        for (index, product) in PRODUCTS.iter().enumerate() {
            self.write(RecordType::Product, id(index), set_up_at, product)?;
        }
        for (index, rep) in SALES_REPS.iter().enumerate() {
            self.write(RecordType::SalesRep, id(index), set_up_at, rep)?;
        }
        for (index, target) in plans.targets.iter().enumerate() {
            self.write(RecordType::SalesTarget, id(index), target.updated_at, target)?;
        }
        for (index, spend) in plans.spend.iter().enumerate() {
            self.write(RecordType::MarketingSpend, id(index), spend.updated_at, spend)?;
        }
        Ok(())
    }

    pub(super) fn activity(&mut self, orders: &[Order], billing: &Billing) -> io::Result<()> {
        let mut timeline: Vec<(Ts, Activity)> = Vec::new();
        timeline.extend(orders.iter().enumerate().map(|(i, o)| (o.ordered_at, Activity::Order(i))));
        let invoices = billing.invoices.iter().enumerate();
        timeline.extend(
            invoices
                .map(|(i, inv)| (inv.issued_at.unwrap_or(inv.touched_at), Activity::Invoice(i))),
        );
        timeline.extend(
            billing.payments.iter().enumerate().map(|(i, p)| (p.created_at, Activity::Payment(i))),
        );
        timeline.sort();
        for (_, activity) in timeline {
            match activity {
                Activity::Order(i) => {
                    self.write(RecordType::Order, id(i), orders[i].updated_at(), &orders[i])?
                }
                Activity::Invoice(i) => {
                    let invoice = &billing.invoices[i];
                    self.write(RecordType::Invoice, id(i), invoice.updated_at(), invoice)?;
                }
                Activity::Payment(i) => {
                    let payment = &billing.payments[i];
                    self.write(RecordType::Payment, id(i), payment.updated_at(), payment)?;
                }
            }
        }
        Ok(())
    }
}
