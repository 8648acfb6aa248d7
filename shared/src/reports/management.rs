//! The monthly management report, written for a finance lead to forward
//! (PDF and Excel, the same figures as the API in the tenant's currency and
//! time zone, stamped with `data_through`): KPI tiles against the previous
//! month and the same month last year with twelve-month trends, revenue by
//! day, receivables aging at four month ends, revenue by product, the top
//! and most overdue customers, failures and disputes by reason, and a page
//! of definitions. Written to
//! `reports/{tenant}/{YYYY-MM}/management-report.{pdf,xlsx}` (a rerun of the
//! same month overwrites the same keys).

mod definitions;
pub mod figures;
pub mod pdf;
pub mod tiles;
mod xlsx;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub use figures::{ManagementFigures, gather};

use crate::exports::run::Destination;
use crate::exports::{ExportError, Format};
use crate::periods::{DateRange, month_range};
use crate::records::TenantSettings;
use crate::store::aggregates::AggregateReader;

/// `YYYY-MM` parsed to its month.
pub fn parse_month(text: &str) -> Option<DateRange> {
    let (y, m) = text.split_once('-')?;
    let (year, month) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&month) && year >= 1970)
        .then(|| month_range(year, month))
}

/// The month before the one holding `today`.
pub fn previous_month(today: NaiveDate) -> DateRange {
    let first = today.with_day(1).unwrap_or(today);
    let last = first.pred_opt().unwrap_or(first);
    month_range(last.year(), last.month())
}

pub fn month_label(month: DateRange) -> String {
    crate::calendar::month_key(month.from)
}

fn report_key(tenant: &str, month: DateRange, format: Format) -> String {
    format!("reports/{tenant}/{}/management-report.{}", month_label(month), format.extension())
}

/// Who, what and when a report is: printed under its title and on its
/// Excel summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub tenant: String,
    pub month: DateRange,
    pub currency: String,
    pub time_zone: String,
    /// The newest change the figures include (`data_through` of the API).
    pub data_through: Option<DateTime<Utc>>,
    pub generated_at: DateTime<Utc>,
}

impl Stamp {
    pub fn title(&self) -> String {
        format!("Management report {}", month_label(self.month))
    }

    /// (name, value) of each stamp field.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let utc = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        vec![
            ("Tenant", self.tenant.clone()),
            ("Period", format!("{} to {}", self.month.from, self.month.to)),
            ("Currency", self.currency.clone()),
            ("Time zone", self.time_zone.clone()),
            ("Data through", self.data_through.as_ref().map_or_else(|| "no data".to_owned(), utc)),
            ("Generated", utc(&self.generated_at)),
        ]
    }

    /// The fields on one line.
    pub fn line(&self) -> String {
        self.fields().iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("    ")
    }
}

/// The report as PDF and Excel bytes.
pub fn render_files(
    figures: &ManagementFigures,
    stamp: &Stamp,
) -> Result<(Vec<u8>, Vec<u8>), ExportError> {
    Ok((pdf::render(figures, stamp)?, xlsx::render(figures, stamp)?))
}

/// Gathers, renders and writes one tenant's report of `month`; returns the
/// keys written.
pub async fn write_management_report(
    reader: &AggregateReader<'_>,
    destination: &Destination,
    tenant: &str,
    settings: &TenantSettings,
    month: DateRange,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ExportError> {
    let figures = gather(reader, month).await?;
    let stamp = Stamp {
        tenant: tenant.to_owned(),
        month,
        currency: settings.currency.clone(),
        time_zone: settings.time_zone.clone(),
        data_through: reader.watermark().await?,
        generated_at: now,
    };
    let (pdf, xlsx) = render_files(&figures, &stamp)?;
    let mut keys = Vec::new();
    for (format, bytes) in [(Format::Pdf, pdf), (Format::Excel, xlsx)] {
        let key = report_key(tenant, month, format);
        let filename = format!("management-report-{}.{}", month_label(month), format.extension());
        destination.put(&key, &filename, format.content_type(), bytes).await?;
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(parse_month("2025-02"), Some(DateRange::new(d("2025-02-01"), d("2025-02-28"))));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("25-01"), None);
        assert_eq!(
            previous_month(d("2026-01-15")),
            DateRange::new(d("2025-12-01"), d("2025-12-31"))
        );
        assert_eq!(
            report_key("t", previous_month(d("2026-01-15")), Format::Pdf),
            "reports/t/2025-12/management-report.pdf"
        );
    }
}
