//! Sales targets and marketing spend per month.

use super::*;

#[derive(Serialize)]
pub(super) struct MonthlyAmount {
    pub(super) month: String,
    #[serde(serialize_with = "json::money")]
    pub(super) amount: Decimal,
    #[serde(skip)]
    pub(super) updated_at: Ts,
}

pub(super) struct MonthlyPlans {
    pub(super) targets: Vec<MonthlyAmount>,
    pub(super) spend: Vec<MonthlyAmount>,
}

/// A revenue target per month near what was (or, for the current month, is
/// being) achieved, rounded to thousands, set before the month; marketing
/// spend growing with the business, booked after the month.
pub(super) fn monthly_plans(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    orders: &[Order],
    per_month: u32,
) -> MonthlyPlans {
    let revenue = monthly_revenue(clock, orders);
    let thousand = Decimal::from(1000);
    let mut plans = MonthlyPlans { targets: Vec::new(), spend: Vec::new() };
    for (month, revenue) in clock.months.iter().zip(revenue) {
        let pace =
            revenue * Decimal::from(month.days_in_month) / Decimal::from(month.days_covered());
        let target = (share(pace, rng.random_range(90..=112)) / thousand).round() * thousand;
        let planned_at = at_local(month.first - days(rng.random_range(3..=10)), 10 * HOUR);
        plans.targets.push(MonthlyAmount {
            month: month.label(),
            amount: money(target),
            updated_at: planned_at,
        });
        let spend_cents =
            (800_000 + 15_000 * i64::from(month.index) + rng.random_range(-150_000..=150_000))
                * i64::from(per_month)
                / 400;
        let booked_at = at_local(month.last + days(2), 11 * HOUR).min(clock.end);
        plans.spend.push(MonthlyAmount {
            month: month.label(),
            amount: cents(spend_cents),
            updated_at: booked_at,
        });
    }
    plans
}

/// Revenue of revenue-bearing orders by New York month.
pub(super) fn monthly_revenue(clock: &Clock, orders: &[Order]) -> Vec<Decimal> {
    let mut revenue = vec![Decimal::ZERO; clock.months.len()];
    let bearing =
        orders.iter().filter(|o| !matches!(o.status, OrderStatus::Draft | OrderStatus::Cancelled));
    for order in bearing {
        if let Some(month) = clock.month_of(local_date(order.ordered_at)) {
            revenue[month] += order.total_amount;
        }
    }
    revenue
}
