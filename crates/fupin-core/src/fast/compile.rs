//! Specialised code compiled to closures.
//!
//! The specialiser's residual code is small and mostly conditions, branches, arithmetic,
//! lists and maps. Each of those nodes and statements becomes a closure that calls its
//! children directly, so a branch costs an indirect call instead of a walk through
//! [`Machine::eval`]'s dispatch. Nodes met rarely (string building, indexing, messages,
//! writes through paths) stay with the tree walker, which defines what every node does; a
//! closure only ever calls the same operations the walker calls.

use std::sync::Arc;

use rhai::ImmutableString;

use super::exec::{Flow, MAX_BUILTIN_ARGS, Machine, switch_body};
use super::lower::{Block, Builtin, Func, Inst, Node, Test};
use super::numeric::{NumExpr, NumFunc};
use super::syntax::BinOp;
use super::value::{Bail, Val, ValMap, binary, own_key};

/// Runs to a value, or leaves by `return` or by giving up.
pub(crate) type Code = Box<dyn for<'m, 'a> Fn(&'m mut Machine<'a>) -> Result<Val, Flow> + Send + Sync>;
/// Runs for effects.
type Step = Box<dyn for<'m, 'a> Fn(&'m mut Machine<'a>) -> Result<(), Flow> + Send + Sync>;
/// Decides a condition.
type Cond = Box<dyn for<'m, 'a> Fn(&'m mut Machine<'a>) -> Result<bool, Flow> + Send + Sync>;

/// A function compiled to a closure.
pub(crate) struct Compiled {
    pub params: usize,
    pub slots: usize,
    pub body: Code,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Compiled({} params, {} slots)", self.params, self.slots)
    }
}

/// Compiles every function of a specialised set.
pub(crate) fn functions(funcs: &[Option<Func>]) -> Vec<Option<Compiled>> {
    funcs.iter().map(|f| f.as_ref().map(|f| Compiled { params: f.params, slots: f.slots, body: body(f) })).collect()
}

/// Every function of a specialised set compiled node by node, as [`functions`] compiles
/// those it does not run over numbers alone (the reference for [`NumFunc`]).
#[cfg(test)]
pub(crate) fn functions_node_by_node(funcs: &[Option<Func>]) -> Vec<Option<Compiled>> {
    funcs.iter().map(|f| f.as_ref().map(|f| Compiled { params: f.params, slots: f.slots, body: block(&f.body) })).collect()
}

/// A function's body: over numbers alone when it only computes a number (see
/// [`NumFunc`]), else node by node.
fn body(f: &Func) -> Code {
    let general = block(&f.body);
    match NumFunc::of(&f.body, f.slots) {
        // The embedded rules' score runs as Rust compiled with the crate (see `native`).
        Some(numeric) => match super::native::NativeNum::of(&numeric) {
            Some(native) => Box::new(move |m| match native.run(m) {
                Some(out) => Ok(out?),
                None => general(m),
            }),
            None => Box::new(move |m| match numeric.run(m) {
                Some(out) => Ok(out?),
                None => general(m),
            }),
        },
        None => general,
    }
}

/// A `decide` that ends in a map literal (`#{ outcome: o, causes: causes(h, p), … }`),
/// compiled to run its statements and then each entry's value in turn, as the map's closure
/// does, into a list instead of a map: an outcome-only run reads a few entries by key once,
/// so building the map (and a reference count for it) and looking each key up in it cost
/// more than the run's statements.
pub(crate) struct Record {
    params: usize,
    slots: usize,
    init: Vec<Step>,
    /// The entries' keys, in the literal's order.
    pub keys: Vec<ImmutableString>,
    values: Vec<Code>,
    /// The same statements and values as Rust compiled with the crate, for the embedded
    /// rules (see `native`).
    native: Option<super::native::NativeRecord>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Record({:?})", self.keys)
    }
}

/// The record form of function `f` when its body ends in a map literal.
pub(crate) fn record(f: &Func) -> Option<Record> {
    let (init, entries) = record_parts(f)?;
    let values: Vec<&Node> = entries.iter().map(|(_, n)| n).collect();
    Some(Record {
        params: f.params,
        slots: f.slots,
        init: init.iter().map(step).collect(),
        keys: entries.iter().map(|(k, _)| k.clone()).collect(),
        values: values.iter().map(|n| expr(n)).collect(),
        native: super::native::NativeRecord::of(init, &values),
    })
}

/// A map literal's entries.
type Entries = [(ImmutableString, Node)];

/// The statements of a function whose body ends in a map literal, and the literal's entries.
pub(crate) fn record_parts(f: &Func) -> Option<(&[Inst], &Entries)> {
    let [init @ .., Inst::Eval(Node::Map(entries))] = f.body.as_slice() else { return None };
    Some((init, entries))
}

/// What a [`Record`] run gave.
#[derive(Debug)]
pub(crate) enum Recorded {
    /// The entries' values, in the order of [`Record::keys`].
    Entries(Vec<Val>),
    /// The value of a `return` taken before the map.
    Returned(Val),
}

impl Record {
    /// Runs the function over the arguments on the stack from `at`, as
    /// [`Machine::call_compiled`] runs its closures (the same statements, ticks and call
    /// level), giving up where they give up.
    pub(crate) fn run(&self, m: &mut Machine<'_>, at: usize) -> Result<Recorded, Bail> {
        match &self.native {
            Some(native) => self.run_by(m, at, |m, entries| native.run(m, entries)),
            None => self.run_by(m, at, |m, entries| self.walk(m, entries)),
        }
    }

    /// [`Record::run`] by the closures, whether or not the record has compiled code.
    #[cfg(test)]
    pub(crate) fn run_walking(&self, m: &mut Machine<'_>, at: usize) -> Result<Recorded, Bail> {
        self.run_by(m, at, |m, entries| self.walk(m, entries))
    }

    /// Whether the record runs compiled code.
    #[cfg(test)]
    pub(crate) fn is_native(&self) -> bool {
        self.native.is_some()
    }

    fn run_by(&self, m: &mut Machine<'_>, at: usize, body: impl FnOnce(&mut Machine<'_>, &mut Vec<Val>) -> Result<(), Flow>) -> Result<Recorded, Bail> {
        let mut entries = Vec::with_capacity(self.values.len());
        let mut done = false;
        let out = m.enter(at, self.params, self.slots, |m| {
            body(m, &mut entries)?;
            done = true;
            Ok(Val::Unit)
        })?;
        Ok(if done { Recorded::Entries(entries) } else { Recorded::Returned(out) })
    }

    /// The statements, then each entry's value into `entries`, by the closures.
    fn walk(&self, m: &mut Machine<'_>, entries: &mut Vec<Val>) -> Result<(), Flow> {
        for s in &self.init {
            s(m)?;
        }
        // The closure of a body's last statement ticks before its value (`block`).
        m.tick()?;
        for value in &self.values {
            entries.push(value(m)?);
        }
        Ok(())
    }
}

fn block(b: &Block) -> Code {
    match b.as_slice() {
        [] => Box::new(|_| Ok(Val::Unit)),
        [Inst::Eval(node)] => {
            let node = expr(node);
            Box::new(move |m| {
                m.tick()?;
                node(m)
            })
        }
        [init @ .., last] => {
            let init: Vec<Step> = init.iter().map(step).collect();
            let last: Code = match last {
                Inst::Eval(node) => {
                    let node = expr(node);
                    Box::new(move |m| {
                        m.tick()?;
                        node(m)
                    })
                }
                other => {
                    let other = step(other);
                    Box::new(move |m| other(m).map(|()| Val::Unit))
                }
            };
            Box::new(move |m| {
                for s in &init {
                    s(m)?;
                }
                last(m)
            })
        }
    }
}

pub(crate) fn step(inst: &Inst) -> Step {
    match inst {
        Inst::Let(slot, node) => {
            let (slot, node) = (*slot, expr(node));
            Box::new(move |m| {
                m.tick()?;
                let v = node(m)?;
                m.set_local(slot, v);
                Ok(())
            })
        }
        Inst::Eval(node) => {
            let node = expr(node);
            Box::new(move |m| {
                m.tick()?;
                node(m).map(drop)
            })
        }
        Inst::Return(node) => {
            let node = expr(node);
            Box::new(move |m| {
                m.tick()?;
                let v = node(m)?;
                Err(m.leave(v))
            })
        }
        Inst::Assign(place, op, node) => {
            let (place, op, node) = (place.clone(), *op, expr(node));
            Box::new(move |m| {
                m.tick()?;
                let v = node(m)?;
                m.assign(&place, op, v)
            })
        }
        Inst::For(slot, list, body) => {
            let (slot, list, body) = (*slot, expr(list), block(body));
            Box::new(move |m| {
                m.tick()?;
                let Val::Array(items) = list(m)? else { return Err(Flow::Bail) };
                for item in items.iter() {
                    m.set_local(slot, item.clone());
                    body(m)?;
                }
                Ok(())
            })
        }
    }
}

/// An expression compiled to a closure (also for a decision tree's computed conditions and
/// variables).
pub(crate) fn expr(node: &Node) -> Code {
    if let Some(arithmetic) = NumExpr::of(node) {
        return numeric(arithmetic, general(node));
    }
    general(node)
}

/// Arithmetic as one expression over numbers (see [`super::numeric`]), and the general
/// code for what it does not settle.
fn numeric(arithmetic: NumExpr, general: Code) -> Code {
    Box::new(move |m| match arithmetic.eval(m) {
        Some(n) => Ok(Val::from(n)),
        None => general(m),
    })
}

/// An expression compiled node by node.
fn general(node: &Node) -> Code {
    match node {
        Node::Const(v) => {
            let v = v.own_copy();
            Box::new(move |_| Ok(v.clone()))
        }
        Node::Local(slot) => {
            let slot = *slot;
            Box::new(move |m| Ok(m.local(slot).clone()))
        }
        Node::Field(read) => {
            let read = *read;
            Box::new(move |m| Ok(m.household_val(read)?))
        }
        Node::ResultOf(i) => {
            let i = *i;
            Box::new(move |m| Ok(m.result_of(i)?))
        }
        Node::Test(_) | Node::Not(_) | Node::And(..) | Node::Or(..) => {
            let c = cond(node);
            Box::new(move |m| c(m).map(Val::Bool))
        }
        Node::If(c, then, otherwise) => {
            let (c, then, otherwise) = (cond(c), block(then), block(otherwise));
            Box::new(move |m| if c(m)? { then(m) } else { otherwise(m) })
        }
        Node::Block(b) => block(b),
        Node::Bin(op, x, y) => bin(*op, x, y),
        Node::Call(f, args) => {
            let f = *f;
            let args: Vec<Code> = args.iter().map(expr).collect();
            Box::new(move |m| {
                let at = m.stack_len();
                for a in &args {
                    match a(m) {
                        Ok(v) => m.push(v),
                        Err(e) => {
                            m.truncate(at);
                            return Err(e);
                        }
                    }
                }
                Ok(m.call_compiled(f, at)?)
            })
        }
        Node::Array(items) if !items.is_empty() => {
            let items: Vec<Code> = items.iter().map(expr).collect();
            Box::new(move |m| {
                if items.len() > m.max_array_size() {
                    return Err(Flow::Bail);
                }
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    out.push(item(m)?);
                }
                Ok(Val::Array(Arc::new(out)))
            })
        }
        Node::Event(i, amount) => {
            let (i, amount) = (*i, *amount);
            Box::new(move |m| Ok(m.event(i, amount)?))
        }
        Node::Prop(base, prop) => {
            let (base, prop) = (expr(base), (**prop).clone());
            Box::new(move |m| {
                let base = base(m)?;
                Ok(m.prop(&base, &prop)?)
            })
        }
        Node::LocalProp(slot, prop) => {
            let (slot, prop) = (*slot, (**prop).clone());
            Box::new(move |m| Ok(m.prop(m.local(slot), &prop)?))
        }
        Node::Builtin(b, args) if args.len() <= MAX_BUILTIN_ARGS => {
            let b = *b;
            let args: Vec<Code> = args.iter().map(expr).collect();
            Box::new(move |m| {
                let mut values: [Val; MAX_BUILTIN_ARGS] = Default::default();
                for (slot, a) in values.iter_mut().zip(&args) {
                    *slot = a(m)?;
                }
                Ok(m.builtin(b, &mut values[..args.len()])?)
            })
        }
        Node::Mutate(place, Builtin::Push, args) if args.len() == 1 => {
            let (place, arg) = (place.clone(), expr(&args[0]));
            Box::new(move |m| {
                let item = arg(m)?;
                m.push_into(&place, item)?;
                Ok(Val::Unit)
            })
        }
        Node::Map(fields) => {
            let fields: Vec<(ImmutableString, Code)> = fields.iter().map(|(k, n)| (own_key(k), expr(n))).collect();
            Box::new(move |m| {
                let mut map = ValMap::new();
                for (k, n) in &fields {
                    map.insert(k.clone(), n(m)?);
                }
                Ok(Val::Map(Arc::new(map)))
            })
        }
        Node::Switch(value, cases, default) => {
            let value = expr(value);
            let cases: Vec<(Vec<Val>, Code)> = cases.iter().map(|(labels, body)| (labels.clone(), expr(body))).collect();
            let default = default.as_deref().map(expr);
            Box::new(move |m| {
                let value = value(m)?;
                match switch_body(&cases, default.as_ref(), &value) {
                    Some(body) => body(m),
                    None => Ok(Val::Unit),
                }
            })
        }
        other => {
            let other = other.clone();
            Box::new(move |m| m.eval(&other))
        }
    }
}

/// An operator. A variable or a constant operand is read where it is, not copied out: most
/// operators of specialised code have one (`gap > 1`, `s + 15`, `burden * 10`).
fn bin(op: BinOp, x: &Node, y: &Node) -> Code {
    fn checked(m: &Machine<'_>, v: Val) -> Result<Val, Flow> {
        m.check_value(&v)?;
        Ok(v)
    }
    match (x, y) {
        (Node::Local(a), Node::Const(c)) => {
            let (a, c) = (*a, c.clone());
            Box::new(move |m| checked(m, binary(op, m.local(a), &c)?))
        }
        (Node::Const(c), Node::Local(b)) => {
            let (c, b) = (c.clone(), *b);
            Box::new(move |m| checked(m, binary(op, &c, m.local(b))?))
        }
        (Node::Local(a), Node::Local(b)) => {
            let (a, b) = (*a, *b);
            Box::new(move |m| checked(m, binary(op, m.local(a), m.local(b))?))
        }
        (x, Node::Const(c)) => {
            let (x, c) = (expr(x), c.clone());
            Box::new(move |m| {
                let x = x(m)?;
                checked(m, binary(op, &x, &c)?)
            })
        }
        (Node::Const(c), y) => {
            let (c, y) = (c.clone(), expr(y));
            Box::new(move |m| {
                let y = y(m)?;
                checked(m, binary(op, &c, &y)?)
            })
        }
        (x, y) => {
            let (x, y) = (expr(x), expr(y));
            Box::new(move |m| {
                let x = x(m)?;
                let y = y(m)?;
                checked(m, binary(op, &x, &y)?)
            })
        }
    }
}

fn cond(node: &Node) -> Cond {
    match node {
        Node::Test(t) => test(t),
        Node::Not(x) => not(cond(x)),
        Node::And(x, y) => both(cond(x), cond(y)),
        Node::Or(x, y) => either(cond(x), cond(y)),
        other => {
            let other = expr(other);
            Box::new(move |m| match other(m)? {
                Val::Bool(b) => Ok(b),
                _ => Err(Flow::Bail),
            })
        }
    }
}

fn test(t: &Test) -> Cond {
    match t {
        Test::Not(x) => not(test(x)),
        Test::And(x, y) => both(test(x), test(y)),
        Test::Or(x, y) => either(test(x), test(y)),
        leaf => {
            let leaf = leaf.clone();
            Box::new(move |m| m.test(&leaf).map_err(|Bail| Flow::Bail))
        }
    }
}

fn not(x: Cond) -> Cond {
    Box::new(move |m| x(m).map(|b| !b))
}

/// `x && y`, `y` decided only when `x` holds.
fn both(x: Cond, y: Cond) -> Cond {
    Box::new(move |m| Ok(x(m)? && y(m)?))
}

/// `x || y`, `y` decided only when `x` does not hold.
fn either(x: Cond, y: Cond) -> Cond {
    Box::new(move |m| Ok(x(m)? || y(m)?))
}

#[cfg(test)]
mod tests {
    use super::super::{DECIDE_ARGS, FastPlan, RULE_ARGS};
    use super::*;
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    /// A `decide` run in its record form gives the entries of the map its closures build (or
    /// the map it returns before), and gives up exactly where they do: with few call levels
    /// and with each number of statements left, on generated households of several years,
    /// under the shipped rules and under an identification `decide` that returns early.
    #[test]
    fn a_record_gives_the_map_its_closures_build() {
        let early = crate::sources::RuleSources::embedded();
        let mut edited = early.clone();
        let identify = early.get("identify.rhai").unwrap();
        let anchor = "fn decide(h, p, r) {\n    let outcome = \"eligible\";";
        assert!(identify.contains(anchor));
        edited.set("identify.rhai", identify.replacen(anchor, "fn decide(h, p, r) {\n    if h.size < 3 { return #{ outcome: \"needs_review\", causes: [], score: 1 }; }\n    let outcome = \"eligible\";", 1));
        let (mut entries, mut returned, mut bails) = (0, 0, 0);
        for sources in [early, edited] {
            let engine = crate::Engine::from_sources(sources).unwrap();
            let rules = engine.ruleset();
            let plan: &FastPlan = &rules.plan;
            for year in [2016, 2024] {
                let households: Vec<crate::Household> = Generator::new(GenOptions { seed: 3 + year as u64, year, ..GenOptions::default() }).take(40).collect();
                for levels in [3, 4, 5, 24] {
                    let limits = Limits { max_call_levels: levels, ..Limits::default() };
                    for h in &households {
                        let params = rules.params.resolve(h.year, h.region.code.as_deref());
                        let facts = crate::facts::Facts::derive(h, &params);
                        let made = plan.specialised(&params, &limits);
                        for set in made.outcomes.iter().flatten() {
                            let Some(record) = &set.record else { continue };
                            // The rules, then `decide` with `left` statements left.
                            let run = |as_record: bool, left: u64| {
                                let mut m = Machine::new(&facts, &params, &set.funcs, &limits).with_compiled(&set.compiled, &set.trees).with_memos(&set.memos);
                                for &f in &set.rules {
                                    let r = m.call_rule(f, RULE_ARGS)?;
                                    m.results.push(r);
                                }
                                m.charge(m.budget().saturating_sub(left)).ok()?;
                                if !as_record {
                                    return m.call_compiled_with(set.decide, DECIDE_ARGS).ok().map(|v| (format!("{v:?}"), false));
                                }
                                Some(match m.call_record(record, DECIDE_ARGS).ok()? {
                                    Recorded::Entries(values) => {
                                        let map: ValMap = record.keys.iter().cloned().zip(values).collect();
                                        (format!("{:?}", Val::Map(Arc::new(map))), true)
                                    }
                                    Recorded::Returned(value) => (format!("{value:?}"), false),
                                })
                            };
                            for left in (0..240).step_by(6).chain([u64::MAX]) {
                                let closures = run(false, left);
                                let recorded = run(true, left);
                                assert_eq!(closures.as_ref().map(|c| &c.0), recorded.as_ref().map(|r| &r.0), "household {}, {levels} levels, {left} statements left", h.id);
                                match recorded {
                                    Some((_, true)) => entries += 1,
                                    Some((_, false)) => returned += 1,
                                    None => bails += 1,
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(entries > 1_000 && returned > 500 && bails > 1_000, "{entries} records, {returned} returned early, {bails} gave up");
    }
}
