//! Running lowered code for one household.

use std::sync::Arc;

use super::lower::{Block, Builtin, Func, Inst, Message, Node, Place, Prop, Step, Test};
use super::compile::Compiled;
use super::memo::Memos;
use super::tree::RuleTree;
use super::syntax::BinOp;
use super::value::{Bail, NativeVerdict, Val, ValMap, binary, contains, equals, result_text};
use crate::decision::FindingResult;
use crate::facts::{Facts, round_fen};
use crate::fields::{Field, Typed};
use crate::params::Resolved;
use crate::sandbox::Limits;

/// Control flow out of a block.
/// (A `return` leaves its value in [`Machine::returned`], so that results stay as small as a
/// value.)
// A whole word, as `Val`'s tag: `Result<Val, Flow>` keeps it where a value's payload starts,
// and a byte there made every copy of a result read a word across two stores, which the
// processor cannot forward.
#[repr(u64)]
pub(crate) enum Flow {
    Return,
    Bail,
}

impl From<Bail> for Flow {
    fn from(_: Bail) -> Flow {
        Flow::Bail
    }
}

type Run<T> = Result<T, Flow>;

/// The state of one evaluation: the household, its parameters, the frames of locals.
pub(crate) struct Machine<'a> {
    pub facts: &'a Facts,
    pub params: &'a Resolved,
    pub funcs: &'a [Option<Func>],
    stack: Vec<Val>,
    base: usize,
    depth: usize,
    /// Statements left before the fast path defers to the interpreter (whose own operation
    /// limit is far higher), so that a runaway loop is judged by the interpreter.
    budget: u64,
    limits: &'a Limits,
    texts: Texts,
    /// The set's rule results, for specialised `decide` code ([`Node::ResultOf`], read as
    /// their text).
    pub results: Vec<FindingResult>,
    /// The value of the `return` being taken.
    returned: Val,
    /// Specialised functions compiled to closures ([`Machine::call_compiled`]).
    compiled: &'a [Option<Compiled>],
    /// Specialised functions that are decision trees, run instead of their closures.
    trees: &'a [Option<RuleTree>],
    /// Specialised functions whose answers are remembered by the conditions they ask.
    memos: Option<&'a Memos>,
}

/// Script strings for field texts, made once per evaluation (most are `&'static` enum
/// names such as a housing grade, read by several rules).
#[derive(Default)]
struct Texts(std::cell::RefCell<Vec<(*const u8, usize, Val)>>);

impl Texts {
    fn get(&self, s: &str) -> Val {
        let key = (s.as_ptr(), s.len());
        let mut cache = self.0.borrow_mut();
        if let Some((_, _, v)) = cache.iter().find(|(p, n, _)| (*p, *n) == key) {
            return v.clone();
        }
        let v = Val::str(s);
        if cache.len() < 32 {
            cache.push((key.0, key.1, v.clone()));
        }
        v
    }
}

/// A property value; a tally stays a reference to its household property (see [`Val::Tally`]),
/// so only household properties may give one.
fn field_val(field: Field<'_>, members: usize, texts: &Texts) -> Result<Val, Bail> {
    Ok(match field {
        Field::Str(s) => texts.get(s),
        Field::Unit => Val::Unit,
        Field::Bool(b) => Val::Bool(b),
        Field::Int(i) => Val::Int(i),
        Field::Dec(d) => Val::Dec(d),
        Field::Tally(_) => return Err(Bail),
        Field::Vehicles(vs) => Val::Array(Arc::new(
            vs.iter()
                .map(|(kind, value)| {
                    let mut m = ValMap::new();
                    m.insert("kind".into(), Val::str(kind));
                    m.insert("value".into(), value.map_or(Val::Unit, Val::Dec));
                    Val::Map(Arc::new(m))
                })
                .collect(),
        )),
        Field::Members => Val::Array(Arc::new((0..members).map(Val::Member).collect())),
    })
}

thread_local! {
    /// The stacks and result lists of finished machines, emptied, for the thread's next
    /// evaluations (a household runs three machines).
    static SPARE: std::cell::RefCell<Vec<(Vec<Val>, Vec<FindingResult>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Machine<'_> {
    fn drop(&mut self) {
        let (mut stack, mut results) = (std::mem::take(&mut self.stack), std::mem::take(&mut self.results));
        stack.clear();
        results.clear();
        // A stack grown by a deep or long evaluation is not kept.
        if stack.capacity() <= 1024 {
            let _ = SPARE.try_with(|s| {
                if let Ok(mut spare) = s.try_borrow_mut()
                    && spare.len() < 4
                {
                    spare.push((stack, results));
                }
            });
        }
    }
}

impl<'a> Machine<'a> {
    pub(crate) fn new(facts: &'a Facts, params: &'a Resolved, funcs: &'a [Option<Func>], limits: &'a Limits) -> Machine<'a> {
        let spare = SPARE.try_with(|s| s.try_borrow_mut().ok()?.pop()).ok().flatten();
        let (stack, results) = spare.unwrap_or_else(|| (Vec::with_capacity(64), Vec::with_capacity(32)));
        Machine { facts, params, funcs, stack, base: 0, depth: 0, budget: limits.max_operations / 8, limits, texts: Texts::default(), results, returned: Val::Unit, compiled: &[], trees: &[], memos: None }
    }

    /// Calls function `f` with `args`.
    pub(crate) fn call(&mut self, f: usize, args: &[Val]) -> Result<Val, Bail> {
        let at = self.stack.len();
        self.stack.extend_from_slice(args);
        self.call_at(f, at)
    }

    /// Calls function `f` with the arguments already on the stack from `at`.
    fn call_at(&mut self, f: usize, at: usize) -> Result<Val, Bail> {
        let funcs = self.funcs;
        match funcs.get(f).and_then(Option::as_ref) {
            Some(func) => self.enter(at, func.params, func.slots, |m| m.block(&func.body)),
            None => {
                self.stack.truncate(at);
                Err(Bail)
            }
        }
    }

    /// Calls compiled function `f` with `args` (its decision tree when it has one; a tree
    /// that reads no variable needs no arguments on the stack).
    pub(crate) fn call_compiled_with<const N: usize>(&mut self, f: usize, args: [Val; N]) -> Result<Val, Bail> {
        if let Some(Some(tree)) = self.trees.get(f)
            && let Some(value) = tree.call_frameless(self, N)
        {
            return value.cloned();
        }
        let at = self.stack.len();
        self.stack.extend(args);
        self.call_compiled(f, at)
    }

    /// Runs `decide` in its record form with `args` (see [`super::compile::Record`]).
    pub(crate) fn call_record<const N: usize>(&mut self, record: &super::compile::Record, args: [Val; N]) -> Result<super::compile::Recorded, Bail> {
        let at = self.stack.len();
        self.stack.extend(args);
        record.run(self, at)
    }

    /// Calls rule function `f` with `args` for its result alone; `None` when it gives up or
    /// gives no verdict. A tree's leaf is read where it is, not copied out: a result moved
    /// through the return slot was written as a byte and read back as a word, a store the
    /// processor cannot forward.
    pub(crate) fn call_rule<const N: usize>(&mut self, f: usize, args: [Val; N]) -> Option<FindingResult> {
        if let Some(Some(tree)) = self.trees.get(f)
            && let Some(value) = tree.call_frameless(self, N)
        {
            return verdict_result(value.ok()?);
        }
        let at = self.stack.len();
        self.stack.extend(args);
        verdict_result(&self.call_compiled(f, at).ok()?)
    }

    /// Calls compiled function `f` with the arguments already on the stack from `at` (its
    /// decision tree when it has one).
    pub(crate) fn call_compiled(&mut self, f: usize, at: usize) -> Result<Val, Bail> {
        if let Some(memos) = self.memos
            && let Some(out) = memos.call(self, f, at)
        {
            return out;
        }
        self.call_unremembered(f, at)
    }

    /// Calls compiled function `f` as [`Machine::call_compiled`] does, without its memo.
    pub(crate) fn call_unremembered(&mut self, f: usize, at: usize) -> Result<Val, Bail> {
        if let Some(Some(tree)) = self.trees.get(f) {
            return tree.call(self, at);
        }
        let compiled = self.compiled;
        match compiled.get(f).and_then(Option::as_ref) {
            Some(func) => self.enter(at, func.params, func.slots, |m| (func.body)(m)),
            None => {
                self.stack.truncate(at);
                Err(Bail)
            }
        }
    }

    /// Runs a function body in a new frame over the arguments from `at`.
    pub(crate) fn enter(&mut self, at: usize, params: usize, slots: usize, body: impl FnOnce(&mut Self) -> Run<Val>) -> Result<Val, Bail> {
        if self.stack.len() - at != params || self.depth + 4 >= self.limits.max_call_levels {
            self.stack.truncate(at);
            return Err(Bail);
        }
        let saved = self.base;
        self.base = at;
        self.stack.resize(self.base + slots, Val::Unit);
        self.depth += 1;
        let out = body(self);
        self.depth -= 1;
        self.stack.truncate(self.base);
        self.base = saved;
        match out {
            Ok(v) => Ok(v),
            Err(Flow::Return) => Ok(std::mem::take(&mut self.returned)),
            Err(Flow::Bail) => Err(Bail),
        }
    }

    /// The count (or with `amount` the amount) of this year's events of kind `i`.
    pub(crate) fn event(&self, i: usize, amount: bool) -> Result<Val, Bail> {
        let e = self.event_total(i)?;
        Ok(if amount { Val::Dec(e.amount) } else { Val::Int(e.count) })
    }

    /// This year's events of kind `i` (index into `Facts::events`).
    pub(crate) fn event_total(&self, i: usize) -> Result<&crate::facts::EventTotal, Bail> {
        self.facts.events.get(i).ok_or(Bail)
    }

    /// Rule `i`'s result as `decide` reads it: its text.
    pub(crate) fn result_of(&self, i: usize) -> Result<Val, Bail> {
        self.results.get(i).map(|r| result_text(*r)).ok_or(Bail)
    }

    /// Charges the call levels and statements of the code a [`RuleTree`] stands for, giving
    /// up where that code would have.
    pub(crate) fn enter_inline(&mut self, levels: usize, ticks: u64) -> Result<(), Bail> {
        if self.depth + levels + 3 >= self.limits.max_call_levels {
            return Err(Bail);
        }
        self.charge(ticks)
    }

    /// Runs `f` in a new frame of `slots` variables over the `params` arguments on the stack
    /// from `at` (a [`RuleTree`]), giving up as [`Machine::call_compiled`] does on a wrong
    /// number of arguments.
    pub(crate) fn in_frame<T>(&mut self, at: usize, params: usize, slots: usize, f: impl FnOnce(&mut Self) -> Result<T, Bail>) -> Result<T, Bail> {
        if self.stack.len() - at != params {
            self.stack.truncate(at);
            return Err(Bail);
        }
        let saved = self.base;
        self.base = at;
        self.stack.resize(self.base + slots, Val::Unit);
        let out = f(self);
        self.stack.truncate(self.base);
        self.base = saved;
        out
    }

    /// Uses `compiled` and `trees` for [`Machine::call_compiled`].
    pub(crate) fn with_compiled(mut self, compiled: &'a [Option<Compiled>], trees: &'a [Option<RuleTree>]) -> Self {
        self.compiled = compiled;
        self.trees = trees;
        self
    }

    /// Uses `memos` for [`Machine::call_compiled`].
    pub(crate) fn with_memos(mut self, memos: &'a Memos) -> Self {
        self.memos = Some(memos);
        self
    }

    /// Call levels entered.
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// Statements left before giving up.
    pub(crate) fn budget(&self) -> u64 {
        self.budget
    }

    /// Charges `ticks` statements, giving up if fewer are left.
    #[inline]
    pub(crate) fn charge(&mut self, ticks: u64) -> Result<(), Bail> {
        self.budget = self.budget.checked_sub(ticks).ok_or(Bail)?;
        Ok(())
    }

    /// A local variable of the current frame.
    pub(crate) fn local(&self, slot: usize) -> &Val {
        &self.stack[self.base + slot]
    }

    /// Sets a local variable of the current frame.
    pub(crate) fn set_local(&mut self, slot: usize, v: Val) {
        self.stack[self.base + slot] = v;
    }

    /// Takes a `return` with value `v`.
    pub(crate) fn leave(&mut self, v: Val) -> Flow {
        self.returned = v;
        Flow::Return
    }

    pub(crate) fn stack_len(&self) -> usize {
        self.stack.len()
    }

    pub(crate) fn push(&mut self, v: Val) {
        self.stack.push(v);
    }

    pub(crate) fn truncate(&mut self, at: usize) {
        self.stack.truncate(at);
    }

    pub(crate) fn max_array_size(&self) -> usize {
        self.limits.max_array_size
    }

    /// Gives up on a string over the size limit, as an operator's result is checked.
    pub(crate) fn check_value(&self, v: &Val) -> Result<(), Bail> {
        match v {
            Val::Str(s) => self.check_string(s),
            _ => Ok(()),
        }
    }

    pub(crate) fn tick(&mut self) -> Result<(), Bail> {
        self.charge(1)
    }

    /// Runs a block; its value is the value of its last statement.
    fn block(&mut self, block: &Block) -> Run<Val> {
        let Some((last, init)) = block.split_last() else { return Ok(Val::Unit) };
        for inst in init {
            self.run(inst)?;
        }
        match last {
            Inst::Eval(node) => {
                self.tick()?;
                self.eval(node)
            }
            other => self.run(other).map(|()| Val::Unit),
        }
    }

    /// Runs one statement for its effects.
    pub(crate) fn run(&mut self, inst: &Inst) -> Run<()> {
        self.tick()?;
        match inst {
            Inst::Let(slot, node) => {
                let v = self.eval(node)?;
                self.stack[self.base + slot] = v;
            }
            Inst::Assign(place, op, node) => {
                let v = self.eval(node)?;
                self.assign(place, *op, v)?;
            }
            Inst::Eval(node) => {
                self.eval(node)?;
            }
            Inst::Return(node) => {
                self.returned = self.eval(node)?;
                return Err(Flow::Return);
            }
            Inst::For(slot, list, body) => {
                let Val::Array(items) = self.eval(list)? else { return Err(Flow::Bail) };
                for item in items.iter() {
                    self.stack[self.base + slot] = item.clone();
                    self.block(body)?;
                }
            }
        }
        Ok(())
    }

    fn check_string(&self, s: &str) -> Result<(), Bail> {
        if s.len() > self.limits.max_string_size { Err(Bail) } else { Ok(()) }
    }

    /// The value a place points at, for writing.
    #[inline(never)]
    fn place_mut(&mut self, place: &Place) -> Run<&mut Val> {
        let keys: Vec<Val> = place
            .path
            .iter()
            .map(|s| match s {
                Step::Prop(name) => Ok(Val::Str(name.clone())),
                Step::Index(n) => self.eval(n),
            })
            .collect::<Run<_>>()?;
        let max_map = self.limits.max_map_size;
        let last = keys.len();
        let mut target = &mut self.stack[self.base + place.slot];
        for (i, key) in keys.into_iter().enumerate() {
            target = match (target, key) {
                (Val::Map(map), Val::Str(k)) => {
                    let map = Arc::make_mut(map);
                    // Assigning a new key is allowed on the last step only; reading through a
                    // missing property is an error in rhai.
                    if !map.contains_key(&k) && i + 1 < last {
                        return Err(Flow::Bail);
                    }
                    if !map.contains_key(&k) && map.len() >= max_map {
                        return Err(Flow::Bail);
                    }
                    map.entry(k).or_default()
                }
                (Val::Array(items), Val::Int(i)) if i >= 0 => Arc::make_mut(items).get_mut(i as usize).ok_or(Flow::Bail)?,
                _ => return Err(Flow::Bail),
            };
        }
        Ok(target)
    }

    /// `place.push(item)`, within the array size limit.
    pub(crate) fn push_into(&mut self, place: &Place, item: Val) -> Run<()> {
        let max = self.limits.max_array_size;
        let Val::Array(items) = self.place_mut(place)? else { return Err(Flow::Bail) };
        if items.len() >= max {
            return Err(Flow::Bail);
        }
        Arc::make_mut(items).push(item);
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn assign(&mut self, place: &Place, op: Option<super::syntax::BinOp>, value: Val) -> Run<()> {
        let max = self.limits.max_string_size;
        let target = self.place_mut(place)?;
        let new = match op {
            None => value,
            Some(op) => binary(op, target, &value)?,
        };
        if let Val::Str(s) = &new
            && s.len() > max
        {
            return Err(Flow::Bail);
        }
        *target = new;
        Ok(())
    }

    pub(crate) fn eval(&mut self, node: &Node) -> Run<Val> {
        Ok(match node {
            Node::Const(v) => v.clone(),
            Node::Local(slot) => self.stack[self.base + slot].clone(),
            Node::Not(x) => Val::Bool(!self.eval(x)?.as_bool()?),
            Node::Bin(op, x, y) => {
                let x = self.eval(x)?;
                let v = match &**y {
                    Node::Const(c) => binary(*op, &x, c)?,
                    y => binary(*op, &x, &self.eval(y)?)?,
                };
                if let Val::Str(s) = &v {
                    self.check_string(s)?;
                }
                v
            }
            Node::And(x, y) => Val::Bool(self.eval(x)?.as_bool()? && self.eval(y)?.as_bool()?),
            Node::Or(x, y) => Val::Bool(self.eval(x)?.as_bool()? || self.eval(y)?.as_bool()?),
            Node::If(c, then, otherwise) => {
                if self.eval(c)?.as_bool()? {
                    self.block(then)?
                } else {
                    self.block(otherwise)?
                }
            }
            Node::Block(b) => self.block(b)?,
            Node::Field(read) => self.household_val(read)?,
            Node::Event(i, amount) => self.event(*i, *amount)?,
            Node::ResultOf(i) => self.result_of(*i)?,
            Node::Test(t) => Val::Bool(self.test(t)?),
            rare => self.eval_rare(rare)?,
        })
    }

    /// The expressions met less often, out of line so that [`Machine::eval`] stays small.
    #[inline(never)]
    fn eval_rare(&mut self, node: &Node) -> Run<Val> {
        Ok(match node {
            Node::Interp(parts) => {
                // Room for the constant parts and a number in each other part, so that a
                // message (most are) is written without growing.
                const ROOM_PER_VALUE: usize = 16;
                let room = parts.iter().map(|p| if let Node::Const(Val::Str(t)) = p { t.len() } else { ROOM_PER_VALUE }).sum();
                let mut s = String::with_capacity(room);
                for p in parts {
                    match p {
                        Node::Const(Val::Str(t)) => s.push_str(t),
                        other => self.eval(other)?.write_text(&mut s)?,
                    }
                }
                self.check_string(&s)?;
                Val::Str(s.into())
            }
            Node::Array(items) => {
                if items.len() > self.limits.max_array_size {
                    return Err(Flow::Bail);
                }
                Val::Array(Arc::new(items.iter().map(|n| self.eval(n)).collect::<Run<_>>()?))
            }
            Node::Map(fields) => {
                let mut map = ValMap::new();
                for (k, n) in fields {
                    map.insert(k.clone(), self.eval(n)?);
                }
                Val::Map(Arc::new(map))
            }
            Node::Prop(base, prop) => {
                let base = self.eval(base)?;
                self.prop(&base, prop)?
            }
            Node::LocalProp(slot, prop) => self.prop(&self.stack[self.base + slot], prop)?,
            Node::Index(base, index) => {
                let base = self.eval(base)?;
                let index = self.eval(index)?;
                match (&base, &index) {
                    (Val::Map(m), Val::Str(k)) => m.get(k).cloned().ok_or(Flow::Bail)?,
                    (Val::Array(a), Val::Int(i)) if *i >= 0 => a.get(*i as usize).cloned().ok_or(Flow::Bail)?,
                    (Val::Params, Val::Str(k)) => Val::from_dynamic(self.params.get(k).map_err(|_| Flow::Bail)?)?,
                    _ => return Err(Flow::Bail),
                }
            }
            Node::Call(f, args) => {
                let at = self.stack.len();
                for a in args {
                    match self.eval(a) {
                        Ok(v) => self.stack.push(v),
                        Err(e) => {
                            self.stack.truncate(at);
                            return Err(e);
                        }
                    }
                }
                self.call_at(*f, at)?
            }
            Node::Builtin(b, args) => {
                let mut values: [Val; MAX_BUILTIN_ARGS] = Default::default();
                if args.len() > values.len() {
                    return Err(Flow::Bail);
                }
                for (slot, a) in values.iter_mut().zip(args) {
                    *slot = self.eval(a)?;
                }
                self.builtin(*b, &mut values[..args.len()])?
            }
            Node::Mutate(place, Builtin::Push, args) => {
                let [arg] = args.as_slice() else { return Err(Flow::Bail) };
                let item = self.eval(arg)?;
                self.push_into(place, item)?;
                Val::Unit
            }
            Node::Mutate(..) => return Err(Flow::Bail),
            Node::Neg(x) => match self.eval(x)? {
                Val::Int(i) => Val::Int(i.checked_neg().ok_or(Flow::Bail)?),
                Val::Dec(d) => Val::Dec(-d),
                _ => return Err(Flow::Bail),
            },
            Node::Switch(value, cases, default) => {
                let value = self.eval(value)?;
                match switch_body(cases, default.as_deref(), &value) {
                    Some(body) => self.eval(body)?,
                    None => Val::Unit,
                }
            }
            Node::Effects(nodes) => {
                for n in nodes {
                    self.eval(n)?;
                }
                Val::Unit
            }
            Node::StrKey(key) => match self.eval(key)? {
                Val::Str(_) => Val::Unit,
                _ => return Err(Flow::Bail),
            },
            Node::Verdict(result, values, messages) => {
                if let Some(values) = values
                    && !matches!(self.eval(values)?, Val::Map(_))
                {
                    return Err(Flow::Bail);
                }
                for m in messages {
                    match m {
                        Message::Text(parts) => self.check_text(parts)?,
                        Message::Value(n) => {
                            if !matches!(self.eval(n)?, Val::Str(_)) {
                                return Err(Flow::Bail);
                            }
                        }
                    }
                }
                Val::Result(*result)
            }
            // The frequent expressions ([`Machine::eval`]) and giving up.
            _ => return Err(Flow::Bail),
        })
    }

    /// Checks an interpolated message without writing it: every part has a kind that
    /// converts to text, and the text stays within the string limit (measured exactly only
    /// when the cheap upper bound exceeds it).
    #[inline(never)]
    fn check_text(&mut self, parts: &[Node]) -> Run<()> {
        const MAX_SCALAR_TEXT: usize = 48;
        let mut bound = 0;
        for p in parts {
            bound += match p {
                Node::Const(Val::Str(t)) => t.len(),
                other => match self.eval(other)? {
                    Val::Str(s) => s.len(),
                    Val::Unit | Val::Bool(_) | Val::Int(_) | Val::Dec(_) => MAX_SCALAR_TEXT,
                    _ => return Err(Flow::Bail),
                },
            };
        }
        if bound > self.limits.max_string_size {
            self.eval(&Node::Interp(parts.to_vec()))?;
        }
        Ok(())
    }

    /// Evaluates a specialised condition.
    pub(crate) fn test(&self, t: &Test) -> Result<bool, Bail> {
        Ok(match t {
            // The general comparison: a number against a constant of its own kind is a typed
            // test instead (`Test::field`); `()` against any other kind is equal to nothing,
            // unordered.
            Test::Field(read, op, c) => match (read.get(self.facts), c) {
                (Field::Unit, c) if !matches!(c, Val::Unit) => *op == BinOp::Ne,
                (field, c) => match field {
                    Field::Unit => binary_bool(*op, &Val::Unit, c)?,
                    Field::Bool(b) => binary_bool(*op, &Val::Bool(b), c)?,
                    Field::Int(i) => binary_bool(*op, &Val::Int(i), c)?,
                    Field::Dec(d) => binary_bool(*op, &Val::Dec(d), c)?,
                    Field::Str(s) => match (op, c) {
                        (BinOp::Eq, Val::Str(c)) => s == c.as_str(),
                        (BinOp::Ne, Val::Str(c)) => s != c.as_str(),
                        // Any other kind: equal to nothing, unordered.
                        (BinOp::Ne, _) => true,
                        (BinOp::Eq | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, c) if !matches!(c, Val::Str(_)) => false,
                        _ => binary_bool(*op, &Val::str(s), c)?,
                    },
                    _ => return Err(Bail),
                },
            },
            Test::Dec(read, op, c) => match (read.get)(self.facts) {
                Some(d) => ordering(*op, d.cmp(c))?,
                // `()` against a number: equal to nothing, unordered.
                None => *op == BinOp::Ne,
            },
            Test::Int(read, op, c) => match (read.get)(self.facts) {
                Some(i) => ordering(*op, i.cmp(c))?,
                None => *op == BinOp::Ne,
            },
            Test::IsUnit(read, eq) => {
                let unit = match read.typed {
                    Typed::Dec(r) => r(self.facts).is_none(),
                    Typed::Int(r) => r(self.facts).is_none(),
                    Typed::Bool(r) => r(self.facts).is_none(),
                    Typed::Other => return Err(Bail),
                };
                unit == *eq
            }
            Test::Bool(read) => (read.get)(self.facts).ok_or(Bail)?,
            Test::Tally(field, read, op, c) => match field.get(self.facts) {
                Field::Tally(t) => int_test(*op, read(&t), c)?,
                _ => return Err(Bail),
            },
            Test::Events(i, op, c) => int_test(*op, self.event_total(*i)?.count, c)?,
            Test::ResultIs(i, r, is) => (*self.results.get(*i).ok_or(Bail)? == *r) == *is,
            Test::Result(i, op, c) => {
                let r = *self.results.get(*i).ok_or(Bail)?;
                match (op, c) {
                    // A result's text against a string, without making the text a value.
                    (BinOp::Eq, Val::Str(c)) => r.as_str() == c.as_str(),
                    (BinOp::Ne, Val::Str(c)) => r.as_str() != c.as_str(),
                    _ => binary_bool(*op, &result_text(r), c)?,
                }
            }
            Test::Local(slot, op, c) => match (&self.stack[self.base + slot], c) {
                (Val::Int(i), Val::Int(c)) => ordering(*op, i.cmp(c))?,
                (Val::Dec(d), Val::Dec(c)) => ordering(*op, d.cmp(c))?,
                (x, c) => binary_bool(*op, x, c)?,
            },
            Test::Not(x) => !self.test(x)?,
            Test::And(x, y) => self.test(x)? && self.test(y)?,
            Test::Or(x, y) => self.test(x)? || self.test(y)?,
        })
    }

    /// A household property's value.
    pub(crate) fn household_val(&self, read: crate::fields::HouseholdField) -> Result<Val, Bail> {
        match read.get(self.facts) {
            Field::Tally(_) => Ok(Val::Tally(read)),
            other => field_val(other, self.facts.members.len(), &self.texts),
        }
    }

    #[inline(never)]
    pub(crate) fn prop(&self, base: &Val, prop: &Prop) -> Result<Val, Bail> {
        match base {
            Val::Household => self.household_val(prop.household.ok_or(Bail)?.0),
            Val::Params => {
                let slot = prop.param.ok_or(Bail)?;
                Val::from_dynamic(self.params.at(slot).ok_or(Bail)?)
            }
            Val::Tally(field) => match (field.get(self.facts), prop.tally) {
                (Field::Tally(t), Some(read)) => Ok(Val::Int(read(&t))),
                _ => Err(Bail),
            },
            Val::Member(i) => {
                let m = self.facts.members.get(*i).ok_or(Bail)?;
                field_val(prop.member.ok_or(Bail)?.0(m), 0, &self.texts)
            }
            Val::Map(m) => m.get(&prop.name).cloned().ok_or(Bail),
            Val::Verdict(v) if prop.name == "result" => Ok(result_text(v.result)),
            Val::Result(r) if prop.name == "result" => Ok(result_text(*r)),
            _ => Err(Bail),
        }
    }

    #[inline(never)]
    pub(crate) fn builtin(&mut self, b: Builtin, args: &mut [Val]) -> Result<Val, Bail> {
        match b {
            Builtin::Filter => {
                let [items, f] = args else { return Err(Bail) };
                let (Val::Array(items), Val::Closure(f)) = (std::mem::take(items), std::mem::take(f)) else { return Err(Bail) };
                let arity = self.funcs.get(f).and_then(Option::as_ref).ok_or(Bail)?.params;
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let keep = match arity {
                        1 => self.call(f, std::slice::from_ref(item))?,
                        2 => self.call(f, &[item.clone(), Val::Int(i as i64)])?,
                        _ => return Err(Bail),
                    };
                    if let Val::Bool(true) = keep {
                        out.push(item.clone());
                    }
                }
                Ok(Val::Array(Arc::new(out)))
            }
            Builtin::EventCount | Builtin::EventAmount => {
                let [Val::Household, Val::Str(kind)] = args else { return Err(Bail) };
                let e = self.facts.event(kind).ok_or(Bail)?;
                Ok(if b == Builtin::EventCount { Val::Int(e.count) } else { Val::Dec(e.amount) })
            }
            _ => pure_builtin(b, args),
        }
    }
}

/// A built-in that reads neither the household nor script functions, so the specialiser
/// may also run it on values known when rules load.
pub(crate) fn pure_builtin(b: Builtin, args: &mut [Val]) -> Result<Val, Bail> {
    use Builtin::*;
    let mut args = args.iter_mut().map(std::mem::take);
    let mut next = || args.next().ok_or(Bail);
    Ok(match b {
        Pass | Fail | Unknown => {
            let (Val::Map(values), Val::Str(message_zh), Val::Str(message_en)) = (next()?, next()?, next()?) else { return Err(Bail) };
            let result = match b {
                Pass => FindingResult::Pass,
                Fail => FindingResult::Fail,
                _ => FindingResult::Unknown,
            };
            Val::Verdict(Arc::new(NativeVerdict { result, values, message_zh, message_en }))
        }
        Yuan => match next()? {
            Val::Dec(d) => Val::Dec(round_fen(d)),
            _ => return Err(Bail),
        },
        Join => {
            let (Val::Array(items), Val::Str(sep)) = (next()?, next()?) else { return Err(Bail) };
            let mut s = String::new();
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    s.push_str(&sep);
                }
                item.write_text(&mut s)?;
            }
            Val::Str(s.into())
        }
        Min | Max => match (next()?, next()?) {
            (Val::Int(x), Val::Int(y)) => Val::Int(if b == Min { x.min(y) } else { x.max(y) }),
            (Val::Dec(x), Val::Dec(y)) => Val::Dec(if b == Min { x.min(y) } else { x.max(y) }),
            _ => return Err(Bail),
        },
        Len => match next()? {
            Val::Array(a) => Val::Int(a.len() as i64),
            Val::Map(m) => Val::Int(m.len() as i64),
            Val::Str(s) => Val::Int(s.chars().count() as i64),
            _ => return Err(Bail),
        },
        IsEmpty => match next()? {
            Val::Array(a) => Val::Bool(a.is_empty()),
            Val::Map(m) => Val::Bool(m.is_empty()),
            Val::Str(s) => Val::Bool(s.is_empty()),
            _ => return Err(Bail),
        },
        Keys => match next()? {
            Val::Map(m) => Val::Array(Arc::new(m.keys().map(|k| Val::Str(k.clone())).collect())),
            _ => return Err(Bail),
        },
        Values => match next()? {
            Val::Map(m) => Val::Array(Arc::new(m.values().cloned().collect())),
            _ => return Err(Bail),
        },
        Contains => {
            let container = next()?;
            Val::Bool(contains(&container, &next()?)?)
        }
        SubString => {
            let (Val::Str(s), Val::Int(start)) = (next()?, next()?) else { return Err(Bail) };
            let len = match next() {
                Ok(Val::Int(n)) if n >= 0 => Some(n as usize),
                Ok(_) => return Err(Bail),
                Err(_) => None,
            };
            if start < 0 {
                return Err(Bail);
            }
            let chars = s.chars().skip(start as usize);
            Val::Str(match len {
                Some(n) => chars.take(n).collect::<String>().into(),
                None => chars.collect::<String>().into(),
            })
        }
        StartsWith | EndsWith => {
            let (Val::Str(s), Val::Str(x)) = (next()?, next()?) else { return Err(Bail) };
            Val::Bool(if b == StartsWith { s.starts_with(x.as_str()) } else { s.ends_with(x.as_str()) })
        }
        Push | Filter | EventCount | EventAmount => return Err(Bail),
    })
}

/// A comparison operator applied to an ordering (`==`, `!=`, `<`, `<=`, `>`, `>=` only).
fn ordering(op: BinOp, o: std::cmp::Ordering) -> Result<bool, Bail> {
    Ok(match op {
        BinOp::Eq => o.is_eq(),
        BinOp::Ne => o.is_ne(),
        BinOp::Lt => o.is_lt(),
        BinOp::Le => o.is_le(),
        BinOp::Gt => o.is_gt(),
        BinOp::Ge => o.is_ge(),
        _ => return Err(Bail),
    })
}

/// A count compared with a constant (an integer, mostly, read without making a value).
fn int_test(op: BinOp, n: i64, c: &Val) -> Result<bool, Bail> {
    match c {
        Val::Int(c) => ordering(op, n.cmp(c)),
        c => binary_bool(op, &Val::Int(n), c),
    }
}

/// A comparison that must give a boolean.
fn binary_bool(op: BinOp, x: &Val, y: &Val) -> Result<bool, Bail> {
    match binary(op, x, y)? {
        Val::Bool(b) => Ok(b),
        _ => Err(Bail),
    }
}

/// Most arguments a built-in takes (they are evaluated into an array, not a list).
pub(crate) const MAX_BUILTIN_ARGS: usize = 3;

/// The body a `switch` on `value` runs: the first case with a matching label, else the
/// default.
pub(crate) fn switch_body<'c, B>(cases: &'c [(Vec<Val>, B)], default: Option<&'c B>, value: &Val) -> Option<&'c B> {
    cases.iter().find(|(labels, _)| labels.iter().any(|l| same(l, value))).map(|(_, body)| body).or(default)
}

/// Whether a switch label matches: same kind and equal, as rhai's hashed case lookup.
pub(crate) fn same(label: &Val, value: &Val) -> bool {
    matches!((label, value), (Val::Bool(_), Val::Bool(_)) | (Val::Int(_), Val::Int(_)) | (Val::Str(_), Val::Str(_)))
        && equals(label, value).unwrap_or(false)
}

/// A rule's result from what its outcome-only code returned.
pub(crate) fn verdict_result(v: &Val) -> Option<FindingResult> {
    match v {
        Val::Result(r) => Some(*r),
        Val::Verdict(v) => Some(v.result),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::HOUSEHOLD_FIELDS;
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    /// Generated households, and each again without one optional part at a time (so that the
    /// typed properties are also `()`).
    fn households() -> Vec<crate::Household> {
        let mut out = Vec::new();
        for h in Generator::new(GenOptions::default()).take(120) {
            let json = serde_json::to_value(&h).expect("a household serialises");
            for part in ["income", "expenses", "water", "housing", "assets", "status", "food_secure", "members"] {
                let mut partial = json.clone();
                partial.as_object_mut().expect("an object").remove(part);
                if let Ok(p) = crate::household_from_value(partial) {
                    out.push(p);
                }
            }
            out.push(h);
        }
        out
    }

    /// Every typed test gives what the same comparison as a [`Test::Field`] gives, giving up
    /// where it gives up, for every typed property, comparison and kind of constant; and a
    /// boolean property as a test gives what reading it as a condition gives.
    #[test]
    fn typed_tests_agree_with_field_tests() {
        let engine = crate::Engine::embedded().expect("embedded rules load");
        let rules = engine.ruleset();
        let limits = Limits::default();
        let constants = [
            Val::Unit,
            Val::Bool(true),
            Val::Int(0),
            Val::Int(1),
            Val::Int(-3),
            Val::Dec(rust_decimal::Decimal::ZERO),
            Val::Dec(rust_decimal::Decimal::new(35, 0)),
            Val::Dec(rust_decimal::Decimal::new(1_000_000, 2)),
            Val::str("A"),
        ];
        let ops = [BinOp::Eq, BinOp::Ne, BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge];
        let (mut typed, mut units, mut flags) = (0, 0, 0);
        for h in households() {
            let params = rules.params.resolve(h.year, h.region.code.as_deref());
            let facts = Facts::derive(&h, &params);
            let m = Machine::new(&facts, &params, &[], &limits);
            units += HOUSEHOLD_FIELDS.iter().filter(|f| matches!(f.get(&facts), Field::Unit)).count();
            for field in HOUSEHOLD_FIELDS {
                for op in ops {
                    for c in &constants {
                        let t = Test::field(field, op, c.clone());
                        typed += usize::from(!matches!(t, Test::Field(..)));
                        let general = Test::Field(field, op, c.clone());
                        assert_eq!(m.test(&t), m.test(&general), "h.{} {op:?} {c:?} as {t:?}", field.name);
                    }
                }
                // As a condition, a property that is not a test is read as a value that must
                // be a boolean.
                if let Some(t) = Test::flag(field) {
                    flags += 1;
                    assert_eq!(m.test(&t), m.household_val(field).and_then(|v| v.as_bool()), "h.{} as a flag", field.name);
                }
            }
        }
        assert!(typed > 0 && units > 0 && flags > 0, "typed tests made: {typed}; properties that were (): {units}; flags: {flags}");
    }
}
