//! Sprig's dates with Go's reference-time layouts (`2006-01-02T15:04:05Z07:00`). The current
//! time comes from the engine's clock; "Local" is UTC, as in a container without a zone.

use std::rc::Rc;

use super::convert::to_int64;
use super::{Registry, Ty, arg, arg_str, err};
use crate::template::exec::Engine;
use crate::template::value::{Object, Value};

/// A Go `time.Time`: an instant plus a fixed zone offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Time {
    /// Seconds since the epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
    /// Zone offset east of UTC in seconds.
    pub offset: i32,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nanos: u32,
    weekday: usize,
    yday: u32,
}

impl Time {
    fn parts(&self) -> Parts {
        let local = self.secs + i64::from(self.offset);
        let days = local.div_euclid(86_400);
        let rem = local.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let yday = (days - days_from_civil(year, 1, 1) + 1) as u32;
        Parts {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            min: ((rem % 3600) / 60) as u32,
            sec: (rem % 60) as u32,
            nanos: self.nanos,
            weekday: (days + 4).rem_euclid(7) as usize,
            yday,
        }
    }

    fn zone_name(&self) -> String {
        if self.offset == 0 {
            "UTC".into()
        } else {
            let o = self.offset.abs();
            let sign = if self.offset < 0 { '-' } else { '+' };
            if o % 3600 == 0 {
                format!("{sign}{:02}", o / 3600)
            } else {
                format!("{sign}{:02}{:02}", o / 3600, (o % 3600) / 60)
            }
        }
    }

    /// Go's `Time.Format`.
    pub(crate) fn format(&self, layout: &str) -> String {
        let p = self.parts();
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (tok, len) = next_token(rest);
            let lit = rest.get(..len).unwrap_or("");
            match tok {
                Tok::Lit => out.push_str(lit),
                Tok::LongMonth => out.push_str(MONTHS.get(p.month as usize - 1).unwrap_or(&"")),
                Tok::Month => {
                    out.push_str(MONTHS.get(p.month as usize - 1).map_or("", |m| &m[..3]))
                }
                Tok::NumMonth => out.push_str(&p.month.to_string()),
                Tok::ZeroMonth => out.push_str(&format!("{:02}", p.month)),
                Tok::LongWeekDay => out.push_str(DAYS.get(p.weekday).unwrap_or(&"")),
                Tok::WeekDay => out.push_str(DAYS.get(p.weekday).map_or("", |d| &d[..3])),
                Tok::Day => out.push_str(&p.day.to_string()),
                Tok::UnderDay => out.push_str(&format!("{:>2}", p.day)),
                Tok::ZeroDay => out.push_str(&format!("{:02}", p.day)),
                Tok::ZeroYearDay => out.push_str(&format!("{:03}", p.yday)),
                Tok::Hour => out.push_str(&format!("{:02}", p.hour)),
                Tok::Hour12 => out.push_str(
                    &(if p.hour.is_multiple_of(12) {
                        12
                    } else {
                        p.hour % 12
                    })
                    .to_string(),
                ),
                Tok::ZeroHour12 => out.push_str(&format!(
                    "{:02}",
                    if p.hour.is_multiple_of(12) {
                        12
                    } else {
                        p.hour % 12
                    }
                )),
                Tok::Minute => out.push_str(&p.min.to_string()),
                Tok::ZeroMinute => out.push_str(&format!("{:02}", p.min)),
                Tok::Second => out.push_str(&p.sec.to_string()),
                Tok::ZeroSecond => out.push_str(&format!("{:02}", p.sec)),
                Tok::LongYear => out.push_str(&format!("{:04}", p.year)),
                Tok::Year => out.push_str(&format!("{:02}", p.year.rem_euclid(100))),
                Tok::PM => out.push_str(if p.hour >= 12 { "PM" } else { "AM" }),
                Tok::Pm => out.push_str(if p.hour >= 12 { "pm" } else { "am" }),
                Tok::TZ => out.push_str(&self.zone_name()),
                Tok::Offset { z, colon, secs: _ } => {
                    if z && self.offset == 0 {
                        out.push('Z');
                    } else {
                        let o = self.offset.abs();
                        out.push(if self.offset < 0 { '-' } else { '+' });
                        out.push_str(&format!("{:02}", o / 3600));
                        if len > 3 || !lit.ends_with("07") {
                            if colon {
                                out.push(':');
                            }
                            out.push_str(&format!("{:02}", (o % 3600) / 60));
                        }
                    }
                }
                Tok::Frac { digits, trim } => {
                    let s = format!("{:09}", p.nanos);
                    let s = s.get(..digits).unwrap_or(&s).to_string();
                    if trim {
                        let t = s.trim_end_matches('0');
                        if !t.is_empty() {
                            out.push_str(lit.get(..1).unwrap_or("."));
                            out.push_str(t);
                        }
                    } else {
                        out.push_str(lit.get(..1).unwrap_or("."));
                        out.push_str(&s);
                    }
                }
            }
            rest = rest.get(len..).unwrap_or("");
        }
        out
    }

    /// Go's `Time.String`.
    pub(crate) fn go_string(&self) -> String {
        let z = self.format("-0700");
        format!(
            "{} {} {}",
            self.format("2006-01-02 15:04:05.999999999"),
            z,
            self.zone_name()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Lit,
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekDay,
    WeekDay,
    Day,
    UnderDay,
    ZeroDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    PM,
    Pm,
    TZ,
    Offset { z: bool, colon: bool, secs: bool },
    Frac { digits: usize, trim: bool },
}

/// The next layout chunk at the start of `s` and its byte length.
fn next_token(s: &str) -> (Tok, usize) {
    let table: &[(&str, Tok)] = &[
        ("January", Tok::LongMonth),
        ("Jan", Tok::Month),
        ("Monday", Tok::LongWeekDay),
        ("Mon", Tok::WeekDay),
        ("MST", Tok::TZ),
        ("2006", Tok::LongYear),
        ("002", Tok::ZeroYearDay),
        ("01", Tok::ZeroMonth),
        ("02", Tok::ZeroDay),
        ("03", Tok::ZeroHour12),
        ("04", Tok::ZeroMinute),
        ("05", Tok::ZeroSecond),
        ("06", Tok::Year),
        ("15", Tok::Hour),
        ("_2", Tok::UnderDay),
        (
            "Z07:00:00",
            Tok::Offset {
                z: true,
                colon: true,
                secs: true,
            },
        ),
        (
            "Z070000",
            Tok::Offset {
                z: true,
                colon: false,
                secs: true,
            },
        ),
        (
            "Z07:00",
            Tok::Offset {
                z: true,
                colon: true,
                secs: false,
            },
        ),
        (
            "Z0700",
            Tok::Offset {
                z: true,
                colon: false,
                secs: false,
            },
        ),
        (
            "Z07",
            Tok::Offset {
                z: true,
                colon: false,
                secs: false,
            },
        ),
        (
            "-07:00:00",
            Tok::Offset {
                z: false,
                colon: true,
                secs: true,
            },
        ),
        (
            "-070000",
            Tok::Offset {
                z: false,
                colon: false,
                secs: true,
            },
        ),
        (
            "-07:00",
            Tok::Offset {
                z: false,
                colon: true,
                secs: false,
            },
        ),
        (
            "-0700",
            Tok::Offset {
                z: false,
                colon: false,
                secs: false,
            },
        ),
        (
            "-07",
            Tok::Offset {
                z: false,
                colon: false,
                secs: false,
            },
        ),
        ("PM", Tok::PM),
        ("pm", Tok::Pm),
        ("1", Tok::NumMonth),
        ("2", Tok::Day),
        ("3", Tok::Hour12),
        ("4", Tok::Minute),
        ("5", Tok::Second),
    ];
    if let Some(rest) = s.strip_prefix(['.', ',']) {
        let zeros = rest.chars().take_while(|c| *c == '0').count();
        let nines = rest.chars().take_while(|c| *c == '9').count();
        let n = zeros.max(nines);
        let after = rest.chars().nth(n);
        if n > 0 && !after.is_some_and(|c| c.is_ascii_digit()) {
            return (
                Tok::Frac {
                    digits: n.min(9),
                    trim: nines > 0,
                },
                n + 1,
            );
        }
    }
    for (pat, tok) in table {
        if s.starts_with(pat) {
            // "Jan" must not be followed by lowercase letters (e.g. "Janet").
            if matches!(tok, Tok::Month | Tok::WeekDay)
                && s.get(pat.len()..)
                    .and_then(|r| r.chars().next())
                    .is_some_and(char::is_lowercase)
            {
                continue;
            }
            return (*tok, pat.len());
        }
    }
    let len = s.chars().next().map_or(1, char::len_utf8);
    (Tok::Lit, len)
}

impl Object for Time {
    fn type_name(&self) -> String {
        "time.Time".into()
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Unix"
                | "UnixNano"
                | "UnixMilli"
                | "Year"
                | "Month"
                | "Day"
                | "Hour"
                | "Minute"
                | "Second"
                | "Nanosecond"
                | "YearDay"
                | "Weekday"
                | "Format"
                | "UTC"
                | "Local"
                | "String"
        )
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let p = self.parts();
        Ok(match name {
            "Unix" => Value::I64(self.secs),
            "UnixNano" => Value::I64(
                self.secs
                    .saturating_mul(1_000_000_000)
                    .saturating_add(i64::from(self.nanos)),
            ),
            "UnixMilli" => {
                Value::I64(self.secs.saturating_mul(1000) + i64::from(self.nanos / 1_000_000))
            }
            "Year" => Value::Int(p.year),
            "Month" => Value::from(MONTHS.get(p.month as usize - 1).copied().unwrap_or("")),
            "Day" => Value::Int(i64::from(p.day)),
            "Hour" => Value::Int(i64::from(p.hour)),
            "Minute" => Value::Int(i64::from(p.min)),
            "Second" => Value::Int(i64::from(p.sec)),
            "Nanosecond" => Value::Int(i64::from(p.nanos)),
            "YearDay" => Value::Int(i64::from(p.yday)),
            "Weekday" => Value::from(DAYS.get(p.weekday).copied().unwrap_or("")),
            "Format" => match args.first() {
                Some(Value::Str(l)) => Value::from(self.format(l)),
                _ => return Err("wrong number of args for Format: want 1 got 0".into()),
            },
            "UTC" | "Local" => Value::Object(Rc::new(Time { offset: 0, ..*self })),
            _ => Value::from(self.go_string()),
        })
    }
    fn display(&self) -> String {
        self.go_string()
    }
    fn to_data(&self) -> Value {
        Value::from(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }
    fn as_time(&self) -> Option<Time> {
        Some(*self)
    }
}

fn now(e: &Engine) -> Time {
    let n = e.env.clock.now_unix_nanos();
    Time {
        secs: i64::try_from(n.div_euclid(1_000_000_000)).unwrap_or(0),
        nanos: u32::try_from(n.rem_euclid(1_000_000_000)).unwrap_or(0),
        offset: 0,
    }
}

fn time_value(t: Time) -> Value {
    Value::Object(Rc::new(t))
}

/// Sprig's date argument: a time, or Unix seconds as an int; anything else means now.
fn date_arg(e: &Engine, v: &Value) -> Time {
    match v {
        Value::Object(o) => o.as_time().unwrap_or_else(|| now(e)),
        Value::Int(i) | Value::I64(i) => Time {
            secs: *i,
            nanos: 0,
            offset: 0,
        },
        _ => now(e),
    }
}

fn zone_offset(zone: &str) -> i32 {
    match zone {
        "UTC" | "Local" | "" => 0,
        z => parse_fixed_zone(z).unwrap_or(0),
    }
}

fn parse_fixed_zone(z: &str) -> Option<i32> {
    let (sign, rest) = match z.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, z.strip_prefix('+')?),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    Some(sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60))
}

/// Go's `time.ParseDuration` in nanoseconds.
pub(crate) fn parse_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest.get(..num_len)?.parse().ok()?;
        rest = rest.get(num_len..)?;
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = rest.get(..unit_len)?;
        rest = rest.get(unit_len..)?;
        let mult = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * mult;
    }
    let v = total as i128;
    Some(if neg { -v } else { v })
}

/// Go's `Duration.String`.
pub(crate) fn duration_string(d: i128) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1u128)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac_str(u, div));
        out.push_str(unit);
    } else {
        let secs_total = u / 1_000_000_000;
        let h = secs_total / 3600;
        let m = (secs_total % 3600) / 60;
        let s_ns = u % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac_str(s_ns, 1_000_000_000));
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn frac_str(v: u128, div: u128) -> String {
    let int = v / div;
    let frac = v % div;
    if frac == 0 {
        return int.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{frac:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// Go's `time.Parse` for the layouts charts use.
fn parse_time(layout: &str, value: &str) -> Result<Time, String> {
    let mut l = layout;
    let mut v = value;
    let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos) =
        (1i64, 1u32, 1u32, 0u32, 0u32, 0u32, 0u32);
    let mut pm: Option<bool> = None;
    let mut offset = 0i32;
    let bad = || {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            crate::template::gofmt::quote(value),
            crate::template::gofmt::quote(layout),
            crate::template::gofmt::quote(value),
            crate::template::gofmt::quote(layout)
        )
    };
    let take_num = |v: &mut &str, min_d: usize, max_d: usize| -> Option<u32> {
        let n = v
            .chars()
            .take(max_d)
            .take_while(char::is_ascii_digit)
            .count();
        if n < min_d {
            return None;
        }
        let r = v.get(..n)?.parse().ok();
        *v = v.get(n..)?;
        r
    };
    while !l.is_empty() {
        let (tok, len) = next_token(l);
        let lit = l.get(..len).unwrap_or("");
        l = l.get(len..).unwrap_or("");
        match tok {
            Tok::Lit => {
                v = v.strip_prefix(lit).ok_or_else(bad)?;
            }
            Tok::LongYear => year = i64::from(take_num(&mut v, 4, 4).ok_or_else(bad)?),
            Tok::Year => year = 2000 + i64::from(take_num(&mut v, 2, 2).ok_or_else(bad)?),
            Tok::ZeroMonth | Tok::NumMonth => month = take_num(&mut v, 1, 2).ok_or_else(bad)?,
            Tok::LongMonth | Tok::Month => {
                let idx = MONTHS
                    .iter()
                    .position(|m| {
                        let name = if tok == Tok::Month { &m[..3] } else { m };
                        v.starts_with(name)
                    })
                    .ok_or_else(bad)?;
                let n = if tok == Tok::Month {
                    3
                } else {
                    MONTHS.get(idx).map_or(0, |m| m.len())
                };
                v = v.get(n..).unwrap_or("");
                month = idx as u32 + 1;
            }
            Tok::LongWeekDay | Tok::WeekDay => {
                let idx = DAYS
                    .iter()
                    .position(|d| v.starts_with(if tok == Tok::WeekDay { &d[..3] } else { d }))
                    .ok_or_else(bad)?;
                let n = if tok == Tok::WeekDay {
                    3
                } else {
                    DAYS.get(idx).map_or(0, |d| d.len())
                };
                v = v.get(n..).unwrap_or("");
            }
            Tok::ZeroDay | Tok::Day | Tok::UnderDay => {
                v = v.trim_start_matches(' ');
                day = take_num(&mut v, 1, 2).ok_or_else(bad)?;
            }
            Tok::ZeroYearDay => {
                take_num(&mut v, 3, 3).ok_or_else(bad)?;
            }
            Tok::Hour => hour = take_num(&mut v, 1, 2).ok_or_else(bad)?,
            Tok::Hour12 | Tok::ZeroHour12 => hour = take_num(&mut v, 1, 2).ok_or_else(bad)?,
            Tok::Minute | Tok::ZeroMinute => min = take_num(&mut v, 1, 2).ok_or_else(bad)?,
            Tok::Second | Tok::ZeroSecond => {
                sec = take_num(&mut v, 1, 2).ok_or_else(bad)?;
                // Go accepts a fraction after seconds even when the layout has none.
                if v.starts_with('.') && !l.starts_with('.') {
                    let n = v.chars().skip(1).take_while(char::is_ascii_digit).count();
                    let digits = v.get(1..=n).unwrap_or("");
                    nanos = format!("{digits:0<9}")
                        .get(..9)
                        .unwrap_or("0")
                        .parse()
                        .unwrap_or(0);
                    v = v.get(n + 1..).unwrap_or("");
                }
            }
            Tok::Frac { .. } => {
                if let Some(r) = v.strip_prefix(['.', ',']) {
                    let n = r.chars().take_while(char::is_ascii_digit).count();
                    let digits = r.get(..n).unwrap_or("");
                    nanos = format!("{digits:0<9}")
                        .get(..9)
                        .unwrap_or("0")
                        .parse()
                        .unwrap_or(0);
                    v = r.get(n..).unwrap_or("");
                }
            }
            Tok::PM | Tok::Pm => {
                let up = v.get(..2).unwrap_or("").to_ascii_uppercase();
                pm = Some(up == "PM");
                v = v.get(2..).unwrap_or("");
            }
            Tok::TZ => {
                let n = v.chars().take_while(char::is_ascii_uppercase).count();
                v = v.get(n..).unwrap_or("");
            }
            Tok::Offset { z, .. } => {
                if z && v.starts_with('Z') {
                    v = v.get(1..).unwrap_or("");
                } else {
                    let sign = if v.starts_with('-') {
                        -1
                    } else if v.starts_with('+') {
                        1
                    } else {
                        return Err(bad());
                    };
                    v = v.get(1..).unwrap_or("");
                    let h = take_num(&mut v, 2, 2).ok_or_else(bad)?;
                    v = v.strip_prefix(':').unwrap_or(v);
                    let m = take_num(&mut v, 0, 2).unwrap_or(0);
                    offset = sign * (h as i32 * 3600 + m as i32 * 60);
                }
            }
        }
    }
    if !v.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            crate::template::gofmt::quote(value),
            crate::template::gofmt::quote(v)
        ));
    }
    if let Some(is_pm) = pm {
        if is_pm && hour < 12 {
            hour += 12;
        } else if !is_pm && hour == 12 {
            hour = 0;
        }
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 59 {
        return Err(format!(
            "parsing time {}: month out of range",
            crate::template::gofmt::quote(value)
        ));
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec)
        - i64::from(offset);
    Ok(Time {
        secs,
        nanos,
        offset,
    })
}

pub(crate) fn register(r: &mut Registry) {
    use Ty::{Any, Str};
    r.add("now", &[], None, |e, _| Ok(time_value(now(e))));
    r.add("date", &[Str, Any], None, |e, a| {
        Ok(Value::from(
            date_arg(e, &arg(&a, 1)).format(&arg_str(&a, 0)),
        ))
    });
    for name in ["dateInZone", "date_in_zone"] {
        r.add(name, &[Str, Any, Str], None, |e, a| {
            let mut t = date_arg(e, &arg(&a, 1));
            t.offset = zone_offset(&arg_str(&a, 2));
            Ok(Value::from(t.format(&arg_str(&a, 0))))
        });
    }
    r.add("htmlDate", &[Any], None, |e, a| {
        Ok(Value::from(date_arg(e, &arg(&a, 0)).format("2006-01-02")))
    });
    r.add("htmlDateInZone", &[Any, Str], None, |e, a| {
        let mut t = date_arg(e, &arg(&a, 0));
        t.offset = zone_offset(&arg_str(&a, 1));
        Ok(Value::from(t.format("2006-01-02")))
    });
    for name in ["dateModify", "date_modify", "mustDateModify"] {
        r.add(name, &[Str, Any], None, |e, a| {
            let t = date_arg(e, &arg(&a, 1));
            let Some(d) = parse_duration(&arg_str(&a, 0)) else {
                return err(format!(
                    "time: invalid duration {}",
                    crate::template::gofmt::quote(&arg_str(&a, 0))
                ));
            };
            let total = i128::from(t.secs) * 1_000_000_000 + i128::from(t.nanos) + d;
            Ok(time_value(Time {
                secs: i64::try_from(total.div_euclid(1_000_000_000)).unwrap_or(0),
                nanos: u32::try_from(total.rem_euclid(1_000_000_000)).unwrap_or(0),
                offset: t.offset,
            }))
        });
    }
    r.add("ago", &[Any], None, |e, a| {
        let t = date_arg(e, &arg(&a, 0));
        let n = now(e);
        let d = (i128::from(n.secs) - i128::from(t.secs)) * 1_000_000_000;
        Ok(Value::from(duration_string(d)))
    });
    r.add("duration", &[Any], None, |_, a| {
        let n: i64 = match arg(&a, 0) {
            Value::Str(s) => s.parse().unwrap_or(0),
            Value::I64(i) => i,
            _ => 0,
        };
        Ok(Value::from(duration_string(i128::from(n) * 1_000_000_000)))
    });
    r.add("durationRound", &[Any], None, |e, a| {
        let d: i128 = match arg(&a, 0) {
            Value::Str(s) => parse_duration(&s).unwrap_or(0),
            Value::I64(i) => i128::from(i),
            Value::Object(o) => match o.as_time() {
                Some(t) => (i128::from(now(e).secs) - i128::from(t.secs)) * 1_000_000_000,
                None => 0,
            },
            _ => 0,
        };
        Ok(Value::from(duration_round(d)))
    });
    r.add("toDate", &[Str, Str], None, |_, a| {
        Ok(time_value(
            parse_time(&arg_str(&a, 0), &arg_str(&a, 1)).unwrap_or(Time {
                secs: -62_135_596_800,
                nanos: 0,
                offset: 0,
            }),
        ))
    });
    r.add("mustToDate", &[Str, Str], None, |_, a| {
        parse_time(&arg_str(&a, 0), &arg_str(&a, 1))
            .map(time_value)
            .or_else(err)
    });
    r.add("unixEpoch", &[Any], None, |e, a| {
        Ok(Value::from(date_arg(e, &arg(&a, 0)).secs.to_string()))
    });
    let _ = to_int64;
}

fn duration_round(d: i128) -> String {
    let u = d.unsigned_abs();
    let second = 1_000_000_000u128;
    let minute = 60 * second;
    let hour = 60 * minute;
    let day = 24 * hour;
    let month = 30 * day;
    let year = 365 * day;
    if u > year {
        format!("{}y", u / year)
    } else if u > month {
        format!("{}mo", u / month)
    } else if u > day {
        format!("{}d", u / day)
    } else if u > hour {
        format!("{}h", u / hour)
    } else if u > minute {
        format!("{}m", u / minute)
    } else if u > second {
        format!("{}s", u / second)
    } else {
        "0s".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_go_layouts() {
        let t = Time {
            secs: 1_700_000_000,
            nanos: 123_000_000,
            offset: 0,
        };
        assert_eq!(
            t.format("2006-01-02T15:04:05Z07:00"),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            t.format("Mon Jan _2 3:04PM .000"),
            "Tue Nov 14 10:13PM .123"
        );
        assert_eq!(t.go_string(), "2023-11-14 22:13:20.123 +0000 UTC");
        let p = parse_time("2006-01-02", "2023-11-14").unwrap();
        assert_eq!(p.secs, 1_699_920_000);
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(duration_string(90 * 1_000_000_000), "1m30s");
        assert_eq!(duration_string(3600 * 1_000_000_000), "1h0m0s");
        assert_eq!(duration_string(1_500_000), "1.5ms");
        assert_eq!(parse_duration("1h30m"), Some(5_400_000_000_000));
    }
}
