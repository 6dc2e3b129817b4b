// SPDX-License-Identifier: GPL-2.0

//! The commands: the target process and its pages, the passes of ioctl calls over them (with a
//! progress bar), and `main`, which maps errors to messages and exit statuses.

use crate::cli::{self, Cli, Command, Common, Pid};
use crate::error::{Error, Request};
use crate::nodes::{check_allowed, check_node, with_memory, SYSFS_NODES};
use crate::report::{
    flags_name, Histogram, MappingRow, MoveReport, Moving, PlanReport, QueryReport, ShowReport,
    Target, UNWRITTEN,
};
use crate::select::{self, Selection};
use anyhow::{anyhow, Result};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use move_pages::{Device, Extensions, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL};
use nix::errno::Errno;
use nix::unistd::{sysconf, SysconfVar};
use procfs::process::{MemoryMap, Process};
use serde::Serialize;
use std::collections::BTreeSet;
use std::ffi::{c_int, c_void, OsString};
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The page size (4096 if `sysconf()` does not say).
pub fn page_size() -> u64 {
    match sysconf(SysconfVar::PAGE_SIZE) {
        Ok(Some(n)) if n > 0 && (n as u64).is_power_of_two() => n as u64,
        _ => 4096,
    }
}

/// The kernel interface, `Device` in the command, a fake in tests.
pub trait Backend {
    /// `move_pages(2)` with the module's extensions.
    fn move_pages(
        &self,
        pid: i32,
        pages: &[*mut c_void],
        nodes: Option<&[c_int]>,
        status: &mut [c_int],
        flags: c_int,
        ext: Extensions,
    ) -> io::Result<usize>;
}

impl Backend for Device {
    fn move_pages(
        &self,
        pid: i32,
        pages: &[*mut c_void],
        nodes: Option<&[c_int]>,
        status: &mut [c_int],
        flags: c_int,
        ext: Extensions,
    ) -> io::Result<usize> {
        Device::move_pages_ext(self, pid, pages, nodes, status, flags, ext)
    }
}

/// Progress bar behaviour: `None` hidden, `Some(delay)` shown once a pass has lasted `delay`.
pub fn progress_delay(flag: Option<bool>, json: bool, stderr_is_tty: bool) -> Option<Duration> {
    match flag {
        Some(true) => Some(Duration::ZERO),
        Some(false) => None,
        None => (stderr_is_tty && !json).then_some(Duration::from_millis(500)),
    }
}

/// A pass's progress bar on stderr, drawn once the pass has lasted its delay.
struct Bar {
    bar: ProgressBar,
    delay: Option<Duration>,
    start: Instant,
    shown: bool,
}

impl Bar {
    fn new(label: &str, total: u64, delay: Option<Duration>) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{prefix:<6} [{bar:30}] {percent:>3}%  {pos}/{len} pages")
        {
            bar.set_style(style.progress_chars("#>."));
        }
        bar.set_prefix(label.to_string());
        let mut b = Self {
            bar,
            delay,
            start: Instant::now(),
            shown: false,
        };
        b.show_if_due();
        b
    }

    fn show_if_due(&mut self) {
        if !self.shown && self.delay.is_some_and(|d| self.start.elapsed() >= d) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.shown = true;
        }
    }

    fn advance(&mut self, n: u64) {
        self.bar.inc(n);
        self.show_if_due();
    }

    fn done(&self) -> u64 {
        self.bar.position()
    }

    fn finish(&self) {
        if self.shown {
            self.bar.finish();
        }
    }
}

/// What the ioctl calls of a pass do.
#[derive(Clone, Copy, Debug)]
enum Pass<'a> {
    /// `nodes == NULL`.
    Query,
    /// Every page to its target's destination; with `--from`, a query of each batch first
    /// picks the pages to move.
    Move(&'a Target, c_int),
}

/// The statuses a pass collected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// The statuses of the calls (of the moves, for a move pass).
    pub hist: Histogram,
    /// Move calls made (all calls, for a query).
    pub calls: u64,
    /// Sum of the calls' return values.
    pub not_migrated: u64,
}

/// A call that failed as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanError {
    /// Its errno.
    pub errno: Errno,
    /// Pages done before it.
    pub done: u64,
}

/// The pages of one process and how to walk them.
#[derive(Clone, Debug)]
pub struct Job {
    /// The pid passed to the kernel (0 for the caller).
    pub kernel_pid: i32,
    /// The real pid, for reports.
    pub pid: u32,
    /// The pages.
    pub selection: Selection,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages per call.
    pub batch: usize,
    /// The progress bar's delay, `None` for no bar.
    pub progress: Option<Duration>,
    /// The extensions of the move calls.
    pub ext: Extensions,
}

impl Job {
    /// Pages selected.
    pub fn pages(&self) -> u64 {
        self.selection.pages()
    }

    fn scan<B: Backend + ?Sized>(
        &self,
        backend: &B,
        label: &str,
        pass: Pass,
    ) -> Result<Scan, ScanError> {
        let mut bar = Bar::new(label, self.pages(), self.progress);
        let r = self.scan_with(backend, &self.selection, pass, &mut bar);
        bar.finish();
        r
    }

    fn scan_with<B: Backend + ?Sized>(
        &self,
        backend: &B,
        selection: &Selection,
        pass: Pass,
        bar: &mut Bar,
    ) -> Result<Scan, ScanError> {
        let batch = self.batch.max(1);
        let cap = usize::try_from(selection.pages()).map_or(batch, |p| p.min(batch));
        let mut pages: Vec<*mut c_void> = Vec::with_capacity(cap);
        let mut moving: Vec<*mut c_void> = Vec::with_capacity(cap);
        let mut nodes: Vec<c_int> = Vec::with_capacity(cap);
        let mut status: Vec<c_int> = vec![UNWRITTEN; cap];
        let mut addrs = selection.addresses();
        let mut scan = Scan::default();
        let fail = |e: io::Error, bar: &Bar| ScanError {
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32)),
            done: bar.done(),
        };
        loop {
            pages.clear();
            pages.extend(
                addrs
                    .by_ref()
                    .take(batch)
                    .map(|a| a as usize as *mut c_void),
            );
            let n = pages.len();
            if n == 0 {
                return Ok(scan);
            }
            status[..n].fill(UNWRITTEN);
            match pass {
                Pass::Query => {
                    let r = self.query_into(backend, &pages, &mut status[..n]);
                    let not = r.map_err(|e| fail(e, bar))?;
                    scan.calls += 1;
                    scan.not_migrated += not as u64;
                    scan.hist.add_all(&status[..n]);
                }
                Pass::Move(target, flags) => {
                    moving.clear();
                    nodes.clear();
                    if let Target::All(to) = target {
                        moving.extend_from_slice(&pages);
                        nodes.resize(n, *to as c_int);
                    } else {
                        let r = self.query_into(backend, &pages, &mut status[..n]);
                        r.map_err(|e| fail(e, bar))?;
                        for (&page, &s) in pages.iter().zip(&status[..n]) {
                            if let Some(to) = target.destination(s) {
                                moving.push(page);
                                nodes.push(to as c_int);
                            }
                        }
                    }
                    let m = moving.len();
                    if m > 0 {
                        status[..m].fill(UNWRITTEN);
                        let r = backend.move_pages(
                            self.kernel_pid,
                            &moving,
                            Some(&nodes),
                            &mut status[..m],
                            flags,
                            self.ext,
                        );
                        let not = r.map_err(|e| fail(e, bar))?;
                        scan.calls += 1;
                        scan.not_migrated += not as u64;
                        scan.hist.add_all(&status[..m]);
                    }
                }
            }
            bar.advance(n as u64);
        }
    }

    /// The report's fields for a move of the pages to `target`.
    fn moving(&self, target: &Target) -> Moving {
        Moving::new(self.pid, self.page_size, self.pages(), target)
    }

    /// One query call: the nodes of `pages` into `status`.
    fn query_into<B: Backend + ?Sized>(
        &self,
        backend: &B,
        pages: &[*mut c_void],
        status: &mut [c_int],
    ) -> io::Result<usize> {
        backend.move_pages(self.kernel_pid, pages, None, status, 0, Extensions::PLAIN)
    }

    fn request(&self, target: Option<&Target>, all: bool) -> Request {
        Request {
            pid: self.pid,
            node: match target {
                Some(Target::All(n)) => Some(*n),
                _ => None,
            },
            all,
        }
    }

    /// Where the pages are.
    pub fn query<B: Backend + ?Sized>(&self, backend: &B) -> Result<QueryReport> {
        let scan = self
            .scan(backend, "query", Pass::Query)
            .map_err(|e| Error::request(e.errno, self.request(None, false)))?;
        Ok(QueryReport {
            pid: self.pid,
            page_size: self.page_size,
            pages: self.pages(),
            hist: scan.hist,
        })
    }

    /// Where the pages are, and what a move to `target` would do.
    pub fn plan<B: Backend + ?Sized>(&self, backend: &B, target: &Target) -> Result<PlanReport> {
        let before = self
            .scan(backend, "query", Pass::Query)
            .map_err(|e| Error::request(e.errno, self.request(None, false)))?
            .hist;
        let (moves, in_place, stay) = PlanReport::plan(&before, target);
        Ok(PlanReport {
            moving: self.moving(target),
            dry_run: true,
            before,
            moves,
            in_place,
            stay,
        })
    }

    /// Moves the pages to `target`, with a query before and after.
    pub fn move_to<B: Backend + ?Sized>(
        &self,
        backend: &B,
        target: &Target,
        all: bool,
    ) -> Result<MoveReport> {
        let req = self.request(Some(target), all);
        let query_err = |e: ScanError| Error::request(e.errno, req);
        let before = self
            .scan(backend, "before", Pass::Query)
            .map_err(query_err)?;
        let flags = if all { MPOL_MF_MOVE_ALL } else { MPOL_MF_MOVE };
        let moved = self
            .scan(backend, "move", Pass::Move(target, flags))
            .map_err(|e| {
                let err = Error::request(e.errno, req);
                if e.done > 0 {
                    anyhow!("{err}\n(after {} of {} pages)", e.done, self.pages())
                } else {
                    err.into()
                }
            })?;
        let after = self
            .scan(backend, "after", Pass::Query)
            .map_err(query_err)?;
        Ok(MoveReport {
            moving: self.moving(target),
            flags: flags_name(all),
            extensions: self.ext.names(),
            batch: self.batch,
            calls: moved.calls,
            before: before.hist,
            after: after.hist,
            not_migrated: moved.not_migrated,
            failed: moved.hist.errors.clone(),
            not_attempted: moved.hist.unwritten,
            result: moved.hist,
        })
    }

    /// Where the pages of each mapping are.
    pub fn show<B: Backend + ?Sized>(
        &self,
        backend: &B,
        maps: &[&MemoryMap],
    ) -> Result<ShowReport> {
        let total_pages = maps
            .iter()
            .map(|m| (m.address.1 - m.address.0) / self.page_size)
            .sum();
        let mut bar = Bar::new("show", total_pages, self.progress);
        let mut report = ShowReport {
            pid: self.pid,
            page_size: self.page_size,
            ..ShowReport::default()
        };
        for m in maps {
            let Some(sel) = Selection::from_ranges(
                std::slice::from_ref(&(m.address.0..m.address.1)),
                self.page_size,
            ) else {
                continue;
            };
            let scan = self
                .scan_with(backend, &sel, Pass::Query, &mut bar)
                .map_err(|e| Error::request(e.errno, self.request(None, false)))?;
            report.total.merge(&scan.hist);
            report.mappings.push(MappingRow {
                start: format!("{:#x}", m.address.0),
                end: format!("{:#x}", m.address.1),
                perms: select::perms(m),
                name: select::name(m),
                pages: sel.pages(),
                hist: scan.hist,
            });
        }
        bar.finish();
        Ok(report)
    }
}

/// The target process: its `/proc` entry and the pid the kernel is given.
struct Proc {
    proc: Process,
    kernel_pid: i32,
    pid: u32,
}

impl Proc {
    fn new(pid: Pid) -> Result<Self, Error> {
        let (proc, kernel_pid, pid) = match pid {
            Pid::Caller => (Process::myself(), 0, std::process::id()),
            Pid::Pid(n) => (Process::new(n as i32), n as i32, n),
        };
        let proc = proc.map_err(|e| Error::proc(&e, pid, &format!("/proc/{pid}")))?;
        Ok(Self {
            proc,
            kernel_pid,
            pid,
        })
    }

    fn maps(&self) -> Result<Vec<MemoryMap>, Error> {
        let maps = self.proc.maps();
        maps.map(|m| m.0)
            .map_err(|e| Error::proc(&e, self.pid, &format!("/proc/{}/maps", self.pid)))
    }

    /// The process's `Mems_allowed_list`, if it can be read.
    fn mems_allowed(&self) -> Option<Vec<(u32, u32)>> {
        self.proc.status().ok()?.mems_allowed_list
    }
}

fn job(c: &Common, proc: &Proc, selection: Selection, ext: Extensions) -> Job {
    Job {
        kernel_pid: proc.kernel_pid,
        pid: proc.pid,
        selection,
        page_size: page_size(),
        batch: c.batch,
        progress: progress_delay(c.progress(), c.json, io::stderr().is_terminal()),
        ext,
    }
}

fn open() -> Result<Device> {
    Device::open().map_err(|e| Error::open(&e).into())
}

fn selection(proc: &Proc, s: &cli::Selection) -> Result<Selection> {
    let maps = proc.maps()?;
    Ok(select::select(&maps, &s.maps, &s.ranges, page_size())?)
}

fn output<T: Serialize>(json: bool, report: &T, text: impl FnOnce() -> String) -> Result<String> {
    Ok(if json {
        serde_json::to_string(report)? + "\n"
    } else {
        text()
    })
}

fn query(q: &cli::Query) -> Result<String> {
    let proc = Proc::new(q.common.pid)?;
    let sel = selection(&proc, &q.selection)?;
    let job = job(&q.common, &proc, sel, Extensions::PLAIN);
    let report = job.query(&open()?)?;
    output(q.common.json, &report, || report.text())
}

fn show(s: &cli::Show) -> Result<String> {
    let proc = Proc::new(s.common.pid)?;
    let maps = proc.maps()?;
    let chosen = select::mappings(&maps, &s.maps, false)?;
    let job = job(
        &s.common,
        &proc,
        Selection::empty(page_size()),
        Extensions::PLAIN,
    );
    let report = job.show(&open()?, &chosen)?;
    let online: BTreeSet<i32> = with_memory(Path::new(SYSFS_NODES))
        .map(|l| l.nodes().into_iter().map(|n| n as i32).collect())
        .unwrap_or_default();
    output(s.common.json, &report, || report.text(&online))
}

/// The move's target from `--to` and `--from`; a usage error if they do not fit together.
fn target(m: &cli::Move) -> Result<Target, clap::Error> {
    let to = &m.to.0;
    let bad = |msg: String| Cli::command().error(ErrorKind::ArgumentConflict, msg);
    match &m.from {
        None if to.len() == 1 => Ok(Target::All(to[0])),
        None => Err(bad(format!(
            "--to names {} nodes: without --from it takes one node",
            to.len()
        ))),
        Some(from) if to.len() == 1 || to.len() == from.0.len() => Ok(Target::Map {
            from: from.0.clone(),
            to: if to.len() == 1 {
                vec![to[0]; from.0.len()]
            } else {
                to.clone()
            },
        }),
        Some(from) => Err(bad(format!(
            "--to names {} nodes and --from {}: give one --to node or one per --from node",
            to.len(),
            from.0.len()
        ))),
    }
}

fn move_pages(m: &cli::Move, target: &Target) -> Result<String> {
    let proc = Proc::new(m.common.pid)?;
    let mut dests: Vec<u32> = match target {
        Target::All(n) => vec![*n],
        Target::Map { to, .. } => to.clone(),
    };
    dests.dedup();
    for &node in &dests {
        check_node(Path::new(SYSFS_NODES), node)?;
    }
    let sel = selection(&proc, &m.selection)?;
    let allowed = proc.mems_allowed();
    for &node in &dests {
        check_allowed(allowed.as_deref(), proc.pid, node)?;
    }
    let ext = if m.plain {
        Extensions::PLAIN
    } else {
        Extensions::FASTEST
    };
    let job = job(&m.common, &proc, sel, ext);
    let dev = open()?;
    if m.dry_run {
        let report = job.plan(&dev, target)?;
        return output(m.common.json, &report, || report.text());
    }
    let report = job.move_to(&dev, target, m.all)?;
    output(m.common.json, &report, || report.text())
}

fn print_out(text: &str) -> ExitCode {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::FAILURE,
        Err(e) => {
            print_err(&format!("cannot write the report: {e}"));
            ExitCode::FAILURE
        }
    }
}

fn print_err(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "move-pages: {msg}");
}

/// A command line clap refused: help and version on stdout (exit 0), a bad value with its
/// parser's message (exit 1), anything else as a usage error (exit 2).
fn refused(e: clap::Error) -> ExitCode {
    use std::error::Error as _;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => print_out(&e.render().to_string()),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let msg = match e.source() {
                Some(source) => source.to_string(),
                None => strip_error(&e.render().to_string()),
            };
            print_err(&msg);
            ExitCode::FAILURE
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print_err(&format!(
                "no command given\n{}\nTry 'move-pages --help' for more.",
                Cli::command().render_usage()
            ));
            ExitCode::from(2)
        }
        _ => {
            print_err(&format!(
                "{}Try 'move-pages --help' for more.",
                strip_error(&e.render().to_string())
            ));
            ExitCode::from(2)
        }
    }
}

fn strip_error(rendered: &str) -> String {
    let s = rendered.strip_prefix("error: ").unwrap_or(rendered);
    // clap's own hint is replaced by ours.
    match s.find("For more information, try '--help'.") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Runs `move-pages` with `args` (the program's name first).
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return refused(e),
    };
    let result = match &cli.command {
        Command::Query(q) => query(q),
        Command::Show(s) => show(s),
        Command::Move(m) => match target(m) {
            Ok(t) => move_pages(m, &t),
            Err(e) => return refused(e),
        },
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "move-pages", &mut out);
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(anyhow::Error::from)
                .map(|()| String::from_utf8_lossy(&out).into_owned())
        }
    };
    match result {
        Ok(text) => print_out(&text),
        Err(e) => {
            print_err(&format!("{e:#}"));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::ops::Range;

    const PAGE: u64 = 4096;

    /// One call seen by [`Fake`]: pid, addresses, whether nodes were given, flags.
    type Call = (i32, Vec<u64>, bool, c_int);

    /// A process whose pages are on the nodes (or have the statuses) in `pages`.
    #[derive(Default)]
    struct Fake {
        pages: RefCell<BTreeMap<u64, i32>>,
        /// Pages that fail to migrate, as `migrate_pages()` would.
        stuck: Vec<u64>,
        /// The (1-based) call that fails, and its errno.
        fail: Option<(usize, i32)>,
        /// Every call: pid, addresses, whether nodes were given, flags.
        calls: RefCell<Vec<Call>>,
        /// The extension flags of every call.
        exts: RefCell<Vec<u32>>,
    }

    impl Fake {
        fn new(pages: &[(u64, i32)]) -> Self {
            Self {
                pages: RefCell::new(pages.iter().copied().collect()),
                ..Self::default()
            }
        }
    }

    impl Backend for Fake {
        fn move_pages(
            &self,
            pid: i32,
            pages: &[*mut c_void],
            nodes: Option<&[c_int]>,
            status: &mut [c_int],
            flags: c_int,
            ext: Extensions,
        ) -> io::Result<usize> {
            self.exts.borrow_mut().push(ext.flags);
            let addrs: Vec<u64> = pages.iter().map(|&p| p as u64).collect();
            let mut calls = self.calls.borrow_mut();
            calls.push((pid, addrs.clone(), nodes.is_some(), flags));
            if let Some((n, errno)) = self.fail {
                if calls.len() == n {
                    return Err(io::Error::from_raw_os_error(errno));
                }
            }
            let mut map = self.pages.borrow_mut();
            for (i, a) in addrs.iter().enumerate() {
                let cur = *map.get(a).unwrap_or(&-14);
                match nodes {
                    None => status[i] = cur,
                    Some(_) if self.stuck.contains(a) => return Ok(addrs.len() - i),
                    Some(nodes) if cur >= 0 => {
                        map.insert(*a, nodes[i]);
                        status[i] = nodes[i];
                    }
                    Some(_) => status[i] = cur,
                }
            }
            Ok(0)
        }
    }

    fn job(ranges: &[(u64, u64)], batch: usize) -> Job {
        let ranges: Vec<Range<u64>> = ranges.iter().map(|&(s, e)| s..e).collect();
        Job {
            kernel_pid: 7,
            pid: 7,
            selection: Selection::from_ranges(&ranges, PAGE).unwrap(),
            page_size: PAGE,
            batch,
            progress: None,
            ext: Extensions::PLAIN,
        }
    }

    #[test]
    fn moves_use_the_job_s_extensions_and_queries_none() {
        let fake = process();
        let job = Job {
            ext: Extensions::FASTEST,
            ..job(&[(0x10000, 0x17000)], 4)
        };
        let report = job.move_to(&fake, &Target::All(1), false).unwrap();
        assert_eq!(report.extensions, Extensions::FASTEST.names());
        // Two query calls before, two moves, two queries after.
        let f = Extensions::FASTEST.flags;
        assert_eq!(*fake.exts.borrow(), vec![0, 0, f, f, 0, 0]);
    }

    /// Pages 0x10000.. on node 0 (5 pages), two absent, and 0x40000 on node 1.
    fn process() -> Fake {
        Fake::new(&[
            (0x10000, 0),
            (0x11000, 0),
            (0x12000, -2),
            (0x13000, 0),
            (0x14000, -2),
            (0x15000, 0),
            (0x16000, 0),
            (0x40000, 1),
        ])
    }

    fn hist(nodes: &[(i32, u64)], errors: &[(i32, u64)], unwritten: u64) -> Histogram {
        Histogram {
            nodes: nodes.iter().copied().collect(),
            errors: errors.iter().copied().collect(),
            unwritten,
        }
    }

    #[test]
    fn query_goes_in_batches_over_every_selected_page() {
        let fake = process();
        let r = job(&[(0x10000, 0x17000), (0x40000, 0x41000)], 3)
            .query(&fake)
            .unwrap();
        assert_eq!(r.pages, 8);
        assert_eq!(r.pid, 7);
        assert_eq!(r.hist, hist(&[(0, 5), (1, 1)], &[(2, 2)], 0));
        let calls = fake.calls.borrow();
        let sizes: Vec<usize> = calls.iter().map(|c| c.1.len()).collect();
        assert_eq!(sizes, vec![3, 3, 2]);
        let all: Vec<u64> = calls.iter().flat_map(|c| c.1.clone()).collect();
        assert_eq!(
            all,
            vec![0x10000, 0x11000, 0x12000, 0x13000, 0x14000, 0x15000, 0x16000, 0x40000]
        );
        assert!(calls.iter().all(|c| c.0 == 7 && !c.2 && c.3 == 0));
    }

    #[test]
    fn query_of_nothing_makes_no_call() {
        let fake = process();
        let r = job(&[], 3).query(&fake).unwrap();
        assert_eq!(r.pages, 0);
        assert_eq!(r.hist.total(), 0);
        assert!(fake.calls.borrow().is_empty());
    }

    #[test]
    fn unmapped_pages_are_efault() {
        let fake = process();
        let r = job(&[(0x20000, 0x22000)], 16).query(&fake).unwrap();
        assert_eq!(r.hist, hist(&[], &[(14, 2)], 0));
    }

    #[test]
    fn move_reports_before_result_and_after() {
        let fake = process();
        let r = job(&[(0x10000, 0x17000), (0x40000, 0x41000)], 4)
            .move_to(&fake, &Target::All(1), false)
            .unwrap();
        assert_eq!(r.moving.pages, 8);
        assert_eq!(r.calls, 2);
        assert_eq!(r.moving.node, Some(1));
        assert_eq!(r.batch, 4);
        assert_eq!(r.before, hist(&[(0, 5), (1, 1)], &[(2, 2)], 0));
        assert_eq!(r.result, hist(&[(1, 6)], &[(2, 2)], 0));
        assert_eq!(r.after, hist(&[(1, 6)], &[(2, 2)], 0));
        assert_eq!(r.not_migrated, 0);
        let calls = fake.calls.borrow();
        // Query (2 calls), move (2), query (2).
        let kinds: Vec<(bool, c_int)> = calls.iter().map(|c| (c.2, c.3)).collect();
        assert_eq!(
            kinds,
            vec![
                (false, 0),
                (false, 0),
                (true, MPOL_MF_MOVE),
                (true, MPOL_MF_MOVE),
                (false, 0),
                (false, 0)
            ]
        );
    }

    #[test]
    fn move_all_passes_mpol_mf_move_all() {
        let fake = process();
        let r = job(&[(0x10000, 0x11000)], 4)
            .move_to(&fake, &Target::All(1), true)
            .unwrap();
        assert_eq!(r.flags, "MPOL_MF_MOVE_ALL");
        assert_eq!(fake.calls.borrow()[1].3, MPOL_MF_MOVE_ALL);
    }

    #[test]
    fn pages_not_migrated_are_counted_and_left_unwritten() {
        let fake = Fake {
            stuck: vec![0x13000],
            ..process()
        };
        let r = job(&[(0x10000, 0x17000)], 16)
            .move_to(&fake, &Target::All(1), false)
            .unwrap();
        // 0x13000 failed; it and the 3 pages after it were not migrated, their slots unwritten.
        assert_eq!(r.not_migrated, 4);
        assert_eq!(r.result, hist(&[(1, 2)], &[(2, 1)], 4));
        assert_eq!(r.after, hist(&[(0, 3), (1, 2)], &[(2, 2)], 0));
        assert!(r.text().contains("not attempted: 4"));
        assert!(serde_json::to_string(&r)
            .unwrap()
            .contains(r#""not_migrated":4,"failed":{"ENOENT":1},"not_attempted":4"#));
    }

    #[test]
    fn a_failing_call_is_an_error_with_its_meaning() {
        let fake = Fake {
            fail: Some((1, 3)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4).query(&fake).unwrap_err();
        assert_eq!(e.to_string(), "no such process: 7 (it may have exited)");

        // The second move call fails: the first one's pages were moved.
        let fake = Fake {
            fail: Some((4, 19)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4)
            .move_to(&fake, &Target::All(3), false)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "node 3 has no memory or is offline (ENODEV)\n(after 4 of 7 pages)"
        );
        let fake = Fake {
            fail: Some((3, 13)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4)
            .move_to(&fake, &Target::All(1), false)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "node 1 is not allowed by the cpuset of process 7 (EACCES)"
        );
    }

    #[test]
    fn scan_errors_count_the_pages_done() {
        let fake = Fake {
            fail: Some((3, 1)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 2)
            .scan(&fake, "query", Pass::Query)
            .unwrap_err();
        assert_eq!(
            e,
            ScanError {
                errno: Errno::EPERM,
                done: 4
            }
        );
    }

    #[test]
    fn page_size_is_a_power_of_two() {
        let p = page_size();
        assert!(p.is_power_of_two() && p >= 4096, "{p}");
    }

    /// The kernel's own move_pages(2), to run the whole path on real memory without the module.
    struct Native;

    impl Backend for Native {
        fn move_pages(
            &self,
            pid: i32,
            pages: &[*mut c_void],
            nodes: Option<&[c_int]>,
            status: &mut [c_int],
            flags: c_int,
            _ext: Extensions,
        ) -> io::Result<usize> {
            let nodes = nodes.map_or(std::ptr::null(), <[c_int]>::as_ptr);
            // SAFETY: The arrays are live and as long as `pages`.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_move_pages,
                    pid,
                    pages.len() as std::ffi::c_ulong,
                    pages.as_ptr(),
                    nodes,
                    status.as_mut_ptr(),
                    flags,
                )
            };
            if r < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(r as usize)
            }
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn native_move_pages_of_own_memory() {
        let page = page_size();
        // A fresh anonymous region of 16 pages: nothing there until touched.
        let len = 16 * page as usize;
        let buf = vec![0u8; len + page as usize];
        let base = (buf.as_ptr() as u64 + page - 1) & !(page - 1);
        // calloc'd memory may or may not be touched yet: write half the pages, so that at least
        // those are present.
        for i in 0..8 {
            // SAFETY: Inside `buf`.
            unsafe { std::ptr::write_volatile((base + i * page) as *mut u8, 1) };
        }
        let mut job = job(&[(base, base + 16 * page)], 5);
        job.page_size = page;
        job.kernel_pid = 0;
        let r = match job.query(&Native) {
            Ok(r) => r,
            Err(e) => {
                // No NUMA in this kernel, or a sandbox without the system call.
                eprintln!("move_pages(2) not usable here, skipped: {e}");
                return;
            }
        };
        assert_eq!(r.pages, 16);
        assert_eq!(r.hist.total(), 16);
        let present: u64 = r.hist.nodes.values().sum();
        assert!(present >= 8, "{r:?}");
        assert!(r.hist.errors.keys().all(|&e| e == 2), "{r:?}");
        let node = *r.hist.nodes.keys().next().unwrap() as u32;
        let m = job.move_to(&Native, &Target::All(node), false).unwrap();
        assert_eq!(m.before.nodes.get(&(node as i32)), Some(&present));
        assert_eq!(m.after.nodes.get(&(node as i32)), Some(&present));
        assert_eq!(m.not_migrated, 0);
        assert_eq!(m.calls, 4);
        assert_eq!(m.result.failed(), 16 - present);
        assert_eq!(buf[(base - buf.as_ptr() as u64) as usize], 1);
    }

    #[test]
    fn from_to_moves_only_the_pages_on_the_from_nodes() {
        let fake = process();
        let target = Target::Map {
            from: vec![1],
            to: vec![2],
        };
        let r = job(&[(0x10000, 0x17000), (0x40000, 0x41000)], 16)
            .move_to(&fake, &target, false)
            .unwrap();
        assert_eq!(r.moving.node, None);
        assert_eq!(
            (r.moving.from.clone(), r.moving.to.clone()),
            (Some(vec![1]), Some(vec![2]))
        );
        assert_eq!(r.calls, 1);
        assert_eq!(r.result, hist(&[(2, 1)], &[], 0));
        assert_eq!(r.after, hist(&[(0, 5), (2, 1)], &[(2, 2)], 0));
        let calls = fake.calls.borrow();
        // Query before; then each batch queried, and only 0x40000 moved; query after.
        let moved: Vec<&Call> = calls.iter().filter(|c| c.2).collect();
        assert_eq!(moved.len(), 1);
        assert_eq!(moved[0].1, vec![0x40000]);
        assert_eq!(calls.len(), 4);
        let text = r.text();
        assert!(text.contains("from node to node 1->2"), "{text}");
    }

    #[test]
    fn from_to_with_nothing_on_the_from_nodes_makes_no_move_call() {
        let fake = process();
        let target = Target::Map {
            from: vec![3],
            to: vec![1],
        };
        let r = job(&[(0x10000, 0x17000)], 4)
            .move_to(&fake, &target, false)
            .unwrap();
        assert_eq!(r.calls, 0);
        assert_eq!(r.before, r.after);
        assert!(fake.calls.borrow().iter().all(|c| !c.2));
    }

    #[test]
    fn dry_run_queries_and_moves_nothing() {
        let fake = process();
        let p = job(&[(0x10000, 0x17000), (0x40000, 0x41000)], 3)
            .plan(&fake, &Target::All(1))
            .unwrap();
        assert!(p.dry_run);
        assert_eq!(p.moves.len(), 1);
        assert_eq!(
            (p.moves[0].from, p.moves[0].to, p.moves[0].pages),
            (0, 1, 5)
        );
        assert_eq!((p.in_place, p.stay), (1, 2));
        assert!(fake.calls.borrow().iter().all(|c| !c.2));
        assert_eq!(fake.pages.borrow()[&0x10000], 0);
        let json = serde_json::to_string(&p).unwrap();
        assert!(
            json.contains("\"dry_run\":true")
                && json.contains("\"moves\":[{\"from\":0,\"to\":1,\"pages\":5}]"),
            "{json}"
        );
        assert!(p.text().contains("would move 5 pages"), "{}", p.text());
    }

    #[test]
    fn show_counts_each_mapping() {
        use procfs::process::MemoryMaps;
        use procfs::FromBufRead;
        let maps = MemoryMaps::from_buf_read(
            "10000-17000 rw-p 00000000 00:00 0 \n\
             40000-42000 rw-p 00000000 00:00 0      [heap]\n"
                .as_bytes(),
        )
        .unwrap()
        .0;
        let fake = process();
        let refs: Vec<&MemoryMap> = maps.iter().collect();
        let r = job(&[], 4).show(&fake, &refs).unwrap();
        assert_eq!(r.mappings.len(), 2);
        assert_eq!(r.mappings[0].hist, hist(&[(0, 5)], &[(2, 2)], 0));
        assert_eq!(r.mappings[1].name, "[heap]");
        assert_eq!(r.mappings[1].hist, hist(&[(1, 1)], &[(14, 1)], 0));
        assert_eq!(r.total.total(), 9);
        assert!(fake.calls.borrow().iter().all(|c| !c.2));
    }

    #[test]
    fn progress_defaults() {
        assert_eq!(
            progress_delay(None, false, true),
            Some(Duration::from_millis(500))
        );
        assert_eq!(progress_delay(None, true, true), None);
        assert_eq!(progress_delay(None, false, false), None);
        assert_eq!(
            progress_delay(Some(true), true, false),
            Some(Duration::ZERO)
        );
        assert_eq!(progress_delay(Some(false), false, true), None);
    }
}
