//! An invoice's receivable as a step function of the date, and its steps
//! as dated contributions, so that the figures of invoices open at any
//! date A are sums of dated measures through A (one cover), never a read
//! of every open invoice.
//!
//! "Open at A" (docs/metrics.md): issued by A with a balance > 0 at the end of
//! A. "Past due by at least k days at A" adds `A - due >= k`, i.e. `A >=
//! due + k`: its step function is 0 before `due + k` and the open one from
//! then on, so its steps are the open function's value at `due + k`, then
//! the open function's steps after it. Dating those steps gives, for each
//! fixed k, "overdue by k days or more at A" as a plain sum through A.

use chrono::NaiveDate;
use sales_shared::layout::Measure;

/// What an open invoice counts for, at the end of a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenFigures {
    /// 1 while open.
    pub count: Measure,
    /// The balance while open (0 once settled, never negative).
    pub balance: Measure,
    /// The invoice total while open.
    pub total: Measure,
    /// Days from 1970-01-01 to the local issue date, while open (mean age).
    pub issue_day: Measure,
    /// 1 while open with something paid.
    pub partially_paid: Measure,
}

impl OpenFigures {
    fn minus(self, other: OpenFigures) -> OpenFigures {
        OpenFigures {
            count: self.count - other.count,
            balance: self.balance - other.balance,
            total: self.total - other.total,
            issue_day: self.issue_day - other.issue_day,
            partially_paid: self.partially_paid - other.partially_paid,
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == OpenFigures::default()
    }
}

/// An issued, not cancelled invoice's receivable events.
#[derive(Debug, Clone)]
pub struct Receivable {
    pub issued_on: NaiveDate,
    pub due_date: NaiveDate,
    pub total: Measure,
    /// (local date, amount) of each application and of the write-off,
    /// never before the issue date.
    pub payments: Vec<(NaiveDate, Measure)>,
    pub write_off: Option<(NaiveDate, Measure)>,
}

impl Receivable {
    /// The figures at the end of `day`.
    fn at(&self, day: NaiveDate) -> OpenFigures {
        if day < self.issued_on {
            return OpenFigures::default();
        }
        let paid: Measure = self.payments.iter().filter(|(d, _)| *d <= day).map(|(_, a)| a).sum();
        let written_off = self.write_off.filter(|(d, _)| *d <= day).map_or(0, |(_, a)| a);
        let balance = self.total - paid - written_off;
        if balance <= 0 {
            return OpenFigures::default();
        }
        let epoch = sales_shared::calendar::epoch();
        OpenFigures {
            count: 1,
            balance,
            total: self.total,
            issue_day: Measure::from((self.issued_on - epoch).num_days()),
            partially_paid: Measure::from(paid > 0),
        }
    }

    /// The figures after every event.
    pub fn final_figures(&self) -> OpenFigures {
        self.at(self.event_dates().last().copied().unwrap_or(self.issued_on))
    }

    /// The dates the figures may change on: issue, applications, write-off.
    fn event_dates(&self) -> Vec<NaiveDate> {
        let mut dates: Vec<NaiveDate> = std::iter::once(self.issued_on)
            .chain(self.payments.iter().map(|(d, _)| *d))
            .chain(self.write_off.map(|(d, _)| d))
            .collect();
        dates.sort_unstable();
        dates.dedup();
        dates
    }

    /// The steps of "open and at least `k` days past due" (`None`: open,
    /// whatever the age): (date, change), nonzero changes only, in date
    /// order. Their sum through A is the figures at A.
    pub fn steps(&self, k: Option<i64>) -> Vec<(NaiveDate, OpenFigures)> {
        let start = match k {
            None => self.issued_on,
            Some(k) => match self.due_date.checked_add_signed(chrono::Duration::days(k)) {
                Some(d) => d.max(self.issued_on),
                None => return Vec::new(),
            },
        };
        let mut out = Vec::new();
        let mut previous = OpenFigures::default();
        let dates =
            std::iter::once(start).chain(self.event_dates().into_iter().filter(|d| *d > start));
        for date in dates {
            let now = self.at(date);
            let change = now.minus(previous);
            if !change.is_zero() {
                out.push((date, change));
            }
            previous = now;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The figures at `day` as the sum of the steps through it.
    fn through(steps: &[(NaiveDate, OpenFigures)], day: NaiveDate) -> OpenFigures {
        let mut sum = OpenFigures::default();
        for (_, f) in steps.iter().filter(|(date, _)| *date <= day) {
            sum.count += f.count;
            sum.balance += f.balance;
            sum.total += f.total;
            sum.issue_day += f.issue_day;
            sum.partially_paid += f.partially_paid;
        }
        sum
    }

    fn invoice() -> Receivable {
        // 1 000.00 issued Jan 10, due Feb 9; 300 paid Jan 20, 200 on Mar 1,
        // the rest written off on Apr 15.
        Receivable {
            issued_on: d("2025-01-10"),
            due_date: d("2025-02-09"),
            total: 100_000,
            payments: vec![(d("2025-01-20"), 30_000), (d("2025-03-01"), 20_000)],
            write_off: Some((d("2025-04-15"), 50_000)),
        }
    }

    #[test]
    fn the_sums_of_the_steps_are_the_figures_on_every_day() {
        let invoice = invoice();
        for k in [None, Some(1), Some(31), Some(61), Some(91)] {
            let steps = invoice.steps(k);
            for day in d("2024-12-31").iter_days().take(150) {
                let age_ok = k.is_none_or(|k| (day - invoice.due_date).num_days() >= k);
                let expected = if age_ok { invoice.at(day) } else { OpenFigures::default() };
                assert_eq!(through(&steps, day), expected, "k {k:?} on {day}");
            }
        }
    }

    #[test]
    fn by_hand() {
        let invoice = invoice();
        let open = invoice.steps(None);
        assert_eq!(through(&open, d("2025-01-09")), OpenFigures::default());
        let jan = through(&open, d("2025-01-31"));
        assert_eq!((jan.count, jan.balance, jan.partially_paid), (1, 70_000, 1));
        assert_eq!(jan.issue_day, Measure::from((d("2025-01-10") - d("1970-01-01")).num_days()));
        // 31+ days past due from Mar 12 on: 500.00 open then.
        let late = invoice.steps(Some(31));
        assert_eq!(through(&late, d("2025-03-11")).balance, 0);
        assert_eq!(through(&late, d("2025-03-12")).balance, 50_000);
        // Written off: nothing open from Apr 15.
        assert!(through(&open, d("2025-04-15")).is_zero());
        assert!(through(&late, d("2025-04-15")).is_zero());
        // Overpaid on the first day: never open.
        let overpaid =
            Receivable { payments: vec![(d("2025-01-10"), 120_000)], write_off: None, ..invoice };
        assert!(overpaid.steps(None).is_empty());
    }
}
