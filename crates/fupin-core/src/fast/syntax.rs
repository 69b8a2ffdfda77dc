//! Reading the subset of rhai that rule scripts use into a small syntax tree.
//!
//! The reader is deliberately narrow: the script has already been compiled by rhai (which
//! reports syntax errors to the user), so anything outside the subset here is not an error but
//! a reason to leave that function to the interpreter. Operator precedence follows rhai's
//! table (`||` < `&&` < `==` `!=` < `in` < `<` `>` `<=` `>=` < `+` `-` < `*` `/` `%`).

use rust_decimal::Decimal;

/// Why a function stays with the interpreter.
pub(crate) type Unsupported = String;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Int(i64),
    Dec(Decimal),
    Str(String),
    /// A backtick string: literal text and `${…}` code, in order.
    Interp(Vec<Part>),
    Punct(&'static str),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Part {
    Text(String),
    Code(Vec<Tok>),
}

const PUNCTS: [&str; 33] = [
    "#{", "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", "=>", "::", "??", "?.", "..", "(", ")", "[", "]",
    "{", "}", ",", ";", ":", ".", "=", "<", ">", "+", "-", "*", "/",
];
const SINGLE: [&str; 4] = ["!", "|", "%", "_"];

struct Lexer<'a> {
    src: &'a [char],
    at: usize,
}

/// Splits a script into tokens (comments dropped).
pub(crate) fn lex(text: &str) -> Result<Vec<Tok>, Unsupported> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { src: &chars, at: 0 };
    lexer.tokens(false)
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<char> {
        self.src.get(self.at + k).copied()
    }

    fn starts(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(k, c)| self.peek(k) == Some(c))
    }

    /// Tokens up to the end, or (inside `${…}`) up to the matching `}`.
    fn tokens(&mut self, nested: bool) -> Result<Vec<Tok>, Unsupported> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() {
                self.at += 1;
            } else if self.starts("//") {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
            } else if self.starts("/*") {
                self.block_comment()?;
            } else if c.is_ascii_digit() {
                out.push(self.number()?);
            } else if c.is_alphabetic() || c == '_' && self.peek(1).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                let start = self.at;
                while self.peek(0).is_some_and(|d| d.is_alphanumeric() || d == '_') {
                    self.at += 1;
                }
                out.push(Tok::Ident(self.src[start..self.at].iter().collect()));
            } else if c == '"' {
                out.push(Tok::Str(self.quoted()?));
            } else if c == '`' {
                out.push(self.backtick()?);
            } else if c == '\'' {
                return Err("character literals".into());
            } else if let Some(p) = PUNCTS.iter().chain(SINGLE.iter()).find(|p| self.starts(p)) {
                if nested && *p == "}" && depth == 0 {
                    self.at += 1;
                    return Ok(out);
                }
                match *p {
                    "{" | "#{" => depth += 1,
                    "}" => depth = depth.saturating_sub(1),
                    _ => {}
                }
                self.at += p.chars().count();
                out.push(Tok::Punct(p));
            } else {
                return Err(format!("symbol `{c}`"));
            }
        }
        if nested { Err("unterminated `${`".into()) } else { Ok(out) }
    }

    fn block_comment(&mut self) -> Result<(), Unsupported> {
        let mut depth = 0;
        loop {
            if self.starts("/*") {
                depth += 1;
                self.at += 2;
            } else if self.starts("*/") {
                depth -= 1;
                self.at += 2;
                if depth == 0 {
                    return Ok(());
                }
            } else if self.peek(0).is_some() {
                self.at += 1;
            } else {
                return Err("unterminated comment".into());
            }
        }
    }

    fn number(&mut self) -> Result<Tok, Unsupported> {
        let start = self.at;
        let digits = |lx: &mut Self| {
            while lx.peek(0).is_some_and(|d| d.is_ascii_digit() || d == '_') {
                lx.at += 1;
            }
        };
        digits(self);
        let mut decimal = false;
        if self.peek(0) == Some('.') && self.peek(1).is_some_and(|d| d.is_ascii_digit()) {
            decimal = true;
            self.at += 1;
            digits(self);
        }
        if self.peek(0).is_some_and(|d| d.is_alphanumeric()) {
            return Err("number literal with a suffix, exponent or radix".into());
        }
        let text: String = self.src[start..self.at].iter().filter(|c| **c != '_').collect();
        if decimal {
            text.parse().map(Tok::Dec).map_err(|_| format!("decimal literal {text}"))
        } else {
            text.parse().map(Tok::Int).map_err(|_| format!("integer literal {text}"))
        }
    }

    fn quoted(&mut self) -> Result<String, Unsupported> {
        self.at += 1;
        let mut s = String::new();
        loop {
            match self.peek(0) {
                None | Some('\n') => return Err("unterminated string".into()),
                Some('"') => {
                    self.at += 1;
                    return Ok(s);
                }
                Some('\\') => {
                    let escaped = match self.peek(1) {
                        Some('"') => '"',
                        Some('\\') => '\\',
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        _ => return Err("string escape other than \\\" \\\\ \\n \\t \\r".into()),
                    };
                    s.push(escaped);
                    self.at += 2;
                }
                Some(c) => {
                    s.push(c);
                    self.at += 1;
                }
            }
        }
    }

    fn backtick(&mut self) -> Result<Tok, Unsupported> {
        self.at += 1;
        let mut parts = Vec::new();
        let mut text = String::new();
        loop {
            match self.peek(0) {
                None => return Err("unterminated string".into()),
                Some('`') => {
                    self.at += 1;
                    if !text.is_empty() {
                        parts.push(Part::Text(text));
                    }
                    return Ok(Tok::Interp(parts));
                }
                Some('\\') => return Err("backslash in a backtick string".into()),
                Some('$') if self.peek(1) == Some('{') => {
                    self.at += 2;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Code(self.tokens(true)?));
                }
                Some(c) => {
                    text.push(c);
                    self.at += 1;
                }
            }
        }
    }
}

/// Binary operators (short-circuit `&&` / `||` are separate expression kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

/// A switch case label.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Label {
    Bool(bool),
    Int(i64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Expr {
    Unit,
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Str(String),
    Interp(Vec<Expr>),
    Array(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    Var(String),
    Prop(Box<Expr>, String),
    Index(Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    Method(Box<Expr>, String, Vec<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Vec<Stmt>, Vec<Stmt>),
    Switch(Box<Expr>, Vec<(Vec<Label>, Expr)>, Option<Box<Expr>>),
    Closure(Vec<String>, Vec<Stmt>),
    Block(Vec<Stmt>),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stmt {
    Let(String, Expr),
    Assign(Expr, Option<BinOp>, Expr),
    Expr(Expr),
    For(String, Expr, Vec<Stmt>),
    Return(Expr),
}

/// One script function as read.
#[derive(Clone, Debug)]
pub(crate) struct FnDef {
    pub name: String,
    pub params: Vec<String>,
    /// The body, or why it cannot be read.
    pub body: Result<Vec<Stmt>, Unsupported>,
}

/// Reads every top-level `fn` of a script. A function outside the subset is kept with the
/// reason, so the plan can say why it runs in the interpreter.
pub(crate) fn functions(text: &str) -> Result<Vec<FnDef>, Unsupported> {
    let toks = lex(text)?;
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] == Tok::Ident("private".into()) {
            i += 1;
        }
        if toks.get(i) != Some(&Tok::Ident("fn".into())) {
            return Err("top-level statements outside functions".into());
        }
        let (Some(Tok::Ident(name)), Some(Tok::Punct("("))) = (toks.get(i + 1), toks.get(i + 2)) else {
            return Err("a function header the fast path cannot read".into());
        };
        let mut j = i + 3;
        let mut params = Vec::new();
        while let Some(Tok::Ident(p)) = toks.get(j) {
            params.push(p.clone());
            j += 1;
            if toks.get(j) == Some(&Tok::Punct(",")) {
                j += 1;
            }
        }
        if toks.get(j) != Some(&Tok::Punct(")")) || toks.get(j + 1) != Some(&Tok::Punct("{")) {
            return Err(format!("the header of fn {name}"));
        }
        let end = matching_brace(&toks, j + 1).ok_or_else(|| format!("unbalanced braces in fn {name}"))?;
        let mut parser = Parser { toks: &toks[j + 2..end], at: 0 };
        let body = parser.statements().and_then(|b| if parser.at == parser.toks.len() { Ok(b) } else { Err(parser.unexpected()) });
        out.push(FnDef { name: name.clone(), params, body });
        i = end + 1;
    }
    Ok(out)
}

fn matching_brace(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct("{") | Tok::Punct("#{") => depth += 1,
            Tok::Punct("}") => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

struct Parser<'a> {
    toks: &'a [Tok],
    at: usize,
}

const KEYWORDS: [&str; 20] = [
    "let", "const", "if", "else", "switch", "for", "in", "return", "true", "false", "while", "loop", "do", "break",
    "continue", "throw", "try", "catch", "fn", "this",
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn is(&self, p: &str) -> bool {
        matches!(self.peek(), Some(Tok::Punct(q)) if *q == p)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(x)) if x == w)
    }

    fn eat(&mut self, p: &str) -> bool {
        let hit = self.is(p);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let hit = self.is_word(w);
        if hit {
            self.at += 1;
        }
        hit
    }

    fn expect(&mut self, p: &str) -> Result<(), Unsupported> {
        if self.eat(p) { Ok(()) } else { Err(self.unexpected()) }
    }

    fn unexpected(&self) -> Unsupported {
        match self.peek() {
            Some(Tok::Ident(w)) => format!("`{w}`"),
            Some(Tok::Punct(p)) => format!("`{p}`"),
            Some(_) => "a literal in an unexpected place".into(),
            None => "an unexpected end".into(),
        }
    }

    fn name(&mut self) -> Result<String, Unsupported> {
        match self.peek() {
            Some(Tok::Ident(w)) if !KEYWORDS.contains(&w.as_str()) => {
                let w = w.clone();
                self.at += 1;
                Ok(w)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// Statements until `}` or the end.
    fn statements(&mut self) -> Result<Vec<Stmt>, Unsupported> {
        let mut out = Vec::new();
        while self.peek().is_some() && !self.is("}") {
            if self.eat(";") {
                continue;
            }
            out.push(self.statement()?);
        }
        Ok(out)
    }

    fn block(&mut self) -> Result<Vec<Stmt>, Unsupported> {
        self.expect("{")?;
        let body = self.statements()?;
        self.expect("}")?;
        Ok(body)
    }

    fn statement(&mut self) -> Result<Stmt, Unsupported> {
        if self.eat_word("let") || self.eat_word("const") {
            let name = self.name()?;
            let value = if self.eat("=") { self.expr()? } else { Expr::Unit };
            self.end_statement()?;
            return Ok(Stmt::Let(name, value));
        }
        if self.eat_word("return") {
            let value = if self.is(";") || self.is("}") { Expr::Unit } else { self.expr()? };
            self.end_statement()?;
            return Ok(Stmt::Return(value));
        }
        if self.eat_word("for") {
            let var = self.name()?;
            if !self.eat_word("in") {
                return Err("a `for` loop other than `for x in list`".into());
            }
            let list = self.expr()?;
            let body = self.block()?;
            return Ok(Stmt::For(var, list, body));
        }
        for word in ["while", "loop", "do", "break", "continue", "throw", "try", "fn", "import", "export"] {
            if self.is_word(word) {
                return Err(format!("`{word}`"));
            }
        }
        let block_like = self.is_word("if") || self.is_word("switch") || self.is("{");
        let lhs = self.expr()?;
        let op = [("=", None), ("+=", Some(BinOp::Add)), ("-=", Some(BinOp::Sub)), ("*=", Some(BinOp::Mul)), ("/=", Some(BinOp::Div))]
            .into_iter()
            .find(|(p, _)| self.is(p));
        if let Some((_, op)) = op {
            self.at += 1;
            let rhs = self.expr()?;
            self.end_statement()?;
            return Ok(Stmt::Assign(lhs, op, rhs));
        }
        if !block_like {
            self.end_statement()?;
        }
        Ok(Stmt::Expr(lhs))
    }

    fn end_statement(&mut self) -> Result<(), Unsupported> {
        if self.eat(";") || self.is("}") || self.peek().is_none() { Ok(()) } else { Err(self.unexpected()) }
    }

    fn expr(&mut self) -> Result<Expr, Unsupported> {
        self.binary(0)
    }

    fn binary(&mut self, min: u8) -> Result<Expr, Unsupported> {
        let mut lhs = self.unary()?;
        loop {
            let (prec, op) = match self.peek() {
                Some(Tok::Punct("||")) => (30, None),
                Some(Tok::Punct("&&")) => (60, None),
                Some(Tok::Punct("==")) => (90, Some(BinOp::Eq)),
                Some(Tok::Punct("!=")) => (90, Some(BinOp::Ne)),
                Some(Tok::Ident(w)) if w == "in" => (110, Some(BinOp::In)),
                Some(Tok::Punct("<")) => (130, Some(BinOp::Lt)),
                Some(Tok::Punct("<=")) => (130, Some(BinOp::Le)),
                Some(Tok::Punct(">")) => (130, Some(BinOp::Gt)),
                Some(Tok::Punct(">=")) => (130, Some(BinOp::Ge)),
                Some(Tok::Punct("+")) => (150, Some(BinOp::Add)),
                Some(Tok::Punct("-")) => (150, Some(BinOp::Sub)),
                Some(Tok::Punct("*")) => (180, Some(BinOp::Mul)),
                Some(Tok::Punct("/")) => (180, Some(BinOp::Div)),
                Some(Tok::Punct("%")) => (180, Some(BinOp::Rem)),
                Some(Tok::Punct(p @ ("??" | ".." | "|"))) => return Err(format!("operator `{p}`")),
                _ => return Ok(lhs),
            };
            if prec <= min {
                return Ok(lhs);
            }
            let is_or = self.is("||");
            self.at += 1;
            let rhs = self.binary(prec)?;
            lhs = match op {
                Some(op) => Expr::Bin(op, Box::new(lhs), Box::new(rhs)),
                None if is_or => Expr::Or(Box::new(lhs), Box::new(rhs)),
                None => Expr::And(Box::new(lhs), Box::new(rhs)),
            };
        }
    }

    fn unary(&mut self) -> Result<Expr, Unsupported> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(match self.unary()? {
                Expr::Int(i) => Expr::Int(-i),
                Expr::Dec(d) => Expr::Dec(-d),
                e => Expr::Neg(Box::new(e)),
            });
        }
        if self.eat("+") {
            return Err("unary `+`".into());
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, Unsupported> {
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                let name = self.name()?;
                if self.eat("(") {
                    let args = self.args(")")?;
                    e = Expr::Method(Box::new(e), name, args);
                } else {
                    e = Expr::Prop(Box::new(e), name);
                }
            } else if self.eat("[") {
                let index = self.expr()?;
                self.expect("]")?;
                e = Expr::Index(Box::new(e), Box::new(index));
            } else if self.is("?.") {
                return Err("`?.`".into());
            } else {
                return Ok(e);
            }
        }
    }

    fn args(&mut self, close: &str) -> Result<Vec<Expr>, Unsupported> {
        let mut out = Vec::new();
        while !self.eat(close) {
            out.push(self.expr()?);
            if !self.eat(",") {
                self.expect(close)?;
                break;
            }
        }
        Ok(out)
    }

    fn primary(&mut self) -> Result<Expr, Unsupported> {
        let Some(tok) = self.peek().cloned() else { return Err(self.unexpected()) };
        self.at += 1;
        Ok(match tok {
            Tok::Int(i) => Expr::Int(i),
            Tok::Dec(d) => Expr::Dec(d),
            Tok::Str(s) => Expr::Str(s),
            Tok::Interp(parts) => self.interpolation(parts)?,
            Tok::Ident(w) => match w.as_str() {
                "true" => Expr::Bool(true),
                "false" => Expr::Bool(false),
                "if" => self.if_rest()?,
                "switch" => self.switch_rest()?,
                _ if KEYWORDS.contains(&w.as_str()) => return Err(format!("`{w}`")),
                _ if self.is("::") => return Err("namespaces".into()),
                _ if self.is("!") => return Err("macro-style calls".into()),
                _ if self.eat("(") => Expr::Call(w, self.args(")")?),
                _ => Expr::Var(w),
            },
            Tok::Punct("(") => {
                if self.eat(")") {
                    Expr::Unit
                } else {
                    let e = self.expr()?;
                    self.expect(")")?;
                    e
                }
            }
            Tok::Punct("[") => Expr::Array(self.args("]")?),
            Tok::Punct("#{") => self.map_rest()?,
            Tok::Punct("{") => {
                let body = self.statements()?;
                self.expect("}")?;
                Expr::Block(body)
            }
            Tok::Punct("|") => {
                let mut params = Vec::new();
                while !self.eat("|") {
                    params.push(self.name()?);
                    if !self.eat(",") {
                        self.expect("|")?;
                        break;
                    }
                }
                let body = if self.is("{") { self.block()? } else { vec![Stmt::Expr(self.expr()?)] };
                Expr::Closure(params, body)
            }
            Tok::Punct("||") => {
                let body = if self.is("{") { self.block()? } else { vec![Stmt::Expr(self.expr()?)] };
                Expr::Closure(Vec::new(), body)
            }
            Tok::Punct(p) => return Err(format!("`{p}`")),
        })
    }

    fn interpolation(&mut self, parts: Vec<Part>) -> Result<Expr, Unsupported> {
        let mut out = Vec::new();
        for part in parts {
            match part {
                Part::Text(t) => out.push(Expr::Str(t)),
                Part::Code(toks) => {
                    let mut inner = Parser { toks: &toks, at: 0 };
                    let e = inner.expr()?;
                    if inner.at != toks.len() {
                        return Err("statements inside `${…}`".into());
                    }
                    out.push(e);
                }
            }
        }
        Ok(Expr::Interp(out))
    }

    fn if_rest(&mut self) -> Result<Expr, Unsupported> {
        let cond = self.expr()?;
        let then = self.block()?;
        let otherwise = if self.eat_word("else") {
            if self.eat_word("if") { vec![Stmt::Expr(self.if_rest()?)] } else { self.block()? }
        } else {
            Vec::new()
        };
        Ok(Expr::If(Box::new(cond), then, otherwise))
    }

    fn switch_rest(&mut self) -> Result<Expr, Unsupported> {
        let value = self.expr()?;
        self.expect("{")?;
        let mut cases = Vec::new();
        let mut default = None;
        while !self.eat("}") {
            let block_body = |p: &Self| matches!(p.toks.get(p.at.wrapping_sub(1)), Some(Tok::Punct("}")));
            if self.eat("_") {
                self.expect("=>")?;
                default = Some(Box::new(self.case_body()?));
            } else {
                if default.is_some() {
                    return Err("a switch case after `_`".into());
                }
                let mut labels = vec![self.label()?];
                while self.eat("|") {
                    labels.push(self.label()?);
                }
                if self.is_word("if") {
                    return Err("switch case conditions".into());
                }
                self.expect("=>")?;
                cases.push((labels, self.case_body()?));
            }
            // A comma separates cases; after a `{ … }` body it may be left out.
            if !self.eat(",") && !block_body(self) {
                self.expect("}")?;
                break;
            }
        }
        Ok(Expr::Switch(Box::new(value), cases, default))
    }

    fn case_body(&mut self) -> Result<Expr, Unsupported> {
        if self.is("{") {
            Ok(Expr::Block(self.block()?))
        } else {
            self.expr()
        }
    }

    fn label(&mut self) -> Result<Label, Unsupported> {
        let label = match self.peek() {
            Some(Tok::Ident(w)) if w == "true" => Label::Bool(true),
            Some(Tok::Ident(w)) if w == "false" => Label::Bool(false),
            Some(Tok::Int(i)) => Label::Int(*i),
            Some(Tok::Str(s)) => Label::Str(s.clone()),
            _ => return Err("a switch case other than true, false, an integer or a string".into()),
        };
        self.at += 1;
        Ok(label)
    }

    fn map_rest(&mut self) -> Result<Expr, Unsupported> {
        let mut fields = Vec::new();
        while !self.eat("}") {
            let key = match self.peek() {
                Some(Tok::Ident(w)) => w.clone(),
                Some(Tok::Str(s)) => s.clone(),
                _ => return Err(self.unexpected()),
            };
            self.at += 1;
            self.expect(":")?;
            fields.push((key, self.expr()?));
            if !self.eat(",") {
                self.expect("}")?;
                break;
            }
        }
        Ok(Expr::Map(fields))
    }
}

/// Locals that only ever hold a verdict's values map: bound once by `let v = #{…}`, then
/// only written (`v.k = …`, `v[k] = …`) or passed as the first argument of `pass` / `fail`
/// / `unknown`. When only outcomes are wanted, such maps need not be built.
pub(crate) fn values_only_maps(params: &[String], body: &[Stmt]) -> Vec<String> {
    let mut lets: Vec<String> = Vec::new();
    let mut reads: Vec<String> = params.to_vec();
    for stmt in body {
        walk_stmt(stmt, &mut lets, &mut reads);
    }
    let mut out: Vec<String> = lets.iter().filter(|n| lets.iter().filter(|m| m == n).count() == 1 && !reads.contains(n)).cloned().collect();
    out.dedup();
    out
}

const VERDICTS: [&str; 3] = ["pass", "fail", "unknown"];

fn walk_stmt(stmt: &Stmt, lets: &mut Vec<String>, reads: &mut Vec<String>) {
    match stmt {
        Stmt::Let(name, value) => {
            if matches!(value, Expr::Map(_)) {
                lets.push(name.clone());
            } else {
                reads.push(name.clone());
            }
            walk(value, reads);
        }
        Stmt::Assign(target, op, value) => {
            match (target, op) {
                (Expr::Prop(base, _), None) if matches!(**base, Expr::Var(_)) => {}
                (Expr::Index(base, key), None) if matches!(**base, Expr::Var(_)) => walk(key, reads),
                _ => walk(target, reads),
            }
            walk(value, reads);
        }
        Stmt::Expr(e) | Stmt::Return(e) => walk(e, reads),
        Stmt::For(var, list, body) => {
            reads.push(var.clone());
            walk(list, reads);
            for s in body {
                walk_stmt(s, lets, reads);
            }
        }
    }
}

/// Records every variable read in `e`, except a verdict's first argument.
fn walk(e: &Expr, reads: &mut Vec<String>) {
    let all = |xs: &[Expr], reads: &mut Vec<String>| xs.iter().for_each(|x| walk(x, reads));
    match e {
        Expr::Var(name) => reads.push(name.clone()),
        Expr::Call(name, args) if VERDICTS.contains(&name.as_str()) && args.len() == 3 => {
            if !matches!(args[0], Expr::Var(_)) {
                walk(&args[0], reads);
            }
            all(&args[1..], reads);
        }
        Expr::Unit | Expr::Bool(_) | Expr::Int(_) | Expr::Dec(_) | Expr::Str(_) => {}
        Expr::Interp(xs) | Expr::Array(xs) | Expr::Call(_, xs) => all(xs, reads),
        Expr::Map(kv) => kv.iter().for_each(|(_, x)| walk(x, reads)),
        Expr::Prop(x, _) | Expr::Not(x) | Expr::Neg(x) => walk(x, reads),
        Expr::Method(x, _, xs) => {
            walk(x, reads);
            all(xs, reads);
        }
        Expr::Index(a, b) | Expr::Bin(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            walk(a, reads);
            walk(b, reads);
        }
        Expr::If(c, a, b) => {
            walk(c, reads);
            // Maps bound in nested blocks are left alone (counted as read).
            let mut lets = Vec::new();
            a.iter().chain(b).for_each(|s| walk_stmt(s, &mut lets, reads));
            reads.extend(lets);
        }
        Expr::Switch(v, cases, def) => {
            walk(v, reads);
            cases.iter().for_each(|(_, x)| walk(x, reads));
            if let Some(d) = def {
                walk(d, reads);
            }
        }
        // Maps bound in nested blocks are left alone (counted as read).
        Expr::Closure(_, body) | Expr::Block(body) => {
            let mut lets = Vec::new();
            body.iter().for_each(|s| walk_stmt(s, &mut lets, reads));
            reads.extend(lets);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(src: &str) -> Vec<Stmt> {
        functions(src).unwrap().remove(0).body.unwrap()
    }

    #[test]
    fn precedence_follows_rhai() {
        let b = body("fn f(a, b, c) { a == b in c }");
        assert_eq!(
            b,
            vec![Stmt::Expr(Expr::Bin(
                BinOp::Eq,
                Box::new(Expr::Var("a".into())),
                Box::new(Expr::Bin(BinOp::In, Box::new(Expr::Var("b".into())), Box::new(Expr::Var("c".into()))))
            ))]
        );
        let b = body("fn f(a) { !a.is_empty() || -a * 2 > 1 && true }");
        let Stmt::Expr(Expr::Or(lhs, rhs)) = &b[0] else { panic!("{b:?}") };
        assert!(matches!(**lhs, Expr::Not(_)));
        assert!(matches!(**rhs, Expr::And(..)));
    }

    #[test]
    fn interpolation_and_comments() {
        let b = body("fn f(h) { /* a /* nested */ comment */ `收入 ${h.pci} 元，${ #{a: 1}.a }` // tail\n }");
        let Stmt::Expr(Expr::Interp(parts)) = &b[0] else { panic!("{b:?}") };
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0], Expr::Str("收入 ".into()));
        assert!(matches!(parts[3], Expr::Prop(..)));
    }

    #[test]
    fn outside_the_subset_is_a_reason_not_an_error() {
        let fns = functions("fn ok(h) { 1 } fn looping(h) { while true { } } fn thrown(h) { throw \"x\"; }").unwrap();
        assert!(fns[0].body.is_ok());
        assert_eq!(fns[1].body.as_ref().unwrap_err(), "`while`");
        assert_eq!(fns[2].body.as_ref().unwrap_err(), "`throw`");
        assert!(functions("let x = 1;").is_err());
    }
}
