//! Lowering the syntax tree to the fast path's code: variables become frame slots,
//! properties become direct field readers, parameters become slots of the parameter table,
//! and calls are bound to script functions or built-ins once, at load time.

use std::collections::{BTreeMap, HashMap};

use rhai::ImmutableString;
use rust_decimal::Decimal;

use super::syntax::{BinOp, Expr, FnDef, Label, Stmt, Unsupported, values_only_maps};
use crate::decision::FindingResult;
use super::value::Val;
use crate::facts::Facts;
use crate::fields::{HOUSEHOLD_FIELDS, HouseholdField, Kinds, MEMBER_FIELDS, MemberField, TALLY_FIELDS, TallyField, Typed};

/// Functions the fast path implements natively, called as `f(x, …)` or `x.f(…)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    Pass,
    Fail,
    Unknown,
    Yuan,
    Join,
    Min,
    Max,
    Len,
    IsEmpty,
    Push,
    Keys,
    Values,
    Filter,
    Contains,
    SubString,
    StartsWith,
    EndsWith,
    EventCount,
    EventAmount,
}

impl Builtin {
    fn named(name: &str, arity: usize) -> Option<Builtin> {
        use Builtin::*;
        Some(match (name, arity) {
            ("pass", 3) => Pass,
            ("fail", 3) => Fail,
            ("unknown", 3) => Unknown,
            ("yuan", 1) => Yuan,
            ("join", 2) => Join,
            ("min", 2) => Min,
            ("max", 2) => Max,
            ("len", 1) => Len,
            ("is_empty", 1) => IsEmpty,
            ("push", 2) => Push,
            ("keys", 1) => Keys,
            ("values", 1) => Values,
            ("filter", 2) => Filter,
            ("contains", 2) => Contains,
            ("sub_string", 2 | 3) => SubString,
            ("starts_with", 2) => StartsWith,
            ("ends_with", 2) => EndsWith,
            ("event_count", 2) => EventCount,
            ("event_amount", 2) => EventAmount,
            _ => return None,
        })
    }
}

/// A property name with its readers on each kind of value, bound at load time.
#[derive(Clone, Debug)]
pub(crate) struct Prop {
    pub name: ImmutableString,
    pub household: Option<(HouseholdField, Kinds)>,
    pub member: Option<(MemberField, Kinds)>,
    pub tally: Option<TallyField>,
    /// Slot in the parameter table.
    pub param: Option<usize>,
}

impl Prop {
    /// Whether the property reads household facts (of the household, a member or a tally).
    pub(crate) fn reads_facts(&self) -> bool {
        self.household.is_some() || self.member.is_some() || self.tally.is_some()
    }
}

/// One step of an assignment target after its variable: `.name` or `[index]`.
#[derive(Clone, Debug)]
pub(crate) enum Step {
    Prop(ImmutableString),
    Index(Node),
}

/// Where an assignment or a mutating method call writes.
#[derive(Clone, Debug)]
pub(crate) struct Place {
    pub slot: usize,
    pub path: Vec<Step>,
}

/// Lowered expressions.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    Const(Val),
    Local(usize),
    Interp(Vec<Node>),
    Array(Vec<Node>),
    Map(Vec<(ImmutableString, Node)>),
    Prop(Box<Node>, Box<Prop>),
    /// A property of a local variable, read in place (`h.pci`, `p.poverty_line`).
    LocalProp(usize, Box<Prop>),
    Index(Box<Node>, Box<Node>),
    Call(usize, Vec<Node>),
    Builtin(Builtin, Vec<Node>),
    /// A mutating built-in (`push`) applied in place.
    Mutate(Place, Builtin, Vec<Node>),
    Not(Box<Node>),
    Neg(Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    If(Box<Node>, Block, Block),
    Switch(Box<Node>, Vec<(Vec<Val>, Node)>, Option<Box<Node>>),
    Block(Block),
    /// Outcome-only code: evaluates for errors, yields `()`.
    Effects(Vec<Node>),
    /// Outcome-only code: the value must be a string (a map key), yields `()`.
    StrKey(Box<Node>),
    /// A household property, read directly (specialised code).
    Field(HouseholdField),
    /// This year's events of one kind (index into `Facts::events`): count, or amount when
    /// `true` (specialised code).
    Event(usize, bool),
    /// The result of rule `i` of the set as `decide` reads it from `results` (specialised
    /// code).
    ResultOf(usize),
    /// Gives up: the household's rule set goes to the interpreter (specialised code, where
    /// the original would certainly give up here).
    Bail,
    /// A condition over household facts and constants, evaluated without building values
    /// (specialised code).
    Test(Box<Test>),
    /// Outcome-only code: a verdict whose values map (when built) and messages are checked
    /// as `pass` / `fail` / `unknown` would check them, but not kept.
    Verdict(FindingResult, Option<Box<Node>>, Vec<Message>),
}

/// A household property's typed reader (`None` is `()`), with the property it reads (which
/// generated code names, see `native`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Read<T> {
    pub get: fn(&Facts) -> Option<T>,
    pub field: HouseholdField,
}

/// A condition the specialiser proved to give a boolean; each comparison keeps rhai's
/// semantics for every kind its left side can have (`()` against a number is `false`).
#[derive(Clone, Debug)]
pub(crate) enum Test {
    /// A household property compared with a constant scalar (see [`Test::field`] for the
    /// typed forms below, made in its place where they apply).
    Field(HouseholdField, BinOp, Val),
    /// A decimal household property, or `()`, compared with a decimal constant (or an
    /// integer one, made a decimal).
    Dec(Read<Decimal>, BinOp, Decimal),
    /// An integer household property, or `()`, compared with an integer constant.
    Int(Read<i64>, BinOp, i64),
    /// A typed household property compared with `()`: `h.pci == ()` (`true`) or
    /// `h.pci != ()` (`false`).
    IsUnit(HouseholdField, bool),
    /// A boolean household property, or `()` (giving up), read as its type.
    Bool(Read<bool>),
    /// A member tally of a household property compared with a constant.
    Tally(HouseholdField, TallyField, BinOp, Val),
    /// The count of this year's events of one kind compared with a constant.
    Events(usize, BinOp, Val),
    /// A rule's result text compared with a constant.
    Result(usize, BinOp, Val),
    /// A rule's result is (`true`) or is not (`false`) this one: `r[id] == "fail"` with a
    /// result's own text, decided without comparing text.
    ResultIs(usize, crate::decision::FindingResult, bool),
    /// A variable compared with a constant.
    Local(usize, BinOp, Val),
    Not(Box<Test>),
    And(Box<Test>, Box<Test>),
    Or(Box<Test>, Box<Test>),
}

impl Test {
    /// `read op c`: in a typed form where the property has a typed reader and the constant
    /// its kind (or is `()`, compared for equality), else as [`Test::Field`]. Both forms give
    /// the same answers (`typed_tests_agree_with_field_tests`).
    pub(crate) fn field(read: HouseholdField, op: BinOp, c: Val) -> Test {
        match (read.typed, &c, op) {
            (Typed::Dec(get), Val::Dec(d), _) => Test::Dec(Read { get, field: read }, op, *d),
            // rhai compares a decimal with an integer as decimals.
            (Typed::Dec(get), Val::Int(i), _) => Test::Dec(Read { get, field: read }, op, Decimal::from(*i)),
            (Typed::Int(get), Val::Int(i), _) => Test::Int(Read { get, field: read }, op, *i),
            (Typed::Dec(_) | Typed::Int(_) | Typed::Bool(_), Val::Unit, BinOp::Eq | BinOp::Ne) => Test::IsUnit(read, op == BinOp::Eq),
            _ => Test::Field(read, op, c),
        }
    }

    /// A boolean household property as a test; `None` for a property without a boolean
    /// reader (then it stays a value that must be a boolean).
    pub(crate) fn flag(read: HouseholdField) -> Option<Test> {
        match read.typed {
            Typed::Bool(get) => Some(Test::Bool(Read { get, field: read })),
            _ => None,
        }
    }

    /// Whether the test reads a variable of the frame (else it can be evaluated from the
    /// facts and results alone).
    pub(crate) fn reads_variables(&self) -> bool {
        match self {
            Test::Local(..) => true,
            Test::Not(x) => x.reads_variables(),
            Test::And(x, y) | Test::Or(x, y) => x.reads_variables() || y.reads_variables(),
            _ => false,
        }
    }
}

/// A verdict message in outcome-only code.
#[derive(Clone, Debug)]
pub(crate) enum Message {
    /// An interpolated string: its parts are evaluated and their kinds and lengths checked,
    /// but the text is not written.
    Text(Vec<Node>),
    /// Any other expression: it must give a string.
    Value(Node),
}

/// Lowered statements.
#[derive(Clone, Debug)]
pub(crate) enum Inst {
    Let(usize, Node),
    Assign(Place, Option<BinOp>, Node),
    Eval(Node),
    For(usize, Node, Block),
    Return(Node),
}

/// A statement block.
pub(crate) type Block = Vec<Inst>;

/// A lowered function.
#[derive(Clone, Debug)]
pub(crate) struct Func {
    pub params: usize,
    pub slots: usize,
    pub body: Block,
}

/// The lowered functions of one script; `index` maps (name, arity) to position.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub funcs: Vec<Option<Func>>,
    /// Why a function could not be lowered.
    pub unsupported: BTreeMap<usize, Unsupported>,
    pub index: HashMap<(String, usize), usize>,
}

impl Program {
    /// Lowers every function; `param_slot` binds parameter names to table slots.
    /// With `outcomes_only`, verdict messages are checked but not written and values maps
    /// that only feed verdicts are not built (see [`values_only_maps`]).
    pub(crate) fn lower(defs: &[FnDef], param_slot: &dyn Fn(&str) -> Option<usize>, outcomes_only: bool) -> Program {
        let mut program = Program::default();
        for (i, def) in defs.iter().enumerate() {
            program.index.insert((def.name.clone(), def.params.len()), i);
        }
        program.funcs = vec![None; defs.len()];
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        // A script that redefines a verdict function keeps every values map.
        let outcomes_only = outcomes_only && !defs.iter().any(|d| d.params.len() == 3 && VERDICTS.contains(&d.name.as_str()));
        let mut closures = Vec::new();
        for (i, def) in defs.iter().enumerate() {
            let dead = match (&def.body, outcomes_only) {
                (Ok(body), true) => values_only_maps(&def.params, body),
                _ => Vec::new(),
            };
            let mut cx = Lowering {
                program: &program,
                names: &names,
                param_slot,
                scope: Vec::new(),
                slots: 0,
                closures: &mut closures,
                next_fn: defs.len(),
                outcomes_only,
                dead_names: dead,
                dead_slots: Vec::new(),
            };
            match def.body.clone().and_then(|body| cx.function(&def.params, &body)) {
                Ok((slots, body)) => program.funcs[i] = Some(Func { params: def.params.len(), slots, body }),
                Err(why) => {
                    program.unsupported.insert(i, why);
                }
            }
        }
        program.funcs.extend(closures.into_iter().map(Some));
        program
    }

    /// The function `name` of `arity`, if the script defines it.
    pub(crate) fn find(&self, name: &str, arity: usize) -> Option<usize> {
        self.index.get(&(name.to_string(), arity)).copied()
    }

    /// Whether `f` and every function it calls were lowered; else the first reason.
    pub(crate) fn check(&self, f: usize) -> Result<(), String> {
        let mut seen = vec![false; self.funcs.len()];
        self.check_from(f, &mut seen)
    }

    fn check_from(&self, f: usize, seen: &mut Vec<bool>) -> Result<(), String> {
        if std::mem::replace(&mut seen[f], true) {
            return Ok(());
        }
        let Some(func) = &self.funcs[f] else {
            let name = self.index.iter().find(|(_, i)| **i == f).map_or("?", |((n, _), _)| n.as_str());
            return Err(format!("fn {name}: {}", self.unsupported.get(&f).map_or("not lowered", String::as_str)));
        };
        let mut callees = Vec::new();
        for inst in &func.body {
            calls_in_inst(inst, &mut callees);
        }
        for c in callees {
            self.check_from(c, seen)?;
        }
        Ok(())
    }
}

/// A direct part of lowered code, for walks over it ([`Node::parts`], [`Inst::parts`]).
pub(crate) enum Part<'a> {
    Node(&'a Node),
    Inst(&'a Inst),
    /// The variable slot a statement or a mutating call writes.
    Writes(usize),
}

impl Node {
    /// Calls `f` on each direct part: sub-expressions, the statements of nested blocks, and
    /// the slot a mutating call writes.
    pub(crate) fn parts<'a>(&'a self, f: &mut dyn FnMut(Part<'a>)) {
        let nodes = |xs: &'a [Node], f: &mut dyn FnMut(Part<'a>)| xs.iter().for_each(|x| f(Part::Node(x)));
        match self {
            Node::Const(_) | Node::Local(_) | Node::LocalProp(..) | Node::Field(_) | Node::Event(..) | Node::ResultOf(_) | Node::Bail | Node::Test(_) => {}
            Node::Interp(xs) | Node::Array(xs) | Node::Builtin(_, xs) | Node::Call(_, xs) | Node::Effects(xs) => nodes(xs, f),
            Node::Map(kv) => kv.iter().for_each(|(_, x)| f(Part::Node(x))),
            Node::Prop(x, _) | Node::Not(x) | Node::Neg(x) | Node::StrKey(x) => f(Part::Node(x)),
            Node::Index(a, b) | Node::Bin(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                f(Part::Node(a));
                f(Part::Node(b));
            }
            Node::Mutate(place, _, args) => {
                f(Part::Writes(place.slot));
                place.parts(f);
                nodes(args, f);
            }
            Node::If(c, a, b) => {
                f(Part::Node(c));
                a.iter().chain(b).for_each(|i| f(Part::Inst(i)));
            }
            Node::Switch(v, cases, default) => {
                f(Part::Node(v));
                cases.iter().for_each(|(_, x)| f(Part::Node(x)));
                if let Some(d) = default {
                    f(Part::Node(d));
                }
            }
            Node::Block(b) => b.iter().for_each(|i| f(Part::Inst(i))),
            Node::Verdict(_, values, messages) => {
                if let Some(v) = values {
                    f(Part::Node(v));
                }
                for m in messages {
                    match m {
                        Message::Text(xs) => nodes(xs, f),
                        Message::Value(x) => f(Part::Node(x)),
                    }
                }
            }
        }
    }
}

impl Inst {
    /// Calls `f` on each direct part: expressions, nested statements, the slot written.
    pub(crate) fn parts<'a>(&'a self, f: &mut dyn FnMut(Part<'a>)) {
        match self {
            Inst::Let(slot, n) => {
                f(Part::Writes(*slot));
                f(Part::Node(n));
            }
            Inst::Eval(n) | Inst::Return(n) => f(Part::Node(n)),
            Inst::Assign(place, _, n) => {
                f(Part::Writes(place.slot));
                place.parts(f);
                f(Part::Node(n));
            }
            Inst::For(slot, n, body) => {
                f(Part::Writes(*slot));
                f(Part::Node(n));
                body.iter().for_each(|i| f(Part::Inst(i)));
            }
        }
    }
}

impl Place {
    /// The index expressions of the path.
    fn parts<'a>(&'a self, f: &mut dyn FnMut(Part<'a>)) {
        for step in &self.path {
            if let Step::Index(n) = step {
                f(Part::Node(n));
            }
        }
    }
}

fn calls_in_inst(inst: &Inst, out: &mut Vec<usize>) {
    inst.parts(&mut |p| calls_in_part(p, out));
}

fn calls_in(node: &Node, out: &mut Vec<usize>) {
    if let Node::Const(Val::Closure(f)) | Node::Call(f, _) = node {
        out.push(*f);
    }
    node.parts(&mut |p| calls_in_part(p, out));
}

fn calls_in_part(part: Part<'_>, out: &mut Vec<usize>) {
    match part {
        Part::Node(n) => calls_in(n, out),
        Part::Inst(i) => calls_in_inst(i, out),
        Part::Writes(_) => {}
    }
}

struct Lowering<'a> {
    program: &'a Program,
    names: &'a [&'a str],
    param_slot: &'a dyn Fn(&str) -> Option<usize>,
    scope: Vec<(String, usize)>,
    slots: usize,
    closures: &'a mut Vec<Func>,
    next_fn: usize,
    outcomes_only: bool,
    dead_names: Vec<String>,
    dead_slots: Vec<usize>,
}

const VERDICTS: [&str; 3] = ["pass", "fail", "unknown"];

impl Lowering<'_> {
    /// The slot of `e` if it is a values-only map variable.
    fn dead(&self, e: &Expr) -> bool {
        match e {
            Expr::Var(name) => self.lookup(name).is_ok_and(|slot| self.dead_slots.contains(&slot)),
            _ => false,
        }
    }

    fn verdict(&mut self, name: &str, args: &[Expr]) -> Result<Node, Unsupported> {
        let result = match name {
            "pass" => FindingResult::Pass,
            "fail" => FindingResult::Fail,
            _ => FindingResult::Unknown,
        };
        let values = if self.dead(&args[0]) { None } else { Some(Box::new(self.expr(&args[0])?)) };
        let messages = args[1..]
            .iter()
            .map(|m| match m {
                Expr::Interp(parts) => Ok(Message::Text(self.exprs(parts)?)),
                other => Ok(Message::Value(self.expr(other)?)),
            })
            .collect::<Result<_, Unsupported>>()?;
        Ok(Node::Verdict(result, values, messages))
    }

    fn function(&mut self, params: &[String], body: &[Stmt]) -> Result<(usize, Block), Unsupported> {
        for p in params {
            self.declare(p);
        }
        let body = self.block(body)?;
        Ok((self.slots, body))
    }

    fn declare(&mut self, name: &str) -> usize {
        let slot = self.slots;
        self.slots += 1;
        self.scope.push((name.to_string(), slot));
        slot
    }

    fn lookup(&self, name: &str) -> Result<usize, Unsupported> {
        self.scope.iter().rev().find(|(n, _)| n == name).map(|(_, s)| *s).ok_or_else(|| format!("variable `{name}` from outside the function"))
    }

    fn block(&mut self, stmts: &[Stmt]) -> Result<Block, Unsupported> {
        let mark = self.scope.len();
        let out = stmts.iter().map(|s| self.stmt(s)).collect();
        self.scope.truncate(mark);
        out
    }

    fn stmt(&mut self, stmt: &Stmt) -> Result<Inst, Unsupported> {
        Ok(match stmt {
            Stmt::Let(name, Expr::Map(fields)) if self.dead_names.contains(name) => {
                let effects = fields.iter().map(|(_, v)| self.expr(v)).collect::<Result<_, Unsupported>>()?;
                let slot = self.declare(name);
                self.dead_slots.push(slot);
                Inst::Eval(Node::Effects(effects))
            }
            Stmt::Let(name, value) => {
                let value = self.expr(value)?;
                Inst::Let(self.declare(name), value)
            }
            Stmt::Assign(Expr::Prop(base, _), None, value) if self.dead(base) => Inst::Eval(Node::Effects(vec![self.expr(value)?])),
            Stmt::Assign(Expr::Index(base, key), None, value) if self.dead(base) => {
                let key = Node::StrKey(Box::new(self.expr(key)?));
                Inst::Eval(Node::Effects(vec![key, self.expr(value)?]))
            }
            Stmt::Assign(target, op, value) => {
                let value = self.expr(value)?;
                Inst::Assign(self.place(target)?, *op, value)
            }
            Stmt::Expr(e) => Inst::Eval(self.expr(e)?),
            Stmt::Return(e) => Inst::Return(self.expr(e)?),
            Stmt::For(var, list, body) => {
                let list = self.expr(list)?;
                let mark = self.scope.len();
                let slot = self.declare(var);
                let body = self.block(body)?;
                self.scope.truncate(mark);
                Inst::For(slot, list, body)
            }
        })
    }

    fn place(&mut self, target: &Expr) -> Result<Place, Unsupported> {
        match target {
            Expr::Var(name) => Ok(Place { slot: self.lookup(name)?, path: Vec::new() }),
            Expr::Prop(base, name) => {
                let mut place = self.place(base)?;
                place.path.push(Step::Prop(name.as_str().into()));
                Ok(place)
            }
            Expr::Index(base, index) => {
                let mut place = self.place(base)?;
                place.path.push(Step::Index(self.expr(index)?));
                Ok(place)
            }
            _ => Err("assignment to something other than a variable, property or index".into()),
        }
    }

    fn prop(&self, name: &str) -> Prop {
        Prop {
            name: name.into(),
            household: HOUSEHOLD_FIELDS.into_iter().find(|f| f.name == name).map(|f| (f, f.kinds)),
            member: MEMBER_FIELDS.iter().find(|(n, ..)| *n == name).map(|(_, f, k)| (*f, *k)),
            tally: TALLY_FIELDS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f),
            param: (self.param_slot)(name),
        }
    }

    fn exprs(&mut self, xs: &[Expr]) -> Result<Vec<Node>, Unsupported> {
        xs.iter().map(|x| self.expr(x)).collect()
    }

    fn expr(&mut self, e: &Expr) -> Result<Node, Unsupported> {
        let b = Box::new;
        Ok(match e {
            Expr::Unit => Node::Const(Val::Unit),
            Expr::Bool(x) => Node::Const(Val::Bool(*x)),
            Expr::Int(x) => Node::Const(Val::Int(*x)),
            Expr::Dec(x) => Node::Const(Val::Dec(*x)),
            Expr::Str(s) => Node::Const(Val::str(s)),
            Expr::Interp(parts) => Node::Interp(self.exprs(parts)?),
            Expr::Array(xs) => Node::Array(self.exprs(xs)?),
            Expr::Map(kv) => Node::Map(kv.iter().map(|(k, v)| Ok((ImmutableString::from(k.as_str()), self.expr(v)?))).collect::<Result<_, Unsupported>>()?),
            Expr::Var(name) => Node::Local(self.lookup(name)?),
            Expr::Prop(base, name) => match self.expr(base)? {
                Node::Local(slot) => Node::LocalProp(slot, Box::new(self.prop(name))),
                base => Node::Prop(b(base), Box::new(self.prop(name))),
            },
            Expr::Index(base, index) => Node::Index(b(self.expr(base)?), b(self.expr(index)?)),
            Expr::Call(name, args) if self.outcomes_only && args.len() == 3 && VERDICTS.contains(&name.as_str()) => self.verdict(name, args)?,
            Expr::Call(name, args) => {
                let lowered = self.exprs(args)?;
                match self.program.find(name, args.len()) {
                    Some(f) => Node::Call(f, lowered),
                    None => Node::Builtin(Builtin::named(name, args.len()).ok_or_else(|| format!("function `{name}`"))?, lowered),
                }
            }
            Expr::Method(recv, name, args) => {
                if self.names.contains(&name.as_str()) {
                    return Err(format!("method call `.{name}(…)` of a script function"));
                }
                let builtin = Builtin::named(name, args.len() + 1).ok_or_else(|| format!("method `{name}`"))?;
                if builtin == Builtin::Push {
                    let place = self.place(recv)?;
                    Node::Mutate(place, builtin, self.exprs(args)?)
                } else {
                    let mut all = vec![self.expr(recv)?];
                    all.extend(self.exprs(args)?);
                    Node::Builtin(builtin, all)
                }
            }
            Expr::Not(x) => Node::Not(b(self.expr(x)?)),
            Expr::Neg(x) => Node::Neg(b(self.expr(x)?)),
            Expr::Bin(op, x, y) => Node::Bin(*op, b(self.expr(x)?), b(self.expr(y)?)),
            Expr::And(x, y) => Node::And(b(self.expr(x)?), b(self.expr(y)?)),
            Expr::Or(x, y) => Node::Or(b(self.expr(x)?), b(self.expr(y)?)),
            Expr::If(c, then, otherwise) => Node::If(b(self.expr(c)?), self.block(then)?, self.block(otherwise)?),
            Expr::Switch(value, cases, default) => {
                let value = self.expr(value)?;
                let cases = cases
                    .iter()
                    .map(|(labels, body)| {
                        let labels = labels
                            .iter()
                            .map(|l| match l {
                                Label::Bool(x) => Val::Bool(*x),
                                Label::Int(x) => Val::Int(*x),
                                Label::Str(s) => Val::str(s),
                            })
                            .collect();
                        Ok((labels, self.expr(body)?))
                    })
                    .collect::<Result<_, Unsupported>>()?;
                let default = default.as_ref().map(|d| self.expr(d).map(Box::new)).transpose()?;
                Node::Switch(b(value), cases, default)
            }
            Expr::Block(body) => Node::Block(self.block(body)?),
            Expr::Closure(params, body) => {
                let mut inner = Lowering {
                    program: self.program,
                    names: self.names,
                    param_slot: self.param_slot,
                    scope: Vec::new(),
                    slots: 0,
                    closures: self.closures,
                    next_fn: self.next_fn,
                    outcomes_only: self.outcomes_only,
                    dead_names: Vec::new(),
                    dead_slots: Vec::new(),
                };
                let (slots, lowered) = inner.function(params, body).map_err(|why| format!("closure: {why}"))?;
                let index = self.next_fn + self.closures.len();
                self.closures.push(Func { params: params.len(), slots, body: lowered });
                Node::Const(Val::Closure(index))
            }
        })
    }
}
