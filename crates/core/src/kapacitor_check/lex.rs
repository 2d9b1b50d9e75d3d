//! TICKscript tokens, with their line:column.
//!
//! Hand-written rather than generated (e.g. with `logos`) because TICKscript's lexing is
//! context-sensitive the way Kapacitor's own lexer (`tick/ast/lex.go`) is: a `/` after an
//! operand divides, anywhere else it opens a regex; `lambda` is a keyword only before `:`;
//! `'''` opens a triple-quoted string. A table-driven lexer would need the same state on the
//! side. It never panics: every byte sequence ends in tokens or one [`SyntaxError`].

use super::{Pos, SyntaxError};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Var,
    Lambda,
    Dbrp,
    Bool,
    /// A string literal, unquoted (`\'` → `'` in single-quoted ones, as Kapacitor does).
    Str(String),
    /// A `"field"` reference.
    Ref(String),
    Num,
    Dur(String),
    Regex,
    Pipe,
    Dot,
    At,
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Star,
    /// `=` in a `var` declaration.
    Assign,
    /// Any other operator, its text (`+`, `==`, `AND`, `!`, …).
    Op(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
    out: Vec<Token>,
}

/// Durations' units (`ms` is `m` followed by `s`); `µ` and `u` are microseconds.
const DUR_UNITS: &str = "uµsmhdw";

pub fn lex(src: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut l = Lexer {
        chars: src.chars().peekable(),
        line: 1,
        col: 1,
        out: Vec::new(),
    };
    l.run()?;
    Ok(l.out)
}

impl Lexer<'_> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.col,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.chars.clone();
        it.next();
        it.next()
    }

    fn push(&mut self, tok: Tok, pos: Pos) {
        self.out.push(Token { tok, pos });
    }

    /// Whether the last token ends an operand, so that `/` divides and `-` subtracts.
    fn after_operand(&self) -> bool {
        matches!(
            self.out.last().map(|t| &t.tok),
            Some(
                Tok::Ident(_)
                    | Tok::Str(_)
                    | Tok::Ref(_)
                    | Tok::Num
                    | Tok::Dur(_)
                    | Tok::Bool
                    | Tok::RParen
                    | Tok::RBrack
                    | Tok::Regex
            )
        )
    }

    fn run(&mut self) -> Result<(), SyntaxError> {
        while let Some(c) = self.peek() {
            let pos = self.pos();
            match c {
                c if c.is_whitespace() => {
                    self.bump();
                }
                '/' if self.peek2() == Some('/') => {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                '/' if !self.after_operand() => self.regex(pos)?,
                '\'' => self.string(pos)?,
                '"' => self.reference(pos)?,
                c if c.is_ascii_digit() => self.number(pos),
                '.' if self.peek2().is_some_and(|d| d.is_ascii_digit())
                    && !self.after_operand() =>
                {
                    self.number(pos)
                }
                c if c.is_alphabetic() => self.word(pos),
                _ => self.punct(c, pos)?,
            }
        }
        Ok(())
    }

    fn punct(&mut self, c: char, pos: Pos) -> Result<(), SyntaxError> {
        self.bump();
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBrack,
            ']' => Tok::RBrack,
            '|' => Tok::Pipe,
            '@' => Tok::At,
            ',' => Tok::Comma,
            '.' => Tok::Dot,
            '*' if !self.after_operand() => Tok::Star,
            '+' | '-' | '*' | '/' | '%' => Tok::Op(c.to_string()),
            '=' | '!' | '<' | '>' => {
                let second = self.peek();
                let two = match (c, second) {
                    ('=', Some('=' | '~')) | ('!', Some('=' | '~')) | ('<' | '>', Some('=')) => {
                        second
                    }
                    _ => None,
                };
                match two {
                    Some(s) => {
                        self.bump();
                        Tok::Op(format!("{c}{s}"))
                    }
                    None if c == '=' => Tok::Assign,
                    None => Tok::Op(c.to_string()),
                }
            }
            other => {
                return Err(SyntaxError {
                    pos,
                    message: format!("unexpected character {other:?}"),
                })
            }
        };
        self.push(tok, pos);
        Ok(())
    }

    fn word(&mut self, pos: Pos) {
        let mut w = String::new();
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' {
                w.push(c);
                self.bump();
            } else {
                break;
            }
        }
        let tok = match w.as_str() {
            "var" => Tok::Var,
            "dbrp" => Tok::Dbrp,
            "TRUE" | "FALSE" => Tok::Bool,
            "AND" | "OR" => Tok::Op(w),
            "lambda" if self.peek() == Some(':') => {
                self.bump();
                Tok::Lambda
            }
            _ => Tok::Ident(w),
        };
        self.push(tok, pos);
    }

    fn number(&mut self, pos: Pos) {
        let mut text = String::new();
        let mut decimal = false;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                text.push(c);
                self.bump();
            } else if c == '.' && !decimal && self.peek2().is_some_and(|d| d.is_ascii_digit()) {
                decimal = true;
                text.push(c);
                self.bump();
            } else {
                break;
            }
        }
        match self.peek() {
            Some(u) if !decimal && DUR_UNITS.contains(u) => {
                self.bump();
                text.push(u);
                if u == 'm' && self.peek() == Some('s') {
                    self.bump();
                    text.push('s');
                }
                self.push(Tok::Dur(text), pos);
            }
            _ => self.push(Tok::Num, pos),
        }
    }

    fn unterminated(pos: Pos, what: &str) -> SyntaxError {
        SyntaxError {
            pos,
            message: format!("unterminated {what}"),
        }
    }

    fn string(&mut self, pos: Pos) -> Result<(), SyntaxError> {
        self.bump();
        let triple = self.peek() == Some('\'') && self.peek2() == Some('\'');
        let mut value = String::new();
        if triple {
            self.bump();
            self.bump();
            // Triple-quoted: no escapes, ends at the first `'''`.
            let mut quotes = 0;
            loop {
                match self.bump() {
                    None => return Err(Self::unterminated(pos, "string")),
                    Some('\'') => {
                        quotes += 1;
                        if quotes == 3 {
                            break;
                        }
                    }
                    Some(c) => {
                        value.extend(std::iter::repeat_n('\'', quotes));
                        quotes = 0;
                        value.push(c);
                    }
                }
            }
        } else {
            loop {
                match self.bump() {
                    None => return Err(Self::unterminated(pos, "string")),
                    Some('\\') if self.peek() == Some('\'') => {
                        self.bump();
                        value.push('\'');
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        }
        self.push(Tok::Str(value), pos);
        Ok(())
    }

    fn reference(&mut self, pos: Pos) -> Result<(), SyntaxError> {
        self.bump();
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return Err(Self::unterminated(pos, "field reference")),
                Some('\\') if self.peek() == Some('"') => {
                    self.bump();
                    value.push('"');
                }
                Some('"') => break,
                Some(c) => value.push(c),
            }
        }
        self.push(Tok::Ref(value), pos);
        Ok(())
    }

    fn regex(&mut self, pos: Pos) -> Result<(), SyntaxError> {
        self.bump();
        loop {
            match self.bump() {
                None => return Err(Self::unterminated(pos, "regex")),
                Some('\\') if self.peek() == Some('/') => {
                    self.bump();
                }
                Some('/') => break,
                Some(_) => {}
            }
        }
        self.push(Tok::Regex, pos);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).expect("lexes").into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn division_after_an_operand_regex_elsewhere() {
        assert_eq!(
            toks(r#"lambda: "a" / 2"#),
            vec![
                Tok::Lambda,
                Tok::Ref("a".into()),
                Tok::Op("/".into()),
                Tok::Num
            ]
        );
        assert_eq!(toks(r#".where(lambda: "host" =~ /^a\/b/)"#)[6], Tok::Regex);
    }

    #[test]
    fn strings_durations_and_positions() {
        let t = lex("var x = 'it\\'s'\n  .f(5m, 10ms, '''a'b''')").expect("lexes");
        assert_eq!(t[3].tok, Tok::Str("it's".into()));
        assert_eq!(t[4].pos, Pos { line: 2, column: 3 });
        assert_eq!(t[7].tok, Tok::Dur("5m".into()));
        assert_eq!(t[9].tok, Tok::Dur("10ms".into()));
        assert_eq!(t[11].tok, Tok::Str("a'b".into()));
    }

    #[test]
    fn unterminated_things_are_errors_with_their_start() {
        let e = lex("x\n  'abc").expect_err("unterminated");
        assert_eq!(e.pos, Pos { line: 2, column: 3 });
        assert!(lex("\"abc").is_err());
        assert!(lex("(/abc").is_err());
        assert!(lex("#").is_err());
    }
}
