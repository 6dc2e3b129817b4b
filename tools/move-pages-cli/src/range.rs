// SPDX-License-Identifier: GPL-2.0

//! Address ranges: `--range START-END` / `--range START+LEN`, numbers and sizes, rounding out
//! to whole pages, merging, and iterating over the pages of a selection.

use std::fmt;

/// A half-open address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddrRange {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
}

impl AddrRange {
    /// The range `[start, end)`.
    pub const fn new(start: u64, end: u64) -> Self {
        Self { start, end }
    }

    /// Number of bytes.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// No bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rounds the start down and the end up to `page_size` (a power of two), so that every page
    /// the range touches is whole in it.
    pub fn round_out(self, page_size: u64) -> Result<Self, RangeError> {
        debug_assert!(page_size.is_power_of_two());
        let mask = page_size - 1;
        let end = self.end.checked_add(mask).ok_or_else(|| RangeError {
            input: format!("{:#x}-{:#x}", self.start, self.end),
            kind: RangeErrorKind::Overflow,
        })? & !mask;
        Ok(Self::new(self.start & !mask, end))
    }
}

impl fmt::Display for AddrRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}-{:#x}", self.start, self.end)
    }
}

/// What is wrong with a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumError {
    /// Not a decimal or `0x` hexadecimal number (or a bad size suffix).
    Invalid,
    /// Does not fit in 64 bits.
    Overflow,
}

/// Parses a decimal number, or a hexadecimal one with a `0x` prefix.
pub fn parse_number(s: &str) -> Result<u64, NumError> {
    let (digits, radix) = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (s, 10),
    };
    if digits.is_empty() {
        return Err(NumError::Invalid);
    }
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or(NumError::Invalid)?;
        n = n
            .checked_mul(u64::from(radix))
            .and_then(|n| n.checked_add(u64::from(d)))
            .ok_or(NumError::Overflow)?;
    }
    Ok(n)
}

/// Parses a size: a number as [`parse_number`], optionally followed by `K`, `M`, `G` or `T`
/// (binary multiples, either case).
pub fn parse_size(s: &str) -> Result<u64, NumError> {
    let shift = match s.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        _ => 0,
    };
    let digits = if shift == 0 { s } else { &s[..s.len() - 1] };
    let n = parse_number(digits)?;
    n.checked_mul(1u64 << shift).ok_or(NumError::Overflow)
}

/// What is wrong with a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeErrorKind {
    /// Neither `START-END` nor `START+LEN`.
    Syntax,
    /// START is not a number.
    BadStart,
    /// END is not a number.
    BadEnd,
    /// LEN is not a size.
    BadLength,
    /// A number, `START+LEN`, or the end rounded up to a page, does not fit in 64 bits.
    Overflow,
    /// END is not above START, or LEN is zero.
    Empty,
}

/// A range that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub kind: RangeErrorKind,
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = match self.kind {
            RangeErrorKind::Syntax => "expected START-END or START+LEN",
            RangeErrorKind::BadStart => "START is not a decimal or 0x hexadecimal number",
            RangeErrorKind::BadEnd => "END is not a decimal or 0x hexadecimal number",
            RangeErrorKind::BadLength => {
                "LEN is not a decimal or 0x hexadecimal number with an optional K, M, G or T"
            }
            RangeErrorKind::Overflow => "beyond the 64-bit address space",
            RangeErrorKind::Empty => "empty (END must be above START, LEN above 0)",
        };
        write!(f, "invalid range '{}': {}", self.input, why)
    }
}

impl std::error::Error for RangeError {}

/// Parses `START-END` (END exclusive) or `START+LEN`; the result is not rounded to pages.
pub fn parse_range(s: &str) -> Result<AddrRange, RangeError> {
    let err = |kind| RangeError {
        input: s.to_string(),
        kind,
    };
    let num = |r: Result<u64, NumError>, bad| {
        r.map_err(|e| match e {
            NumError::Invalid => err(bad),
            NumError::Overflow => err(RangeErrorKind::Overflow),
        })
    };
    let Some(sep) = s.find(['-', '+']) else {
        return Err(err(RangeErrorKind::Syntax));
    };
    let (left, right) = (&s[..sep], &s[sep + 1..]);
    let start = num(parse_number(left), RangeErrorKind::BadStart)?;
    let end = if s.as_bytes()[sep] == b'+' {
        let len = num(parse_size(right), RangeErrorKind::BadLength)?;
        start
            .checked_add(len)
            .ok_or(err(RangeErrorKind::Overflow))?
    } else {
        num(parse_number(right), RangeErrorKind::BadEnd)?
    };
    if end <= start {
        return Err(err(RangeErrorKind::Empty));
    }
    Ok(AddrRange::new(start, end))
}

/// Sorts `ranges` and merges those that overlap or touch, so that no page appears twice.
pub fn merge(mut ranges: Vec<AddrRange>) -> Vec<AddrRange> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort();
    let mut out: Vec<AddrRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// Number of pages in page-aligned `ranges`.
pub fn count_pages(ranges: &[AddrRange], page_size: u64) -> u64 {
    ranges.iter().map(|r| r.len() / page_size).sum()
}

/// The page addresses of page-aligned `ranges`, in order.
#[derive(Clone, Debug)]
pub struct Pages<'a> {
    ranges: &'a [AddrRange],
    next: u64,
    page_size: u64,
}

impl<'a> Pages<'a> {
    /// Iterates over the pages of `ranges`.
    pub fn new(ranges: &'a [AddrRange], page_size: u64) -> Self {
        let next = ranges.first().map_or(0, |r| r.start);
        Self {
            ranges,
            next,
            page_size,
        }
    }
}

impl Iterator for Pages<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        loop {
            let r = self.ranges.first()?;
            if self.next >= r.start && self.next < r.end && r.end - self.next >= self.page_size {
                let page = self.next;
                self.next += self.page_size;
                return Some(page);
            }
            self.ranges = &self.ranges[1..];
            if let Some(r) = self.ranges.first() {
                self.next = r.start;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: u64 = 4096;

    fn kind(s: &str) -> RangeErrorKind {
        parse_range(s).unwrap_err().kind
    }

    #[test]
    fn numbers_are_decimal_or_0x_hex() {
        assert_eq!(parse_number("0"), Ok(0));
        assert_eq!(parse_number("4096"), Ok(4096));
        assert_eq!(parse_number("0x1000"), Ok(4096));
        assert_eq!(parse_number("0X7fFF"), Ok(0x7fff));
        assert_eq!(parse_number("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_number("18446744073709551615"), Ok(u64::MAX));
        for bad in [
            "", "0x", "x10", "12a", "ff", "+1", "-1", " 1", "1 ", "0x-1", "1_000",
        ] {
            assert_eq!(parse_number(bad), Err(NumError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn numbers_beyond_64_bits_overflow() {
        assert_eq!(
            parse_number("18446744073709551616"),
            Err(NumError::Overflow)
        );
        assert_eq!(parse_number("0x10000000000000000"), Err(NumError::Overflow));
        assert_eq!(
            parse_number("99999999999999999999999"),
            Err(NumError::Overflow)
        );
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("3t"), Ok(3 << 40));
        assert_eq!(parse_size("0x10K"), Ok(16 << 10));
        assert_eq!(parse_size("16777215T"), Ok(16_777_215u64 << 40));
        assert_eq!(parse_size("16777216T"), Err(NumError::Overflow));
        assert_eq!(parse_size("0x1000000000000000K"), Err(NumError::Overflow));
        for bad in ["K", "", "4KB", "4 K", "4P", "1.5M", "M4"] {
            assert_eq!(parse_size(bad), Err(NumError::Invalid), "{bad:?}");
        }
    }

    #[test]
    fn start_end_ranges() {
        assert_eq!(
            parse_range("0x1000-0x3000"),
            Ok(AddrRange::new(0x1000, 0x3000))
        );
        assert_eq!(parse_range("4096-8192"), Ok(AddrRange::new(4096, 8192)));
        assert_eq!(parse_range("0-1"), Ok(AddrRange::new(0, 1)));
        assert_eq!(
            parse_range("0x7f0000000000-0xffffffffffffffff"),
            Ok(AddrRange::new(0x7f00_0000_0000, u64::MAX))
        );
    }

    #[test]
    fn start_len_ranges() {
        assert_eq!(parse_range("0x1000+4K"), Ok(AddrRange::new(0x1000, 0x2000)));
        assert_eq!(
            parse_range("0x1000+0x2000"),
            Ok(AddrRange::new(0x1000, 0x3000))
        );
        assert_eq!(parse_range("0+1G"), Ok(AddrRange::new(0, 1 << 30)));
        assert_eq!(parse_range("100+1"), Ok(AddrRange::new(100, 101)));
    }

    #[test]
    fn malformed_ranges() {
        for s in ["", "0x1000", "abc", "0x1000:0x2000", "0x1000 0x2000"] {
            assert_eq!(kind(s), RangeErrorKind::Syntax, "{s:?}");
        }
        assert_eq!(kind("-0x1000"), RangeErrorKind::BadStart);
        assert_eq!(kind("zz-0x1000"), RangeErrorKind::BadStart);
        assert_eq!(kind("0x1000-"), RangeErrorKind::BadEnd);
        assert_eq!(kind("0x1000-4K"), RangeErrorKind::BadEnd);
        assert_eq!(kind("0x1000-0x2000-0x3000"), RangeErrorKind::BadEnd);
        assert_eq!(kind("0x1000+"), RangeErrorKind::BadLength);
        assert_eq!(kind("0x1000+4X"), RangeErrorKind::BadLength);
        assert_eq!(kind("0x1000+-1"), RangeErrorKind::BadLength);
    }

    #[test]
    fn empty_and_reversed_ranges() {
        assert_eq!(kind("0x2000-0x2000"), RangeErrorKind::Empty);
        assert_eq!(kind("0x3000-0x2000"), RangeErrorKind::Empty);
        assert_eq!(kind("0x2000+0"), RangeErrorKind::Empty);
        assert_eq!(kind("0x2000+0K"), RangeErrorKind::Empty);
    }

    #[test]
    fn overflowing_ranges() {
        assert_eq!(kind("0xffffffffffffffff+1"), RangeErrorKind::Overflow);
        assert_eq!(kind("0xfffffffffffff000+1M"), RangeErrorKind::Overflow);
        assert_eq!(kind("1-0x10000000000000000"), RangeErrorKind::Overflow);
        assert_eq!(kind("0x10000000000000000-1"), RangeErrorKind::Overflow);
        assert_eq!(kind("0+16777216T"), RangeErrorKind::Overflow);
    }

    #[test]
    fn range_errors_name_the_input() {
        let msg = parse_range("0x3000-0x2000").unwrap_err().to_string();
        assert!(msg.contains("'0x3000-0x2000'"), "{msg}");
        assert!(msg.contains("END must be above START"), "{msg}");
    }

    #[test]
    fn ranges_round_out_to_pages() {
        let r = |s, e| AddrRange::new(s, e).round_out(PAGE).unwrap();
        assert_eq!(r(0x1000, 0x2000), AddrRange::new(0x1000, 0x2000));
        assert_eq!(r(0x1001, 0x1002), AddrRange::new(0x1000, 0x2000));
        assert_eq!(r(0x1fff, 0x2001), AddrRange::new(0x1000, 0x3000));
        assert_eq!(r(0, 1), AddrRange::new(0, PAGE));
        assert_eq!(
            r(0, 0xffff_ffff_ffff_f000),
            AddrRange::new(0, 0xffff_ffff_ffff_f000)
        );
        let e = AddrRange::new(0, u64::MAX).round_out(PAGE).unwrap_err();
        assert_eq!(e.kind, RangeErrorKind::Overflow);
        assert_eq!(
            AddrRange::new(0x1234, 0x5678).round_out(0x10_0000).unwrap(),
            AddrRange::new(0, 0x10_0000)
        );
    }

    #[test]
    fn merging_sorts_and_coalesces() {
        let m = merge(vec![
            AddrRange::new(0x5000, 0x6000),
            AddrRange::new(0x1000, 0x3000),
            AddrRange::new(0x2000, 0x4000),
            AddrRange::new(0x4000, 0x4000),
            AddrRange::new(0x4000, 0x5000),
            AddrRange::new(0x9000, 0xa000),
            AddrRange::new(0x9000, 0x9800),
        ]);
        assert_eq!(
            m,
            vec![
                AddrRange::new(0x1000, 0x6000),
                AddrRange::new(0x9000, 0xa000)
            ]
        );
        assert_eq!(merge(vec![]), vec![]);
    }

    #[test]
    fn pages_of_ranges() {
        let ranges = [
            AddrRange::new(0x1000, 0x3000),
            AddrRange::new(0x8000, 0x9000),
        ];
        let pages: Vec<u64> = Pages::new(&ranges, PAGE).collect();
        assert_eq!(pages, vec![0x1000, 0x2000, 0x8000]);
        assert_eq!(count_pages(&ranges, PAGE), 3);
        assert_eq!(Pages::new(&[], PAGE).count(), 0);
        let top = [AddrRange::new(0xffff_ffff_ffff_e000, 0xffff_ffff_ffff_f000)];
        assert_eq!(
            Pages::new(&top, PAGE).collect::<Vec<_>>(),
            vec![0xffff_ffff_ffff_e000]
        );
    }

    #[test]
    fn pages_come_in_batches() {
        let ranges = [AddrRange::new(0, 10 * PAGE)];
        let mut it = Pages::new(&ranges, PAGE);
        let sizes: Vec<usize> = std::iter::from_fn(|| {
            let n = it.by_ref().take(4).count();
            (n > 0).then_some(n)
        })
        .collect();
        assert_eq!(sizes, vec![4, 4, 2]);
    }
}
