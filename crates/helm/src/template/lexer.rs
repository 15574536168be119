//! Go `text/template` lexer: splits a template into text and action tokens, applying the
//! `{{-` / `-}}` whitespace trimming and skipping `{{/* comments */}}`.

/// Token kinds, named after Go's `itemType`s.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Tok {
    Error,
    Bool,
    Char,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    Comma,
    Dot,
    Nil,
    // Keywords.
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

/// One token: kind, text, byte offset in the template and line number.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) val: String,
    pub(crate) pos: usize,
    pub(crate) line: usize,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    toks: Vec<Token>,
    paren_depth: usize,
}

/// Lexes a whole template; the last token is `Eof` or `Error`.
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        toks: Vec::new(),
        paren_depth: 0,
    };
    lx.run();
    lx.toks
}

impl Lexer<'_> {
    fn emit(&mut self, kind: Tok) {
        let val = self.src.get(self.start..self.pos).unwrap_or("").to_string();
        self.toks.push(Token {
            kind,
            val,
            pos: self.start,
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.line += self
            .src
            .get(self.start..self.pos)
            .map_or(0, |s| s.matches('\n').count());
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn error(&mut self, msg: String) {
        self.toks.push(Token {
            kind: Tok::Error,
            val: msg,
            pos: self.start,
            line: self.start_line,
        });
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn backup(&mut self, c: char) {
        self.pos -= c.len_utf8();
        if c == '\n' {
            self.line -= 1;
        }
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// Whether a `-` trim marker with its required space follows at `at`.
    fn has_left_trim(&self, at: usize) -> bool {
        self.bytes.get(at) == Some(&b'-') && self.bytes.get(at + 1).is_some_and(|c| is_space(*c))
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest();
        if r.starts_with(RIGHT) {
            return (true, false);
        }
        let b = r.as_bytes();
        if b.len() >= 3
            && is_space(b[0])
            && b[1] == b'-'
            && r.get(2..).is_some_and(|s| s.starts_with(RIGHT))
        {
            return (true, true);
        }
        (false, false)
    }

    fn run(&mut self) {
        // Text state alternating with action state.
        loop {
            let Some(off) = self.rest().find(LEFT) else {
                self.pos = self.src.len();
                if self.pos > self.start {
                    self.line += self
                        .src
                        .get(self.start..self.pos)
                        .map_or(0, |s| s.matches('\n').count());
                    self.emit_text(self.pos);
                    self.start = self.pos;
                    self.start_line = self.line;
                }
                self.emit(Tok::Eof);
                return;
            };
            let delim = self.pos + off;
            let trim = self.has_left_trim(delim + LEFT.len());
            let mut text_end = delim;
            if trim {
                while text_end > self.start
                    && self.bytes.get(text_end - 1).is_some_and(|c| is_space(*c))
                {
                    text_end -= 1;
                }
            }
            self.pos = delim;
            // Line count of the text up to the delimiter.
            let nl = self
                .src
                .get(self.start..delim)
                .map_or(0, |s| s.matches('\n').count());
            if text_end > self.start {
                self.emit_text(text_end);
            }
            self.line = self.start_line + nl;
            self.start = delim;
            self.start_line = self.line;
            if !self.lex_left_delim(trim) {
                return;
            }
        }
    }

    fn emit_text(&mut self, end: usize) {
        let val = self.src.get(self.start..end).unwrap_or("").to_string();
        self.toks.push(Token {
            kind: Tok::Text,
            val,
            pos: self.start,
            line: self.start_line,
        });
    }

    /// Returns false when lexing stopped (error or EOF).
    fn lex_left_delim(&mut self, trim: bool) -> bool {
        self.pos += LEFT.len();
        let after = self.pos + if trim { 2 } else { 0 };
        if self.src.get(after..).is_some_and(|s| s.starts_with("/*")) {
            self.pos = after;
            self.ignore();
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.pos = after;
        self.ignore();
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> bool {
        self.pos += 2;
        let Some(end) = self.rest().find("*/") else {
            self.error("unclosed comment".into());
            return false;
        };
        self.pos += end + 2;
        let (is_delim, trim) = self.at_right_delim();
        if !is_delim {
            self.error("comment ends before closing delimiter".into());
            return false;
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            while self.bytes.get(self.pos).is_some_and(|c| is_space(*c)) {
                self.pos += 1;
            }
        }
        self.ignore();
        true
    }

    fn lex_right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        self.emit(Tok::RightDelim);
        if trim {
            while self.bytes.get(self.pos).is_some_and(|c| is_space(*c)) {
                self.pos += 1;
            }
            self.ignore();
        }
    }

    fn lex_inside_action(&mut self) -> bool {
        loop {
            let (is_delim, trim) = self.at_right_delim();
            if is_delim {
                if self.paren_depth == 0 {
                    self.lex_right_delim(trim);
                    return true;
                }
                self.error("unclosed left paren".into());
                return false;
            }
            let Some(c) = self.next_char() else {
                self.error("unclosed action".into());
                return false;
            };
            match c {
                ' ' | '\t' | '\r' | '\n' => {
                    // Spaces; a trim marker ahead is handled by at_right_delim.
                    while let Some(n) = self.peek_char() {
                        if !matches!(n, ' ' | '\t' | '\r' | '\n') {
                            break;
                        }
                        let (d, _) = self.at_right_delim();
                        if d {
                            break;
                        }
                        self.next_char();
                    }
                    let (d, t) = self.at_right_delim();
                    if d && t {
                        // The space belongs to the trim marker.
                        self.start = self.pos;
                        self.start_line = self.line;
                        continue;
                    }
                    self.emit(Tok::Space);
                }
                '=' => self.emit(Tok::Assign),
                ':' => {
                    if self.peek_char() != Some('=') {
                        self.error("expected :=".into());
                        return false;
                    }
                    self.next_char();
                    self.emit(Tok::Declare);
                }
                '|' => self.emit(Tok::Pipe),
                '"' => {
                    if !self.lex_quote() {
                        return false;
                    }
                }
                '`' => {
                    let Some(end) = self.rest().find('`') else {
                        self.error("unterminated raw quoted string".into());
                        return false;
                    };
                    let s = self.rest().get(..end).unwrap_or("").to_string();
                    self.line += s.matches('\n').count();
                    self.pos += end + 1;
                    self.emit(Tok::RawString);
                }
                '$' => {
                    self.lex_word();
                    self.emit(Tok::Variable);
                }
                '\'' => {
                    if !self.lex_char() {
                        return false;
                    }
                }
                '.' => {
                    // Special look-ahead for ".field" so we don't break the number lexer.
                    if let Some(n) = self.peek_char() {
                        if n.is_ascii_digit() {
                            self.backup(c);
                            if !self.lex_number() {
                                return false;
                            }
                            continue;
                        }
                        if is_alnum(n) {
                            self.lex_word();
                            if !self.check_term() {
                                return false;
                            }
                            self.emit(Tok::Field);
                            continue;
                        }
                    }
                    self.emit(Tok::Dot);
                }
                ',' => self.emit(Tok::Comma),
                '+' | '-' | '0'..='9' => {
                    self.backup(c);
                    if !self.lex_number() {
                        return false;
                    }
                }
                '(' => {
                    self.paren_depth += 1;
                    self.emit(Tok::LeftParen);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        self.error(format!("unexpected right paren {}", go_char(')')));
                        return false;
                    }
                    self.paren_depth -= 1;
                    self.emit(Tok::RightParen);
                }
                c if is_alnum(c) => {
                    self.backup(c);
                    self.lex_word();
                    let word = self.src.get(self.start..self.pos).unwrap_or("");
                    let kind = match word {
                        "block" => Tok::Block,
                        "break" => Tok::Break,
                        "continue" => Tok::Continue,
                        "define" => Tok::Define,
                        "else" => Tok::Else,
                        "end" => Tok::End,
                        "if" => Tok::If,
                        "range" => Tok::Range,
                        "template" => Tok::Template,
                        "with" => Tok::With,
                        "nil" => Tok::Nil,
                        "true" | "false" => Tok::Bool,
                        _ => Tok::Identifier,
                    };
                    if !self.check_term() {
                        return false;
                    }
                    self.emit(kind);
                }
                c => {
                    self.error(format!("unrecognized character in action: {}", go_char(c)));
                    return false;
                }
            }
        }
    }

    fn lex_word(&mut self) {
        while let Some(c) = self.peek_char() {
            if !is_alnum(c) {
                break;
            }
            self.next_char();
        }
    }

    /// After a word or field, the next character must end the term.
    fn check_term(&mut self) -> bool {
        let (d, _) = self.at_right_delim();
        if d {
            return true;
        }
        match self.peek_char() {
            None => true,
            Some(' ' | '\t' | '\r' | '\n' | '.' | ',' | '|' | ':' | ')' | '(' | '=') => true,
            Some(c) => {
                self.error(format!("bad character {}", go_char(c)));
                false
            }
        }
    }

    fn lex_quote(&mut self) -> bool {
        loop {
            match self.next_char() {
                Some('\\') => {
                    if let Some(c) = self.next_char() {
                        if c == '\n' {
                            self.error("unterminated quoted string".into());
                            return false;
                        }
                    } else {
                        self.error("unterminated quoted string".into());
                        return false;
                    }
                }
                None | Some('\n') => {
                    self.error("unterminated quoted string".into());
                    return false;
                }
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::String);
        true
    }

    fn lex_char(&mut self) -> bool {
        loop {
            match self.next_char() {
                Some('\\') => {
                    if self.next_char().is_none() {
                        self.error("unterminated character constant".into());
                        return false;
                    }
                }
                None | Some('\n') => {
                    self.error("unterminated character constant".into());
                    return false;
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::Char);
        true
    }

    fn lex_number(&mut self) -> bool {
        // Optional sign, then digits in any Go base, fraction, exponent, imaginary suffix.
        if matches!(self.peek_char(), Some('+' | '-')) {
            self.next_char();
        }
        let mut digits = "0123456789_";
        if self.peek_char() == Some('0') {
            self.next_char();
            match self.peek_char() {
                Some('x' | 'X') => {
                    self.next_char();
                    digits = "0123456789abcdefABCDEF_";
                }
                Some('o' | 'O') => {
                    self.next_char();
                    digits = "01234567_";
                }
                Some('b' | 'B') => {
                    self.next_char();
                    digits = "01_";
                }
                _ => {}
            }
        }
        self.accept_run(digits);
        if self.peek_char() == Some('.') {
            self.next_char();
            self.accept_run(digits);
        }
        if digits.len() == 11 && matches!(self.peek_char(), Some('e' | 'E')) {
            self.next_char();
            if matches!(self.peek_char(), Some('+' | '-')) {
                self.next_char();
            }
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && matches!(self.peek_char(), Some('p' | 'P')) {
            self.next_char();
            if matches!(self.peek_char(), Some('+' | '-')) {
                self.next_char();
            }
            self.accept_run("0123456789_");
        }
        if self.peek_char() == Some('i') {
            self.next_char();
        }
        if self.peek_char().is_some_and(is_alnum) {
            self.next_char();
            let text = self.src.get(self.start..self.pos).unwrap_or("").to_string();
            self.error(format!("bad number syntax: {text:?}"));
            return false;
        }
        self.emit(Tok::Number);
        true
    }

    fn accept_run(&mut self, set: &str) {
        while let Some(c) = self.peek_char() {
            if !set.contains(c) {
                break;
            }
            self.next_char();
        }
    }
}

/// Go's `%#U` rendering of a rune.
fn go_char(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok> {
        lex(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn trim_markers_eat_surrounding_space() {
        let toks = lex("a  {{- .x -}}  b");
        let texts: Vec<&str> = toks
            .iter()
            .filter(|t| t.kind == Tok::Text)
            .map(|t| t.val.as_str())
            .collect();
        assert_eq!(texts, vec!["a", "b"]);
    }

    #[test]
    fn fields_and_numbers_are_told_apart() {
        assert_eq!(
            kinds("{{ .a.b 1.5 -3 $x }}"),
            vec![
                Tok::LeftDelim,
                Tok::Space,
                Tok::Field,
                Tok::Field,
                Tok::Space,
                Tok::Number,
                Tok::Space,
                Tok::Number,
                Tok::Space,
                Tok::Variable,
                Tok::Space,
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(kinds("x{{/* c */}}y"), vec![Tok::Text, Tok::Text, Tok::Eof]);
        assert_eq!(
            kinds("x {{- /* c */ -}} y"),
            vec![Tok::Text, Tok::Text, Tok::Eof]
        );
    }
}
