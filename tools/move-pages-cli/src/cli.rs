// SPDX-License-Identifier: GPL-2.0

//! The command line (`clap`): commands, options, and the parsers of their values.

use crate::nodes::NodeList;
use crate::select::{parse_range, RangeError};
use clap::{Args, Parser, Subcommand};
use std::ops::Range;

/// Default pages per ioctl call.
pub const DEFAULT_BATCH: usize = 16384;
/// Most pages per ioctl call.
pub const MAX_BATCH: usize = 1 << 20;

/// Where the pages of a process are, and moving them between NUMA nodes, through move_pages(2)
/// as served by /dev/move_pages (the move_pages kernel module).
#[derive(Debug, Parser)]
#[command(
    name = "move-pages",
    version,
    propagate_version = true,
    after_help = "Exit status: 0 done (see the report for pages that failed), 1 error, \
                  2 usage error."
)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Count the selected pages of a process per node and per status error.
    Query(Query),
    /// Show a process's pages per mapping and per node (like numastat -p).
    Show(Show),
    /// Move the selected pages of a process to another node, or from some nodes to others
    /// (like migratepages), and show where they were and are.
    Move(Move),
    /// Print a shell completion script for move-pages.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of move-pages.
    Man,
}

/// The process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pid {
    /// `move-pages` itself (`self` or 0).
    Caller,
    /// Another process, or this one by number.
    Pid(u32),
}

/// A `--pid` value that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid pid '{0}': expected a process id or 'self'")]
pub struct PidError(String);

/// A node value that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid node '{0}': expected a node number such as 0 or 1")]
pub struct NodeError(String);

/// A node list that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid node list '{0}': expected node numbers such as 0,1 or 0-3")]
pub struct NodeListError(String);

/// A `--batch` value that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid batch size '{0}': expected 1 to {MAX_BATCH} pages (K and M suffixes allowed)")]
pub struct BatchError(String);

fn plain_u32(s: &str) -> Option<u32> {
    s.parse::<u32>()
        .ok()
        .filter(|&n| n <= i32::MAX as u32 && !s.starts_with('+'))
}

/// `--pid`: `self`, 0 (the caller), or a process id.
pub fn parse_pid(s: &str) -> Result<Pid, PidError> {
    match s {
        "self" => Ok(Pid::Caller),
        s => match plain_u32(s) {
            Some(0) => Ok(Pid::Caller),
            Some(n) => Ok(Pid::Pid(n)),
            None => Err(PidError(s.into())),
        },
    }
}

/// A node number.
pub fn parse_node(s: &str) -> Result<u32, NodeError> {
    plain_u32(s).ok_or_else(|| NodeError(s.into()))
}

/// Nodes given as a list, in its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nodes(pub Vec<u32>);

/// A node list: `0`, `0,2`, `0-3`; order kept, ranges expanded.
pub fn parse_nodes(s: &str) -> Result<Nodes, NodeListError> {
    match NodeList::parse(s).map(|l| l.nodes()) {
        Some(nodes) if !nodes.is_empty() && nodes.iter().all(|&n| n <= i32::MAX as u32) => {
            Ok(Nodes(nodes))
        }
        _ => Err(NodeListError(s.into())),
    }
}

/// `--batch`: pages, with an optional binary `K` or `M`.
pub fn parse_batch(s: &str) -> Result<usize, BatchError> {
    let err = || BatchError(s.into());
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err());
    }
    let n = parse_size::Config::new()
        .with_binary()
        .parse_size(s)
        .map_err(|_| err())?;
    usize::try_from(n)
        .ok()
        .filter(|n| (1..=MAX_BATCH).contains(n))
        .ok_or_else(err)
}

fn range(s: &str) -> Result<Range<u64>, RangeError> {
    parse_range(s)
}

/// The process, and how to walk its pages.
#[derive(Debug, Args)]
pub struct Common {
    /// The process; 'self' or 0 for move-pages itself.
    #[arg(long, value_name = "PID", value_parser = parse_pid, allow_negative_numbers = true)]
    pub pid: Pid,
    /// Pages per ioctl call (at most 1M; K and M suffixes allowed).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_BATCH,
        value_parser = parse_batch,
        allow_negative_numbers = true
    )]
    pub batch: usize,
    /// Always show a progress bar on stderr (default: when stderr is a terminal, without --json,
    /// for passes longer than half a second).
    #[arg(long, overrides_with = "no_progress")]
    pub progress: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl Common {
    /// `--progress` (Some(true)), `--no-progress` (Some(false)), or neither.
    pub fn progress(&self) -> Option<bool> {
        match (self.progress, self.no_progress) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

/// Which pages: any number of ranges and mappings, combined (overlaps merged); none means every
/// readable or writable mapping but the kernel's ([vsyscall], [vvar], [vdso]...).
#[derive(Debug, Args)]
pub struct Selection {
    /// The pages of START up to END (exclusive), or of LEN bytes from START: decimal or 0x
    /// numbers, LEN may end in K, M, G or T; rounded out to whole pages.
    #[arg(long = "range", value_name = "START-END|START+LEN", value_parser = range)]
    pub ranges: Vec<Range<u64>>,
    /// The readable or writable mappings of /proc/PID/maps named NAME: [heap], [stack], an exact
    /// path, or a file's basename.
    #[arg(long = "map", value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub maps: Vec<String>,
}

/// `move-pages query`.
#[derive(Debug, Args)]
pub struct Query {
    /// The process and output.
    #[command(flatten)]
    pub common: Common,
    /// The pages.
    #[command(flatten)]
    pub selection: Selection,
}

/// `move-pages show`.
#[derive(Debug, Args)]
pub struct Show {
    /// The process and output.
    #[command(flatten)]
    pub common: Common,
    /// Only the mappings named NAME (as for --map of query).
    #[arg(long = "map", value_name = "NAME", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub maps: Vec<String>,
}

/// `move-pages move`.
#[derive(Debug, Args)]
pub struct Move {
    /// The process and output.
    #[command(flatten)]
    pub common: Common,
    /// The pages.
    #[command(flatten)]
    pub selection: Selection,
    /// The node to move the pages to; with --from, one node or a list as long as --from's.
    #[arg(long, value_name = "NODES", value_parser = parse_nodes, allow_negative_numbers = true)]
    pub to: Nodes,
    /// Move only pages on these nodes (0,2 or 0-1), like migratepages: to the one --to node,
    /// or each to the --to node at the same position.
    #[arg(long, value_name = "NODES", value_parser = parse_nodes, allow_negative_numbers = true)]
    pub from: Option<Nodes>,
    /// MPOL_MF_MOVE_ALL: also move pages shared with other processes (needs CAP_SYS_NICE).
    #[arg(long)]
    pub all: bool,
    /// Plain move_pages(2) semantics (default: the module's extensions parallel,
    /// group_by_node and exact_status, the fastest and most exact).
    #[arg(long)]
    pub plain: bool,
    /// Query only: report where the pages are and what would move, move nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid("self"), Ok(Pid::Caller));
        assert_eq!(parse_pid("0"), Ok(Pid::Caller));
        assert_eq!(parse_pid("1234"), Ok(Pid::Pid(1234)));
        assert_eq!(parse_pid("2147483647"), Ok(Pid::Pid(i32::MAX as u32)));
        for bad in ["", "x", "-1", "+5", "2147483648", "1.0", " 1"] {
            assert!(parse_pid(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_pid("x").unwrap_err().to_string(),
            "invalid pid 'x': expected a process id or 'self'"
        );
    }

    #[test]
    fn nodes_and_lists() {
        assert_eq!(parse_node("1"), Ok(1));
        assert!(parse_node("-1").is_err() && parse_node("+1").is_err());
        assert_eq!(parse_nodes("1"), Ok(Nodes(vec![1])));
        assert_eq!(parse_nodes("2,0"), Ok(Nodes(vec![2, 0])));
        assert_eq!(parse_nodes("0-2,5"), Ok(Nodes(vec![0, 1, 2, 5])));
        for bad in ["", "-1", "2-1", "a", "0,,1", "4294967295"] {
            assert!(parse_nodes(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn batches() {
        assert_eq!(parse_batch("1"), Ok(1));
        assert_eq!(parse_batch("16K"), Ok(16384));
        assert_eq!(parse_batch("1M"), Ok(MAX_BATCH));
        for bad in ["0", "1025K", "2M", "x", "", "-1", "K"] {
            assert!(parse_batch(bad).is_err(), "{bad:?}");
        }
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("move-pages").chain(args.iter().copied()))
    }

    #[test]
    fn commands_parse() {
        let Command::Move(m) = parse(&[
            "move",
            "--pid",
            "7",
            "--to",
            "1",
            "--range",
            "0x1000+8K",
            "--map",
            "[heap]",
            "--batch",
            "4",
            "--json",
            "--plain",
        ])
        .unwrap()
        .command
        else {
            panic!("not move");
        };
        assert_eq!(m.common.pid, Pid::Pid(7));
        assert_eq!(m.to, Nodes(vec![1]));
        assert_eq!(m.selection.ranges, vec![0x1000..0x3000]);
        assert_eq!(m.selection.maps, vec!["[heap]".to_string()]);
        assert_eq!(m.common.batch, 4);
        assert!(m.common.json && m.plain && !m.all && !m.dry_run);
        assert_eq!(m.common.progress(), None);
        let Command::Move(m) = parse(&[
            "move",
            "--pid",
            "self",
            "--from",
            "0,2",
            "--to",
            "1",
            "--dry-run",
        ])
        .unwrap()
        .command
        else {
            panic!("not move");
        };
        assert_eq!(m.from, Some(Nodes(vec![0, 2])));
        assert!(m.dry_run);
        let Command::Query(q) = parse(&["query", "--pid", "self", "--progress", "--no-progress"])
            .unwrap()
            .command
        else {
            panic!("not query");
        };
        assert_eq!(q.common.progress(), Some(false));
        assert_eq!(q.common.batch, DEFAULT_BATCH);
    }

    #[test]
    fn usage_errors() {
        use clap::error::ErrorKind;
        let kind = |args: &[&str]| parse(args).unwrap_err().kind();
        assert_eq!(
            kind(&[]),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        assert_eq!(kind(&["frob"]), ErrorKind::InvalidSubcommand);
        assert_eq!(kind(&["query"]), ErrorKind::MissingRequiredArgument);
        assert_eq!(
            kind(&["move", "--pid", "1"]),
            ErrorKind::MissingRequiredArgument
        );
        assert_eq!(
            kind(&["query", "--pid", "1", "--to", "0"]),
            ErrorKind::UnknownArgument
        );
        assert_eq!(kind(&["query", "--pid", "x"]), ErrorKind::ValueValidation);
        assert_eq!(
            kind(&["query", "--pid", "1", "--map", ""]),
            ErrorKind::InvalidValue
        );
        assert_eq!(kind(&["--help"]), ErrorKind::DisplayHelp);
        assert_eq!(kind(&["--version"]), ErrorKind::DisplayVersion);
    }
}
