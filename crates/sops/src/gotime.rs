//! The few Go `time` behaviours sops' output depends on: YAML timestamps are decoded by yaml.v3
//! into `time.Time`, hashed into the MAC as RFC 3339 and printed back as RFC 3339 with nanoseconds.

/// A calendar instant as Go keeps it: fields plus the zone offset it was written with.
#[derive(Clone, Copy, PartialEq, Eq, zeroize::Zeroize)]
pub(crate) struct Timestamp {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    /// Offset east of UTC in minutes; 0 prints as `Z`, as Go does.
    offset_minutes: i32,
}

fn is_leap(y: i32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in(month: u8, year: i32) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A cursor over the value being parsed, mirroring Go's layout-driven parser.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.s.len() && self.i - start < max && self.s[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        let mut v = 0u32;
        for &b in &self.s[start..self.i] {
            v = v * 10 + u32::from(b - b'0');
        }
        Some(v)
    }

    fn lit(&mut self, c: u8) -> Option<()> {
        (self.s.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// Go accepts a fractional second after the seconds even when the layout has none.
    fn fraction(&mut self) -> u32 {
        let s = self.s;
        if self.i + 1 < s.len()
            && (s[self.i] == b'.' || s[self.i] == b',')
            && s[self.i + 1].is_ascii_digit()
        {
            self.i += 1;
            let start = self.i;
            while self.i < s.len() && s[self.i].is_ascii_digit() {
                self.i += 1;
            }
            let mut nanos = 0u32;
            for k in 0..9 {
                nanos *= 10;
                if let Some(&d) = s.get(start + k).filter(|_| start + k < self.i) {
                    nanos += u32::from(d - b'0');
                }
            }
            nanos
        } else {
            0
        }
    }

    fn zone(&mut self) -> Option<i32> {
        if self.lit(b'Z').is_some() {
            return Some(0);
        }
        let sign = match self.s.get(self.i) {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return None,
        };
        self.i += 1;
        let h = self.digits(2, 2)?;
        self.lit(b':')?;
        let m = self.digits(2, 2)?;
        if h > 23 || m > 59 {
            return None;
        }
        Some(sign * i32::try_from(h * 60 + m).ok()?)
    }

    fn done(&self) -> bool {
        self.i == self.s.len()
    }
}

fn build(
    date: (u32, u32, u32),
    time: (u32, u32, u32),
    nanos: u32,
    offset: i32,
) -> Option<Timestamp> {
    let (year, month, day) = date;
    let (hour, minute, second) = time;
    let year = i32::try_from(year).ok()?;
    let month = u8::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u8::try_from(day)
        .ok()
        .filter(|d| *d >= 1 && *d <= days_in(month, year))?;
    Some(Timestamp {
        year,
        month,
        day,
        hour: u8::try_from(hour).ok().filter(|h| *h < 24)?,
        minute: u8::try_from(minute).ok().filter(|m| *m < 60)?,
        second: u8::try_from(second).ok().filter(|s| *s < 60)?,
        nanos,
        offset_minutes: offset,
    })
}

/// yaml.v3's `parseTimestamp`: `YYYY-` then one of its four layouts, all with short date fields.
pub(crate) fn parse_yaml_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let lead = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if lead != 4 || b.get(4) != Some(&b'-') {
        return None;
    }
    let mut c = Cursor { s: b, i: 0 };
    let year = c.digits(4, 4)?;
    c.lit(b'-')?;
    let month = c.digits(1, 2)?;
    c.lit(b'-')?;
    let day = c.digits(1, 2)?;
    if c.done() {
        return build((year, month, day), (0, 0, 0), 0, 0);
    }
    let sep = b[c.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    c.i += 1;
    let hour = c.digits(1, 2)?;
    c.lit(b':')?;
    let minute = c.digits(1, 2)?;
    c.lit(b':')?;
    let second = c.digits(1, 2)?;
    let nanos = c.fraction();
    let offset = if sep == b' ' { 0 } else { c.zone()? };
    c.done().then_some(())?;
    build((year, month, day), (hour, minute, second), nanos, offset)
}

/// Go's `time.Parse(time.RFC3339, s)`, used for `type:time` values and `sops.lastmodified`.
pub(crate) fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    let mut c = Cursor {
        s: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4, 4)?;
    c.lit(b'-')?;
    let month = c.digits(2, 2)?;
    c.lit(b'-')?;
    let day = c.digits(2, 2)?;
    c.lit(b'T')?;
    let hour = c.digits(2, 2)?;
    c.lit(b':')?;
    let minute = c.digits(2, 2)?;
    c.lit(b':')?;
    let second = c.digits(2, 2)?;
    let nanos = c.fraction();
    let offset = c.zone()?;
    c.done().then_some(())?;
    build((year, month, day), (hour, minute, second), nanos, offset)
}

impl Timestamp {
    fn write(&self, out: &mut String, nanos: bool) {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if nanos && self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset_minutes == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let m = self.offset_minutes.unsigned_abs();
            let _ = write!(out, "{sign}{:02}:{:02}", m / 60, m % 60);
        }
    }

    /// `t.Format(time.RFC3339)`: what sops hashes into the MAC and encrypts.
    pub(crate) fn rfc3339(&self) -> String {
        let mut s = String::with_capacity(25);
        self.write(&mut s, false);
        s
    }

    /// `t.Format(time.RFC3339Nano)`: how yaml.v3 prints a `time.Time`.
    pub(crate) fn rfc3339_nano(&self) -> String {
        let mut s = String::with_capacity(35);
        self.write(&mut s, true);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_timestamps_normalise_like_go() {
        let t = parse_yaml_timestamp("2024-5-6").expect("date");
        assert_eq!(t.rfc3339(), "2024-05-06T00:00:00Z");
        let t = parse_yaml_timestamp("2024-05-06 10:00:00.50").expect("space");
        assert_eq!(t.rfc3339(), "2024-05-06T10:00:00Z");
        assert_eq!(t.rfc3339_nano(), "2024-05-06T10:00:00.5Z");
        let t = parse_yaml_timestamp("2024-05-06T10:00:00+00:00").expect("zone");
        assert_eq!(t.rfc3339(), "2024-05-06T10:00:00Z");
        let t = parse_yaml_timestamp("2024-05-06t10:00:00-05:30").expect("zone");
        assert_eq!(t.rfc3339(), "2024-05-06T10:00:00-05:30");
        assert!(parse_yaml_timestamp("2023-02-29").is_none());
        assert!(parse_yaml_timestamp("12024-01-01").is_none());
        assert!(parse_yaml_timestamp("2024-01-01x").is_none());
    }

    #[test]
    fn rfc3339_is_strict() {
        assert!(parse_rfc3339("2026-11-22T04:14:09Z").is_some());
        assert!(parse_rfc3339("2026-11-22 04:14:09Z").is_none());
        assert!(parse_rfc3339("2026-1-22T04:14:09Z").is_none());
    }
}
