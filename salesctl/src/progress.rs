//! Progress display of long command-line work: done out of total, rate and
//! time left. Drawn as a bar on a terminal; where stderr is not a terminal
//! (a log, `make dev` piped to a file), the same figures as a plain line
//! every few seconds; hidden when not `visible` (tests).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How often the plain-line display reports.
const LINE_EVERY: Duration = Duration::from_secs(5);

/// A bar of `len` `unit`s, labelled `what`.
pub fn bar(visible: bool, len: u64, what: &str, unit: &str) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    if !std::io::stderr().is_terminal() {
        let bar = ProgressBar::hidden();
        bar.set_length(len);
        report_lines(&bar, what.to_owned(), unit.to_owned());
        return bar;
    }
    let template = format!(
        "{} [{{bar:40}}] {{pos}}/{{len}} {} ({{per_sec}}, {{eta}} left)",
        escape(what),
        escape(unit)
    );
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// A spinner counting `unit`s of unknown total, labelled `what`.
pub fn spinner(visible: bool, what: &str, unit: &str) -> ProgressBar {
    if !visible || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = format!("{{spinner}} {}: {{pos}} {}", escape(what), escape(unit));
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}

/// One line of the plain display.
pub fn line(what: &str, unit: &str, done: u64, total: u64, per_sec: f64) -> String {
    let left = total.saturating_sub(done);
    let eta = if per_sec > 0.0 {
        format!("~{:.0} s left", left as f64 / per_sec)
    } else {
        "time left unknown".to_owned()
    };
    format!("{what}: {done}/{total} {unit} ({per_sec:.0}/s, {eta})")
}

/// Prints `bar`'s figures every [`LINE_EVERY`] until it is finished or
/// dropped.
fn report_lines(bar: &ProgressBar, what: String, unit: String) {
    let weak = bar.downgrade();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(LINE_EVERY);
            let Some(bar) = weak.upgrade().filter(|bar| !bar.is_finished()) else {
                return;
            };
            let total = bar.length().unwrap_or(0);
            eprintln!("{}", line(&what, &unit, bar.position(), total, bar.per_sec()));
        }
    });
}

/// Literal text inside an indicatif template.
fn escape(text: &str) -> String {
    text.replace('{', "{{").replace('}', "}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_done_total_rate_and_time_left() {
        assert_eq!(
            line("rollups", "records", 4_000, 17_712, 400.0),
            "rollups: 4000/17712 records (400/s, ~34 s left)"
        );
        assert_eq!(
            line("rollups", "records", 0, 10, 0.0),
            "rollups: 0/10 records (0/s, time left unknown)"
        );
    }

    #[test]
    fn labels_with_braces_are_literal() {
        assert_eq!(escape("a {b}"), "a {{b}}");
    }
}
