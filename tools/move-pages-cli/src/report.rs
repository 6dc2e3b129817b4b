// SPDX-License-Identifier: GPL-2.0

//! Status histograms and the commands' reports, as text and as JSON (`serde`).

use comfy_table::{presets, CellAlignment, Table};
use indicatif::HumanBytes;
use nix::errno::Errno;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What a status slot holds before the kernel writes it: no node and no `-errno` is this value.
pub const UNWRITTEN: i32 = i32::MIN;

/// Counts of the statuses of some pages: per node, per error, and slots left unwritten.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Histogram {
    /// Pages per node.
    #[serde(serialize_with = "nodes_by_number")]
    pub nodes: BTreeMap<i32, u64>,
    /// Pages per errno (positive), keyed by name in JSON.
    #[serde(serialize_with = "errors_by_name")]
    pub errors: BTreeMap<i32, u64>,
    /// Status slots the kernel left as they were.
    #[serde(skip)]
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

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Self) {
        for (&n, &c) in &other.nodes {
            *self.nodes.entry(n).or_default() += c;
        }
        for (&e, &c) in &other.errors {
            *self.errors.entry(e).or_default() += c;
        }
        self.unwritten += other.unwritten;
    }

    /// All slots counted.
    pub fn total(&self) -> u64 {
        self.nodes.values().sum::<u64>() + self.errors.values().sum::<u64>() + self.unwritten
    }

    /// Slots holding an error.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }
}

fn nodes_by_number<S: Serializer>(nodes: &BTreeMap<i32, u64>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(nodes.iter().map(|(n, c)| (n.to_string(), c)))
}

fn errors_by_name<S: Serializer>(errors: &BTreeMap<i32, u64>, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(errors.len()))?;
    for (&e, c) in errors {
        map.serialize_entry(&errno_key(e), c)?;
    }
    map.end()
}

/// The name of errno `errno` (`ENOENT`), if the C library has one.
pub fn errno_name(errno: i32) -> Option<String> {
    match Errno::from_raw(errno) {
        Errno::UnknownErrno => None,
        e => Some(format!("{e:?}")),
    }
}

/// The JSON key of an errno: its name, or `errno N`.
pub fn errno_key(errno: i32) -> String {
    errno_name(errno).unwrap_or_else(|| format!("errno {errno}"))
}

/// What a negative status means for a page, with its errno: `not present (-ENOENT)`.
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

/// `N pages (SIZE)`.
pub fn pages_with_size(n: u64, page_size: u64) -> String {
    let bytes = HumanBytes(n.saturating_mul(page_size));
    format!("{n} {} ({bytes})", if n == 1 { "page" } else { "pages" })
}

/// The histogram as indented, aligned rows with percentages, and a total.
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

/// `move-pages query`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QueryReport {
    /// The process (its real pid, also for `--pid self`).
    pub pid: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages selected.
    pub pages: u64,
    /// Where they are.
    #[serde(flatten)]
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
}

/// Where a move sends pages: one node for all, or node to node (`--from`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every selected page to this node.
    All(u32),
    /// Pages on `from[i]` to `to[i]`; pages on other nodes stay.
    Map {
        /// The source nodes.
        from: Vec<u32>,
        /// Their destinations.
        to: Vec<u32>,
    },
}

impl Default for Target {
    fn default() -> Self {
        Self::All(0)
    }
}

impl Target {
    /// The node a page on `node` goes to, if it moves at all.
    pub fn destination(&self, node: i32) -> Option<u32> {
        let node = u32::try_from(node).ok()?;
        match self {
            Self::All(to) => Some(*to),
            Self::Map { from, to } => from.iter().position(|&f| f == node).map(|i| to[i]),
        }
    }

    fn text(&self) -> String {
        match self {
            Self::All(to) => format!("to node {to}"),
            Self::Map { from, to } => {
                let pairs: Vec<String> = from
                    .iter()
                    .zip(to)
                    .map(|(f, t)| format!("{f}->{t}"))
                    .collect();
                format!("from node to node {}", pairs.join(","))
            }
        }
    }
}

/// `move-pages move`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MoveReport {
    /// The process, its pages and where they go.
    #[serde(flatten)]
    pub moving: Moving,
    /// `MPOL_MF_MOVE` or `MPOL_MF_MOVE_ALL`.
    pub flags: &'static str,
    /// The module's extensions used (none: plain `move_pages(2)`).
    pub extensions: Vec<&'static str>,
    /// Pages per ioctl call.
    pub batch: usize,
    /// Move calls made.
    pub calls: u64,
    /// Where the pages were.
    pub before: Histogram,
    /// Where they are.
    pub after: Histogram,
    /// Sum of the move calls' return values.
    pub not_migrated: u64,
    /// The error statuses the move calls wrote.
    #[serde(serialize_with = "errors_by_name")]
    pub failed: BTreeMap<i32, u64>,
    /// Status slots the move calls left unwritten.
    pub not_attempted: u64,
    /// Statuses of the move calls (text report only).
    #[serde(skip)]
    pub result: Histogram,
}

/// `MPOL_MF_MOVE_ALL` or `MPOL_MF_MOVE`.
pub fn flags_name(all: bool) -> &'static str {
    if all {
        "MPOL_MF_MOVE_ALL"
    } else {
        "MPOL_MF_MOVE"
    }
}

/// What a move or its plan is about: the process, its pages, their destinations (the report's
/// first fields).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Moving {
    /// The process.
    pub pid: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages selected.
    pub pages: u64,
    /// The destination of every page (without `--from`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<u32>,
    /// `--from` nodes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Vec<u32>>,
    /// `--to` nodes, with `--from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<u32>>,
    /// The destinations (text only; JSON has `node`, or `from` and `to`).
    #[serde(skip)]
    pub target: Target,
}

impl Moving {
    /// The fields for `pages` pages of process `pid` going to `target`.
    pub fn new(pid: u32, page_size: u64, pages: u64, target: &Target) -> Self {
        let (node, from, to) = match target {
            Target::All(n) => (Some(*n), None, None),
            Target::Map { from, to } => (None, Some(from.clone()), Some(to.clone())),
        };
        Self {
            pid,
            page_size,
            pages,
            node,
            from,
            to,
            target: target.clone(),
        }
    }

    /// `pid P: N pages (SIZE) to node T`.
    fn text(&self) -> String {
        format!(
            "pid {}: {} {}",
            self.pid,
            pages_with_size(self.pages, self.page_size),
            self.target.text()
        )
    }
}

fn extensions_text(names: &[&str]) -> String {
    if names.is_empty() {
        "plain move_pages(2)".to_string()
    } else {
        format!("extensions {}", names.join("+"))
    }
}

impl MoveReport {
    /// The text report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{}, {}, {}, {} pages per call\nbefore:\n{}",
            self.moving.text(),
            self.flags,
            extensions_text(&self.extensions),
            self.batch,
            histogram_text(&self.before)
        );
        let _ = writeln!(
            out,
            "move: {} {}, {} not migrated",
            self.calls,
            if self.calls == 1 { "call" } else { "calls" },
            pages_with_size(self.not_migrated, self.moving.page_size),
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
}

/// Pages that would move from one node to another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Where they are.
    pub from: i32,
    /// Where they would go.
    pub to: u32,
    /// How many.
    pub pages: u64,
}

/// `move-pages move --dry-run`: where the pages are and what a move would do, nothing moved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PlanReport {
    /// The process, its pages and where they go.
    #[serde(flatten)]
    pub moving: Moving,
    /// Always true: nothing was moved.
    pub dry_run: bool,
    /// Where the pages are.
    pub before: Histogram,
    /// Pages that would change node, per source and destination.
    pub moves: Vec<Step>,
    /// Pages that would be passed to the call and are already on their destination.
    pub in_place: u64,
    /// Pages that would not be moved: on no node of `--from`, or not present.
    pub stay: u64,
}

impl PlanReport {
    /// The plan for pages distributed as `before`.
    pub fn plan(before: &Histogram, target: &Target) -> (Vec<Step>, u64, u64) {
        let mut moves = Vec::new();
        let (mut in_place, mut stay) = (0, before.failed() + before.unwritten);
        for (&node, &pages) in &before.nodes {
            match target.destination(node) {
                Some(to) if i64::from(to) == i64::from(node) => in_place += pages,
                Some(to) => moves.push(Step {
                    from: node,
                    to,
                    pages,
                }),
                None => stay += pages,
            }
        }
        (moves, in_place, stay)
    }

    /// The text report.
    pub fn text(&self) -> String {
        let mut out = format!(
            "{} (dry run: nothing moved)\nnow:\n{}",
            self.moving.text(),
            histogram_text(&self.before)
        );
        let moving: u64 = self.moves.iter().map(|s| s.pages).sum();
        let _ = writeln!(
            out,
            "would move {}",
            pages_with_size(moving, self.moving.page_size)
        );
        for s in &self.moves {
            let _ = writeln!(out, "  node {} -> node {}  {}", s.from, s.to, s.pages);
        }
        let _ = writeln!(out, "already on their node: {}", self.in_place);
        let _ = writeln!(out, "left where they are: {}", self.stay);
        out
    }
}

/// One mapping's row of `move-pages show`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MappingRow {
    /// First address, `0x` hexadecimal.
    pub start: String,
    /// Address past its end.
    pub end: String,
    /// `rw-p` and so on.
    pub perms: String,
    /// As in `/proc/PID/maps`; empty for anonymous memory.
    pub name: String,
    /// Its pages.
    pub pages: u64,
    /// Where they are.
    #[serde(flatten)]
    pub hist: Histogram,
}

/// `move-pages show`: per mapping, per node, like `numastat -p` with the mappings of
/// `/proc/PID/numa_maps` as rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ShowReport {
    /// The process.
    pub pid: u32,
    /// Bytes per page.
    pub page_size: u64,
    /// One row per mapping, in address order.
    pub mappings: Vec<MappingRow>,
    /// The sums.
    pub total: Histogram,
}

impl ShowReport {
    /// The text table: a column per node, one for pages not present or failing, the total.
    pub fn text(&self, nodes: &BTreeSet<i32>) -> String {
        let mut cols: BTreeSet<i32> = nodes.clone();
        cols.extend(self.total.nodes.keys());
        let mut table = Table::new();
        table.load_style(presets::NOTHING);
        let mut header = vec!["address".to_string(), "perms".to_string()];
        header.extend(cols.iter().map(|n| format!("node {n}")));
        header.extend(["other".into(), "total".into(), "mapping".into()]);
        table.set_header(header);
        let row = |start: &str, perms: &str, h: &Histogram, name: &str| {
            let mut r = vec![start.to_string(), perms.to_string()];
            r.extend(
                cols.iter()
                    .map(|n| h.nodes.get(n).copied().unwrap_or(0).to_string()),
            );
            r.push((h.failed() + h.unwritten).to_string());
            r.push(h.total().to_string());
            r.push(name.to_string());
            r
        };
        for m in &self.mappings {
            table.add_row(row(&m.start, &m.perms, &m.hist, &m.name));
        }
        table.add_row(row("total", "", &self.total, ""));
        for i in 2..cols.len() + 4 {
            if let Some(c) = table.column_mut(i) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        let mut out = format!(
            "pid {}: {} in {} mappings, pages per node (other: not present, zero page or \
             unmovable)\n",
            self.pid,
            pages_with_size(self.total.total(), self.page_size),
            self.mappings.len()
        );
        for line in table.to_string().lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use move_pages::Extensions;

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
        let mut m = hist(&[0, -2]);
        m.merge(&h);
        assert_eq!(m.total(), 12);
        assert_eq!(m.nodes[&0], 3);
        assert_eq!(m.errors[&2], 3);
    }

    #[test]
    fn errno_names_and_labels() {
        assert_eq!(errno_key(2), "ENOENT");
        assert_eq!(errno_key(14), "EFAULT");
        assert_eq!(errno_key(13), "EACCES");
        assert_eq!(errno_key(16), "EBUSY");
        assert_eq!(errno_key(133), "EHWPOISON");
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
    fn sizes() {
        assert_eq!(pages_with_size(1, 4096), "1 page (4.00 KiB)");
        assert_eq!(pages_with_size(0, 4096), "0 pages (0 B)");
        assert_eq!(pages_with_size(2560, 4096), "2560 pages (10.00 MiB)");
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
        assert_eq!(histogram_text(&Histogram::default()), "  total  0\n");
        assert_eq!(
            histogram_text(&hist(&[UNWRITTEN])),
            "  not attempted  1  100.0%\n  total          1\n"
        );
    }

    #[test]
    fn query_report() {
        let r = QueryReport {
            pid: 1234,
            page_size: 4096,
            pages: 2560,
            hist: hist(&[[0; 2048].as_slice(), &[1; 256], &[-2; 255], &[-14], &[-200]].concat()),
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"pid":1234,"page_size":4096,"pages":2560,"nodes":{"0":2048,"1":256},"errors":{"ENOENT":255,"EFAULT":1,"errno 200":1}}"#
        );
        assert!(r.text().starts_with(
            "pid 1234: 2560 pages (10.00 MiB)\n\
             \x20 node 0                                      2048   80.0%\n"
        ));
    }

    fn move_report() -> MoveReport {
        let result = hist(&[1, 1, 1, 1, 1, 1, -13, UNWRITTEN, -2, -2]);
        MoveReport {
            moving: Moving::new(77, 4096, 10, &Target::All(1)),
            flags: flags_name(false),
            batch: 4,
            calls: 3,
            before: hist(&[0, 0, 0, 0, 0, 0, 0, 0, -2, -2]),
            after: hist(&[1, 1, 1, 1, 1, 1, 0, 0, -2, -2]),
            not_migrated: 1,
            failed: result.errors.clone(),
            not_attempted: result.unwritten,
            result,
            ..MoveReport::default()
        }
    }

    #[test]
    fn move_report_json() {
        assert_eq!(
            serde_json::to_string(&move_report()).unwrap(),
            "{\"pid\":77,\"page_size\":4096,\"pages\":10,\"node\":1,\"flags\":\"MPOL_MF_MOVE\",\
             \"extensions\":[],\"batch\":4,\"calls\":3,\
             \"before\":{\"nodes\":{\"0\":8},\"errors\":{\"ENOENT\":2}},\
             \"after\":{\"nodes\":{\"0\":2,\"1\":6},\"errors\":{\"ENOENT\":2}},\
             \"not_migrated\":1,\"failed\":{\"ENOENT\":2,\"EACCES\":1},\"not_attempted\":1}"
        );
        let target = Target::Map {
            from: vec![0, 2],
            to: vec![1, 1],
        };
        let map = MoveReport {
            moving: Moving::new(77, 4096, 10, &target),
            extensions: Extensions::FASTEST.names(),
            ..move_report()
        };
        let json = serde_json::to_string(&map).unwrap();
        assert!(json.contains(
            "\"pages\":10,\"from\":[0,2],\"to\":[1,1],\"flags\":\"MPOL_MF_MOVE\",\
             \"extensions\":[\"group_by_node\",\"exact_status\",\"parallel\"]"
        ));
    }

    #[test]
    fn move_report_text() {
        assert_eq!(
            move_report().text(),
            "pid 77: 10 pages (40.00 KiB) to node 1, MPOL_MF_MOVE, plain move_pages(2), \
             4 pages per call\n\
             before:\n\
             \x20 node 0                  8   80.0%\n\
             \x20 not present (-ENOENT)   2   20.0%\n\
             \x20 total                  10\n\
             move: 3 calls, 1 page (4.00 KiB) not migrated\n\
             \x20 failed: 2 not present (-ENOENT)\n\
             \x20 failed: 1 shared with other processes (-EACCES)\n\
             \x20 not attempted: 1 (after a failed migration in the same call)\n\
             after:\n\
             \x20 node 0                  2   20.0%\n\
             \x20 node 1                  6   60.0%\n\
             \x20 not present (-ENOENT)   2   20.0%\n\
             \x20 total                  10\n"
        );
    }

    #[test]
    fn targets_and_plans() {
        let all = Target::All(1);
        assert_eq!(all.destination(0), Some(1));
        assert_eq!(all.destination(-2), None);
        let map = Target::Map {
            from: vec![0, 2],
            to: vec![1, 3],
        };
        assert_eq!(map.destination(0), Some(1));
        assert_eq!(map.destination(2), Some(3));
        assert_eq!(map.destination(1), None);
        let before = hist(&[0, 0, 0, 1, 2, -2, UNWRITTEN]);
        let (moves, in_place, stay) = PlanReport::plan(&before, &all);
        assert_eq!(
            moves,
            vec![
                Step {
                    from: 0,
                    to: 1,
                    pages: 3
                },
                Step {
                    from: 2,
                    to: 1,
                    pages: 1
                }
            ]
        );
        assert_eq!((in_place, stay), (1, 2));
        let (moves, in_place, stay) = PlanReport::plan(&before, &map);
        assert_eq!(moves.len(), 2);
        assert_eq!(moves[1].to, 3);
        assert_eq!((in_place, stay), (0, 3));
    }

    #[test]
    fn show_table_has_a_column_per_node() {
        let r = ShowReport {
            pid: 5,
            page_size: 4096,
            mappings: vec![MappingRow {
                start: "0x1000".into(),
                end: "0x5000".into(),
                perms: "rw-p".into(),
                name: "[heap]".into(),
                pages: 4,
                hist: hist(&[0, 1, 1, -2]),
            }],
            total: hist(&[0, 1, 1, -2]),
        };
        let text = r.text(&BTreeSet::from([0, 1, 2]));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("pid 5: 4 pages (16.00 KiB) in 1 mappings"));
        let cells = |l: &str| l.split_whitespace().map(String::from).collect::<Vec<_>>();
        assert_eq!(
            cells(lines[1]),
            [
                "address", "perms", "node", "0", "node", "1", "node", "2", "other", "total",
                "mapping"
            ]
        );
        assert_eq!(
            cells(lines[2]),
            ["0x1000", "rw-p", "1", "2", "0", "1", "4", "[heap]"]
        );
        assert_eq!(cells(lines[3]), ["total", "1", "2", "0", "1", "4"]);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            json,
            "{\"pid\":5,\"page_size\":4096,\"mappings\":[{\"start\":\"0x1000\",\"end\":\"0x5000\",\
             \"perms\":\"rw-p\",\"name\":\"[heap]\",\"pages\":4,\"nodes\":{\"0\":1,\"1\":2},\
             \"errors\":{\"ENOENT\":1}}],\"total\":{\"nodes\":{\"0\":1,\"1\":2},\
             \"errors\":{\"ENOENT\":1}}}"
        );
    }
}
