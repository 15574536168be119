//! Values → YAML text, byte-compatible with what `kubectl kustomize` prints.
//!
//! kustomize prints each resource as `yaml.v2.Marshal(yaml.v2.Unmarshal(json.Marshal(obj)))`,
//! so the output is `yaml.v2`'s (libyaml's) block style: keys in `yaml.v2`'s "natural" order,
//! sequences not indented under their key, 2-space indent, plain scalars folded past column 80,
//! YAML 1.1 look-alikes (`yes`, `on`, `n`, `1:20`) double-quoted, multi-line strings as literal
//! blocks. This module re-implements that emitter's decisions (scalar analysis, style selection,
//! indentation and line folding) for the block subset kustomize produces.

use std::cmp::Ordering;

use super::scalar::{float_output_text, v2_needs_quotes};
use crate::value::{Map, Value};

/// Width past which `yaml.v2` folds plain and quoted scalars.
const BEST_WIDTH: usize = 80;
/// `yaml.v2`'s indentation step.
const BEST_INDENT: i32 = 2;

/// A value that JSON (and therefore kustomize's output path) cannot represent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("json: unsupported value: {0}")]
pub struct EmitError(pub String);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

struct Analysis {
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_blankz(c: char) -> bool {
    is_blank(c) || is_break(c) || c == '\0'
}

fn is_printable(c: char) -> bool {
    c == '\n'
        || (' '..='~').contains(&c)
        || ('\u{A0}'..='\u{D7FF}').contains(&c)
        || (('\u{E000}'..='\u{FFFD}').contains(&c) && c != '\u{FEFF}')
}

fn analyze(value: &[char]) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            flow_plain_allowed: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if value.len() >= 3
        && ((value[0] == '-' && value[1] == '-' && value[2] == '-')
            || (value[0] == '.' && value[1] == '.' && value[2] == '.'))
    {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let n = value.len();
    for i in 0..n {
        let c = value[i];
        let followed_by_whitespace = i + 1 >= n || is_blank(value[i + 1]);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                '?' | ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '-' if followed_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    if followed_by_whitespace {
                        block_indicators = true;
                    }
                }
                '#' if preceded_by_whitespace => {
                    flow_indicators = true;
                    block_indicators = true;
                }
                _ => {}
            }
        }
        if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        flow_plain_allowed: true,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.flow_plain_allowed = false;
        a.block_plain_allowed = false;
    }
    if flow_indicators {
        a.flow_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// `yaml.v2`'s key order: letters compare by code point, non-letters sort before letters, and
/// runs of digits compare by numeric value (so `a2` < `a10`).
pub(crate) fn v2_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sorts keys with [`v2_key_less`] using a merge sort that never panics, whatever the
/// comparator's consistency.
pub(crate) fn sorted_keys(m: &Map) -> Vec<&String> {
    let mut keys: Vec<&String> = m.keys().collect();
    merge_sort_by(&mut keys, |a, b| {
        if v2_key_less(a, b) {
            Ordering::Less
        } else if v2_key_less(b, a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
    keys
}

/// A stable merge sort that tolerates inconsistent comparators (it only ever asks "is b < a").
pub(crate) fn merge_sort_by<T: Clone, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], mut cmp: F) {
    fn rec<T: Clone, F: FnMut(&T, &T) -> Ordering>(v: &mut [T], cmp: &mut F) {
        let n = v.len();
        if n <= 1 {
            return;
        }
        if n <= 12 {
            for i in 1..n {
                let mut j = i;
                while j > 0 && cmp(&v[j], &v[j - 1]) == Ordering::Less {
                    v.swap(j, j - 1);
                    j -= 1;
                }
            }
            return;
        }
        let mid = n / 2;
        rec(&mut v[..mid], cmp);
        rec(&mut v[mid..], cmp);
        let mut merged = Vec::with_capacity(n);
        let (mut i, mut j) = (0, mid);
        while i < mid && j < n {
            if cmp(&v[j], &v[i]) == Ordering::Less {
                merged.push(v[j].clone());
                j += 1;
            } else {
                merged.push(v[i].clone());
                i += 1;
            }
        }
        merged.extend_from_slice(&v[i..mid]);
        merged.extend_from_slice(&v[j..n]);
        v.clone_from_slice(&merged);
    }
    rec(v, &mut cmp);
}

struct Emitter<'a> {
    out: &'a mut String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    simple_key_context: bool,
}

impl Emitter<'_> {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        for c in s.chars() {
            self.put(c);
        }
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn emit(&mut self, v: &Value, mapping_context: bool) -> Result<(), EmitError> {
        match v {
            Value::Map(m) => self.emit_map(m),
            Value::Seq(s) => self.emit_seq(s, mapping_context),
            Value::Null => {
                self.emit_scalar("null", Style::Plain);
                Ok(())
            }
            Value::Bool(b) => {
                self.emit_scalar(if *b { "true" } else { "false" }, Style::Plain);
                Ok(())
            }
            Value::Int(i) => {
                self.emit_scalar(&i.to_string(), Style::Plain);
                Ok(())
            }
            Value::UInt(u) => {
                self.emit_scalar(&u.to_string(), Style::Plain);
                Ok(())
            }
            Value::Float(f) => {
                if !f.is_finite() {
                    return Err(EmitError(super::scalar::format_g(*f)));
                }
                self.emit_scalar(&float_output_text(*f), Style::Plain);
                Ok(())
            }
            Value::String(s) => {
                self.emit_string(s);
                Ok(())
            }
        }
    }

    fn emit_string(&mut self, s: &str) {
        let style = if s.contains('\n') {
            Style::Literal
        } else if v2_needs_quotes(s) {
            Style::Double
        } else {
            Style::Plain
        };
        self.emit_scalar(s, style);
    }

    fn emit_map(&mut self, m: &Map) -> Result<(), EmitError> {
        if m.is_empty() {
            self.write_indicator("{", true, true, false);
            self.write_indicator("}", false, false, false);
            return Ok(());
        }
        self.increase_indent(false, false);
        for key in sorted_keys(m) {
            let value = m.get(key.as_str()).unwrap_or(&Value::Null);
            self.write_indent();
            let multiline = key.chars().any(is_break);
            if !multiline && key.len() <= 128 {
                self.simple_key_context = true;
                self.emit_string(key);
                self.simple_key_context = false;
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.emit_string(key);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.emit(value, true)?;
        }
        self.pop_indent();
        Ok(())
    }

    fn emit_seq(&mut self, s: &[Value], mapping_context: bool) -> Result<(), EmitError> {
        if s.is_empty() {
            self.write_indicator("[", true, true, false);
            self.write_indicator("]", false, false, false);
            return Ok(());
        }
        let indentless = mapping_context && !self.indention;
        self.increase_indent(false, indentless);
        for item in s {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.emit(item, false)?;
        }
        self.pop_indent();
        Ok(())
    }

    fn emit_scalar(&mut self, value: &str, requested: Style) {
        let chars: Vec<char> = value.chars().collect();
        let a = analyze(&chars);
        let mut style = requested;
        if self.simple_key_context && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if !a.block_plain_allowed {
                style = Style::Single;
            }
            if chars.is_empty() && self.simple_key_context {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || self.simple_key_context) {
            style = Style::Double;
        }
        let _ = a.flow_plain_allowed;
        self.increase_indent(true, false);
        let allow_breaks = !self.simple_key_context;
        match style {
            Style::Plain => self.write_plain(&chars, allow_breaks),
            Style::Single => self.write_single(&chars, allow_breaks),
            Style::Double => self.write_double(&chars, allow_breaks),
            Style::Literal => self.write_literal(&chars),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &[char], allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let n = value.len();
        for i in 0..n {
            let c = value[i];
            if c == ' ' {
                let next_is_space = value.get(i + 1) == Some(&' ');
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !next_is_space {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let n = value.len();
        for i in 0..n {
            let c = value[i];
            if c == ' ' {
                let next_is_space = value.get(i + 1) == Some(&' ');
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i + 1 < n
                    && !next_is_space
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &[char], allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut spaces = false;
        let n = value.len();
        // yaml.v2's is_bom() looks at the start of the string, not at the current character:
        // a string that starts with a BOM has every character escaped.
        let starts_with_bom = value.first() == Some(&'\u{FEFF}');
        for i in 0..n {
            let c = value[i];
            if starts_with_bom || !is_printable(c) || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{A0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    _ => {
                        let v = c as u32;
                        let (prefix, width) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(prefix);
                        for k in (0..width).rev() {
                            let digit = (v >> (k * 4)) & 0xF;
                            let ch = char::from_digit(digit, 16)
                                .unwrap_or('0')
                                .to_ascii_uppercase();
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i + 1 < n {
                    self.write_indent();
                    if value.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_block_hints(&mut self, value: &[char]) {
        if let Some(first) = value.first()
            && (*first == ' ' || is_break(*first))
        {
            let hint = char::from_digit(BEST_INDENT as u32, 10).unwrap_or('2');
            self.write_indicator(&hint.to_string(), false, false, false);
        }
        self.open_ended = false;
        let mut chomp = None;
        let mut keep = false;
        match value.len() {
            0 => chomp = Some('-'),
            n => {
                if !is_break(value[n - 1]) {
                    chomp = Some('-');
                } else if n == 1 || is_break(value[n - 2]) {
                    chomp = Some('+');
                    keep = true;
                }
            }
        }
        // yaml.v2 marks "keep" blocks open-ended, but writing the indicator clears the flag
        // again, so no "..." ever follows them.
        let _ = keep;
        if let Some(c) = chomp {
            self.write_indicator(&c.to_string(), false, false, false);
        }
    }

    fn write_literal(&mut self, value: &[char]) {
        self.write_indicator("|", true, false, false);
        self.write_block_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for &c in value {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                    breaks = false;
                }
                self.put(c);
                self.indention = false;
            }
        }
    }
}

/// Appends one document (no `---`) to `out`, exactly as `yaml.v2.Marshal` would print it after
/// kustomize's JSON round trip.
pub(crate) fn emit_document(v: &Value, out: &mut String) -> Result<(), EmitError> {
    let start = out.len();
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        indents: Vec::new(),
        whitespace: true,
        indention: true,
        open_ended: false,
        simple_key_context: false,
    };
    let root_scalar = v.is_scalar();
    e.emit(v, false)?;
    if root_scalar {
        e.open_ended = true;
    }
    // Document end (implicit): write_indent, then at stream end "..." if open ended.
    e.write_indent_for_end();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent_for_end();
    }
    let _ = start;
    Ok(())
}

impl Emitter<'_> {
    fn write_indent_for_end(&mut self) {
        // At document end the indent is back to -1 (0 columns): a newline unless at line start.
        self.indent = -1;
        self.write_indent();
    }
}

/// Renders a value as one YAML document.
#[cfg(test)]
pub(crate) fn to_yaml(v: &Value) -> Result<String, EmitError> {
    let mut out = String::new();
    emit_document(v, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse_stream;

    fn roundtrip(src: &str) -> String {
        let docs = parse_stream(src).unwrap();
        to_yaml(&docs[0]).unwrap()
    }

    #[test]
    fn keys_sort_naturally_and_sequences_are_not_indented() {
        let out = roundtrip("b: 1\na10: x\na2: y\nlist:\n- name: c\n  image: i\n- z\n");
        assert_eq!(
            out,
            "a2: \"y\"\na10: x\nb: 1\nlist:\n- image: i\n  name: c\n- z\n"
        );
    }

    #[test]
    fn empty_collections_are_flow() {
        assert_eq!(roundtrip("a: {}\nb: []\n"), "a: {}\nb: []\n");
    }

    #[test]
    fn long_plain_scalars_fold_past_80_columns() {
        let words = vec!["abcd"; 20].join(" ");
        let out = roundtrip(&format!("k: {words}\n"));
        assert!(out.contains("\n  abcd"), "{out}");
    }

    #[test]
    fn literal_blocks_get_chomping_and_indent_hints() {
        assert_eq!(roundtrip("k: \"a\\nb\"\n"), "k: |-\n  a\n  b\n");
        assert_eq!(roundtrip("k: \"a\\nb\\n\"\n"), "k: |\n  a\n  b\n");
    }
}
