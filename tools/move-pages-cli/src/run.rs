// SPDX-License-Identifier: GPL-2.0

//! Running a command: reading `/proc`, checking the node, calling the device, printing.

use crate::args::{self, ArgError, Command, Options, Pid, SHORT_USAGE, USAGE};
use crate::error::{open_error, proc_error, request_error, Request, EIO};
use crate::maps::{parse_maps, select};
use crate::nodes::{check_allowed, check_node, SYSFS_NODES};
use crate::progress::{self, Progress};
use crate::range::{count_pages, AddrRange, Pages};
use crate::report::{Histogram, MoveReport, QueryReport, UNWRITTEN};
use move_pages::{Device, Extensions, MPOL_MF_MOVE, MPOL_MF_MOVE_ALL};
use std::ffi::{c_int, c_long, c_void};
use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

/// The system's page size.
pub fn page_size() -> u64 {
    extern "C" {
        fn sysconf(name: c_int) -> c_long;
    }
    const SC_PAGESIZE: c_int = 30;
    // SAFETY: sysconf() only reads its argument.
    let n = unsafe { sysconf(SC_PAGESIZE) };
    match u64::try_from(n) {
        Ok(n) if n.is_power_of_two() => n,
        _ => 4096,
    }
}

/// The process to work on.
struct Target {
    /// The pid to give the kernel: 0 for the caller.
    kernel_pid: i32,
    /// Its `/proc` directory.
    proc_dir: String,
    /// Its real pid, for reports.
    pid: u32,
}

impl Target {
    fn new(pid: Pid) -> Self {
        match pid {
            Pid::Caller => Self {
                kernel_pid: 0,
                proc_dir: "/proc/self".into(),
                pid: std::process::id(),
            },
            Pid::Pid(n) => Self {
                kernel_pid: n as i32,
                proc_dir: format!("/proc/{n}"),
                pid: n,
            },
        }
    }

    fn read(&self, file: &str) -> Result<String, String> {
        let path = format!("{}/{file}", self.proc_dir);
        fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| proc_error(&e, self.pid, &path))
    }
}

/// What serves `move_pages()` requests: `/dev/move_pages`, or a stand-in in tests.
pub trait Backend {
    /// As [`Device::move_pages_ext`].
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

/// The outcome of one pass over the selection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// The status slots.
    pub hist: Histogram,
    /// Calls made.
    pub calls: u64,
    /// Sum of the calls' return values.
    pub not_migrated: u64,
}

/// A failed pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanError {
    /// The errno of the failed call.
    pub errno: i32,
    /// Pages of the calls that succeeded before it.
    pub done: u64,
}

/// The pages of one process to work on, checked and ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The pid to give the kernel: 0 for the caller.
    pub kernel_pid: i32,
    /// The real pid, for reports.
    pub pid: u32,
    /// Page-aligned, sorted, disjoint ranges.
    pub ranges: Vec<AddrRange>,
    /// Bytes per page.
    pub page_size: u64,
    /// Pages per call.
    pub batch: usize,
    /// Show the progress bar on stderr after this delay; `None`: never.
    pub progress: Option<Duration>,
    /// The module's extensions for the moves (queries use none).
    pub ext: Extensions,
}

impl Job {
    /// Number of pages selected.
    pub fn pages(&self) -> u64 {
        count_pages(&self.ranges, self.page_size)
    }

    /// Queries (`node == None`) or moves the selected pages, `batch` pages per call.
    pub fn scan<B: Backend + ?Sized>(
        &self,
        backend: &B,
        label: &str,
        node: Option<u32>,
        flags: c_int,
    ) -> Result<Scan, ScanError> {
        let total = self.pages();
        let batch = self.batch.max(1);
        let cap = usize::try_from(total).map_or(batch, |p| p.min(batch));
        let mut pages: Vec<*mut c_void> = Vec::with_capacity(cap);
        let nodes: Vec<c_int> = node.map_or_else(Vec::new, |n| vec![n as c_int; cap]);
        let mut status: Vec<c_int> = vec![UNWRITTEN; cap];
        let mut it = Pages::new(&self.ranges, self.page_size);
        let mut progress = Progress::new(io::stderr(), self.progress.is_some(), label, total)
            .with_delay(self.progress.unwrap_or_default());
        let mut scan = Scan::default();
        loop {
            pages.clear();
            pages.extend(it.by_ref().take(batch).map(|a| a as usize as *mut c_void));
            let n = pages.len();
            if n == 0 {
                break;
            }
            status[..n].fill(UNWRITTEN);
            let nodes = node.map(|_| &nodes[..n]);
            let ext = if nodes.is_some() {
                self.ext
            } else {
                Extensions::PLAIN
            };
            match backend.move_pages(self.kernel_pid, &pages, nodes, &mut status[..n], flags, ext) {
                Ok(not_migrated) => {
                    scan.calls += 1;
                    scan.not_migrated += not_migrated as u64;
                    scan.hist.add_all(&status[..n]);
                    progress.advance(n as u64);
                }
                Err(e) => {
                    progress.finish();
                    return Err(ScanError {
                        errno: e.raw_os_error().unwrap_or(EIO),
                        done: progress.done(),
                    });
                }
            }
        }
        progress.finish();
        Ok(scan)
    }

    /// `move-pages query`.
    pub fn query<B: Backend + ?Sized>(&self, backend: &B) -> Result<QueryReport, String> {
        let req = Request {
            pid: self.pid,
            node: None,
            all: false,
        };
        let scan = self
            .scan(backend, "query", None, 0)
            .map_err(|e| request_error(e.errno, &req))?;
        Ok(QueryReport {
            pid: self.pid,
            page_size: self.page_size,
            pages: self.pages(),
            hist: scan.hist,
        })
    }

    /// `move-pages move`: query, move to `node`, query.
    pub fn move_to<B: Backend + ?Sized>(
        &self,
        backend: &B,
        node: u32,
        all: bool,
    ) -> Result<MoveReport, String> {
        let req = Request {
            pid: self.pid,
            node: Some(node),
            all,
        };
        let query_err = |e: ScanError| request_error(e.errno, &req);
        let before = self.scan(backend, "before", None, 0).map_err(query_err)?;
        let flags = if all { MPOL_MF_MOVE_ALL } else { MPOL_MF_MOVE };
        let moved = self.scan(backend, "move", Some(node), flags).map_err(|e| {
            let msg = request_error(e.errno, &req);
            if e.done > 0 {
                format!("{msg}\n(after {} of {} pages)", e.done, self.pages())
            } else {
                msg
            }
        })?;
        let after = self.scan(backend, "after", None, 0).map_err(query_err)?;
        Ok(MoveReport {
            pid: self.pid,
            page_size: self.page_size,
            pages: self.pages(),
            node,
            all,
            ext: self.ext,
            batch: self.batch,
            calls: moved.calls,
            before: before.hist,
            result: moved.hist,
            after: after.hist,
            not_migrated: moved.not_migrated,
        })
    }
}

/// Checks the options against `/sys` and `/proc/PID`, selects the pages and opens the device.
fn prepare(o: &Options) -> Result<(Job, Device), String> {
    let page_size = page_size();
    if let Some(node) = o.to {
        check_node(Path::new(SYSFS_NODES), node).map_err(|e| e.to_string())?;
    }
    let target = Target::new(o.pid);
    let maps = parse_maps(&target.read("maps")?).map_err(|e| e.to_string())?;
    let ranges = select(&maps, &o.maps, &o.ranges, page_size).map_err(|e| e.to_string())?;
    if let Some(node) = o.to {
        // The kernel checks the cpuset too; if the status cannot be read, it has the last word.
        if let Ok(status) = target.read("status") {
            check_allowed(&status, target.pid, node).map_err(|e| e.to_string())?;
        }
    }
    let dev = Device::open().map_err(|e| open_error(&e))?;
    let job = Job {
        kernel_pid: target.kernel_pid,
        pid: target.pid,
        ranges,
        page_size,
        batch: o.batch,
        progress: progress::enabled(o.progress, o.json, io::stderr().is_terminal())
            .then(|| progress::delay(o.progress)),
        ext: if o.plain {
            Extensions::PLAIN
        } else {
            Extensions::FASTEST
        },
    };
    Ok((job, dev))
}

fn query(o: &Options) -> Result<String, String> {
    let (job, dev) = prepare(o)?;
    let report = job.query(&dev)?;
    Ok(if o.json {
        report.json() + "\n"
    } else {
        report.text()
    })
}

fn move_pages(o: &Options) -> Result<String, String> {
    let (job, dev) = prepare(o)?;
    let report = job.move_to(&dev, o.to.unwrap_or(0), o.all)?;
    Ok(if o.json {
        report.json() + "\n"
    } else {
        report.text()
    })
}

/// Writes `text` to stdout; exit status 0, or 1 if it cannot be written.
fn print_out(text: &str) -> i32 {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 1,
        Err(e) => {
            print_err(&format!("cannot write the report: {e}"));
            1
        }
    }
}

fn print_err(msg: &str) {
    let _ = writeln!(io::stderr().lock(), "move-pages: {msg}");
}

/// Runs the command line `args` (without the program name); returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let result = match args::parse(args) {
        Ok(Command::Help) => return print_out(USAGE),
        Ok(Command::Version) => {
            return print_out(&format!("move-pages {}\n", env!("CARGO_PKG_VERSION")))
        }
        Ok(Command::Query(o)) => query(&o),
        Ok(Command::Move(o)) => move_pages(&o),
        Err(ArgError::Usage(m)) => {
            print_err(&format!("{m}\n{SHORT_USAGE}"));
            return 2;
        }
        Err(ArgError::Invalid(m)) => Err(m),
    };
    match result {
        Ok(text) => print_out(&text),
        Err(msg) => {
            print_err(&msg);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

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
        Job {
            kernel_pid: 7,
            pid: 7,
            ranges: ranges.iter().map(|&(s, e)| AddrRange::new(s, e)).collect(),
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
        let report = job.move_to(&fake, 1, false).unwrap();
        assert_eq!(report.ext, Extensions::FASTEST);
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
            .move_to(&fake, 1, false)
            .unwrap();
        assert_eq!(r.pages, 8);
        assert_eq!(r.calls, 2);
        assert_eq!(r.node, 1);
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
            .move_to(&fake, 1, true)
            .unwrap();
        assert!(r.all);
        assert_eq!(fake.calls.borrow()[1].3, MPOL_MF_MOVE_ALL);
    }

    #[test]
    fn pages_not_migrated_are_counted_and_left_unwritten() {
        let fake = Fake {
            stuck: vec![0x13000],
            ..process()
        };
        let r = job(&[(0x10000, 0x17000)], 16)
            .move_to(&fake, 1, false)
            .unwrap();
        // 0x13000 failed; it and the 3 pages after it were not migrated, their slots unwritten.
        assert_eq!(r.not_migrated, 4);
        assert_eq!(r.result, hist(&[(1, 2)], &[(2, 1)], 4));
        assert_eq!(r.after, hist(&[(0, 3), (1, 2)], &[(2, 2)], 0));
        assert!(r.text().contains("not attempted: 4"));
        assert!(r
            .json()
            .contains(r#""not_migrated":4,"failed":{"ENOENT":1},"not_attempted":4"#));
    }

    #[test]
    fn a_failing_call_is_an_error_with_its_meaning() {
        let fake = Fake {
            fail: Some((1, 3)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4).query(&fake).unwrap_err();
        assert_eq!(e, "no such process: 7 (it may have exited)");

        // The second move call fails: the first one's pages were moved.
        let fake = Fake {
            fail: Some((4, 19)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4)
            .move_to(&fake, 3, false)
            .unwrap_err();
        assert_eq!(
            e,
            "node 3 has no memory or is offline (ENODEV)\n(after 4 of 7 pages)"
        );
        let fake = Fake {
            fail: Some((3, 13)),
            ..process()
        };
        let e = job(&[(0x10000, 0x17000)], 4)
            .move_to(&fake, 1, false)
            .unwrap_err();
        assert_eq!(
            e,
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
            .scan(&fake, "query", None, 0)
            .unwrap_err();
        assert_eq!(e, ScanError { errno: 1, done: 4 });
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
            extern "C" {
                fn syscall(n: c_long, ...) -> c_long;
            }
            const SYS_MOVE_PAGES: c_long = 279;
            let nodes = nodes.map_or(std::ptr::null(), <[c_int]>::as_ptr);
            // SAFETY: The arrays are live and as long as `pages`.
            let r = unsafe {
                syscall(
                    SYS_MOVE_PAGES,
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
        let m = job.move_to(&Native, node, false).unwrap();
        assert_eq!(m.before.nodes.get(&(node as i32)), Some(&present));
        assert_eq!(m.after.nodes.get(&(node as i32)), Some(&present));
        assert_eq!(m.not_migrated, 0);
        assert_eq!(m.calls, 4);
        assert_eq!(m.result.failed(), 16 - present);
        assert_eq!(buf[(base - buf.as_ptr() as u64) as usize], 1);
    }
}
