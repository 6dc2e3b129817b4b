// SPDX-License-Identifier: GPL-2.0

//! `/proc/PID/maps`: parsing its lines, and turning `--map`/`--range` options into the page
//! ranges to work on.

use crate::range::{merge, AddrRange, RangeError};
use std::fmt;

/// One line of `/proc/PID/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// `r`.
    pub read: bool,
    /// `w`.
    pub write: bool,
    /// `x`.
    pub exec: bool,
    /// `s` (shared) rather than `p` (private).
    pub shared: bool,
    /// File offset.
    pub offset: u64,
    /// Device, `major:minor` in hex.
    pub dev: String,
    /// Inode of the file, 0 for anonymous memory.
    pub inode: u64,
    /// Pathname or pseudo-name (`[heap]`, `[stack]`, `[anon:NAME]`...), empty for anonymous
    /// memory; a file that was deleted keeps its ` (deleted)` suffix here.
    pub name: String,
}

/// Pseudo-mappings the default selection leaves out: they are not the process's memory.
pub const SPECIAL: &[&str] = &[
    "[vsyscall]",
    "[vvar]",
    "[vvar_vclock]",
    "[vdso]",
    "[uprobes]",
];

const DELETED: &str = " (deleted)";

impl Mapping {
    /// The range of addresses.
    pub fn range(&self) -> AddrRange {
        AddrRange::new(self.start, self.end)
    }

    /// The file's path (without ` (deleted)`), for a file mapping.
    pub fn path(&self) -> Option<&str> {
        if !self.name.starts_with('/') {
            return None;
        }
        Some(self.name.strip_suffix(DELETED).unwrap_or(&self.name))
    }

    /// The mapped file was deleted.
    pub fn deleted(&self) -> bool {
        self.path().is_some() && self.name.ends_with(DELETED)
    }

    /// The last component of the file's path.
    pub fn basename(&self) -> Option<&str> {
        self.path()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .filter(|b| !b.is_empty())
    }

    /// Readable or writable: memory the process can have pages in (not a `---p` guard).
    pub fn accessible(&self) -> bool {
        self.read || self.write
    }

    /// One of the [`SPECIAL`] pseudo-mappings.
    pub fn special(&self) -> bool {
        SPECIAL.contains(&self.name.as_str())
    }

    /// `--map NAME` selects this mapping: NAME is its whole name (`[heap]`, `[stack]`,
    /// `/path/lib.so (deleted)`), its file's path, or its file's basename.
    pub fn matches(&self, name: &str) -> bool {
        !name.is_empty()
            && (self.name == name || self.path() == Some(name) || self.basename() == Some(name))
    }
}

/// A line of `/proc/PID/maps` that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapsError {
    /// 1-based line number.
    pub line_no: usize,
    /// The line.
    pub line: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl fmt::Display for MapsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot parse line {} of the maps file ({}): '{}'",
            self.line_no, self.reason, self.line
        )
    }
}

impl std::error::Error for MapsError {}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits off the next blank-separated field.
fn field(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(is_blank);
    if s.is_empty() {
        return None;
    }
    let end = s.find(is_blank).unwrap_or(s.len());
    Some((&s[..end], &s[end..]))
}

fn hex(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    u64::from_str_radix(s, 16)
        .ok()
        .filter(|_| !s.starts_with('+'))
}

/// Parses one line of `/proc/PID/maps` (without its newline).
pub fn parse_line(line: &str) -> Result<Mapping, &'static str> {
    let (range, rest) = field(line).ok_or("empty line")?;
    let (perms, rest) = field(rest).ok_or("no permissions")?;
    let (offset, rest) = field(rest).ok_or("no offset")?;
    let (dev, rest) = field(rest).ok_or("no device")?;
    let (inode, rest) = field(rest).ok_or("no inode")?;
    // The name is the rest after the padding: it may contain blanks of its own.
    let name = rest.trim_start_matches(is_blank);

    let (start, end) = range.split_once('-').ok_or("bad address range")?;
    let (start, end) = (
        hex(start).ok_or("bad start address")?,
        hex(end).ok_or("bad end address")?,
    );
    if end < start {
        return Err("end address below start");
    }
    let p = perms.as_bytes();
    if p.len() != 4
        || !matches!(p[0], b'r' | b'-')
        || !matches!(p[1], b'w' | b'-')
        || !matches!(p[2], b'x' | b'-')
        || !matches!(p[3], b's' | b'p')
    {
        return Err("bad permissions");
    }
    let offset = hex(offset).ok_or("bad offset")?;
    if !dev
        .split_once(':')
        .is_some_and(|(a, b)| hex(a).is_some() && hex(b).is_some())
    {
        return Err("bad device");
    }
    let inode = inode.parse::<u64>().map_err(|_| "bad inode")?;
    Ok(Mapping {
        start,
        end,
        read: p[0] == b'r',
        write: p[1] == b'w',
        exec: p[2] == b'x',
        shared: p[3] == b's',
        offset,
        dev: dev.to_string(),
        inode,
        name: name.to_string(),
    })
}

/// Parses the whole text of `/proc/PID/maps`.
pub fn parse_maps(text: &str) -> Result<Vec<Mapping>, MapsError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| {
            parse_line(line).map_err(|reason| MapsError {
                line_no: i + 1,
                line: line.to_string(),
                reason,
            })
        })
        .collect()
}

/// Why a selection could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SelectError {
    /// `--map NAME` matches no mapping at all.
    NoMatch(String),
    /// `--map NAME` matches only mappings that are neither readable nor writable.
    OnlyInaccessible(String),
    /// A `--range` does not round out to pages.
    Range(RangeError),
}

impl fmt::Display for SelectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoMatch(name) => write!(
                f,
                "no mapping matches --map '{name}' (expected a name as in /proc/PID/maps: \
                 [heap], [stack], a path or a file's basename)"
            ),
            Self::OnlyInaccessible(name) => write!(
                f,
                "--map '{name}' matches only mappings that are neither readable nor writable"
            ),
            Self::Range(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SelectError {}

/// The page-aligned, sorted and merged ranges to work on.
///
/// - `--range`s are rounded out to whole pages;
/// - each `--map NAME` selects every readable or writable mapping that [`Mapping::matches`] it,
///   and must select one;
/// - with neither, every readable or writable mapping except the [`SPECIAL`] ones.
pub fn select(
    maps: &[Mapping],
    names: &[String],
    ranges: &[AddrRange],
    page_size: u64,
) -> Result<Vec<AddrRange>, SelectError> {
    let mut out = Vec::new();
    if names.is_empty() && ranges.is_empty() {
        out.extend(
            maps.iter()
                .filter(|m| m.accessible() && !m.special())
                .map(Mapping::range),
        );
    }
    for name in names {
        let matching: Vec<&Mapping> = maps.iter().filter(|m| m.matches(name)).collect();
        if matching.is_empty() {
            return Err(SelectError::NoMatch(name.clone()));
        }
        let before = out.len();
        out.extend(
            matching
                .iter()
                .filter(|m| m.accessible())
                .map(|m| m.range()),
        );
        if out.len() == before {
            return Err(SelectError::OnlyInaccessible(name.clone()));
        }
    }
    for r in ranges {
        out.push(r.round_out(page_size).map_err(SelectError::Range)?);
    }
    // Mappings are page-aligned already; round them anyway so the result always is.
    let out = out
        .into_iter()
        .map(|r| r.round_out(page_size).map_err(SelectError::Range))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(merge(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::range::RangeErrorKind;

    const PAGE: u64 = 4096;

    const MAPS: &str = "\
55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1835107                    /usr/bin/cat
55d0c0a02000-55d0c0a07000 r-xp 00002000 fd:01 1835107                    /usr/bin/cat
55d0c1e6b000-55d0c1e8c000 rw-p 00000000 00:00 0                          [heap]
7f3a4c000000-7f3a4c021000 rw-p 00000000 00:00 0 \n\
7f3a4c021000-7f3a50000000 ---p 00000000 00:00 0 \n\
7f3a52000000-7f3a52028000 r--p 00000000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a52028000-7f3a521bd000 r-xp 00028000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a521bd000-7f3a52215000 r--p 001bd000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a52215000-7f3a52216000 ---p 00215000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a52216000-7f3a5221a000 r--p 00215000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a5221a000-7f3a5221c000 rw-p 00219000 fd:01 1840000                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f3a52300000-7f3a52400000 rw-s 00000000 00:01 4242                       /dev/shm/my segment (deleted)
7f3a52400000-7f3a52401000 rw-s 00000000 00:05 77                         /memfd:buf (deleted)
7f3a52500000-7f3a52502000 rw-p 00000000 00:00 0                          [anon:my arena]
7ffd3d6f0000-7ffd3d711000 rw-p 00000000 00:00 0                          [stack]
7ffd3d7c6000-7ffd3d7ca000 r--p 00000000 00:00 0                          [vvar]
7ffd3d7ca000-7ffd3d7cc000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

    fn maps() -> Vec<Mapping> {
        parse_maps(MAPS).unwrap()
    }

    fn sel(names: &[&str], ranges: &[AddrRange]) -> Result<Vec<AddrRange>, SelectError> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        select(&maps(), &names, ranges, PAGE)
    }

    #[test]
    fn parses_a_file_mapping() {
        let m = parse_line(
            "7f3a52028000-7f3a521bd000 r-xp 00028000 fd:01 1840000                    /usr/lib/libc.so.6",
        )
        .unwrap();
        assert_eq!(
            m,
            Mapping {
                start: 0x7f3a_5202_8000,
                end: 0x7f3a_521b_d000,
                read: true,
                write: false,
                exec: true,
                shared: false,
                offset: 0x28000,
                dev: "fd:01".into(),
                inode: 1_840_000,
                name: "/usr/lib/libc.so.6".into(),
            }
        );
        assert_eq!(m.path(), Some("/usr/lib/libc.so.6"));
        assert_eq!(m.basename(), Some("libc.so.6"));
        assert!(!m.deleted());
    }

    #[test]
    fn parses_anonymous_mappings_with_and_without_trailing_blank() {
        for line in [
            "7f3a4c000000-7f3a4c021000 rw-p 00000000 00:00 0 ",
            "7f3a4c000000-7f3a4c021000 rw-p 00000000 00:00 0",
        ] {
            let m = parse_line(line).unwrap();
            assert_eq!(m.name, "");
            assert_eq!(m.path(), None);
            assert_eq!(m.basename(), None);
            assert!(m.read && m.write && !m.exec && !m.shared);
            assert_eq!(
                m.range(),
                AddrRange::new(0x7f3a_4c00_0000, 0x7f3a_4c02_1000)
            );
        }
    }

    #[test]
    fn names_keep_their_blanks() {
        let m = parse_line(
            "7f3a52300000-7f3a52400000 rw-s 00000000 00:01 4242   /dev/shm/my  segment (deleted)",
        )
        .unwrap();
        assert_eq!(m.name, "/dev/shm/my  segment (deleted)");
        assert_eq!(m.path(), Some("/dev/shm/my  segment"));
        assert_eq!(m.basename(), Some("my  segment"));
        assert!(m.deleted() && m.shared);
        let m = parse_line("1000-2000 rw-p 00000000 00:00 0\t[anon:a b]").unwrap();
        assert_eq!(m.name, "[anon:a b]");
        assert!(!m.deleted());
    }

    #[test]
    fn deleted_suffix_only_counts_for_files() {
        let m = parse_line("1000-2000 rw-p 00000000 00:00 0 [anon:x (deleted)]").unwrap();
        assert_eq!(m.path(), None);
        assert!(!m.deleted());
        let m = parse_line("1000-2000 rw-p 00000000 00:05 9 /memfd:buf (deleted)").unwrap();
        assert_eq!(m.path(), Some("/memfd:buf"));
        assert_eq!(m.basename(), Some("memfd:buf"));
        assert!(m.deleted());
    }

    #[test]
    fn parses_a_whole_maps_file() {
        let maps = maps();
        assert_eq!(maps.len(), 18);
        assert_eq!(maps[2].name, "[heap]");
        assert_eq!(maps[4].name, "");
        assert!(!maps[4].accessible());
        assert_eq!(maps[17].start, 0xffff_ffff_ff60_0000);
        assert!(maps[17].special() && maps[16].special() && maps[15].special());
        assert!(!maps[14].special());
        assert_eq!(maps[10].offset, 0x219000);
        assert!(parse_maps("").unwrap().is_empty());
    }

    #[test]
    fn malformed_lines_are_errors() {
        let cases = [
            ("", "empty line"),
            ("1000-2000", "no permissions"),
            ("1000-2000 rw-p 0 00:00", "no inode"),
            ("10002000 rw-p 0 00:00 0", "bad address range"),
            ("zz-2000 rw-p 0 00:00 0", "bad start address"),
            ("1000-+2000 rw-p 0 00:00 0", "bad end address"),
            ("2000-1000 rw-p 0 00:00 0", "end address below start"),
            ("1000-2000 rwxq 0 00:00 0", "bad permissions"),
            ("1000-2000 rw- 0 00:00 0", "bad permissions"),
            ("1000-2000 rw-p g 00:00 0", "bad offset"),
            ("1000-2000 rw-p 0 0000 0", "bad device"),
            ("1000-2000 rw-p 0 00:00 x", "bad inode"),
        ];
        for (line, why) in cases {
            assert_eq!(parse_line(line), Err(why), "{line:?}");
        }
        let e = parse_maps("1000-2000 rw-p 0 00:00 0\n\nbad line\n").unwrap_err();
        assert_eq!(e.line_no, 3);
        assert_eq!(e.line, "bad line");
        assert!(e.to_string().contains("line 3"));
    }

    #[test]
    fn matching_by_name_path_and_basename() {
        let maps = maps();
        let names =
            |q: &str| -> Vec<usize> { (0..maps.len()).filter(|&i| maps[i].matches(q)).collect() };
        assert_eq!(names("[heap]"), vec![2]);
        assert_eq!(names("[stack]"), vec![14]);
        assert_eq!(names("cat"), vec![0, 1]);
        assert_eq!(names("/usr/bin/cat"), vec![0, 1]);
        assert_eq!(names("libc.so.6"), vec![5, 6, 7, 8, 9, 10]);
        assert_eq!(names("/dev/shm/my segment"), vec![11]);
        assert_eq!(names("my segment"), vec![11]);
        assert_eq!(names("/dev/shm/my segment (deleted)"), vec![11]);
        assert_eq!(names("memfd:buf"), vec![12]);
        assert_eq!(names("[anon:my arena]"), vec![13]);
        assert!(names("").is_empty());
        assert!(names("heap").is_empty());
        assert!(names("libc").is_empty());
        assert!(names("/usr/bin").is_empty());
        assert!(names("bin/cat").is_empty());
        assert!(names("segment").is_empty());
    }

    #[test]
    fn default_selection_skips_guards_and_special_mappings() {
        let got = sel(&[], &[]).unwrap();
        assert_eq!(
            got,
            vec![
                AddrRange::new(0x55d0_c0a0_0000, 0x55d0_c0a0_7000),
                AddrRange::new(0x55d0_c1e6_b000, 0x55d0_c1e8_c000),
                AddrRange::new(0x7f3a_4c00_0000, 0x7f3a_4c02_1000),
                AddrRange::new(0x7f3a_5200_0000, 0x7f3a_5221_5000),
                AddrRange::new(0x7f3a_5221_6000, 0x7f3a_5221_c000),
                AddrRange::new(0x7f3a_5230_0000, 0x7f3a_5240_1000),
                AddrRange::new(0x7f3a_5250_0000, 0x7f3a_5250_2000),
                AddrRange::new(0x7ffd_3d6f_0000, 0x7ffd_3d71_1000),
            ]
        );
        assert!(!got.iter().any(|r| r.start >= 0x7ffd_3d7c_6000));
    }

    #[test]
    fn selection_by_name() {
        assert_eq!(
            sel(&["[heap]"], &[]).unwrap(),
            vec![AddrRange::new(0x55d0_c1e6_b000, 0x55d0_c1e8_c000)]
        );
        // The ---p hole of libc is left out.
        assert_eq!(
            sel(&["libc.so.6"], &[]).unwrap(),
            vec![
                AddrRange::new(0x7f3a_5200_0000, 0x7f3a_5221_5000),
                AddrRange::new(0x7f3a_5221_6000, 0x7f3a_5221_c000),
            ]
        );
        // Explicitly named special mappings are allowed.
        assert_eq!(
            sel(&["[vdso]", "[stack]", "[vdso]"], &[]).unwrap(),
            vec![
                AddrRange::new(0x7ffd_3d6f_0000, 0x7ffd_3d71_1000),
                AddrRange::new(0x7ffd_3d7c_a000, 0x7ffd_3d7c_c000),
            ]
        );
    }

    #[test]
    fn selection_by_name_and_range_is_a_union() {
        let got = sel(
            &["[heap]"],
            &[
                AddrRange::new(0x1001, 0x1002),
                AddrRange::new(0x55d0_c1e8_b800, 0x55d0_c1e8_c800),
            ],
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                AddrRange::new(0x1000, 0x2000),
                AddrRange::new(0x55d0_c1e6_b000, 0x55d0_c1e8_d000),
            ]
        );
    }

    #[test]
    fn ranges_alone_ignore_the_maps() {
        assert_eq!(
            sel(&[], &[AddrRange::new(0x10, 0x20)]).unwrap(),
            vec![AddrRange::new(0, 0x1000)]
        );
    }

    #[test]
    fn selection_errors() {
        assert_eq!(
            sel(&["[heap]", "nonesuch.so"], &[]),
            Err(SelectError::NoMatch("nonesuch.so".into()))
        );
        let maps = parse_maps("1000-2000 ---p 00000000 00:00 0 [guard]\n").unwrap();
        assert_eq!(
            select(&maps, &["[guard]".to_string()], &[], PAGE),
            Err(SelectError::OnlyInaccessible("[guard]".into()))
        );
        let e = sel(&[], &[AddrRange::new(0x1000, u64::MAX)]).unwrap_err();
        assert!(matches!(e, SelectError::Range(ref r) if r.kind == RangeErrorKind::Overflow));
        let msg = SelectError::NoMatch("x y".into()).to_string();
        assert!(msg.contains("'x y'") && msg.contains("[heap]"), "{msg}");
    }

    #[test]
    fn empty_maps_select_nothing() {
        assert_eq!(select(&[], &[], &[], PAGE), Ok(vec![]));
    }
}
