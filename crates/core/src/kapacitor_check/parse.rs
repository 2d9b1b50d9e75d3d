//! TICKscript's statements and chains, as far as the checks need them.
//!
//! The grammar follows Kapacitor's `tick/ast/parser.go`: a script is `dbrp` lines, `var`
//! declarations and expressions; an expression is an operand (identifier, literal, list,
//! `lambda:`) followed by chain links (`|node(…)`, `.property(…)`, `@udf(…)`) and binary
//! operators. Nothing is evaluated: lambdas are parsed and kept only as "a lambda here".
//! Nesting is bounded so hostile input cannot exhaust the stack.

use super::lex::{Tok, Token};
use super::{Pos, SyntaxError};

/// How deep expressions may nest (parentheses, lists, arguments) before the script is refused.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Var { name: String, pos: Pos, value: Expr },
    Dbrp,
    Expr(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkKind {
    /// `|node()`: a new node.
    Pipe,
    /// `.property()`: a property of the node (or handler) before it.
    Dot,
    /// `@udf()`.
    At,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub kind: LinkKind,
    pub name: String,
    pub pos: Pos,
    pub args: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Ident {
        name: String,
        pos: Pos,
    },
    Str {
        value: String,
        pos: Pos,
    },
    Dur {
        text: String,
        pos: Pos,
    },
    Ref {
        name: String,
        pos: Pos,
    },
    List {
        items: Vec<Expr>,
        pos: Pos,
    },
    Star {
        pos: Pos,
    },
    Lambda {
        pos: Pos,
    },
    /// `a + b`: kept so string concatenations of constants can be folded.
    Binary {
        op: String,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A function call inside a lambda (`float("x")`), a number, a regex, a bool, a unary.
    Other {
        pos: Pos,
    },
    Chain {
        source: Box<Expr>,
        links: Vec<Link>,
    },
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
    end: Pos,
}

pub fn parse(toks: Vec<Token>, end: Pos) -> Result<Vec<Stmt>, SyntaxError> {
    let mut p = Parser { toks, at: 0, end };
    let mut stmts = Vec::new();
    while p.peek().is_some() {
        stmts.push(p.stmt()?);
    }
    Ok(stmts)
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "OR" => 1,
        "AND" => 2,
        "==" | "!=" | "=~" | "!~" | "<" | "<=" | ">" | ">=" => 3,
        "+" | "-" => 4,
        "*" | "/" | "%" => 5,
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.tok)
    }

    fn pos(&self) -> Pos {
        self.toks.get(self.at).map_or(self.end, |t| t.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            pos: self.pos(),
            message: message.into(),
        })
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(want) {
            self.at += 1;
            Ok(())
        } else {
            self.error(format!("expected {what}"))
        }
    }

    fn stmt(&mut self) -> Result<Stmt, SyntaxError> {
        match self.peek() {
            Some(Tok::Var) => {
                self.at += 1;
                let pos = self.pos();
                let Some(Token {
                    tok: Tok::Ident(name),
                    ..
                }) = self.next()
                else {
                    return Err(SyntaxError {
                        pos,
                        message: "expected a name after var".into(),
                    });
                };
                self.expect(&Tok::Assign, "= after the var's name")?;
                let value = self.expr(0)?;
                Ok(Stmt::Var { name, pos, value })
            }
            Some(Tok::Dbrp) => {
                // dbrp "db"."rp"
                self.at += 1;
                for (i, want) in ["a database reference", ".", "a retention policy"]
                    .iter()
                    .enumerate()
                {
                    match (i, self.peek()) {
                        (0 | 2, Some(Tok::Ref(_))) | (1, Some(Tok::Dot)) => self.at += 1,
                        _ => return self.error(format!("expected {want} in dbrp")),
                    }
                }
                Ok(Stmt::Dbrp)
            }
            _ => Ok(Stmt::Expr(self.expr(0)?)),
        }
    }

    /// An expression: operands joined by binary operators (precedence climbing).
    fn expr(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        self.binary(1, depth)
    }

    fn binary(&mut self, min: u8, depth: usize) -> Result<Expr, SyntaxError> {
        if depth > MAX_DEPTH {
            return self.error("expression nested too deeply");
        }
        let mut lhs = self.unary(depth + 1)?;
        while let Some(Tok::Op(op)) = self.peek() {
            let op = op.clone();
            let Some(prec) = precedence(&op) else {
                break;
            };
            if prec < min {
                break;
            }
            self.at += 1;
            let rhs = self.binary(prec + 1, depth + 1)?;
            lhs = Expr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        if depth > MAX_DEPTH {
            return self.error("expression nested too deeply");
        }
        if let Some(Tok::Op(op)) = self.peek() {
            if op == "-" || op == "!" {
                let pos = self.pos();
                self.at += 1;
                self.unary(depth + 1)?;
                return Ok(Expr::Other { pos });
            }
        }
        let operand = self.operand(depth)?;
        self.links(operand, depth)
    }

    fn operand(&mut self, depth: usize) -> Result<Expr, SyntaxError> {
        let pos = self.pos();
        let Some(tok) = self.next() else {
            return self.error("unexpected end of script");
        };
        Ok(match tok.tok {
            Tok::Ident(name) => {
                if self.peek() == Some(&Tok::LParen) {
                    // A function call, in a lambda (`float("x")`, `time(1m)`).
                    self.args(depth)?;
                    Expr::Other { pos }
                } else {
                    Expr::Ident { name, pos }
                }
            }
            Tok::Str(value) => Expr::Str { value, pos },
            Tok::Dur(text) => Expr::Dur { text, pos },
            Tok::Ref(name) => Expr::Ref { name, pos },
            Tok::Star => Expr::Star { pos },
            Tok::Num | Tok::Regex | Tok::Bool => Expr::Other { pos },
            Tok::Lambda => {
                self.expr(depth + 1)?;
                Expr::Lambda { pos }
            }
            Tok::LParen => {
                let inner = self.expr(depth + 1)?;
                self.expect(&Tok::RParen, ")")?;
                inner
            }
            Tok::LBrack => {
                let mut items = Vec::new();
                if self.peek() != Some(&Tok::RBrack) {
                    loop {
                        items.push(self.expr(depth + 1)?);
                        if self.peek() == Some(&Tok::Comma) {
                            self.at += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.expect(&Tok::RBrack, "]")?;
                Expr::List { items, pos }
            }
            _ => {
                return Err(SyntaxError {
                    pos,
                    message: "unexpected token".into(),
                })
            }
        })
    }

    /// `(a, b, …)`.
    fn args(&mut self, depth: usize) -> Result<Vec<Expr>, SyntaxError> {
        self.expect(&Tok::LParen, "(")?;
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.at += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr(depth + 1)?);
            match self.peek() {
                Some(Tok::Comma) => self.at += 1,
                Some(Tok::RParen) => {
                    self.at += 1;
                    return Ok(args);
                }
                _ => return self.error("expected , or ) in the arguments"),
            }
        }
    }

    /// The chain after an operand: `|node(…)`, `.property(…)`, `@udf(…)`.
    fn links(&mut self, source: Expr, depth: usize) -> Result<Expr, SyntaxError> {
        let mut links = Vec::new();
        loop {
            let kind = match self.peek() {
                Some(Tok::Pipe) => LinkKind::Pipe,
                Some(Tok::Dot) => LinkKind::Dot,
                Some(Tok::At) => LinkKind::At,
                _ => break,
            };
            self.at += 1;
            let pos = self.pos();
            let Some(Token {
                tok: Tok::Ident(name),
                ..
            }) = self.next()
            else {
                return Err(SyntaxError {
                    pos,
                    message: "expected a node or property name".into(),
                });
            };
            let args = self.args(depth)?;
            links.push(Link {
                kind,
                name,
                pos,
                args,
            });
        }
        Ok(if links.is_empty() {
            source
        } else {
            Expr::Chain {
                source: Box::new(source),
                links,
            }
        })
    }
}
