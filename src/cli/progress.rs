//! A one-line progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct ProgressBar {
    label: &'static str,
    enabled: bool,
    start: Instant,
    last_draw: Option<Instant>,
}

impl ProgressBar {
    /// `show` says whether the job is long enough to be worth a bar.
    pub fn new(label: &'static str, show: bool) -> Self {
        ProgressBar {
            label,
            enabled: show && std::io::stderr().is_terminal(),
            start: Instant::now(),
            last_draw: None,
        }
    }

    pub fn update(&mut self, done: usize, total: usize) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let due = self
            .last_draw
            .is_none_or(|t| now.duration_since(t) > Duration::from_millis(100));
        if !due && done < total {
            return;
        }
        self.last_draw = Some(now);
        let width = 30;
        let filled = (done * width).checked_div(total).unwrap_or(width);
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        eprint!(
            "\r{} [{}{}] {done}/{total} ({:.0}/s)",
            self.label,
            "#".repeat(filled),
            " ".repeat(width - filled),
            done as f64 / secs
        );
        let _ = std::io::stderr().flush();
    }

    pub fn finish(&self) {
        if self.enabled && self.last_draw.is_some() {
            eprintln!();
        }
    }
}
