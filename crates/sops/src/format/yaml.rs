//! YAML documents. Reading uses an event parser plus a scan of the gaps between events for
//! comments; writing splices the decrypted scalars and comments into the original text and cuts
//! out the `sops` block. The encrypted file was written by the same yaml.v3 emitter as `sops -d`
//! output, so splicing with yaml.v3's scalar-style rules reproduces `sops -d` byte for byte.

use std::ops::Range;

use base64::Engine as _;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use zeroize::Zeroizing;

use crate::error::ErrorKind;
use crate::metadata::SOPS_KEY;
use crate::secret::SecretBuf;
use crate::tree::{Comment, Item, Leaf, Node, Src, YamlCtx};
use crate::value::{self, Resolved, Scalar};

/// Deeper documents are refused rather than risking the stack.
const MAX_DEPTH: usize = 256;
/// yaml.v3's indentation in sops' encoder.
const INDENT: usize = 4;

/// One YAML document: its data mapping and its `sops` block, with the byte range to cut.
pub(crate) struct Doc {
    pub(crate) root: Node,
    pub(crate) sops: Option<(Node, Range<usize>)>,
}

fn parse_err(reason: &str, line: usize, col: usize) -> ErrorKind {
    ErrorKind::Parse {
        format: "YAML",
        reason: format!("{reason} at line {line}, column {}", col + 1),
    }
}

/// Maps the parser's character positions to byte offsets.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    fn byte(&self, m: &Marker) -> usize {
        let Some(&start) = self.starts.get(m.line().saturating_sub(1)) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        let off = line
            .char_indices()
            .nth(m.col())
            .map_or(line.len(), |(i, _)| i);
        (start + off).min(self.text.len())
    }
}

fn char_col(text: &str, byte: usize) -> usize {
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    text[line_start..byte].chars().count()
}

struct RawComment {
    span: Range<usize>,
    col: usize,
}

/// Finds the comments in a gap between two events.
fn scan_comments(text: &str, gap: Range<usize>, out: &mut Vec<RawComment>) {
    let bytes = text.as_bytes();
    let mut i = gap.start;
    while i < gap.end {
        if bytes[i] == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r')) {
            let eol = text[i..]
                .find('\n')
                .map_or(text.len(), |e| i + e)
                .min(gap.end.max(i + 1));
            let mut end = eol;
            if end > i + 1 && bytes[end - 1] == b'\r' {
                end -= 1;
            }
            out.push(RawComment {
                span: i + 1..end.max(i + 1),
                col: char_col(text, i),
            });
            i = eol;
        } else {
            i += 1;
        }
    }
}

enum Kind {
    Map {
        items: Vec<Item>,
        key: Option<(String, usize, usize)>,
    },
    Seq {
        nodes: Vec<Node>,
    },
}

struct Frame {
    kind: Kind,
    indent: usize,
    flow: bool,
    path: Vec<String>,
}

struct SopsBlock {
    start: usize,
    depth: usize,
    end: usize,
}

struct Builder<'a> {
    text: &'a str,
    stack: Vec<Frame>,
    pending: Vec<RawComment>,
    docs: Vec<Doc>,
    root: Option<Node>,
    sops: Option<(Node, Range<usize>)>,
    sops_block: Option<SopsBlock>,
}

impl Builder<'_> {
    /// Attaches pending comments to the deepest open container indented no further than them.
    fn assign_comments(&mut self) {
        if self.stack.is_empty() {
            return;
        }
        for raw in std::mem::take(&mut self.pending) {
            let idx = self
                .stack
                .iter()
                .rposition(|f| f.indent <= raw.col)
                .unwrap_or(0);
            let alt_paths = self
                .stack
                .iter()
                .enumerate()
                .rev()
                .filter(|(i, _)| *i != idx)
                .map(|(_, f)| f.path.clone())
                .collect();
            let mut c = Comment::new(&self.text[raw.span.clone()]);
            c.span = Some(raw.span);
            c.alt_paths = alt_paths;
            match &mut self.stack[idx].kind {
                Kind::Map { items, .. } => items.push(Item::Comment(c)),
                Kind::Seq { nodes } => nodes.push(Node::Comment(c)),
            }
        }
    }

    /// The path and context a new child of the innermost container gets.
    fn child_slot(
        &self,
        line: usize,
        col: usize,
    ) -> Result<(Vec<String>, Option<YamlCtx>), ErrorKind> {
        let Some(top) = self.stack.last() else {
            return Ok((Vec::new(), None));
        };
        match &top.kind {
            Kind::Map {
                key: Some((k, key_col, _)),
                ..
            } => {
                let mut p = top.path.clone();
                p.push(k.clone());
                let ctx = if top.flow {
                    YamlCtx::Flow
                } else {
                    YamlCtx::MapValue { key_col: *key_col }
                };
                Ok((p, Some(ctx)))
            }
            Kind::Map { key: None, .. } => Err(parse_err(
                "mappings and sequences as keys are not supported",
                line,
                col,
            )),
            Kind::Seq { .. } => {
                let ctx = if top.flow {
                    YamlCtx::Flow
                } else {
                    YamlCtx::SeqItem {
                        dash_col: top.indent,
                    }
                };
                Ok((top.path.clone(), Some(ctx)))
            }
        }
    }

    fn begin_value(&mut self) {
        if self.stack.len() == 1
            && self.sops_block.is_none()
            && self.sops.is_none()
            && let Kind::Map {
                key: Some((k, _, key_start)),
                ..
            } = &self.stack[0].kind
            && k == SOPS_KEY
        {
            let line_start = self.text[..*key_start].rfind('\n').map_or(0, |i| i + 1);
            self.sops_block = Some(SopsBlock {
                start: line_start,
                depth: 1,
                end: *key_start,
            });
        }
    }

    fn attach(&mut self, node: Node) {
        if let Some(block) = &self.sops_block
            && self.stack.len() == block.depth
        {
            let end = self.text[block.end..]
                .find('\n')
                .map_or(self.text.len(), |e| block.end + e + 1);
            let range = block.start..end;
            self.sops_block = None;
            if let Some(Frame {
                kind: Kind::Map { key, .. },
                ..
            }) = self.stack.last_mut()
            {
                *key = None;
            }
            self.sops = Some((node, range));
            return;
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame {
                kind: Kind::Map { items, key },
                ..
            }) => {
                if let Some((k, _, _)) = key.take() {
                    items.push(Item::Pair(k, node));
                }
            }
            Some(Frame {
                kind: Kind::Seq { nodes },
                ..
            }) => nodes.push(node),
        }
    }

    fn note_end(&mut self, end: usize) {
        if let Some(b) = &mut self.sops_block {
            b.end = b.end.max(end);
        }
    }

    fn finish_doc(&mut self) -> Result<(), ErrorKind> {
        let root = match self.root.take() {
            None => Node::Map(Vec::new()),
            Some(Node::Leaf(l)) if matches!(l.value, Scalar::Null) => Node::Map(Vec::new()),
            Some(n @ Node::Map(_)) => n,
            Some(_) => {
                return Err(ErrorKind::Unsupported {
                    what: "YAML documents whose top level is not a mapping".to_owned(),
                });
            }
        };
        let sops = self.sops.take();
        self.docs.push(Doc { root, sops });
        Ok(())
    }
}

fn is_core_tag(tag: Option<&Tag>, suffix: &str) -> bool {
    tag.is_some_and(|t| {
        (t.handle == "!!" && t.suffix == suffix)
            || (t.handle.is_empty() && t.suffix == format!("tag:yaml.org,2002:{suffix}"))
    })
}

/// The value yaml.v3 (and so sops) decodes a scalar into.
fn scalar_value(
    v: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    at: (usize, usize),
) -> Result<Scalar, ErrorKind> {
    if is_core_tag(tag, "str") {
        return Ok(Scalar::str(v));
    }
    if is_core_tag(tag, "binary") {
        let cleaned: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(cleaned)
            .map_err(|_| parse_err("invalid !!binary scalar", at.0, at.1))?;
        return Ok(Scalar::Str(Zeroizing::new(bytes)));
    }
    if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::Literal)
        && v.contains(['\u{85}', '\u{2028}', '\u{2029}'])
    {
        // yaml.v3 (YAML 1.1) reads these as line breaks and folds the indentation after them;
        // sops writes such values that way, so read them back the same way.
        let mut out = String::with_capacity(v.len());
        let mut skip = false;
        for c in v.chars() {
            if skip && matches!(c, ' ' | '\t') {
                continue;
            }
            skip = matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
            out.push(c);
        }
        return Ok(Scalar::str(&out));
    }
    if style != ScalarStyle::Plain {
        return Ok(Scalar::str(v));
    }
    Ok(match value::resolve_plain(v) {
        Resolved::Null => Scalar::Null,
        Resolved::Bool(b) => Scalar::Bool(b),
        Resolved::Int(i) => Scalar::Int(i),
        Resolved::Float(f) => Scalar::Float(f),
        Resolved::Time(t) => Scalar::Time(t),
        Resolved::Str => Scalar::str(v),
        Resolved::BigInt => {
            return Err(ErrorKind::Unsupported {
                what: format!("integer beyond 64 bits at line {}", at.0),
            });
        }
    })
}

/// Parses every document of a YAML stream.
pub(crate) fn parse(text: &str) -> Result<Vec<Doc>, ErrorKind> {
    let lines = Lines::new(text);
    let mut b = Builder {
        text,
        stack: Vec::new(),
        pending: Vec::new(),
        docs: Vec::new(),
        root: None,
        sops: None,
        sops_block: None,
    };
    let mut parser = Parser::new_from_str(text);
    let mut prev_end = 0usize;
    while let Some(ev) = parser.next_event() {
        let (ev, span) =
            ev.map_err(|e| parse_err(e.info(), e.marker().line(), e.marker().col()))?;
        let start = lines.byte(&span.start);
        let end = lines.byte(&span.end).max(start);
        let (line, col) = (span.start.line(), span.start.col());
        if start > prev_end {
            scan_comments(text, prev_end..start, &mut b.pending);
        }
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart(_) => {}
            Event::DocumentEnd => {
                b.assign_comments();
                b.finish_doc()?;
            }
            Event::Alias(_) => {
                return Err(ErrorKind::Unsupported {
                    what: format!("YAML alias at line {line} (sops never writes aliases)"),
                });
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if b.stack.len() >= MAX_DEPTH {
                    return Err(parse_err("nesting too deep", line, col));
                }
                let (path, _) = b.child_slot(line, col)?;
                b.begin_value();
                let flow = matches!(text.as_bytes().get(start), Some(b'{' | b'['));
                let kind = if matches!(ev, Event::MappingStart(..)) {
                    Kind::Map {
                        items: Vec::new(),
                        key: None,
                    }
                } else {
                    Kind::Seq { nodes: Vec::new() }
                };
                b.stack.push(Frame {
                    kind,
                    indent: col,
                    flow,
                    path,
                });
                b.assign_comments();
                if flow {
                    b.note_end(end);
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                b.assign_comments();
                let Some(frame) = b.stack.pop() else {
                    return Err(parse_err("unbalanced collection", line, col));
                };
                if frame.flow {
                    b.note_end(end);
                }
                let node = match frame.kind {
                    Kind::Map { items, .. } => Node::Map(items),
                    Kind::Seq { nodes } => Node::List(nodes),
                };
                b.attach(node);
            }
            Event::Scalar(v, style, _, tag) => {
                b.assign_comments();
                b.note_end(end);
                let is_key = matches!(
                    b.stack.last(),
                    Some(Frame {
                        kind: Kind::Map { key: None, .. },
                        ..
                    })
                );
                if is_key {
                    if let Some(Frame {
                        kind: Kind::Map { key, .. },
                        ..
                    }) = b.stack.last_mut()
                    {
                        *key = Some((v.into_owned(), col, start));
                    }
                } else {
                    let (_, ctx) = b.child_slot(line, col)?;
                    b.begin_value();
                    let value = scalar_value(&v, style, tag.as_deref(), (line, col))?;
                    let src = ctx.map(|ctx| Src {
                        span: start..end,
                        ctx,
                    });
                    let mut leaf = Leaf::new(value);
                    leaf.src = src;
                    b.attach(Node::Leaf(leaf));
                }
            }
        }
        prev_end = prev_end.max(end);
    }
    Ok(b.docs)
}

/// Whether the first document has a `sops` mapping (what sops reads metadata from).
pub(crate) fn has_metadata(text: &str) -> bool {
    parse(text).is_ok_and(|docs| {
        docs.first()
            .is_some_and(|d| matches!(d.sops, Some((Node::Map(_), _))))
    })
}

// ---- writing -------------------------------------------------------------------------------

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// yaml.v3's notion of printable (note: it excludes everything beyond the BMP).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

struct Analysis {
    flow_plain: bool,
    block_plain: bool,
    single: bool,
    block: bool,
}

/// yaml.v3's `yaml_emitter_analyze_scalar`.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            flow_plain: false,
            block_plain: true,
            single: true,
            block: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let (mut block_ind, mut flow_ind) = (false, false);
    if s.starts_with("---") || s.starts_with("...") {
        block_ind = true;
        flow_ind = true;
    }
    let (mut line_breaks, mut special, mut tab) = (false, false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break, mut prev_space, mut prev_break) =
        (false, false, false, false);
    let mut preceded_by_ws = true;
    let last = chars.len() - 1;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = i == last || matches!(chars[i + 1], ' ' | '\t');
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => {
                    flow_ind = true;
                    block_ind = true;
                }
                '?' | ':' => {
                    flow_ind = true;
                    block_ind |= followed_by_ws;
                }
                '-' if followed_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_ind = true,
                ':' => {
                    flow_ind = true;
                    block_ind |= followed_by_ws;
                }
                '#' if preceded_by_ws => {
                    flow_ind = true;
                    block_ind = true;
                }
                _ => {}
            }
        }
        if c == '\t' {
            tab = true;
        } else if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= i == 0;
            trailing_break |= i == last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\0') || is_break(c);
    }
    let mut a = Analysis {
        flow_plain: true,
        block_plain: true,
        single: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || tab || special {
        a.flow_plain = false;
        a.block_plain = false;
        a.single = false;
    }
    if space_break || special {
        a.block = false;
    }
    if line_breaks {
        a.flow_plain = false;
        a.block_plain = false;
    }
    if flow_ind {
        a.flow_plain = false;
    }
    if block_ind {
        a.block_plain = false;
    }
    a
}

#[derive(PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn write_double(out: &mut SecretBuf, s: &str) {
    // yaml.v3's `is_bom` looks at the start of the value, not at the current character: a value
    // that starts with a BOM has every character escaped.
    let escape_all = s.starts_with('\u{feff}');
    out.push_byte(b'"');
    for c in s.chars() {
        let u = c as u32;
        if escape_all || !is_printable(c) || u == 0xFEFF || is_break(c) || c == '"' || c == '\\' {
            out.push_byte(b'\\');
            match u {
                0x00 => out.push_byte(b'0'),
                0x07 => out.push_byte(b'a'),
                0x08 => out.push_byte(b'b'),
                0x09 => out.push_byte(b't'),
                0x0A => out.push_byte(b'n'),
                0x0B => out.push_byte(b'v'),
                0x0C => out.push_byte(b'f'),
                0x0D => out.push_byte(b'r'),
                0x1B => out.push_byte(b'e'),
                0x22 => out.push_byte(b'"'),
                0x5C => out.push_byte(b'\\'),
                0x85 => out.push_byte(b'N'),
                0xA0 => out.push_byte(b'_'),
                0x2028 => out.push_byte(b'L'),
                0x2029 => out.push_byte(b'P'),
                u if u <= 0xFF => out.push_str(&format!("x{u:02X}")),
                u if u <= 0xFFFF => out.push_str(&format!("u{u:04X}")),
                u => out.push_str(&format!("U{u:08X}")),
            }
        } else {
            out.push_char(c);
        }
    }
    out.push_byte(b'"');
}

fn write_literal(out: &mut SecretBuf, s: &str, indent: usize) {
    out.push_byte(b'|');
    if s.starts_with(' ') || s.starts_with(is_break) {
        out.push_str(&INDENT.to_string());
    }
    let mut rev = s.chars().rev();
    match (rev.next(), rev.next()) {
        (Some(last), _) if !is_break(last) => out.push_byte(b'-'),
        (Some(_), None) | (Some(_), Some('\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')) => {
            out.push_byte(b'+')
        }
        (None, _) => out.push_byte(b'-'),
        _ => {}
    }
    out.push_byte(b'\n');
    let mut at_line_start = true;
    for c in s.chars() {
        if is_break(c) {
            // yaml.v3 writes U+2028/U+2029 as they are, then indents the next line.
            out.push_char(c);
            at_line_start = true;
        } else {
            if at_line_start {
                for _ in 0..indent {
                    out.push_byte(b' ');
                }
                at_line_start = false;
            }
            out.push_char(c);
        }
    }
}

/// Prints a string scalar the way sops' yaml.v3 encoder does.
fn write_string(out: &mut SecretBuf, bytes: &[u8], ctx: YamlCtx, block_ok: bool) {
    let Ok(s) = std::str::from_utf8(bytes) else {
        let enc = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
        out.push_str("!!binary ");
        out.push_str(&enc);
        return;
    };
    if s == "<<" {
        // yaml.v3 resolves it to the merge tag and says so.
        out.push_str("!!merge <<");
        return;
    }
    let flow = matches!(ctx, YamlCtx::Flow);
    let a = analyze(s);
    let can_use_plain = matches!(value::resolve_plain(s), Resolved::Str)
        && !value::is_base60_float(s)
        && !value::is_old_bool(s);
    let mut style = if s.contains('\n') {
        if flow { Style::Double } else { Style::Literal }
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    };
    let plain_allowed = if flow {
        a.flow_plain && !s.is_empty()
    } else {
        a.block_plain
    };
    if style == Style::Plain && !plain_allowed {
        style = Style::Single;
    }
    if style == Style::Single && !a.single {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block || flow || !block_ok) {
        style = Style::Double;
    }
    let indent = match ctx {
        YamlCtx::MapValue { key_col } => INDENT * ((key_col + INDENT) / INDENT),
        YamlCtx::SeqItem { dash_col } => dash_col + 2,
        YamlCtx::Flow => 0,
    };
    match style {
        Style::Plain => out.push_str(s),
        Style::Single => {
            // A line separator (U+2028/9) is written as is and the next line indented, as
            // yaml.v3 does.
            out.push_byte(b'\'');
            let mut after_break = false;
            for c in s.chars() {
                if is_break(c) {
                    after_break = true;
                } else if after_break {
                    (0..indent).for_each(|_| out.push_byte(b' '));
                    after_break = false;
                }
                if c == '\'' {
                    out.push_byte(b'\'');
                }
                out.push_char(c);
            }
            out.push_byte(b'\'');
        }
        Style::Double => write_double(out, s),
        Style::Literal => write_literal(out, s, indent),
    }
}

fn write_scalar(out: &mut SecretBuf, v: &Scalar, ctx: YamlCtx, block_ok: bool) {
    match v {
        Scalar::Null => out.push_str("null"),
        Scalar::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Scalar::Int(i) => out.push_str(&i.to_string()),
        Scalar::Float(f) => out.push_str(&value::format_yaml_float(*f)),
        Scalar::Time(t) => out.push_str(&t.rfc3339_nano()),
        Scalar::Str(s) | Scalar::Bytes(s) => write_string(out, s, ctx, block_ok),
    }
}

struct Edit {
    range: Range<usize>,
    text: Option<SecretBuf>,
}

fn collect(node: &Node, text: &str, edits: &mut Vec<Edit>) {
    match node {
        Node::Map(items) => {
            for it in items {
                match it {
                    Item::Pair(_, v) => collect(v, text, edits),
                    Item::Comment(c) => comment_edit(c, edits),
                }
            }
        }
        Node::List(nodes) => nodes.iter().for_each(|n| collect(n, text, edits)),
        Node::Comment(c) => comment_edit(c, edits),
        Node::Leaf(l) => {
            let (true, Some(src)) = (l.decrypted, &l.src) else {
                return;
            };
            let rest = &text[src.span.end..];
            let line_rest = rest.split('\n').next().unwrap_or("");
            let block_ok = line_rest.trim().is_empty();
            let mut buf = SecretBuf::with_capacity(src.span.len() + 16);
            write_scalar(&mut buf, &l.value, src.ctx, block_ok);
            let mut buf = buf.into_plaintext().into_inner();
            // A block scalar's own final line break is the one already in the source.
            if rest.starts_with('\n') && buf.last() == Some(&b'\n') {
                buf.pop();
            }
            let mut out = SecretBuf::with_capacity(buf.len());
            out.push(&buf);
            edits.push(Edit {
                range: src.span.clone(),
                text: Some(out),
            });
        }
    }
}

fn comment_edit(c: &Comment, edits: &mut Vec<Edit>) {
    if let (true, Some(span)) = (c.decrypted, &c.span) {
        let mut out = SecretBuf::with_capacity(c.text.len());
        out.push_str(&c.text);
        edits.push(Edit {
            range: span.clone(),
            text: Some(out),
        });
    }
}

/// Writes the decrypted stream: the source with decrypted scalars and comments spliced in and
/// every `sops` block removed.
pub(crate) fn emit(text: &str, docs: &[Doc]) -> SecretBuf {
    let mut edits = Vec::new();
    for d in docs {
        collect(&d.root, text, &mut edits);
        if let Some((_, range)) = &d.sops {
            edits.push(Edit {
                range: range.clone(),
                text: None,
            });
        }
    }
    edits.sort_by_key(|e| e.range.start);
    let mut out = SecretBuf::with_capacity(text.len() + text.len() / 4);
    let mut pos = 0;
    for e in edits {
        if e.range.start < pos || e.range.end > text.len() {
            continue;
        }
        out.push_str(&text[pos..e.range.start]);
        if let Some(t) = e.text {
            out.push(t.into_plaintext().as_bytes());
        }
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str, ctx: YamlCtx) -> String {
        let mut out = SecretBuf::with_capacity(8);
        write_string(&mut out, s.as_bytes(), ctx, true);
        String::from_utf8(out.into_plaintext().as_bytes().to_vec()).expect("utf8")
    }

    #[test]
    fn strings_take_yaml_v3_styles() {
        let m = YamlCtx::MapValue { key_col: 0 };
        assert_eq!(show("plain", m), "plain");
        assert_eq!(show("", m), "\"\"");
        assert_eq!(show("123", m), "\"123\"");
        assert_eq!(show("yes", m), "\"yes\"");
        assert_eq!(show("a: b", m), "'a: b'");
        assert_eq!(show(" lead", m), "' lead'");
        assert_eq!(show("a\tb", m), "\"a\\tb\"");
        assert_eq!(show("bell\u{7}", m), "\"bell\\a\"");
        assert_eq!(show("a\nb", m), "|-\n    a\n    b");
        assert_eq!(show("  x\ny", m), "|4-\n      x\n    y");
        assert_eq!(
            show("x\n", YamlCtx::SeqItem { dash_col: 4 }),
            "|\n      x\n"
        );
        assert_eq!(show("😀", m), "\"\\U0001F600\"");
    }
}
