// SPDX-License-Identifier: GPL-2.0

//! The progress bar on stderr.

use std::io::Write;
use std::time::{Duration, Instant};

/// Width of the bar itself, in characters.
pub const BAR_WIDTH: usize = 30;

/// Least time between two redraws.
const INTERVAL: Duration = Duration::from_millis(100);

/// How long a pass runs before its bar appears, unless `--progress` asked for it: short passes
/// do not clutter stderr.
pub const DEFAULT_DELAY: Duration = Duration::from_millis(500);

/// Whether to show the bar: as `--progress`/`--no-progress` say (`flag`), otherwise when stderr
/// is a terminal and the output is not JSON.
pub fn enabled(flag: Option<bool>, json: bool, stderr_is_tty: bool) -> bool {
    flag.unwrap_or(stderr_is_tty && !json)
}

/// How long to wait before showing the bar: not at all with `--progress`, otherwise
/// [`DEFAULT_DELAY`].
pub fn delay(flag: Option<bool>) -> Duration {
    if flag == Some(true) {
        Duration::ZERO
    } else {
        DEFAULT_DELAY
    }
}

/// One line of the bar: `move   [#########.....]  45%  1234/5678 pages`.
pub fn render(label: &str, done: u64, total: u64, width: usize) -> String {
    let done = done.min(total);
    let (filled, pct) = if total == 0 {
        (width, 100)
    } else {
        let frac = |scale: u128| (u128::from(done) * scale / u128::from(total)) as usize;
        (frac(width as u128), frac(100))
    };
    format!(
        "{label:<6} [{}{}] {pct:>3}%  {done}/{total} pages",
        "#".repeat(filled),
        ".".repeat(width - filled)
    )
}

/// A progress bar written to `out` (stderr), redrawn in place with `\r`.
pub struct Progress<W: Write> {
    out: W,
    enabled: bool,
    label: String,
    total: u64,
    done: u64,
    last_draw: Option<Instant>,
    interval: Duration,
    start: Instant,
    delay: Duration,
}

impl<W: Write> Progress<W> {
    /// A bar for `total` pages, shown at once; draws nothing unless `enabled`.
    pub fn new(out: W, enabled: bool, label: &str, total: u64) -> Self {
        Self {
            out,
            enabled,
            label: label.to_string(),
            total,
            done: 0,
            last_draw: None,
            interval: INTERVAL,
            start: Instant::now(),
            delay: Duration::ZERO,
        }
    }

    /// The same bar, shown only once `delay` has passed since it was created.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The same bar redrawn at most every `interval` rather than every 100 ms.
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    fn draw(&mut self) {
        let line = render(&self.label, self.done, self.total, BAR_WIDTH);
        // Progress is best effort: a failing stderr is no reason to stop.
        let _ = write!(self.out, "\r{line}");
        let _ = self.out.flush();
        self.last_draw = Some(Instant::now());
    }

    /// Counts `n` more pages done; redraws at most every interval, once the delay has passed.
    pub fn advance(&mut self, n: u64) {
        self.done = self.done.saturating_add(n);
        if self.enabled
            && self.start.elapsed() >= self.delay
            && self.last_draw.is_none_or(|t| t.elapsed() >= self.interval)
        {
            self.draw();
        }
    }

    /// Pages done so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Draws the final state and ends the line, if the bar was shown (or has no delay).
    pub fn finish(&mut self) {
        if self.enabled && (self.last_draw.is_some() || self.delay.is_zero()) {
            self.draw();
            let _ = writeln!(self.out);
            let _ = self.out.flush();
        }
    }

    /// The writer, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_by_flag_or_tty_without_json() {
        assert!(enabled(Some(true), true, false));
        assert!(!enabled(Some(false), false, true));
        assert!(enabled(None, false, true));
        assert!(!enabled(None, true, true));
        assert!(!enabled(None, false, false));
    }

    #[test]
    fn rendering() {
        assert_eq!(
            render("move", 0, 200, 10),
            "move   [..........]   0%  0/200 pages"
        );
        assert_eq!(
            render("move", 90, 200, 10),
            "move   [####......]  45%  90/200 pages"
        );
        assert_eq!(
            render("after", 200, 200, 10),
            "after  [##########] 100%  200/200 pages"
        );
        assert_eq!(render("q", 0, 0, 4), "q      [####] 100%  0/0 pages");
        // Never more than the total, and no overflow on huge counts.
        assert_eq!(render("q", 9, 3, 4), "q      [####] 100%  3/3 pages");
        assert_eq!(
            render("q", u64::MAX / 2, u64::MAX, 4),
            format!("q      [#...]  49%  {}/{} pages", u64::MAX / 2, u64::MAX)
        );
    }

    #[test]
    fn disabled_bar_writes_nothing() {
        let mut p = Progress::new(Vec::new(), false, "move", 10);
        p.advance(5);
        p.advance(5);
        p.finish();
        assert_eq!(p.done(), 10);
        assert!(p.into_inner().is_empty());
    }

    #[test]
    fn enabled_bar_draws_in_place_and_ends_the_line() {
        let mut p =
            Progress::new(Vec::new(), true, "move", 4).with_interval(Duration::from_secs(3600));
        p.advance(1);
        p.advance(1); // Within the interval of the first draw: not drawn.
        p.finish();
        let out = String::from_utf8(p.into_inner()).unwrap();
        assert_eq!(
            out,
            format!(
                "\r{}\r{}\n",
                render("move", 1, 4, BAR_WIDTH),
                render("move", 2, 4, BAR_WIDTH)
            )
        );
    }

    #[test]
    fn delay_only_without_progress_flag() {
        assert_eq!(delay(Some(true)), Duration::ZERO);
        assert_eq!(delay(None), DEFAULT_DELAY);
        assert_eq!(delay(Some(false)), DEFAULT_DELAY);
    }

    #[test]
    fn short_passes_show_no_delayed_bar() {
        let mut p = Progress::new(Vec::new(), true, "q", 3).with_delay(Duration::from_secs(3600));
        p.advance(1);
        p.advance(2);
        p.finish();
        assert!(p.into_inner().is_empty());
    }

    #[test]
    fn long_passes_show_the_delayed_bar_and_finish_it() {
        let mut p = Progress::new(Vec::new(), true, "q", 3).with_delay(Duration::from_millis(20));
        p.advance(1);
        std::thread::sleep(Duration::from_millis(30));
        p.advance(1);
        p.finish();
        let out = String::from_utf8(p.into_inner()).unwrap();
        assert!(
            out.starts_with(&format!("\r{}", render("q", 2, 3, BAR_WIDTH))),
            "{out:?}"
        );
        assert!(
            out.ends_with(&format!("\r{}\n", render("q", 2, 3, BAR_WIDTH))),
            "{out:?}"
        );
    }

    #[test]
    fn bar_redraws_after_the_interval() {
        let mut p = Progress::new(Vec::new(), true, "q", 3).with_interval(Duration::ZERO);
        p.advance(1);
        p.advance(1);
        let out = String::from_utf8(p.into_inner()).unwrap();
        assert_eq!(out.matches('\r').count(), 2);
        assert!(out.ends_with(&render("q", 2, 3, BAR_WIDTH)));
    }
}
