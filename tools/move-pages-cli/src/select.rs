// SPDX-License-Identifier: GPL-2.0

//! Which pages a command works on: `--range` values, the mappings of `/proc/PID/maps` (parsed
//! by `procfs`), and their union as a set of page-aligned address ranges (`rangemap`), walked
//! page by page.

use procfs::process::{MMPermissions, MMapPath, MemoryMap};
use rangemap::RangeSet;
use std::ops::Range;

/// The mappings a selection without `--map` or `--range` leaves out: the kernel's own, whose
/// pages `move_pages(2)` cannot report or move.
pub const SPECIAL: &[&str] = &[
    "[vsyscall]",
    "[vvar]",
    "[vvar_vclock]",
    "[vdso]",
    "[uprobes]",
];

const DELETED: &str = " (deleted)";

/// Why a `--range` value is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid range '{value}': {reason}")]
pub struct RangeError {
    /// The value as given.
    pub value: String,
    /// What is wrong with it.
    pub reason: RangeReason,
}

/// What is wrong with a `--range` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeReason {
    /// Neither `START-END` nor `START+LEN`.
    #[error("expected START-END or START+LEN")]
    Form,
    /// START or END is not a number.
    #[error("START and END are decimal or 0x hexadecimal addresses")]
    Address,
    /// LEN is not a size.
    #[error("LEN is not a size (decimal or 0x hexadecimal, or a number with K, M, G or T)")]
    Len,
    /// END below START.
    #[error("END is below START")]
    Reversed,
    /// The range, or its rounding to pages, passes 2^64.
    #[error("beyond the 64-bit address space")]
    Overflow,
}

/// Parses an address: decimal, or hexadecimal after `0x`.
fn address(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) if !hex.starts_with('+') => u64::from_str_radix(hex, 16).ok(),
        Some(_) => None,
        None if s.starts_with('+') => None,
        None => s.parse().ok(),
    }
}

/// Parses a length: `0x` hexadecimal, or a size `parse_size` reads with binary units (`4K`,
/// `2M`, `1.5G`, `16KiB`).
fn length(s: &str) -> Result<u64, RangeReason> {
    if s.starts_with("0x") || s.starts_with("0X") {
        return address(s).ok_or(RangeReason::Len);
    }
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(RangeReason::Len);
    }
    parse_size::Config::new()
        .with_binary()
        .parse_size(s)
        .map_err(|e| match e {
            parse_size::Error::PosOverflow => RangeReason::Overflow,
            _ => RangeReason::Len,
        })
}

/// Parses `START-END` (END exclusive) or `START+LEN`; the `--range` value parser.
pub fn parse_range(value: &str) -> Result<Range<u64>, RangeError> {
    let err = |reason| RangeError {
        value: value.to_string(),
        reason,
    };
    let number = |s: &str| {
        address(s).ok_or_else(|| {
            // A number too long for 64 bits is an overflow, anything else a bad address.
            let digits = s.trim_start_matches("0x").trim_start_matches("0X");
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_hexdigit()) {
                err(RangeReason::Overflow)
            } else {
                err(RangeReason::Address)
            }
        })
    };
    if let Some((start, len)) = value.split_once('+') {
        let start = number(start)?;
        let len = length(len).map_err(err)?;
        let end = start.checked_add(len).ok_or(err(RangeReason::Overflow))?;
        return Ok(start..end);
    }
    let (start, end) = value.split_once('-').ok_or(err(RangeReason::Form))?;
    let (start, end) = (number(start)?, number(end)?);
    if end < start {
        return Err(err(RangeReason::Reversed));
    }
    Ok(start..end)
}

/// `r` rounded out to whole pages (start down, end up).
pub fn round_out(r: &Range<u64>, page_size: u64) -> Option<Range<u64>> {
    let start = r.start & !(page_size - 1);
    let end = r.end.checked_next_multiple_of(page_size)?;
    Some(start..end)
}

/// The name of a mapping as `/proc/PID/maps` prints it.
pub fn name(m: &MemoryMap) -> String {
    match &m.pathname {
        MMapPath::Path(p) => p.to_string_lossy().into_owned(),
        MMapPath::Heap => "[heap]".into(),
        MMapPath::Stack => "[stack]".into(),
        MMapPath::TStack(tid) => format!("[stack:{tid}]"),
        MMapPath::Vdso => "[vdso]".into(),
        MMapPath::Vvar => "[vvar]".into(),
        MMapPath::Vsyscall => "[vsyscall]".into(),
        MMapPath::Rollup => "[rollup]".into(),
        MMapPath::Anonymous => String::new(),
        MMapPath::Vsys(key) => format!("/SYSV{:08x}{DELETED}", *key as u32),
        MMapPath::Other(s) => format!("[{s}]"),
    }
}

/// Whether `--map NAME` names mapping `m`: its whole name (`[heap]`, `[anon:x]`,
/// `/path (deleted)`), its file's path without ` (deleted)`, or that path's last component.
pub fn matches(m: &MemoryMap, wanted: &str) -> bool {
    let full = name(m);
    if wanted.is_empty() {
        return false;
    }
    if full == wanted {
        return true;
    }
    let MMapPath::Path(_) = m.pathname else {
        return false;
    };
    let path = full.strip_suffix(DELETED).unwrap_or(&full);
    path == wanted || path.rsplit('/').next() == Some(wanted)
}

/// Whether the pages of `m` can be read or written: the others have nothing to report.
pub fn accessible(m: &MemoryMap) -> bool {
    m.perms
        .intersects(MMPermissions::READ | MMPermissions::WRITE)
}

/// Whether `m` is one of the kernel's [`SPECIAL`] mappings.
pub fn special(m: &MemoryMap) -> bool {
    SPECIAL.contains(&name(m).as_str())
}

/// The permissions as `/proc/PID/maps` prints them (`rw-p`).
pub fn perms(m: &MemoryMap) -> String {
    m.perms.as_str()
}

/// Why a selection is empty or wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// `--map NAME` matches no mapping.
    #[error(
        "no mapping matches --map '{0}' (expected a name as in /proc/PID/maps: [heap], [stack], \
         a path or a file's basename)"
    )]
    NoMatch(String),
    /// `--map NAME` matches only mappings that can be neither read nor written.
    #[error("--map '{0}' matches only mappings that are neither readable nor writable")]
    OnlyInaccessible(String),
    /// A range passes the end of the address space once rounded to pages.
    #[error("invalid range '{0:#x}-{1:#x}': beyond the 64-bit address space")]
    Overflow(u64, u64),
}

/// The mappings `--map` names select, or with no `--map` and no `--range`, every accessible
/// mapping but the [`SPECIAL`] ones.
pub fn mappings<'a>(
    maps: &'a [MemoryMap],
    names: &[String],
    any_range: bool,
) -> Result<Vec<&'a MemoryMap>, SelectError> {
    if names.is_empty() {
        return Ok(if any_range {
            Vec::new()
        } else {
            maps.iter()
                .filter(|m| accessible(m) && !special(m))
                .collect()
        });
    }
    let mut out = Vec::new();
    for wanted in names {
        let matching: Vec<&MemoryMap> = maps.iter().filter(|m| matches(m, wanted)).collect();
        if matching.is_empty() {
            return Err(SelectError::NoMatch(wanted.clone()));
        }
        let before = out.len();
        out.extend(matching.into_iter().filter(|m| accessible(m)));
        if out.len() == before {
            return Err(SelectError::OnlyInaccessible(wanted.clone()));
        }
    }
    Ok(out)
}

/// The pages a command works on: the union of the selected mappings and the ranges, rounded out
/// to pages, overlaps merged so that no page appears twice.
pub fn select(
    maps: &[MemoryMap],
    names: &[String],
    ranges: &[Range<u64>],
    page_size: u64,
) -> Result<Selection, SelectError> {
    let mut set = RangeSet::new();
    let whole = mappings(maps, names, !ranges.is_empty())?
        .into_iter()
        .map(|m| m.address.0..m.address.1);
    for r in whole.chain(ranges.iter().cloned()) {
        let r = round_out(&r, page_size).ok_or(SelectError::Overflow(r.start, r.end))?;
        if !r.is_empty() {
            set.insert(r);
        }
    }
    Ok(Selection { set, page_size })
}

/// Page-aligned, disjoint address ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    set: RangeSet<u64>,
    page_size: u64,
}

impl Selection {
    /// No page.
    pub fn empty(page_size: u64) -> Self {
        Self {
            set: RangeSet::new(),
            page_size,
        }
    }

    /// The pages of `ranges` (rounded out, merged).
    pub fn from_ranges(ranges: &[Range<u64>], page_size: u64) -> Option<Self> {
        let mut set = RangeSet::new();
        for r in ranges {
            let r = round_out(r, page_size)?;
            if !r.is_empty() {
                set.insert(r);
            }
        }
        Some(Self { set, page_size })
    }

    /// The number of pages.
    pub fn pages(&self) -> u64 {
        self.set
            .iter()
            .map(|r| (r.end - r.start) / self.page_size)
            .sum()
    }

    /// The merged ranges, in address order.
    pub fn ranges(&self) -> impl Iterator<Item = &Range<u64>> {
        self.set.iter()
    }

    /// Every page's address, in address order.
    pub fn addresses(&self) -> impl Iterator<Item = u64> + '_ {
        let step = self.page_size as usize;
        self.set
            .iter()
            .flat_map(move |r| (r.start..r.end).step_by(step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use procfs::process::MemoryMaps;
    use procfs::FromBufRead;

    const PAGE: u64 = 4096;

    fn reason(s: &str) -> RangeReason {
        parse_range(s).unwrap_err().reason
    }

    #[test]
    fn start_end_ranges() {
        assert_eq!(parse_range("0x1000-0x3000"), Ok(0x1000..0x3000));
        assert_eq!(parse_range("4096-8192"), Ok(4096..8192));
        assert_eq!(parse_range("0X7fFF-0x8000"), Ok(0x7fff..0x8000));
        assert_eq!(
            parse_range("0x7f0000000000-0xffffffffffffffff"),
            Ok(0x7f00_0000_0000..u64::MAX)
        );
    }

    #[test]
    fn start_len_ranges_take_binary_units_and_hex() {
        assert_eq!(parse_range("0x1000+4K"), Ok(0x1000..0x2000));
        assert_eq!(parse_range("0x1000+4k"), Ok(0x1000..0x2000));
        assert_eq!(parse_range("0x1000+0x2000"), Ok(0x1000..0x3000));
        assert_eq!(parse_range("0+1G"), Ok(0..1 << 30));
        assert_eq!(parse_range("0+2M"), Ok(0..2 << 20));
        assert_eq!(parse_range("0+3T"), Ok(0..3 << 40));
        assert_eq!(parse_range("100+1"), Ok(100..101));
    }

    #[test]
    fn bad_ranges_say_why() {
        assert_eq!(reason("0x2000-0x1000"), RangeReason::Reversed);
        assert_eq!(reason("0x1000"), RangeReason::Form);
        assert_eq!(reason("x-0x1000"), RangeReason::Address);
        assert_eq!(reason("+1-2"), RangeReason::Address);
        assert_eq!(reason("0x1000+1X"), RangeReason::Len);
        assert_eq!(reason("0x1000+K"), RangeReason::Len);
        assert_eq!(reason("0x1000+-1"), RangeReason::Len);
        assert_eq!(reason("0xffffffffffffffff+1"), RangeReason::Overflow);
        assert_eq!(reason("0xfffffffffffff000+1M"), RangeReason::Overflow);
        assert_eq!(reason("1-0x10000000000000000"), RangeReason::Overflow);
        assert_eq!(reason("0+16777216T"), RangeReason::Overflow);
        let e = parse_range("0x2000-0x1000").unwrap_err().to_string();
        assert_eq!(e, "invalid range '0x2000-0x1000': END is below START");
    }

    #[test]
    fn rounding_is_outward_and_checked() {
        assert_eq!(round_out(&(0x1001..0x1002), PAGE), Some(0x1000..0x2000));
        assert_eq!(round_out(&(0x1000..0x2000), PAGE), Some(0x1000..0x2000));
        assert_eq!(round_out(&(0..u64::MAX), PAGE), None);
    }

    const MAPS: &str = "\
55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234   /usr/bin/cat
55d0c0c00000-55d0c0c21000 rw-p 00000000 00:00 0      [heap]
7f0000000000-7f0000010000 ---p 00000000 00:00 0 
7f0000010000-7f0000020000 rw-p 00000000 00:00 0 
7f1000000000-7f1000001000 rw-s 00000000 00:05 77     /dev/shm/my  segment (deleted)
7f2000000000-7f2000004000 r-xp 00000000 08:01 99     /usr/lib/libc.so.6
7f3000000000-7f3000001000 rw-p 00000000 00:00 0      [anon:buf]
7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0      [stack]
7ffc00100000-7ffc00104000 r--p 00000000 00:00 0      [vvar]
7ffc00104000-7ffc00106000 r-xp 00000000 00:00 0      [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0      [vsyscall]
";

    fn one(r: Range<u64>) -> Vec<Range<u64>> {
        vec![r]
    }

    fn maps() -> Vec<MemoryMap> {
        MemoryMaps::from_buf_read(MAPS.as_bytes()).unwrap().0
    }

    fn sel(names: &[&str], ranges: &[Range<u64>]) -> Result<Vec<Range<u64>>, SelectError> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        select(&maps(), &names, ranges, PAGE).map(|s| s.ranges().cloned().collect())
    }

    #[test]
    fn names_as_the_maps_file_prints_them() {
        let m = maps();
        let names: Vec<String> = m.iter().map(name).collect();
        assert_eq!(names[1], "[heap]");
        assert_eq!(names[2], "");
        assert_eq!(names[4], "/dev/shm/my  segment (deleted)");
        assert_eq!(names[6], "[anon:buf]");
        assert_eq!(perms(&m[4]), "rw-s");
        assert!(matches(&m[4], "/dev/shm/my  segment"));
        assert!(matches(&m[4], "my  segment"));
        assert!(matches(&m[5], "libc.so.6"));
        assert!(matches(&m[6], "[anon:buf]"));
        assert!(!matches(&m[6], "anon:buf"));
        assert!(!matches(&m[2], ""));
        assert!(special(&m[8]) && special(&m[9]) && special(&m[10]) && !special(&m[7]));
        assert!(!accessible(&m[2]) && !accessible(&m[10]) && accessible(&m[5]));
    }

    #[test]
    fn no_selection_is_every_accessible_mapping_but_the_kernel_s() {
        let r = sel(&[], &[]).unwrap();
        assert_eq!(r[0], 0x55d0_c0a0_0000..0x55d0_c0a0_2000);
        assert!(!r.iter().any(|r| r.contains(&0x7f00_0000_0000)));
        assert!(!r.iter().any(|r| r.contains(&0x7ffc_0010_0000)));
        // The two adjacent anonymous mappings [anon:x] and [stack] do not touch; the libc and
        // anonymous ones neither: 7 accessible, non-special mappings, none merged.
        assert_eq!(r.len(), 7);
    }

    #[test]
    fn maps_and_ranges_are_a_union_without_duplicates() {
        let r = sel(&["[heap]"], &one(0x55d0_c0c0_0800..0x55d0_c0c4_0001)).unwrap();
        assert_eq!(r, vec![0x55d0_c0c0_0000..0x55d0_c0c4_1000]);
        let s = Selection::from_ranges(&[0x1000..0x3000, 0x2000..0x4000, 0x8000..0x8001], PAGE)
            .unwrap();
        assert_eq!(s.pages(), 4);
        let a: Vec<u64> = s.addresses().collect();
        assert_eq!(a, vec![0x1000, 0x2000, 0x3000, 0x8000]);
        // Ranges alone select no mapping.
        assert_eq!(
            sel(&[], &one(0x1000..0x2000)).unwrap(),
            vec![0x1000..0x2000]
        );
    }

    #[test]
    fn names_that_select_nothing_are_errors() {
        assert_eq!(
            sel(&["nope.so"], &[]),
            Err(SelectError::NoMatch("nope.so".into()))
        );
        assert_eq!(
            sel(&["[vsyscall]"], &[]),
            Err(SelectError::OnlyInaccessible("[vsyscall]".into()))
        );
        assert!(matches!(
            sel(&[], &one(0..u64::MAX)),
            Err(SelectError::Overflow(0, u64::MAX))
        ));
    }
}
