// SPDX-License-Identifier: GPL-2.0

//! The command line.

use crate::range::{parse_range, parse_size, AddrRange, NumError};
use std::fmt;

/// The full help text.
pub const USAGE: &str = "\
Usage: move-pages query --pid PID [SELECTION] [--batch N] [--progress|--no-progress] [--json]
       move-pages move --pid PID --to NODE [SELECTION] [--all] [--plain] [--batch N]
                       [--progress|--no-progress] [--json]
       move-pages --help | --version

Shows on which NUMA nodes the pages of process PID are (query), or moves them to
NODE (move) and shows where they were and are, through move_pages(2) as served by
/dev/move_pages (the move_pages kernel module).

Options:
  --pid PID          the process; 'self' or 0 for move-pages itself
  --to NODE          the node to move the pages to (move only)
  --all              MPOL_MF_MOVE_ALL: also move pages shared with other
                     processes (needs CAP_SYS_NICE; move only)
  --plain            move with plain move_pages(2) semantics (default: the
                     module's extensions parallel, group_by_node and
                     exact_status, the fastest and most exact; move only)
  --batch N          pages per ioctl call (default 16384, at most 1048576;
                     N may end in K or M)
  --progress         always show a progress bar on stderr
  --no-progress      never show it (default: shown when stderr is a terminal,
                     unless --json, for passes longer than half a second)
  --json             print one JSON object instead of text
  -h, --help         print this help
  -V, --version      print the version

SELECTION (any number, combined):
  --range START-END  the pages of the addresses START up to END (exclusive)
  --range START+LEN  the pages of LEN bytes from START
                     Numbers are decimal or 0x hexadecimal; LEN may end in K, M,
                     G or T (binary units). Ranges are rounded out to whole pages.
  --map NAME         the readable or writable mappings of /proc/PID/maps named
                     NAME: [heap], [stack], an exact path, or a file's basename
  Without SELECTION: every readable or writable mapping of the process except
  [vsyscall], [vvar] and [vdso].

Exit status: 0 done (see the report for pages that failed), 1 error, 2 usage error.
";

/// The short usage printed with a usage error.
pub const SHORT_USAGE: &str = "\
Usage: move-pages query --pid PID [--range R]... [--map NAME]... [--json]
       move-pages move --pid PID --to NODE [--range R]... [--map NAME]... [--all] [--json]
Try 'move-pages --help' for more.";

/// Default `--batch`.
pub const DEFAULT_BATCH: usize = 16384;
/// Largest `--batch`.
pub const MAX_BATCH: usize = 1 << 20;

/// The process to work on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pid {
    /// `self` or 0: the caller.
    Caller,
    /// Another process (or the caller by number).
    Pid(u32),
}

/// The options of `query` and `move`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `--pid`.
    pub pid: Pid,
    /// `--to` (move only).
    pub to: Option<u32>,
    /// `--range`s, as given (not rounded).
    pub ranges: Vec<AddrRange>,
    /// `--map`s.
    pub maps: Vec<String>,
    /// `--all`.
    pub all: bool,
    /// `--plain`: no extensions.
    pub plain: bool,
    /// `--batch`.
    pub batch: usize,
    /// `--progress` (`Some(true)`) or `--no-progress` (`Some(false)`), the last one given.
    pub progress: Option<bool>,
    /// `--json`.
    pub json: bool,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `--help`.
    Help,
    /// `--version`.
    Version,
    /// `query`.
    Query(Options),
    /// `move`.
    Move(Options),
}

/// A bad command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// The command line is malformed (exit status 2, with the short usage).
    Usage(String),
    /// An option's value is invalid (exit status 1).
    Invalid(String),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(m) | Self::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ArgError {}

fn usage(msg: impl Into<String>) -> ArgError {
    ArgError::Usage(msg.into())
}

fn invalid(msg: impl Into<String>) -> ArgError {
    ArgError::Invalid(msg.into())
}

/// Parses `--pid`: `self`, or a decimal process id (0 is the caller).
pub fn parse_pid(s: &str) -> Result<Pid, ArgError> {
    if s == "self" {
        return Ok(Pid::Caller);
    }
    match s.parse::<u32>() {
        Ok(0) if !s.starts_with('+') => Ok(Pid::Caller),
        Ok(n) if n <= i32::MAX as u32 && !s.starts_with('+') => Ok(Pid::Pid(n)),
        _ => Err(invalid(format!(
            "invalid pid '{s}': expected a process id or 'self'"
        ))),
    }
}

/// Parses `--to`: a decimal node number.
pub fn parse_node(s: &str) -> Result<u32, ArgError> {
    match s.parse::<u32>() {
        Ok(n) if n <= i32::MAX as u32 && !s.starts_with('+') => Ok(n),
        _ => Err(invalid(format!(
            "invalid node '{s}': expected a node number such as 0 or 1"
        ))),
    }
}

/// Parses `--batch`: 1 to [`MAX_BATCH`] pages, with an optional K or M.
pub fn parse_batch(s: &str) -> Result<usize, ArgError> {
    match parse_size(s) {
        Ok(n) if n >= 1 && n <= MAX_BATCH as u64 => Ok(n as usize),
        Ok(_) | Err(NumError::Overflow) => Err(invalid(format!(
            "invalid batch size '{s}': expected 1 to {MAX_BATCH} pages"
        ))),
        Err(NumError::Invalid) => Err(invalid(format!(
            "invalid batch size '{s}': expected a number of pages"
        ))),
    }
}

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, ArgError> {
    let mut it = args.iter();
    let command = match it.next().map(String::as_str) {
        None => return Err(usage("no command given")),
        Some("-h" | "--help" | "help") => return Ok(Command::Help),
        Some("-V" | "--version") => return Ok(Command::Version),
        Some(c @ ("query" | "move")) => c,
        Some(other) if other.starts_with('-') => {
            return Err(usage(format!(
                "expected a command (query or move) before '{other}'"
            )))
        }
        Some(other) => return Err(usage(format!("unknown command '{other}'"))),
    };
    let moving = command == "move";

    let mut pid = None;
    let mut to = None;
    let mut batch = None;
    let mut ranges = Vec::new();
    let mut o = Options {
        pid: Pid::Caller,
        to: None,
        ranges: Vec::new(),
        maps: Vec::new(),
        all: false,
        plain: false,
        batch: DEFAULT_BATCH,
        progress: None,
        json: false,
    };
    while let Some(arg) = it.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        if arg == "-V" || arg == "--version" {
            return Ok(Command::Version);
        }
        if !arg.starts_with("--") {
            return Err(usage(format!("unexpected argument '{arg}'")));
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (arg.as_str(), None),
        };
        let takes_value = matches!(name, "--pid" | "--to" | "--range" | "--map" | "--batch");
        let known = takes_value
            || matches!(
                name,
                "--all" | "--plain" | "--json" | "--progress" | "--no-progress"
            );
        if !known {
            return Err(usage(format!("unknown option '{name}'")));
        }
        if !moving && matches!(name, "--to" | "--all" | "--plain") {
            return Err(usage(format!("{name} is only for move")));
        }
        let value = if takes_value {
            match inline {
                Some(v) => v,
                None => it
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(format!("{name} needs a value")))?,
            }
        } else {
            if inline.is_some() {
                return Err(usage(format!("{name} takes no value")));
            }
            String::new()
        };
        let once = |slot: &Option<String>| match slot {
            Some(_) => Err(usage(format!("{name} given more than once"))),
            None => Ok(Some(value.clone())),
        };
        match name {
            "--pid" => pid = once(&pid)?,
            "--to" => to = once(&to)?,
            "--batch" => batch = once(&batch)?,
            "--range" => ranges.push(value),
            "--map" => o.maps.push(value),
            "--all" => o.all = true,
            "--plain" => o.plain = true,
            "--json" => o.json = true,
            "--progress" => o.progress = Some(true),
            "--no-progress" => o.progress = Some(false),
            _ => unreachable!("every known option is handled"),
        }
    }
    // The command line is well-formed; now the values.
    let pid = pid.ok_or_else(|| usage("--pid is required"))?;
    let to = match to {
        None if moving => return Err(usage("--to is required for move")),
        to => to,
    };
    o.pid = parse_pid(&pid)?;
    if let Some(to) = to {
        o.to = Some(parse_node(&to)?);
    }
    for r in ranges {
        o.ranges
            .push(parse_range(&r).map_err(|e| invalid(e.to_string()))?);
    }
    if o.maps.iter().any(String::is_empty) {
        return Err(invalid("--map needs a non-empty name"));
    }
    if let Some(b) = batch {
        o.batch = parse_batch(&b)?;
    }
    Ok(if moving {
        Command::Move(o)
    } else {
        Command::Query(o)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &str) -> Result<Command, ArgError> {
        let v: Vec<String> = args.split_whitespace().map(String::from).collect();
        parse(&v)
    }

    fn opts(args: &str) -> Options {
        match p(args) {
            Ok(Command::Query(o) | Command::Move(o)) => o,
            other => panic!("{args}: {other:?}"),
        }
    }

    fn usage_err(args: &str) -> String {
        match p(args) {
            Err(ArgError::Usage(m)) => m,
            other => panic!("{args}: expected a usage error, got {other:?}"),
        }
    }

    fn invalid_err(args: &str) -> String {
        match p(args) {
            Err(ArgError::Invalid(m)) => m,
            other => panic!("{args}: expected an invalid value, got {other:?}"),
        }
    }

    #[test]
    fn minimal_query() {
        assert_eq!(
            p("query --pid 42"),
            Ok(Command::Query(Options {
                pid: Pid::Pid(42),
                to: None,
                ranges: vec![],
                maps: vec![],
                all: false,
                plain: false,
                batch: DEFAULT_BATCH,
                progress: None,
                json: false,
            }))
        );
    }

    #[test]
    fn full_move() {
        assert_eq!(
            p(
                "move --pid=self --to 1 --range 0x1000-0x3000 --map [heap] --range=0x10000+2M \
               --map libc.so.6 --all --plain --batch 4K --no-progress --json --progress"
            ),
            Ok(Command::Move(Options {
                pid: Pid::Caller,
                to: Some(1),
                ranges: vec![
                    AddrRange::new(0x1000, 0x3000),
                    AddrRange::new(0x10000, 0x10000 + (2 << 20)),
                ],
                maps: vec!["[heap]".into(), "libc.so.6".into()],
                all: true,
                plain: true,
                batch: 4096,
                progress: Some(true),
                json: true,
            }))
        );
    }

    #[test]
    fn map_names_may_have_blanks_and_equal_signs() {
        let v: Vec<String> = ["query", "--pid", "1", "--map", "my file=1 (deleted)"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        match parse(&v) {
            Ok(Command::Query(o)) => assert_eq!(o.maps, vec!["my file=1 (deleted)"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(opts("query --pid 1 --map=a=b").maps, vec!["a=b"]);
    }

    #[test]
    fn pids() {
        assert_eq!(opts("query --pid self").pid, Pid::Caller);
        assert_eq!(opts("query --pid 0").pid, Pid::Caller);
        assert_eq!(opts("query --pid 1").pid, Pid::Pid(1));
        assert_eq!(
            opts("query --pid 2147483647").pid,
            Pid::Pid(i32::MAX as u32)
        );
        for bad in ["-1", "+5", "abc", "2147483648", "1.5", "0x10", "SELF", "''"] {
            let m = invalid_err(&format!("query --pid={bad}"));
            assert!(m.contains(&format!("invalid pid '{bad}'")), "{m}");
        }
        assert!(invalid_err("query --pid=").contains("invalid pid ''"));
    }

    #[test]
    fn nodes_and_batches() {
        assert_eq!(opts("move --pid 1 --to 0").to, Some(0));
        assert_eq!(opts("move --pid 1 --to 63").to, Some(63));
        for bad in ["-1", "x", "1.0", "+1", "4294967296", "2147483648"] {
            let m = invalid_err(&format!("move --pid 1 --to={bad}"));
            assert!(m.starts_with(&format!("invalid node '{bad}'")), "{m}");
        }
        assert_eq!(opts("query --pid 1 --batch 1").batch, 1);
        assert_eq!(opts("query --pid 1 --batch 1M").batch, MAX_BATCH);
        assert_eq!(opts("query --pid 1 --batch 0x100").batch, 256);
        assert!(invalid_err("query --pid 1 --batch 0").contains("1 to 1048576"));
        assert!(invalid_err("query --pid 1 --batch 2M").contains("1 to 1048576"));
        assert!(invalid_err("query --pid 1 --batch 99999999999999999999").contains("1 to"));
        assert!(invalid_err("query --pid 1 --batch ten").contains("number of pages"));
    }

    #[test]
    fn bad_ranges_are_invalid_values() {
        let m = invalid_err("query --pid 1 --range 0x2000-0x1000");
        assert!(m.starts_with("invalid range '0x2000-0x1000'"), "{m}");
        let m = invalid_err("query --pid 1 --range 0xffffffffffffffff+1");
        assert!(m.contains("beyond the 64-bit address space"), "{m}");
        let m = invalid_err("query --pid 1 --range nonsense");
        assert!(m.contains("expected START-END or START+LEN"), "{m}");
        assert!(invalid_err("query --pid 1 --map=").contains("non-empty"));
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(p("--help"), Ok(Command::Help));
        assert_eq!(p("-h"), Ok(Command::Help));
        assert_eq!(p("help"), Ok(Command::Help));
        assert_eq!(p("--version"), Ok(Command::Version));
        assert_eq!(p("-V"), Ok(Command::Version));
        assert_eq!(p("move --to x --help"), Ok(Command::Help));
        assert_eq!(
            p("query --bogus --help"),
            Err(usage("unknown option '--bogus'"))
        );
        assert_eq!(p("query -V"), Ok(Command::Version));
    }

    #[test]
    fn usage_errors() {
        assert_eq!(usage_err(""), "no command given");
        assert_eq!(usage_err("frobnicate"), "unknown command 'frobnicate'");
        assert_eq!(
            usage_err("--pid 1 query"),
            "expected a command (query or move) before '--pid'"
        );
        assert_eq!(usage_err("query"), "--pid is required");
        assert_eq!(usage_err("query --json"), "--pid is required");
        assert_eq!(usage_err("move --pid 1"), "--to is required for move");
        assert_eq!(usage_err("query --pid 1 --to 1"), "--to is only for move");
        assert_eq!(usage_err("query --pid 1 --all"), "--all is only for move");
        assert_eq!(
            usage_err("query --pid 1 --plain"),
            "--plain is only for move"
        );
        assert_eq!(usage_err("query --pid"), "--pid needs a value");
        assert_eq!(usage_err("move --pid 1 --to"), "--to needs a value");
        assert_eq!(usage_err("query --pid 1 --range"), "--range needs a value");
        assert_eq!(
            usage_err("query --pid 1 --json=yes"),
            "--json takes no value"
        );
        assert_eq!(usage_err("query --pid 1 2"), "unexpected argument '2'");
        assert_eq!(usage_err("query --pid 1 -j"), "unexpected argument '-j'");
        assert_eq!(usage_err("query --pid 1 --frob"), "unknown option '--frob'");
        assert_eq!(
            usage_err("query --pid 1 --pid 2"),
            "--pid given more than once"
        );
        assert_eq!(
            usage_err("move --pid 1 --to 0 --to 1"),
            "--to given more than once"
        );
        assert_eq!(
            usage_err("query --pid 1 --batch 1 --batch=2"),
            "--batch given more than once"
        );
    }

    #[test]
    fn usage_errors_come_before_value_errors() {
        // A malformed command line is reported as such even with a bad value in it.
        assert_eq!(usage_err("query --pid x --frob"), "unknown option '--frob'");
        assert_eq!(usage_err("move --pid x"), "--to is required for move");
        assert_eq!(
            usage_err("query --pid 1 --range 5-1 --frob"),
            "unknown option '--frob'"
        );
    }

    #[test]
    fn usage_text_documents_every_option() {
        for opt in [
            "--pid",
            "--to",
            "--all",
            "--batch",
            "--progress",
            "--no-progress",
            "--json",
            "--range START-END",
            "--range START+LEN",
            "--map NAME",
            "--help",
            "--version",
            "[vsyscall]",
        ] {
            assert!(USAGE.contains(opt), "{opt}");
        }
    }
}
