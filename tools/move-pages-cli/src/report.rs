// SPDX-License-Identifier: GPL-2.0

//! Histograms of status slots, and the text and JSON reports.

use move_pages::Extensions;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Marks a status slot the kernel did not write (pages not attempted after a failed batch).
/// The kernel only writes node numbers and small negative errnos.
pub const UNWRITTEN: i32 = i32::MIN;

/// How many pages have each status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Pages per node.
    pub nodes: BTreeMap<i32, u64>,
    /// Pages per (positive) errno.
    pub errors: BTreeMap<i32, u64>,
    /// Slots left [`UNWRITTEN`].
    pub unwritten: u64,
}

impl Histogram {
    /// Counts one status slot.
    pub fn add(&mut self, status: i32) {
        if status == UNWRITTEN {
            self.unwritten += 1;
        } else if status >= 0 {
            *self.nodes.entry(status).or_default() += 1;
        } else {
            *self.errors.entry(-status).or_default() += 1;
        }
    }

    /// Counts every slot of `status`.
    pub fn add_all(&mut self, status: &[i32]) {
        status.iter().for_each(|&s| self.add(s));
    }

    /// Number of slots counted.
    pub fn total(&self) -> u64 {
        self.nodes.values().sum::<u64>() + self.errors.values().sum::<u64>() + self.unwritten
    }

    /// Number of slots with an error.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// The symbolic name of `errno`, if it is one this tool knows.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        6 => "ENXIO",
        7 => "E2BIG",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        19 => "ENODEV",
        22 => "EINVAL",
        25 => "ENOTTY",
        28 => "ENOSPC",
        95 => "EOPNOTSUPP",
        133 => "EHWPOISON",
        _ => return None,
    })
}

/// The name of `errno` for reports: `ENOENT`, or `errno 200` for one without a name here.
pub fn errno_key(errno: i32) -> String {
    errno_name(errno).map_or_else(|| format!("errno {errno}"), str::to_string)
}

/// What a status slot of `-errno` means, for the text report: `not present (-ENOENT)`.
pub fn status_label(errno: i32) -> String {
    let what = match errno {
        2 => "not present",
        14 => "unmapped, zero page or unmovable",
        13 => "shared with other processes",
        16 => "busy",
        12 => "out of memory",
        11 => "temporarily unavailable",
        133 => "hardware poisoned",
        5 => "I/O error",
        _ => "error",
    };
    match errno_name(errno) {
        Some(name) => format!("{what} (-{name})"),
        None => format!("{what} (-{errno})"),
    }
}

/// `bytes` in binary units with one decimal: `512 B`, `4.0 KiB`, `1.5 GiB`.
pub fn human_bytes(bytes: u128) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `n` pages with their size: `3 pages (12.0 KiB)`.
pub fn pages_with_size(n: u64, page_size: u64) -> String {
    let bytes = human_bytes(u128::from(n) * u128::from(page_size));
    format!("{n} {} ({bytes})", if n == 1 { "page" } else { "pages" })
}

/// The lines of a histogram: one per node, one per error, one for unwritten slots, and the
/// total, each indented by two spaces, with counts and percentages aligned.
pub fn histogram_text(h: &Histogram) -> String {
    let mut rows: Vec<(String, u64)> = Vec::new();
    rows.extend(h.nodes.iter().map(|(n, &c)| (format!("node {n}"), c)));
    rows.extend(h.errors.iter().map(|(&e, &c)| (status_label(e), c)));
    if h.unwritten > 0 {
        rows.push(("not attempted".to_string(), h.unwritten));
    }
    let total = h.total();
    let label_w = rows
        .iter()
        .map(|(l, _)| l.len())
        .chain(["total".len()])
        .max()
        .unwrap_or(0);
    let count_w = total.to_string().len();
    let mut out = String::new();
    for (label, count) in &rows {
        let pct = if total == 0 {
            0.0
        } else {
            *count as f64 * 100.0 / total as f64
        };
        let _ = writeln!(out, "  {label:<label_w$}  {count:>count_w$}  {pct:5.1}%");
    }
    let _ = writeln!(out, "  {:<label_w$}  {total:>count_w$}", "total");
    out
}

/// `s` as a JSON string, quoted and escaped.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON object of string keys and already-encoded values, in the given order.
pub fn json_object<K: AsRef<str>>(fields: impl IntoIterator<Item = (K, String)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(k.as_ref()));
        out.push(':');
        out.push_str(&v);
    }
    out.push('}');
    out
}

/// `{"0":n,...}` of the nodes of `h`.
fn json_nodes(h: &Histogram) -> String {
    json_object(h.nodes.iter().map(|(n, c)| (n.to_string(), c.to_string())))
}

/// `{"ENOENT":n,...}` of the errors of `h`.
fn json_errors(h: &Histogram) -> String {
    json_object(h.errors.iter().map(|(&e, c)| (errno_key(e), c.to_string())))
}

/// `{"nodes":{"0":n,...},"errors":{"ENOENT":n,...}}`.
pub fn json_histogram(h: &Histogram) -> String {
    json_object([("nodes", json_nodes(h)), ("errors", json_errors(h))])
}

/// The result of `move-pages query`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryReport {
    /// The process (its real pid, also for `--pid self`).
    pub pid: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages selected.
    pub pages: u64,
    /// Where they are.
    pub hist: Histogram,
}

impl QueryReport {
    /// The text report.
    pub fn text(&self) -> String {
        format!(
            "pid {}: {}\n{}",
            self.pid,
            pages_with_size(self.pages, self.page_size),
            histogram_text(&self.hist)
        )
    }

    /// `{"pid":P,"page_size":S,"pages":N,"nodes":{"0":n,...},"errors":{"ENOENT":n,...}}`.
    pub fn json(&self) -> String {
        json_object([
            ("pid", self.pid.to_string()),
            ("page_size", self.page_size.to_string()),
            ("pages", self.pages.to_string()),
            ("nodes", json_nodes(&self.hist)),
            ("errors", json_errors(&self.hist)),
        ])
    }
}

/// The result of `move-pages move`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveReport {
    /// The process (its real pid, also for `--pid self`).
    pub pid: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages selected.
    pub pages: u64,
    /// Target node.
    pub node: u32,
    /// `MPOL_MF_MOVE_ALL` rather than `MPOL_MF_MOVE`.
    pub all: bool,
    /// The module's extensions the moves used.
    pub ext: Extensions,
    /// Pages per call.
    pub batch: usize,
    /// Number of move calls.
    pub calls: u64,
    /// Where the pages were before.
    pub before: Histogram,
    /// The status slots of the move calls.
    pub result: Histogram,
    /// Where the pages are after.
    pub after: Histogram,
    /// Sum of the calls' return values: pages the kernel failed to migrate.
    pub not_migrated: u64,
}

impl MoveReport {
    /// `plain move_pages(2)`, or `extensions group_by_node+exact_status+parallel`.
    fn extensions_text(&self) -> String {
        let names = self.ext.names();
        if names.is_empty() {
            "plain move_pages(2)".to_string()
        } else {
            format!("extensions {}", names.join("+"))
        }
    }

    fn flags(&self) -> &'static str {
        if self.all {
            "MPOL_MF_MOVE_ALL"
        } else {
            "MPOL_MF_MOVE"
        }
    }

    /// The text report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "pid {}: {} to node {}, {}, {}, {} pages per call\nbefore:\n{}",
            self.pid,
            pages_with_size(self.pages, self.page_size),
            self.node,
            self.flags(),
            self.extensions_text(),
            self.batch,
            histogram_text(&self.before)
        );
        let _ = writeln!(
            out,
            "move: {} {}, {} not migrated",
            self.calls,
            if self.calls == 1 { "call" } else { "calls" },
            pages_with_size(self.not_migrated, self.page_size),
        );
        if self.result.failed() == 0 && self.result.unwritten == 0 {
            out.push_str("  no page failed\n");
        }
        for (&e, c) in &self.result.errors {
            let _ = writeln!(out, "  failed: {c} {}", status_label(e));
        }
        if self.result.unwritten > 0 {
            let _ = writeln!(
                out,
                "  not attempted: {} (after a failed migration in the same call)",
                self.result.unwritten
            );
        }
        let _ = write!(out, "after:\n{}", histogram_text(&self.after));
        out
    }

    /// `{"pid":P,"page_size":S,"pages":N,"node":T,"flags":"MPOL_MF_MOVE","extensions":[..],
    /// "batch":B,"calls":C,
    /// "before":{"nodes":{..},"errors":{..}},"after":{..},"not_migrated":n,
    /// "failed":{"EACCES":n,..},"not_attempted":n}`.
    pub fn json(&self) -> String {
        json_object([
            ("pid", self.pid.to_string()),
            ("page_size", self.page_size.to_string()),
            ("pages", self.pages.to_string()),
            ("node", self.node.to_string()),
            ("flags", json_string(self.flags())),
            (
                "extensions",
                format!(
                    "[{}]",
                    self.ext
                        .names()
                        .iter()
                        .map(|n| json_string(n))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
            ("batch", self.batch.to_string()),
            ("calls", self.calls.to_string()),
            ("before", json_histogram(&self.before)),
            ("after", json_histogram(&self.after)),
            ("not_migrated", self.not_migrated.to_string()),
            ("failed", json_errors(&self.result)),
            ("not_attempted", self.result.unwritten.to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(status: &[i32]) -> Histogram {
        let mut h = Histogram::default();
        h.add_all(status);
        h
    }

    #[test]
    fn histogram_counts_nodes_errors_and_unwritten() {
        let h = hist(&[0, 1, 1, -2, -14, -2, 0, UNWRITTEN, 3, -200]);
        assert_eq!(h.nodes, BTreeMap::from([(0, 2), (1, 2), (3, 1)]));
        assert_eq!(h.errors, BTreeMap::from([(2, 2), (14, 1), (200, 1)]));
        assert_eq!(h.unwritten, 1);
        assert_eq!(h.total(), 10);
        assert_eq!(h.failed(), 4);
        assert_eq!(Histogram::default().total(), 0);
    }

    #[test]
    fn errno_names_and_labels() {
        assert_eq!(errno_key(2), "ENOENT");
        assert_eq!(errno_key(14), "EFAULT");
        assert_eq!(errno_key(13), "EACCES");
        assert_eq!(errno_key(16), "EBUSY");
        assert_eq!(errno_key(200), "errno 200");
        assert_eq!(status_label(2), "not present (-ENOENT)");
        assert_eq!(
            status_label(14),
            "unmapped, zero page or unmovable (-EFAULT)"
        );
        assert_eq!(status_label(13), "shared with other processes (-EACCES)");
        assert_eq!(status_label(16), "busy (-EBUSY)");
        assert_eq!(status_label(22), "error (-EINVAL)");
        assert_eq!(status_label(200), "error (-200)");
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(4096 * 2560), "10.0 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
        assert_eq!(human_bytes(u128::from(u64::MAX) * 4096), "65536.0 EiB");
        assert_eq!(pages_with_size(1, 4096), "1 page (4.0 KiB)");
        assert_eq!(pages_with_size(0, 4096), "0 pages (0 B)");
    }

    #[test]
    fn histogram_text_is_aligned() {
        let h = hist(&[[0; 8].as_slice(), &[1; 90], &[-2; 2]].concat());
        assert_eq!(
            histogram_text(&h),
            "  node 0                   8    8.0%\n\
             \x20 node 1                  90   90.0%\n\
             \x20 not present (-ENOENT)    2    2.0%\n\
             \x20 total                  100\n"
        );
    }

    #[test]
    fn histogram_text_of_nothing() {
        assert_eq!(histogram_text(&Histogram::default()), "  total  0\n");
        assert_eq!(
            histogram_text(&hist(&[UNWRITTEN])),
            "  not attempted  1  100.0%\n  total          1\n"
        );
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("plain"), "\"plain\"");
        assert_eq!(json_string(""), "\"\"");
        assert_eq!(json_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_string("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(json_string("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
        assert_eq!(json_string("/tmp/é ü\u{2028}"), "\"/tmp/é ü\\u2028\"");
        assert_eq!(json_string("[anon:x]"), "\"[anon:x]\"");
    }

    #[test]
    fn json_objects() {
        assert_eq!(json_object(Vec::<(&str, String)>::new()), "{}");
        assert_eq!(
            json_object([("a\"", "1".to_string()), ("b", "[]".to_string())]),
            r#"{"a\"":1,"b":[]}"#
        );
        assert_eq!(
            json_histogram(&hist(&[1, 0, -2, -200, 1])),
            r#"{"nodes":{"0":1,"1":2},"errors":{"ENOENT":1,"errno 200":1}}"#
        );
    }

    #[test]
    fn query_report() {
        let r = QueryReport {
            pid: 1234,
            page_size: 4096,
            pages: 2560,
            hist: hist(&[[0; 2048].as_slice(), &[1; 256], &[-2; 255], &[-14]].concat()),
        };
        assert_eq!(
            r.json(),
            r#"{"pid":1234,"page_size":4096,"pages":2560,"nodes":{"0":2048,"1":256},"errors":{"ENOENT":255,"EFAULT":1}}"#
        );
        assert_eq!(
            r.text(),
            "pid 1234: 2560 pages (10.0 MiB)\n\
             \x20 node 0                                      2048   80.0%\n\
             \x20 node 1                                       256   10.0%\n\
             \x20 not present (-ENOENT)                        255   10.0%\n\
             \x20 unmapped, zero page or unmovable (-EFAULT)     1    0.0%\n\
             \x20 total                                       2560\n"
        );
    }

    fn move_report() -> MoveReport {
        MoveReport {
            pid: 77,
            page_size: 4096,
            pages: 10,
            node: 1,
            all: false,
            ext: Extensions::PLAIN,
            batch: 4,
            calls: 3,
            before: hist(&[0, 0, 0, 0, 0, 0, 0, 0, -2, -2]),
            result: hist(&[1, 1, 1, 1, 1, 1, -13, UNWRITTEN, -2, -2]),
            after: hist(&[1, 1, 1, 1, 1, 1, 0, 0, -2, -2]),
            not_migrated: 1,
        }
    }

    #[test]
    fn move_report_json() {
        assert_eq!(
            move_report().json(),
            "{\"pid\":77,\"page_size\":4096,\"pages\":10,\"node\":1,\"flags\":\"MPOL_MF_MOVE\",\
             \"extensions\":[],\"batch\":4,\"calls\":3,\
             \"before\":{\"nodes\":{\"0\":8},\"errors\":{\"ENOENT\":2}},\
             \"after\":{\"nodes\":{\"0\":2,\"1\":6},\"errors\":{\"ENOENT\":2}},\
             \"not_migrated\":1,\"failed\":{\"ENOENT\":2,\"EACCES\":1},\"not_attempted\":1}"
        );
        let all = MoveReport {
            all: true,
            ..move_report()
        };
        assert!(all.json().contains(r#""flags":"MPOL_MF_MOVE_ALL""#));
        let fastest = MoveReport {
            ext: Extensions::FASTEST,
            ..move_report()
        };
        assert!(fastest
            .json()
            .contains(r#""extensions":["group_by_node","exact_status","parallel"]"#));
        assert!(fastest
            .text()
            .contains("MPOL_MF_MOVE, extensions group_by_node+exact_status+parallel, 4 pages"));
    }

    #[test]
    fn move_report_text() {
        assert_eq!(
            move_report().text(),
            "pid 77: 10 pages (40.0 KiB) to node 1, MPOL_MF_MOVE, plain move_pages(2), \
             4 pages per call\n\
             before:\n\
             \x20 node 0                  8   80.0%\n\
             \x20 not present (-ENOENT)   2   20.0%\n\
             \x20 total                  10\n\
             move: 3 calls, 1 page (4.0 KiB) not migrated\n\
             \x20 failed: 2 not present (-ENOENT)\n\
             \x20 failed: 1 shared with other processes (-EACCES)\n\
             \x20 not attempted: 1 (after a failed migration in the same call)\n\
             after:\n\
             \x20 node 0                  2   20.0%\n\
             \x20 node 1                  6   60.0%\n\
             \x20 not present (-ENOENT)   2   20.0%\n\
             \x20 total                  10\n"
        );
        let clean = MoveReport {
            calls: 1,
            result: hist(&[1; 10]),
            not_migrated: 0,
            ..move_report()
        };
        assert!(clean
            .text()
            .contains("move: 1 call, 0 pages (0 B) not migrated\n  no page failed\n"));
    }
}
