//! Progress display of long command-line work: shown on a terminal,
//! hidden otherwise (CI logs, tests).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps drawn with `template` (indicatif syntax).
pub fn bar(visible: bool, len: u64, template: &str) -> ProgressBar {
    let bar = if visible { ProgressBar::new(len) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// A spinner counting steps of unknown total.
pub fn spinner(visible: bool, template: &str) -> ProgressBar {
    let bar = if visible { ProgressBar::new_spinner() } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar
}
