//! The typed bodies of each record type.

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::fields::{Fields, MoneyMin};
use super::limits::{self, MAX_ORDER_LINES, MAX_PAYMENT_APPLICATIONS};
use super::{RecordBody, RecordType};
use crate::rejection::{FieldResult, Rejection};
use crate::str_enum;

pub type Timestamp = DateTime<FixedOffset>;

str_enum!(OrderStatus {
    Draft => "draft",
    Pending => "pending",
    Confirmed => "confirmed",
    Processing => "processing",
    Shipped => "shipped",
    Delivered => "delivered",
    Completed => "completed",
    Cancelled => "cancelled",
});

str_enum!(OrderSource {
    OnlineStore => "online_store",
    Phone => "phone",
    Email => "email",
    Api => "api",
});

str_enum!(InvoiceStatus {
    Draft => "draft",
    Sent => "sent",
    PartiallyPaid => "partially_paid",
    Paid => "paid",
    Overdue => "overdue",
    Cancelled => "cancelled",
});

str_enum!(PaymentMethod {
    CreditCard => "credit_card",
    BankTransfer => "bank_transfer",
    Paypal => "paypal",
    Check => "check",
    Cash => "cash",
});

str_enum!(Gateway {
    Stripe => "stripe",
    Paypal => "paypal",
});

str_enum!(PaymentStatus {
    Pending => "pending",
    Completed => "completed",
    Failed => "failed",
    Refunded => "refunded",
    Disputed => "disputed",
});

str_enum!(FailureReason {
    InsufficientFunds => "insufficient_funds",
    CardDeclined => "card_declined",
    ExpiredCard => "expired_card",
    InvalidDetails => "invalid_details",
    Other => "other",
});

str_enum!(DisputeStatus {
    NeedsResponse => "needs_response",
    UnderReview => "under_review",
    Won => "won",
    Lost => "lost",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub time_zone: String,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub vip_lifetime_revenue: Decimal,
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            time_zone: "UTC".into(),
            currency: "USD".into(),
            vip_lifetime_revenue: Decimal::new(1_000_000, 2),
        }
    }
}

impl TenantSettings {
    /// The parsed time zone; the name was validated on the way in.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_number: String,
    pub company_name: String,
    pub email: Option<String>,
    pub created_at: Option<Timestamp>,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub credit_limit: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalesRep {
    pub name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: i64,
    pub quantity: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub line_total: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub order_number: String,
    pub customer_id: i64,
    pub sales_rep_id: Option<i64>,
    pub source: OrderSource,
    pub status: OrderStatus,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_amount: Decimal,
    pub lines: Vec<OrderLine>,
    pub ordered_at: Timestamp,
    pub confirmed_at: Option<Timestamp>,
    pub shipped_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub promised_delivery_date: Option<NaiveDate>,
    pub returned_at: Option<Timestamp>,
    pub fulfillment_error: bool,
}

impl Order {
    /// Placed: any status but `draft`.
    pub fn is_placed(&self) -> bool {
        self.status != OrderStatus::Draft
    }
    /// Revenue-bearing: placed and not cancelled.
    pub fn is_revenue_bearing(&self) -> bool {
        self.is_placed() && self.status != OrderStatus::Cancelled
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaymentApplication {
    pub payment_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub applied_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_number: String,
    pub order_id: Option<i64>,
    pub customer_id: i64,
    pub status: InvoiceStatus,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_amount: Decimal,
    pub issued_at: Option<Timestamp>,
    pub due_date: NaiveDate,
    pub payment_applications: Vec<PaymentApplication>,
    #[serde(with = "rust_decimal::serde::str")]
    pub written_off_amount: Decimal,
    pub written_off_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    pub reason: String,
    pub disputed_at: Timestamp,
    pub evidence_due_date: NaiveDate,
    pub status: DisputeStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub payment_number: String,
    pub invoice_id: Option<i64>,
    pub order_id: Option<i64>,
    pub customer_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub currency: String,
    pub method: PaymentMethod,
    pub gateway: Option<Gateway>,
    pub status: PaymentStatus,
    pub created_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub processing_time_ms: Option<i64>,
    pub gateway_response_time_ms: Option<i64>,
    #[serde(with = "rust_decimal::serde::str")]
    pub fee_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub refunded_amount: Decimal,
    pub failure_reason: Option<FailureReason>,
    pub failed_at: Option<Timestamp>,
    pub retry_count: i64,
    pub can_retry: bool,
    pub dispute: Option<Dispute>,
}

impl Payment {
    /// Captured: completed, refunded or disputed.
    pub fn is_captured(&self) -> bool {
        matches!(
            self.status,
            PaymentStatus::Completed | PaymentStatus::Refunded | PaymentStatus::Disputed
        )
    }
}

/// `sales_target` and `marketing_spend`: an amount for a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyAmount {
    pub month: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

pub(super) fn parse_body(record_type: RecordType, f: &Fields<'_>) -> FieldResult<RecordBody> {
    Ok(match record_type {
        RecordType::TenantSettings => RecordBody::TenantSettings(parse_settings(f)?),
        RecordType::Customer => RecordBody::Customer(Customer {
            customer_number: f.string("customer_number")?,
            company_name: f.string("company_name")?,
            email: f.opt_string("email")?,
            created_at: f.opt_timestamp("created_at")?,
            credit_limit: f.opt_money("credit_limit", MoneyMin::NonNegative)?,
        }),
        RecordType::Product => RecordBody::Product(Product {
            sku: f.string("sku")?,
            name: f.string("name")?,
            category: f.opt_string("category")?,
        }),
        RecordType::SalesRep => RecordBody::SalesRep(SalesRep {
            name: f.string("name")?,
            email: f.opt_string("email")?,
        }),
        RecordType::Order => RecordBody::Order(parse_order(f)?),
        RecordType::Invoice => RecordBody::Invoice(parse_invoice(f)?),
        RecordType::Payment => RecordBody::Payment(parse_payment(f)?),
        RecordType::SalesTarget => RecordBody::SalesTarget(parse_monthly(f)?),
        RecordType::MarketingSpend => RecordBody::MarketingSpend(parse_monthly(f)?),
    })
}

fn parse_settings(f: &Fields<'_>) -> FieldResult<TenantSettings> {
    let defaults = TenantSettings::default();
    let time_zone = match f.get("time_zone") {
        None => defaults.time_zone,
        Some(_) => {
            let name = f.string("time_zone")?;
            if name.parse::<chrono_tz::Tz>().is_err() {
                return Err(Rejection::new(
                    "time_zone",
                    "must be an IANA time zone name such as America/New_York",
                ));
            }
            name
        }
    };
    let currency = match f.get("currency") {
        None => defaults.currency,
        Some(_) => f.currency("currency")?,
    };
    let vip_lifetime_revenue = f
        .opt_money("vip_lifetime_revenue", MoneyMin::NonNegative)?
        .unwrap_or(defaults.vip_lifetime_revenue);
    Ok(TenantSettings { time_zone, currency, vip_lifetime_revenue })
}

fn parse_order(f: &Fields<'_>) -> FieldResult<Order> {
    let lines = f
        .objects("lines", MAX_ORDER_LINES)?
        .iter()
        .map(|l| {
            let quantity = l.int_at_least("quantity", 1, 0)?;
            if quantity == 0 {
                return Err(Rejection::new(l.name("quantity"), "is required (integer > 0)"));
            }
            limits::check_quantity(&l.name("quantity"), quantity)?;
            Ok(OrderLine {
                product_id: l.id("product_id")?,
                quantity,
                unit_price: l.money("unit_price", MoneyMin::NonNegative)?,
                line_total: l.money("line_total", MoneyMin::NonNegative)?,
            })
        })
        .collect::<FieldResult<Vec<_>>>()?;
    Ok(Order {
        order_number: f.string("order_number")?,
        customer_id: f.id("customer_id")?,
        sales_rep_id: f.opt_id("sales_rep_id")?,
        source: f.enumeration("source")?,
        status: f.enumeration("status")?,
        currency: f.currency("currency")?,
        total_amount: f.money("total_amount", MoneyMin::NonNegative)?,
        lines,
        ordered_at: f.timestamp("ordered_at")?,
        confirmed_at: f.opt_timestamp("confirmed_at")?,
        shipped_at: f.opt_timestamp("shipped_at")?,
        delivered_at: f.opt_timestamp("delivered_at")?,
        completed_at: f.opt_timestamp("completed_at")?,
        cancelled_at: f.opt_timestamp("cancelled_at")?,
        promised_delivery_date: f.opt_date("promised_delivery_date")?,
        returned_at: f.opt_timestamp("returned_at")?,
        fulfillment_error: f.bool_or("fulfillment_error", false)?,
    })
}

fn parse_invoice(f: &Fields<'_>) -> FieldResult<Invoice> {
    let status: InvoiceStatus = f.enumeration("status")?;
    let issued_at = f.opt_timestamp("issued_at")?;
    if issued_at.is_none() && status != InvoiceStatus::Draft {
        return Err(Rejection::new("issued_at", "is required unless the invoice is a draft"));
    }
    let total_amount = f.money("total_amount", MoneyMin::Positive)?;
    let payment_applications = f
        .objects("payment_applications", MAX_PAYMENT_APPLICATIONS)?
        .iter()
        .map(|a| {
            Ok(PaymentApplication {
                payment_id: a.id("payment_id")?,
                amount: a.money("amount", MoneyMin::Positive)?,
                applied_at: a.timestamp("applied_at")?,
            })
        })
        .collect::<FieldResult<Vec<_>>>()?;
    let paid: Decimal = payment_applications.iter().map(|a| a.amount).sum();
    if paid > total_amount {
        return Err(Rejection::new(
            "payment_applications",
            "must not sum to more than total_amount",
        ));
    }
    let written_off_amount = f.money_or_zero("written_off_amount")?;
    let written_off_at = f.opt_timestamp("written_off_at")?;
    if written_off_amount > Decimal::ZERO && written_off_at.is_none() {
        return Err(Rejection::new("written_off_at", "is required when written_off_amount > 0"));
    }
    if paid + written_off_amount > total_amount {
        return Err(Rejection::new(
            "written_off_amount",
            "must not exceed total_amount minus the paid amount",
        ));
    }
    Ok(Invoice {
        invoice_number: f.string("invoice_number")?,
        order_id: f.opt_id("order_id")?,
        customer_id: f.id("customer_id")?,
        status,
        currency: f.currency("currency")?,
        total_amount,
        issued_at,
        due_date: f.date("due_date")?,
        payment_applications,
        written_off_amount,
        written_off_at,
    })
}

fn parse_payment(f: &Fields<'_>) -> FieldResult<Payment> {
    let dispute = match f.opt_object("dispute")? {
        None => None,
        Some(d) => Some(Dispute {
            reason: d.string("reason")?,
            disputed_at: d.timestamp("disputed_at")?,
            evidence_due_date: d.date("evidence_due_date")?,
            status: d.enumeration("status")?,
        }),
    };
    Ok(Payment {
        payment_number: f.string("payment_number")?,
        invoice_id: f.opt_id("invoice_id")?,
        order_id: f.opt_id("order_id")?,
        customer_id: f.id("customer_id")?,
        amount: f.money("amount", MoneyMin::Positive)?,
        currency: f.currency("currency")?,
        method: f.enumeration("method")?,
        gateway: f.opt_enumeration("gateway")?,
        status: f.enumeration("status")?,
        created_at: f.timestamp("created_at")?,
        completed_at: f.opt_timestamp("completed_at")?,
        processing_time_ms: f.opt_int_at_least("processing_time_ms", 0)?,
        gateway_response_time_ms: f.opt_int_at_least("gateway_response_time_ms", 0)?,
        fee_amount: f.money_or_zero("fee_amount")?,
        refunded_amount: f.money_or_zero("refunded_amount")?,
        failure_reason: f.opt_enumeration("failure_reason")?,
        failed_at: f.opt_timestamp("failed_at")?,
        retry_count: f.int_at_least("retry_count", 0, 0)?,
        can_retry: f.bool_or("can_retry", false)?,
        dispute,
    })
}

fn parse_monthly(f: &Fields<'_>) -> FieldResult<MonthlyAmount> {
    Ok(MonthlyAmount {
        month: f.month("month")?,
        amount: f.money("amount", MoneyMin::NonNegative)?,
    })
}
