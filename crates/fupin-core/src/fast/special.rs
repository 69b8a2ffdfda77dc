//! Specialising outcome-only code to one table of parameters (partial evaluation).
//!
//! A county evaluates thousands of households under the same few (year, region) parameter
//! tables. For each table the specialiser rewrites a rule set's lowered code once, keeping
//! only what depends on the household:
//! - parameters become constants, and everything computed from constants alone is folded
//!   (`let line = p.poverty_line`, `2 * line`, `if requires_risk { … }`);
//! - functions are specialised per call site's known arguments (`member_exclusion(t,
//!   "村两委干部", …)`, `event_risk(h, "disaster", …)`), and calls that give a known value
//!   without any chance of giving up disappear;
//! - loops over known arrays are unrolled (`for id in results.keys()`), so `results[id]`
//!   becomes a direct read of one rule's result;
//! - a verdict's messages and values, which outcome-only evaluation only checks, are dropped
//!   when the kinds of their parts prove the check cannot fail.
//!
//! The specialiser tracks, for every value, either the value itself or the set of kinds it
//! can have at run time ([`Kinds`]), and for every residual expression whether it may give
//! up. Anything it cannot follow exactly stops it ([`GiveUp`]), and the set keeps its
//! general code: specialising is an optimisation, never a change of meaning. Giving up at
//! run time ([`Node::Bail`]) still hands the household's set to the interpreter.

use std::collections::HashMap;
use std::sync::Arc;

use rhai::ImmutableString;

use super::exec::{pure_builtin, same};
use super::lower::{Block, Builtin, Func, Inst, Message, Node, Part, Place, Prop, Step, Test};
use super::syntax::BinOp;
use super::tree::RuleTree;
use super::value::{Val, ValMap, binary, result_text};
use crate::facts::EVENT_KINDS;
use crate::fields::Kinds;
use crate::params::Resolved;
use crate::sandbox::Limits;

/// The specialiser met something it does not follow exactly; the set keeps general code.
#[derive(Debug)]
pub(crate) struct GiveUp;

type Sp<T> = Result<T, GiveUp>;

/// Longest known array unrolled as a loop, and most iterations unrolled per set.
const MAX_UNROLL: usize = 64;
const MAX_UNROLLED: usize = 4096;
/// Deepest chain of specialised calls, well below the interpreter's call limit.
const MAX_DEPTH: usize = 12;
/// Most specialised functions per set.
const MAX_FUNCS: usize = 1024;
/// Upper bound of the text of an integer, decimal, boolean or `()`.
const MAX_SCALAR_TEXT: usize = 48;

/// What the specialiser knows of a value.
#[derive(Clone, Debug)]
enum Abs {
    /// Known when rules load.
    Known(Val),
    /// Computed per household; one of these kinds.
    Dyn(Kinds),
    /// `decide`'s `results` map, read through [`Node::ResultOf`].
    Results,
    /// Control never gets here (a `return` came first).
    Never,
}

impl Abs {
    fn kinds(&self) -> Kinds {
        match self {
            Abs::Known(v) => kinds_of(v),
            Abs::Dyn(k) => *k,
            Abs::Results => Kinds::MAP,
            Abs::Never => Kinds::NONE,
        }
    }

    fn key(&self) -> String {
        format!("{self:?}")
    }
}

fn kinds_of(v: &Val) -> Kinds {
    match v {
        Val::Unit => Kinds::UNIT,
        Val::Bool(_) => Kinds::BOOL,
        Val::Int(_) => Kinds::INT,
        Val::Dec(_) => Kinds::DEC,
        Val::Str(s) if s.len() <= Kinds::SHORT_TEXT => Kinds::STR,
        Val::Str(_) => Kinds::LONG_STR,
        Val::Array(_) => Kinds::ARRAY,
        Val::Map(_) => Kinds::MAP,
        Val::Tally(_) => Kinds::TALLY,
        Val::Member(_) => Kinds::MEMBER,
        _ => Kinds::OTHER,
    }
}

/// Joins what two paths know of one value.
fn join(a: &Abs, b: &Abs) -> Sp<Abs> {
    Ok(match (a, b) {
        (Abs::Never, x) | (x, Abs::Never) => x.clone(),
        (Abs::Results, Abs::Results) => Abs::Results,
        (Abs::Results, _) | (_, Abs::Results) => return Err(GiveUp),
        (Abs::Known(x), Abs::Known(y)) if format!("{x:?}") == format!("{y:?}") => a.clone(),
        _ => Abs::Dyn(a.kinds().or(b.kinds())),
    })
}

/// A specialised expression: its residual code, what is known of its value, and whether
/// running it may give up or write a variable (so it cannot be dropped).
struct Spec {
    node: Node,
    abs: Abs,
    effects: bool,
}

impl Spec {
    fn known(v: Val) -> Spec {
        Spec { node: Node::Const(Val::Unit), abs: Abs::Known(v), effects: false }
    }
    fn dynamic(node: Node, kinds: Kinds, effects: bool) -> Spec {
        Spec { node, abs: Abs::Dyn(kinds), effects }
    }
    /// Certainly gives up when run.
    fn bail() -> Spec {
        Spec { node: Node::Bail, abs: Abs::Dyn(Kinds::NONE), effects: true }
    }
    /// Control does not reach the end of the block being specialised: its code, ending in a
    /// `return` or a give-up, is already emitted.
    fn ended() -> Spec {
        Spec { node: Node::Const(Val::Unit), abs: Abs::Never, effects: true }
    }
    /// Code that returns on every path.
    fn never(node: Node) -> Spec {
        Spec { node, abs: Abs::Never, effects: true }
    }
    fn is_bail(&self) -> bool {
        matches!(self.node, Node::Bail)
    }
}

/// One variable slot while a function is specialised.
#[derive(Clone, Debug)]
struct Slot {
    abs: Abs,
    /// Whether the run-time slot holds the value (known values are not stored until needed).
    stored: bool,
    /// How many dynamic branches or loops enclosed its declaration; `None` before it.
    level: Option<usize>,
}

struct Frame {
    slots: Vec<Slot>,
    level: usize,
    returns: Vec<Abs>,
    effects: bool,
}

impl Frame {
    fn state(&self) -> String {
        format!("{:?}", self.slots.iter().map(|s| (&s.abs, s.stored)).collect::<Vec<_>>())
    }
}

/// A specialised function: where it is, what it returns, whether it may give up.
#[derive(Clone)]
struct FnSpec {
    index: usize,
    ret: Abs,
    effects: bool,
}

/// One rule set's code specialised to one table of parameters.
#[derive(Debug)]
pub(crate) struct SpecialSet {
    pub funcs: Vec<Option<Func>>,
    /// The same functions compiled to closures.
    pub compiled: Vec<Option<super::compile::Compiled>>,
    /// Per rule, in declaration order: the function that gives its result.
    pub rules: Vec<usize>,
    /// Per function: its code as a decision tree, when it is one (run in its stead by
    /// [`super::exec::Machine::call_compiled`]).
    pub trees: Vec<Option<RuleTree>>,
    /// Per function that is not a tree: how its answers are remembered, when they can be.
    pub memos: super::memo::Memos,
    pub decide: usize,
    /// Outcome-only code: `decide` as a record, when it ends in a map literal and is neither
    /// a tree nor remembered (see [`super::compile::Record`]).
    pub record: Option<super::compile::Record>,
}

/// Specialises a set's rules and `decide` to `params`, or `None` when the specialiser cannot
/// follow them exactly; `outcomes_only` for the code of outcome-only runs.
pub(crate) fn specialise(
    source: &[Option<Func>],
    rules: &[usize],
    decide: usize,
    ids: &[ImmutableString],
    params: &Resolved,
    limits: &Limits,
    outcomes_only: bool,
) -> Option<SpecialSet> {
    let mut sorted: Vec<(ImmutableString, usize)> = ids.iter().cloned().zip(0..).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut sp = Specialiser { source, params, limits, sorted, out: Vec::new(), memo: HashMap::new(), busy: Vec::new(), unrolled: 0 };
    let handles = || vec![Abs::Known(Val::Household), Abs::Known(Val::Params)];
    let rules = rules.iter().map(|&f| sp.function(f, handles()).map(|s| s.index)).collect::<Sp<Vec<_>>>().ok()?;
    let mut args = handles();
    args.push(Abs::Results);
    let decide = sp.function(decide, args).ok()?.index;
    let compiled = super::compile::functions(&sp.out);
    // Only `decide` reads the rules' results (the specialiser gives up where they would
    // reach another function).
    let trees: Vec<Option<RuleTree>> = (0..sp.out.len()).map(|f| RuleTree::of(&sp.out, f, if f == decide { rules.len() } else { 0 }, limits)).collect();
    let memos = super::memo::Memos::of(&sp.out, |f| trees[f].is_some());
    let record = match (&trees[decide], sp.out.get(decide)) {
        (None, Some(Some(f))) if outcomes_only && !memos.has(decide) => super::compile::record(f),
        _ => None,
    };
    Some(SpecialSet { funcs: sp.out, compiled, rules, trees, memos, decide, record })
}

struct Specialiser<'a> {
    source: &'a [Option<Func>],
    params: &'a Resolved,
    limits: &'a Limits,
    /// Rule ids sorted as `results.keys()` gives them, with each rule's position.
    sorted: Vec<(ImmutableString, usize)>,
    out: Vec<Option<Func>>,
    memo: HashMap<String, FnSpec>,
    busy: Vec<String>,
    unrolled: usize,
}

impl Specialiser<'_> {
    /// Specialises function `f` for arguments of which this much is known.
    fn function(&mut self, f: usize, args: Vec<Abs>) -> Sp<FnSpec> {
        let key = format!("{f}:{}", args.iter().map(Abs::key).collect::<Vec<_>>().join(","));
        if let Some(hit) = self.memo.get(&key) {
            return Ok(hit.clone());
        }
        if self.busy.contains(&key) || self.busy.len() >= MAX_DEPTH || self.out.len() >= MAX_FUNCS {
            return Err(GiveUp);
        }
        let func = self.source.get(f).and_then(Option::as_ref).ok_or(GiveUp)?;
        if func.params != args.len() {
            return Err(GiveUp);
        }
        let mut frame = Frame { slots: vec![Slot { abs: Abs::Known(Val::Unit), stored: false, level: None }; func.slots], level: 0, returns: Vec::new(), effects: false };
        for (slot, abs) in frame.slots.iter_mut().zip(args) {
            *slot = Slot { stored: matches!(abs, Abs::Dyn(_)), abs, level: Some(0) };
        }
        let index = self.out.len();
        self.out.push(None);
        self.busy.push(key.clone());
        let body = self.body(&mut frame, &func.body);
        self.busy.pop();
        let (body, tail) = body?;
        let mut ret = Abs::Never;
        for r in frame.returns.iter().chain(std::iter::once(&tail)) {
            ret = join(&ret, r)?;
        }
        self.out[index] = Some(Func { params: func.params, slots: func.slots, body });
        let spec = FnSpec { index, ret, effects: frame.effects };
        self.memo.insert(key, spec.clone());
        Ok(spec)
    }

    /// A function body: its code, with the value of its last statement as the last
    /// instruction, and what is known of that value.
    fn body(&mut self, fr: &mut Frame, block: &Block) -> Sp<(Block, Abs)> {
        let mut out = Vec::new();
        let tail = self.stmts(fr, block, &mut out)?;
        let abs = tail.abs.clone();
        self.finish(fr, &mut out, tail)?;
        Ok((out, abs))
    }

    /// Appends a block's value as its last instruction (unless control never gets there).
    fn finish(&mut self, fr: &mut Frame, out: &mut Block, tail: Spec) -> Sp<()> {
        if !matches!(tail.abs, Abs::Never) {
            fr.effects |= tail.effects;
            let node = self.residual(tail)?;
            out.push(Inst::Eval(node));
        }
        Ok(())
    }

    /// The residual code of a specialised expression (known values become constants).
    fn residual(&mut self, spec: Spec) -> Sp<Node> {
        match spec.abs {
            Abs::Known(v) if !spec.effects => self.lift(v),
            Abs::Results => Err(GiveUp),
            _ => Ok(spec.node),
        }
    }

    /// A known value as a constant; closures are specialised for unknown arguments.
    fn lift(&mut self, v: Val) -> Sp<Node> {
        Ok(Node::Const(match v {
            Val::Closure(f) => {
                let params = self.source.get(f).and_then(Option::as_ref).ok_or(GiveUp)?.params;
                Val::Closure(self.function(f, vec![Abs::Dyn(Kinds::ALL); params])?.index)
            }
            Val::Array(ref items) if items.iter().any(|x| !plain(x)) => return Err(GiveUp),
            Val::Map(ref m) if m.values().any(|x| !plain(x)) => return Err(GiveUp),
            v => v,
        }))
    }

    /// Specialises statements into `out`; returns the block's value (the last statement's).
    fn stmts(&mut self, fr: &mut Frame, block: &Block, out: &mut Block) -> Sp<Spec> {
        let mark: Vec<Option<usize>> = fr.slots.iter().map(|s| s.level).collect();
        let mut last = Spec::known(Val::Unit);
        for (i, inst) in block.iter().enumerate() {
            let is_last = i + 1 == block.len();
            last = Spec::known(Val::Unit);
            match inst {
                Inst::Let(slot, node) => {
                    let mut value = self.expr(fr, node, out)?;
                    if self.ends(&mut value, fr, out) {
                        return Ok(Spec::ended());
                    }
                    fr.slots[*slot].level = Some(fr.level);
                    self.store(fr, *slot, value, out)?;
                }
                Inst::Assign(place, op, node) => {
                    let mut value = self.expr(fr, node, out)?;
                    if self.ends(&mut value, fr, out) {
                        return Ok(Spec::ended());
                    }
                    self.assign(fr, place, *op, value, out)?;
                }
                Inst::Eval(node) => {
                    let mut value = self.expr(fr, node, out)?;
                    if self.ends(&mut value, fr, out) {
                        return Ok(Spec::ended());
                    }
                    if is_last {
                        last = value;
                    } else if value.effects {
                        fr.effects = true;
                        let node = self.residual(value)?;
                        out.push(Inst::Eval(node));
                    }
                }
                Inst::Return(node) => {
                    let mut value = self.expr(fr, node, out)?;
                    if self.ends(&mut value, fr, out) {
                        return Ok(Spec::ended());
                    }
                    fr.returns.push(value.abs.clone());
                    fr.effects |= value.effects;
                    let node = self.residual(value)?;
                    out.push(Inst::Return(node));
                    return Ok(Spec::ended());
                }
                Inst::For(slot, list, body) => {
                    let mut list = self.expr(fr, list, out)?;
                    if self.ends(&mut list, fr, out) {
                        return Ok(Spec::ended());
                    }
                    if self.for_loop(fr, *slot, list, body, out)? {
                        return Ok(Spec::ended());
                    }
                }
            }
        }
        // Variables declared in the block go out of scope.
        for (slot, level) in fr.slots.iter_mut().zip(mark) {
            if level.is_none() {
                slot.level = None;
            }
        }
        Ok(last)
    }

    /// Whether control ends at `value`: it certainly gives up, or a `return` inside it is
    /// taken on every path. Its code is emitted then.
    fn ends(&mut self, value: &mut Spec, fr: &mut Frame, out: &mut Block) -> bool {
        if value.is_bail() || matches!(value.abs, Abs::Never) {
            fr.effects = true;
            out.push(Inst::Eval(std::mem::replace(&mut value.node, Node::Bail)));
            return true;
        }
        false
    }

    /// `let slot = value` (or a plain assignment of the whole variable).
    fn store(&mut self, fr: &mut Frame, slot: usize, value: Spec, out: &mut Block) -> Sp<()> {
        let outer = fr.slots[slot].level.is_some_and(|l| l < fr.level);
        match value.abs {
            Abs::Known(ref v) if !outer => {
                if value.effects {
                    fr.effects = true;
                    out.push(Inst::Eval(value.node));
                }
                fr.slots[slot].abs = Abs::Known(v.clone());
                fr.slots[slot].stored = false;
            }
            Abs::Results if !outer && !value.effects => {
                fr.slots[slot].abs = Abs::Results;
                fr.slots[slot].stored = false;
            }
            Abs::Results => return Err(GiveUp),
            _ => {
                let abs = value.abs.clone();
                fr.effects |= value.effects;
                let node = self.residual(value)?;
                out.push(Inst::Let(slot, node));
                fr.slots[slot].abs = abs;
                fr.slots[slot].stored = true;
            }
        }
        Ok(())
    }

    /// Writes a known slot's value to the run-time slot, if it is not there yet.
    fn materialise(&mut self, fr: &mut Frame, slot: usize, out: &mut Block) -> Sp<()> {
        let s = &fr.slots[slot];
        if s.stored || s.level.is_none() {
            return Ok(());
        }
        match s.abs.clone() {
            Abs::Known(v) => {
                let node = self.lift(v)?;
                out.push(Inst::Let(slot, node));
                fr.slots[slot].stored = true;
                Ok(())
            }
            Abs::Results => Err(GiveUp),
            _ => Ok(()),
        }
    }

    fn assign(&mut self, fr: &mut Frame, place: &Place, op: Option<BinOp>, value: Spec, out: &mut Block) -> Sp<()> {
        let slot = place.slot;
        if place.path.is_empty() {
            let value = match op {
                None => value,
                Some(op) => {
                    let current = self.read(fr, slot)?;
                    self.bin(op, current, value)?
                }
            };
            if value.is_bail() {
                fr.effects = true;
                out.push(Inst::Eval(Node::Bail));
                return Ok(());
            }
            return self.store(fr, slot, value, out);
        }
        // Writes into a map or array stay run-time code.
        let kinds = fr.slots[slot].abs.kinds();
        self.materialise(fr, slot, out)?;
        let path = self.path(fr, place, out)?;
        let node = self.residual(value)?;
        fr.effects = true;
        out.push(Inst::Assign(Place { slot, path }, op, node));
        fr.slots[slot].abs = Abs::Dyn(kinds);
        fr.slots[slot].stored = true;
        Ok(())
    }

    /// The run-time steps of an assignment target after its variable.
    fn path(&mut self, fr: &mut Frame, place: &Place, out: &mut Block) -> Sp<Vec<Step>> {
        let mut path = Vec::with_capacity(place.path.len());
        for step in &place.path {
            path.push(match step {
                Step::Prop(name) => Step::Prop(name.clone()),
                Step::Index(n) => {
                    let s = self.expr(fr, n, out)?;
                    if s.is_bail() || matches!(s.abs, Abs::Never) {
                        return Err(GiveUp);
                    }
                    Step::Index(self.residual(s)?)
                }
            });
        }
        Ok(path)
    }

    /// Reads a variable.
    fn read(&self, fr: &Frame, slot: usize) -> Sp<Spec> {
        let s = fr.slots.get(slot).ok_or(GiveUp)?;
        Ok(match &s.abs {
            Abs::Known(v) => Spec::known(v.clone()),
            Abs::Results => Spec { node: Node::Const(Val::Unit), abs: Abs::Results, effects: false },
            Abs::Dyn(k) if s.stored => Spec::dynamic(Node::Local(slot), *k, false),
            _ => return Err(GiveUp),
        })
    }

    /// Slots that `blocks` may write, declared outside them.
    fn outer_writes(fr: &Frame, blocks: &[&Block]) -> Vec<usize> {
        let mut w = Vec::new();
        for b in blocks {
            b.iter().for_each(|i| writes_inst(i, &mut w));
        }
        w.sort_unstable();
        w.dedup();
        w.retain(|&s| fr.slots[s].level.is_some_and(|l| l <= fr.level));
        w
    }

    /// Enters code that runs on some paths only: the variables it may write are stored
    /// first, and become run-time values.
    fn enter(&mut self, fr: &mut Frame, writes: &[usize], out: &mut Block) -> Sp<()> {
        for &s in writes {
            self.materialise(fr, s, out)?;
        }
        fr.level += 1;
        Ok(())
    }

    /// Joins the states after the paths of a branch (`None`: the path returned).
    fn merge(fr: &mut Frame, writes: &[usize], states: &[Option<Vec<Slot>>]) -> Sp<()> {
        fr.level -= 1;
        let live: Vec<&Vec<Slot>> = states.iter().flatten().collect();
        for &s in writes {
            let mut abs = Abs::Never;
            for st in &live {
                abs = join(&abs, &st[s].abs)?;
            }
            if live.is_empty() {
                abs = Abs::Dyn(Kinds::ALL);
            }
            if matches!(abs, Abs::Results) {
                return Err(GiveUp);
            }
            fr.slots[s].abs = abs;
            fr.slots[s].stored = true;
        }
        Ok(())
    }

    /// A `for` loop; `true` when it certainly ends control (a `return` or give-up on every
    /// path).
    fn for_loop(&mut self, fr: &mut Frame, slot: usize, list: Spec, body: &Block, out: &mut Block) -> Sp<bool> {
        if let Abs::Known(v) = &list.abs {
            let Val::Array(items) = v else {
                fr.effects = true;
                out.push(Inst::Eval(Node::Bail));
                return Ok(true);
            };
            if !list.effects && items.len() <= MAX_UNROLL && self.unrolled + items.len() <= MAX_UNROLLED {
                self.unrolled += items.len();
                for item in items.iter() {
                    fr.slots[slot] = Slot { abs: Abs::Known(item.clone()), stored: false, level: Some(fr.level) };
                    let tail = self.stmts(fr, body, out)?;
                    if matches!(tail.abs, Abs::Never) {
                        return Ok(true);
                    }
                    if tail.effects {
                        fr.effects = true;
                        let node = self.residual(tail)?;
                        out.push(Inst::Eval(node));
                    }
                }
                return Ok(false);
            }
        }
        if matches!(list.abs, Abs::Results) || !list.abs.kinds().meets(Kinds::ARRAY) {
            return Err(GiveUp);
        }
        let list = self.residual(list)?;
        let mut writes = Self::outer_writes(fr, &[body]);
        writes.retain(|&s| s != slot);
        self.enter(fr, &writes, out)?;
        // Iterate to a fixed point of what is known at the top of the body.
        for &s in &writes {
            fr.slots[s].abs = Abs::Dyn(fr.slots[s].abs.kinds());
        }
        for _ in 0..8 {
            let before = fr.state();
            let entry: Vec<Slot> = fr.slots.clone();
            fr.slots[slot] = Slot { abs: Abs::Dyn(Kinds::ALL), stored: true, level: Some(fr.level) };
            let mut code = Vec::new();
            let tail = self.stmts(fr, body, &mut code)?;
            let after = if matches!(tail.abs, Abs::Never) { None } else { Some(fr.slots.clone()) };
            if let Some(after) = &after {
                if tail.effects {
                    let node = self.residual(tail)?;
                    code.push(Inst::Eval(node));
                }
                for &s in &writes {
                    fr.slots[s] = entry[s].clone();
                    fr.slots[s].abs = Abs::Dyn(join(&entry[s].abs, &after[s].abs)?.kinds());
                }
            } else {
                for &s in &writes {
                    fr.slots[s] = entry[s].clone();
                }
            }
            fr.slots[slot] = entry[slot].clone();
            if fr.state() == before {
                fr.level -= 1;
                fr.effects = true;
                out.push(Inst::For(slot, list, code));
                return Ok(false);
            }
        }
        Err(GiveUp)
    }

    /// A branch over `paths`: the condition's residual code is emitted by the caller.
    fn paths(&mut self, fr: &mut Frame, paths: &[&Block], out: &mut Block) -> Sp<(Vec<Block>, Abs)> {
        let writes = Self::outer_writes(fr, paths);
        self.enter(fr, &writes, out)?;
        let entry = fr.slots.clone();
        let mut blocks = Vec::new();
        let mut states = Vec::new();
        let mut value = Abs::Never;
        for path in paths {
            fr.slots = entry.clone();
            let mut code = Vec::new();
            let tail = self.stmts(fr, path, &mut code)?;
            value = join(&value, &tail.abs)?;
            states.push(if matches!(tail.abs, Abs::Never) { None } else { Some(fr.slots.clone()) });
            self.finish(fr, &mut code, tail)?;
            blocks.push(code);
        }
        fr.slots = entry;
        Self::merge(fr, &writes, &states)?;
        Ok((blocks, value))
    }

    fn exprs(&mut self, fr: &mut Frame, nodes: &[Node], out: &mut Block) -> Sp<Vec<Spec>> {
        nodes.iter().map(|n| self.expr(fr, n, out)).collect()
    }

    fn residuals(&mut self, specs: Vec<Spec>) -> Sp<Vec<Node>> {
        specs.into_iter().map(|s| self.residual(s)).collect()
    }

    fn expr(&mut self, fr: &mut Frame, node: &Node, out: &mut Block) -> Sp<Spec> {
        Ok(match node {
            Node::Const(v) => Spec::known(v.clone()),
            Node::Local(slot) => self.read(fr, *slot)?,
            Node::LocalProp(slot, prop) => {
                let base = self.read(fr, *slot)?;
                self.prop(base, prop)?
            }
            Node::Prop(base, prop) => {
                let base = self.expr(fr, base, out)?;
                self.prop(base, prop)?
            }
            Node::Interp(parts) => {
                let parts = self.exprs(fr, parts, out)?;
                if let Some(b) = first_bail(&parts) {
                    return Ok(b);
                }
                if let Some(vals) = all_known(&parts) {
                    let mut s = String::new();
                    for v in vals {
                        if v.write_text(&mut s).is_err() {
                            return Ok(Spec::bail());
                        }
                    }
                    if s.len() > self.limits.max_string_size {
                        return Ok(Spec::bail());
                    }
                    return Ok(Spec::known(Val::Str(s.into())));
                }
                Spec::dynamic(Node::Interp(self.residuals(parts)?), Kinds::TEXT, true)
            }
            Node::Array(items) => {
                let items = self.exprs(fr, items, out)?;
                if let Some(b) = first_bail(&items) {
                    return Ok(b);
                }
                if items.len() > self.limits.max_array_size {
                    return Ok(Spec::bail());
                }
                if let Some(vals) = all_known(&items) {
                    return Ok(Spec::known(Val::Array(Arc::new(vals))));
                }
                let effects = items.iter().any(|s| s.effects);
                Spec::dynamic(Node::Array(self.residuals(items)?), Kinds::ARRAY, effects)
            }
            Node::Map(fields) => {
                let mut specs = Vec::with_capacity(fields.len());
                for (_, n) in fields {
                    specs.push(self.expr(fr, n, out)?);
                }
                if let Some(b) = first_bail(&specs) {
                    return Ok(b);
                }
                if let Some(vals) = all_known(&specs) {
                    let map: ValMap = fields.iter().map(|(k, _)| k.clone()).zip(vals).collect();
                    return Ok(Spec::known(Val::Map(Arc::new(map))));
                }
                let effects = specs.iter().any(|s| s.effects);
                let nodes = self.residuals(specs)?;
                Spec::dynamic(Node::Map(fields.iter().map(|(k, _)| k.clone()).zip(nodes).collect()), Kinds::MAP, effects)
            }
            Node::Index(base, index) => {
                let base = self.expr(fr, base, out)?;
                let index = self.expr(fr, index, out)?;
                self.index(base, index)?
            }
            Node::Call(f, args) => {
                let args = self.exprs(fr, args, out)?;
                if let Some(b) = first_bail(&args) {
                    return Ok(b);
                }
                if args.iter().any(|a| matches!(a.abs, Abs::Never)) {
                    return Err(GiveUp);
                }
                let spec = self.function(*f, args.iter().map(|a| a.abs.clone()).collect())?;
                let args_effects = args.iter().any(|a| a.effects);
                if let Abs::Known(v) = &spec.ret
                    && !spec.effects
                    && !args_effects
                {
                    return Ok(Spec::known(v.clone()));
                }
                if matches!(spec.ret, Abs::Results) {
                    return Err(GiveUp);
                }
                // Known arguments are never read by the specialised function.
                let mut nodes = Vec::with_capacity(args.len());
                for a in args {
                    nodes.push(match a.abs {
                        Abs::Known(_) | Abs::Results if !a.effects => Node::Const(Val::Unit),
                        _ => self.residual(a)?,
                    });
                }
                let kinds = spec.ret.kinds();
                Spec { node: Node::Call(spec.index, nodes), abs: if matches!(spec.ret, Abs::Never) { Abs::Dyn(Kinds::NONE) } else { Abs::Dyn(kinds) }, effects: true }
            }
            Node::Builtin(b, args) => {
                let args = self.exprs(fr, args, out)?;
                if let Some(bail) = first_bail(&args) {
                    return Ok(bail);
                }
                self.builtin(*b, args)?
            }
            Node::Mutate(place, Builtin::Push, args) => {
                let [arg] = args.as_slice() else { return Err(GiveUp) };
                let item = self.expr(fr, arg, out)?;
                if item.is_bail() {
                    return Ok(item);
                }
                let slot = place.slot;
                let here = fr.slots[slot].level == Some(fr.level);
                if let (true, true, Abs::Known(Val::Array(items)), Abs::Known(v)) = (place.path.is_empty(), here, &fr.slots[slot].abs, &item.abs)
                    && !item.effects
                {
                    if items.len() >= self.limits.max_array_size {
                        return Ok(Spec::bail());
                    }
                    let mut items = (**items).clone();
                    items.push(v.clone());
                    fr.slots[slot].abs = Abs::Known(Val::Array(Arc::new(items)));
                    fr.slots[slot].stored = false;
                    return Ok(Spec::known(Val::Unit));
                }
                let kinds = fr.slots[slot].abs.kinds();
                self.materialise(fr, slot, out)?;
                let item = self.residual(item)?;
                let path = self.path(fr, place, out)?;
                fr.slots[slot].abs = Abs::Dyn(kinds);
                fr.slots[slot].stored = true;
                Spec { node: Node::Mutate(Place { slot, path }, Builtin::Push, vec![item]), abs: Abs::Known(Val::Unit), effects: true }
            }
            Node::Mutate(..) => Spec::bail(),
            Node::Not(x) => {
                let x = self.expr(fr, x, out)?;
                match &x.abs {
                    _ if x.is_bail() => x,
                    Abs::Known(Val::Bool(b)) if !x.effects => Spec::known(Val::Bool(!b)),
                    Abs::Known(_) if !x.effects => Spec::bail(),
                    abs => {
                        let kinds = abs.kinds();
                        let effects = x.effects || !kinds.within(Kinds::BOOL);
                        let x = self.residual(x)?;
                        match condition_test(&x, kinds) {
                            Some(t) if !effects => Spec::dynamic(Node::Test(Box::new(Test::Not(Box::new(t)))), Kinds::BOOL, false),
                            _ => Spec::dynamic(Node::Not(Box::new(x)), Kinds::BOOL, effects),
                        }
                    }
                }
            }
            Node::Neg(x) => {
                let x = self.expr(fr, x, out)?;
                match &x.abs {
                    _ if x.is_bail() => x,
                    Abs::Known(Val::Int(i)) if !x.effects => i.checked_neg().map_or_else(Spec::bail, |i| Spec::known(Val::Int(i))),
                    Abs::Known(Val::Dec(d)) if !x.effects => Spec::known(Val::Dec(-*d)),
                    Abs::Known(_) if !x.effects => Spec::bail(),
                    abs => {
                        let kinds = abs.kinds();
                        Spec::dynamic(Node::Neg(Box::new(self.residual(x)?)), Kinds(kinds.0 & (Kinds::INT.0 | Kinds::DEC.0)), true)
                    }
                }
            }
            Node::Bin(op, x, y) => {
                let x = self.expr(fr, x, out)?;
                let y = self.expr(fr, y, out)?;
                if x.is_bail() {
                    return Ok(x);
                }
                if y.is_bail() {
                    return Ok(y);
                }
                self.bin(*op, x, y)?
            }
            Node::And(x, y) | Node::Or(x, y) => {
                let and = matches!(node, Node::And(..));
                let x = self.expr(fr, x, out)?;
                if x.is_bail() {
                    return Ok(x);
                }
                match (&x.abs, x.effects) {
                    (Abs::Known(Val::Bool(b)), false) if *b != and => return Ok(Spec::known(Val::Bool(*b))),
                    (Abs::Known(Val::Bool(_)), false) => {
                        let y = self.expr(fr, y, out)?;
                        return Ok(match &y.abs {
                            _ if y.is_bail() => y,
                            Abs::Known(Val::Bool(b)) if !y.effects => Spec::known(Val::Bool(*b)),
                            Abs::Known(_) if !y.effects => Spec::bail(),
                            abs if abs.kinds().within(Kinds::BOOL) => y,
                            _ => {
                                let node = Node::And(Box::new(Node::Const(Val::Bool(true))), Box::new(self.residual(y)?));
                                Spec::dynamic(node, Kinds::BOOL, true)
                            }
                        });
                    }
                    (Abs::Known(_), false) => return Ok(Spec::bail()),
                    _ => {}
                }
                // The right side runs on some paths only.
                let mut w = Vec::new();
                Node::parts(y, &mut |p| writes_part(p, &mut w));
                if !w.is_empty() {
                    return Err(GiveUp);
                }
                fr.level += 1;
                let y = self.expr(fr, y, out);
                fr.level -= 1;
                let y = y?;
                if matches!(y.abs, Abs::Never) || matches!(x.abs, Abs::Never) {
                    return Err(GiveUp);
                }
                let (kx, ky) = (x.abs.kinds(), y.abs.kinds());
                let effects = x.effects || y.effects || !kx.within(Kinds::BOOL) || !ky.within(Kinds::BOOL);
                let (x, y) = (self.residual(x)?, self.residual(y)?);
                if !effects
                    && let (Some(tx), Some(ty)) = (condition_test(&x, kx), condition_test(&y, ky))
                {
                    let (tx, ty) = (Box::new(tx), Box::new(ty));
                    return Ok(Spec::dynamic(Node::Test(Box::new(if and { Test::And(tx, ty) } else { Test::Or(tx, ty) })), Kinds::BOOL, false));
                }
                let (x, y) = (Box::new(x), Box::new(y));
                Spec::dynamic(if and { Node::And(x, y) } else { Node::Or(x, y) }, Kinds::BOOL, effects)
            }
            Node::If(c, then, otherwise) => {
                let c = self.expr(fr, c, out)?;
                if c.is_bail() {
                    return Ok(c);
                }
                match (&c.abs, c.effects) {
                    (Abs::Known(Val::Bool(b)), false) => return self.inline(fr, if *b { then } else { otherwise }),
                    (Abs::Known(_), false) => return Ok(Spec::bail()),
                    (Abs::Never, _) => return Err(GiveUp),
                    _ => {}
                }
                let c = self.residual(c)?;
                let (mut blocks, value) = self.paths(fr, &[then, otherwise], out)?;
                let otherwise = blocks.pop().ok_or(GiveUp)?;
                let then = blocks.pop().ok_or(GiveUp)?;
                let node = Node::If(Box::new(c), then, otherwise);
                match value {
                    Abs::Never => Spec::never(node),
                    v => Spec { node, abs: Abs::Dyn(v.kinds()), effects: true },
                }
            }
            Node::Switch(value, cases, default) => {
                let v = self.expr(fr, value, out)?;
                if v.is_bail() {
                    return Ok(v);
                }
                if let (Abs::Known(known), false) = (&v.abs, v.effects) {
                    let hit = cases.iter().find(|(labels, _)| labels.iter().any(|l| same(l, known))).map(|(_, body)| body);
                    return match hit.or(default.as_deref()) {
                        Some(body) => self.expr(fr, body, out),
                        None => Ok(Spec::known(Val::Unit)),
                    };
                }
                if matches!(v.abs, Abs::Never | Abs::Results) {
                    return Err(GiveUp);
                }
                let v = self.residual(v)?;
                // Each case body is one expression: specialise it as a one-statement block.
                let mut bodies: Vec<Block> = cases.iter().map(|(_, body)| vec![Inst::Eval(body.clone())]).collect();
                bodies.push(default.as_deref().map_or_else(|| vec![Inst::Eval(Node::Const(Val::Unit))], |d| vec![Inst::Eval(d.clone())]));
                let refs: Vec<&Block> = bodies.iter().collect();
                let (mut blocks, value) = self.paths(fr, &refs, out)?;
                let default = blocks.pop().ok_or(GiveUp)?;
                let cases = cases.iter().zip(blocks).map(|((labels, _), b)| (labels.clone(), Node::Block(b))).collect();
                let node = Node::Switch(Box::new(v), cases, Some(Box::new(Node::Block(default))));
                match value {
                    Abs::Never => Spec::never(node),
                    v => Spec { node, abs: Abs::Dyn(v.kinds()), effects: true },
                }
            }
            Node::Block(b) => self.inline(fr, b)?,
            Node::Effects(nodes) => {
                let specs = self.exprs(fr, nodes, out)?;
                if let Some(b) = first_bail(&specs) {
                    return Ok(b);
                }
                let kept: Vec<Spec> = specs.into_iter().filter(|s| s.effects).collect();
                if kept.is_empty() {
                    return Ok(Spec::known(Val::Unit));
                }
                Spec { node: Node::Effects(self.residuals(kept)?), abs: Abs::Known(Val::Unit), effects: true }
            }
            Node::StrKey(key) => {
                let key = self.expr(fr, key, out)?;
                match &key.abs {
                    _ if key.is_bail() => key,
                    Abs::Known(Val::Str(_)) if !key.effects => Spec::known(Val::Unit),
                    Abs::Known(_) if !key.effects => Spec::bail(),
                    abs if !key.effects && abs.kinds().within(Kinds::TEXT) => Spec::known(Val::Unit),
                    _ => Spec { node: Node::StrKey(Box::new(self.residual(key)?)), abs: Abs::Known(Val::Unit), effects: true },
                }
            }
            Node::Verdict(result, values, messages) => self.verdict(fr, *result, values.as_deref(), messages, out)?,
            Node::Field(read) => Spec::dynamic(Node::Field(read), Kinds::ALL, false),
            Node::Event(i, amount) => Spec::dynamic(Node::Event(*i, *amount), if *amount { Kinds::DEC } else { Kinds::INT }, false),
            Node::ResultOf(i) => Spec::dynamic(Node::ResultOf(*i), Kinds::STR, false),
            Node::Test(t) => Spec::dynamic(Node::Test(t.clone()), Kinds::BOOL, true),
            Node::Bail => Spec::bail(),
        })
    }

    /// A block whose code runs where it stands (a known branch, a `{ … }` expression).
    fn inline(&mut self, fr: &mut Frame, block: &Block) -> Sp<Spec> {
        let mut code = Vec::new();
        let tail = self.stmts(fr, block, &mut code)?;
        if matches!(tail.abs, Abs::Never) {
            fr.effects = true;
            return if code.is_empty() { Err(GiveUp) } else { Ok(Spec::never(Node::Block(code))) };
        }
        if code.is_empty() {
            return Ok(tail);
        }
        fr.effects = true;
        let abs = tail.abs.clone();
        let node = self.residual(tail)?;
        code.push(Inst::Eval(node));
        let abs = match abs {
            Abs::Results => return Err(GiveUp),
            Abs::Known(v) => Abs::Known(v),
            other => Abs::Dyn(other.kinds()),
        };
        Ok(Spec { node: Node::Block(code), abs, effects: true })
    }

    fn prop(&mut self, base: Spec, prop: &Prop) -> Sp<Spec> {
        if base.is_bail() {
            return Ok(base);
        }
        Ok(match (&base.abs, base.effects) {
            (Abs::Known(Val::Household), false) => match prop.household {
                Some((read, kinds)) => Spec::dynamic(Node::Field(read), kinds, false),
                None => Spec::bail(),
            },
            (Abs::Known(Val::Params), false) => match prop.param.and_then(|slot| self.params.at(slot)).map(Val::from_dynamic) {
                Some(Ok(v)) => Spec::known(v),
                _ => Spec::bail(),
            },
            (Abs::Known(Val::Map(m)), false) => m.get(&prop.name).cloned().map_or_else(Spec::bail, Spec::known),
            (Abs::Known(Val::Verdict(v)), false) if prop.name == "result" => Spec::known(result_text(v.result)),
            (Abs::Known(Val::Result(r)), false) if prop.name == "result" => Spec::known(result_text(*r)),
            (Abs::Known(_), false) => Spec::bail(),
            (Abs::Results | Abs::Never, _) => return Err(GiveUp),
            (abs, effects) => {
                let k = abs.kinds();
                let (kinds, safe) = if k == Kinds::TALLY && prop.tally.is_some() {
                    (Kinds::INT, true)
                } else if k == Kinds::MEMBER && prop.member.is_some() {
                    (prop.member.map_or(Kinds::ALL, |(_, kinds)| kinds), true)
                } else {
                    (Kinds::ALL, false)
                };
                Spec::dynamic(Node::Prop(Box::new(self.residual(base)?), Box::new(prop.clone())), kinds, effects || !safe)
            }
        })
    }

    fn index(&mut self, base: Spec, index: Spec) -> Sp<Spec> {
        if base.is_bail() {
            return Ok(base);
        }
        if index.is_bail() {
            return Ok(index);
        }
        if matches!(base.abs, Abs::Never) || matches!(index.abs, Abs::Never) {
            return Err(GiveUp);
        }
        if let Abs::Results = base.abs {
            let Abs::Known(Val::Str(k)) = &index.abs else { return Err(GiveUp) };
            if index.effects {
                return Err(GiveUp);
            }
            return Ok(match self.sorted.iter().find(|(id, _)| id == k) {
                Some((_, i)) => Spec::dynamic(Node::ResultOf(*i), Kinds::STR, false),
                None => Spec::bail(),
            });
        }
        if let (Abs::Known(b), Abs::Known(i), false, false) = (&base.abs, &index.abs, base.effects, index.effects) {
            return Ok(match (b, i) {
                (Val::Map(m), Val::Str(k)) => m.get(k).cloned().map_or_else(Spec::bail, Spec::known),
                (Val::Array(a), Val::Int(i)) if *i >= 0 => a.get(*i as usize).cloned().map_or_else(Spec::bail, Spec::known),
                (Val::Params, Val::Str(k)) => match self.params.get(k).ok().map(Val::from_dynamic) {
                    Some(Ok(v)) => Spec::known(v),
                    _ => Spec::bail(),
                },
                _ => Spec::bail(),
            });
        }
        let node = Node::Index(Box::new(self.residual(base)?), Box::new(self.residual(index)?));
        Ok(Spec::dynamic(node, Kinds::ALL, true))
    }

    fn builtin(&mut self, b: Builtin, args: Vec<Spec>) -> Sp<Spec> {
        if args.iter().any(|a| matches!(a.abs, Abs::Never)) {
            return Err(GiveUp);
        }
        // `results` is only read: its keys, values, size, and whether it has a key.
        if let Some(first) = args.first()
            && matches!(first.abs, Abs::Results)
        {
            let n = self.sorted.len();
            return Ok(match (b, args.get(1).map(|a| &a.abs)) {
                (Builtin::Keys, None) => Spec::known(Val::Array(Arc::new(self.sorted.iter().map(|(id, _)| Val::Str(id.clone())).collect()))),
                (Builtin::Values, None) => Spec::dynamic(Node::Array(self.sorted.iter().map(|(_, i)| Node::ResultOf(*i)).collect()), Kinds::ARRAY, false),
                (Builtin::Len, None) => Spec::known(Val::Int(n as i64)),
                (Builtin::IsEmpty, None) => Spec::known(Val::Bool(n == 0)),
                (Builtin::Contains, Some(Abs::Known(Val::Str(k)))) if !args[1].effects => Spec::known(Val::Bool(self.sorted.iter().any(|(id, _)| id == k))),
                _ => return Err(GiveUp),
            });
        }
        if args.iter().any(|a| matches!(a.abs, Abs::Results)) {
            return Err(GiveUp);
        }
        if let (Builtin::EventCount | Builtin::EventAmount, [h, kind]) = (b, args.as_slice())
            && let (Abs::Known(Val::Household), Abs::Known(Val::Str(kind)), false, false) = (&h.abs, &kind.abs, h.effects, kind.effects)
        {
            let amount = b == Builtin::EventAmount;
            return Ok(match EVENT_KINDS.iter().position(|k| k.as_str() == kind.as_str()) {
                Some(i) => Spec::dynamic(Node::Event(i, amount), if amount { Kinds::DEC } else { Kinds::INT }, false),
                None => Spec::bail(),
            });
        }
        let pure = !matches!(b, Builtin::Filter | Builtin::EventCount | Builtin::EventAmount | Builtin::Push);
        if pure && let Some(mut vals) = all_known(&args) {
            return Ok(match pure_builtin(b, &mut vals) {
                Ok(v) => Spec::known(v),
                Err(_) => Spec::bail(),
            });
        }
        use Builtin::*;
        let kinds = match b {
            Yuan => Kinds::DEC,
            Join | SubString => Kinds::TEXT,
            Min | Max => Kinds(Kinds::INT.0 | Kinds::DEC.0),
            Len => Kinds::INT,
            IsEmpty | Contains | StartsWith | EndsWith => Kinds::BOOL,
            Keys | Values | Filter => Kinds::ARRAY,
            EventCount => Kinds::INT,
            EventAmount => Kinds::DEC,
            Pass | Fail | Unknown | Push => Kinds::OTHER,
        };
        let node = Node::Builtin(b, self.residuals(args)?);
        Ok(Spec::dynamic(node, kinds, true))
    }

    fn bin(&mut self, op: BinOp, x: Spec, y: Spec) -> Sp<Spec> {
        if x.is_bail() {
            return Ok(x);
        }
        if y.is_bail() {
            return Ok(y);
        }
        if matches!(x.abs, Abs::Never | Abs::Results) || matches!(y.abs, Abs::Never | Abs::Results) {
            return Err(GiveUp);
        }
        if let (Abs::Known(a), Abs::Known(b), false, false) = (&x.abs, &y.abs, x.effects, y.effects) {
            return Ok(match binary(op, a, b) {
                Ok(Val::Str(s)) if s.len() > self.limits.max_string_size => Spec::bail(),
                Ok(v) => Spec::known(v),
                Err(_) => Spec::bail(),
            });
        }
        let (kx, ky) = (x.abs.kinds(), y.abs.kinds());
        let scalar = Kinds::SCALAR.or(Kinds::LONG_STR);
        let (kinds, safe) = match op {
            BinOp::Eq | BinOp::Ne => (Kinds::BOOL, kx.within(scalar) && ky.within(scalar)),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => (Kinds::BOOL, ordered(kx, ky)),
            BinOp::In => (Kinds::BOOL, false),
            _ => {
                let num = Kinds(Kinds::INT.0 | Kinds::DEC.0);
                let kinds = if kx.within(Kinds::INT) && ky.within(Kinds::INT) {
                    Kinds::INT
                } else if kx.within(num) && ky.within(num) {
                    if kx.meets(Kinds::INT) && ky.meets(Kinds::INT) { num } else { Kinds::DEC }
                } else {
                    Kinds::ALL
                };
                (kinds, false)
            }
        };
        let effects = x.effects || y.effects || !safe;
        let (x, y) = (self.residual(x)?, self.residual(y)?);
        let scalar_sides = kx.within(scalar) && ky.within(scalar);
        let node = match comparison_test(op, &x, &y) {
            Some(test) if !effects && scalar_sides => Node::Test(Box::new(test)),
            _ => Node::Bin(op, Box::new(x), Box::new(y)),
        };
        Ok(Spec::dynamic(node, kinds, effects))
    }

    /// An outcome-only verdict: its values and messages are dropped when their check
    /// cannot fail.
    fn verdict(&mut self, fr: &mut Frame, result: crate::decision::FindingResult, values: Option<&Node>, messages: &[Message], out: &mut Block) -> Sp<Spec> {
        let mut kept_values = None;
        if let Some(v) = values {
            let v = self.expr(fr, v, out)?;
            if v.is_bail() {
                return Ok(v);
            }
            let ok = !v.effects && v.abs.kinds().within(Kinds::MAP);
            if !ok {
                kept_values = Some(Box::new(self.residual(v)?));
            }
        }
        let mut kept = Vec::new();
        for m in messages {
            match m {
                Message::Text(parts) => {
                    let parts = self.exprs(fr, parts, out)?;
                    if let Some(b) = first_bail(&parts) {
                        return Ok(b);
                    }
                    let mut bound = 0usize;
                    let mut sure = true;
                    for p in &parts {
                        match (&p.abs, p.effects) {
                            (Abs::Known(v), false) => {
                                let mut s = String::new();
                                if v.write_text(&mut s).is_err() {
                                    return Ok(Spec::bail());
                                }
                                bound += s.len();
                            }
                            (abs, false) if abs.kinds().within(Kinds::SCALAR) => bound += MAX_SCALAR_TEXT.max(Kinds::SHORT_TEXT),
                            _ => sure = false,
                        }
                    }
                    if !sure || bound > self.limits.max_string_size {
                        kept.push(Message::Text(self.residuals(parts)?));
                    }
                }
                Message::Value(n) => {
                    let v = self.expr(fr, n, out)?;
                    if v.is_bail() {
                        return Ok(v);
                    }
                    let ok = !v.effects && v.abs.kinds().within(Kinds::TEXT);
                    if !ok {
                        kept.push(Message::Value(self.residual(v)?));
                    }
                }
            }
        }
        if kept_values.is_none() && kept.is_empty() {
            return Ok(Spec::known(Val::Result(result)));
        }
        Ok(Spec { node: Node::Verdict(result, kept_values, kept), abs: Abs::Dyn(Kinds::OTHER), effects: true })
    }
}

/// Whether `<`, `<=`, `>`, `>=` between any kinds of `x` and `y` is defined (rhai compares
/// numbers and strings, and different kinds as false; the same other kind is an error).
fn ordered(x: Kinds, y: Kinds) -> bool {
    let num = Kinds(Kinds::INT.0 | Kinds::DEC.0);
    let text = Kinds::TEXT;
    for bit in 0..16 {
        let a = Kinds(1 << bit);
        if !a.meets(x) {
            continue;
        }
        for bit2 in 0..16 {
            let b = Kinds(1 << bit2);
            if !b.meets(y) {
                continue;
            }
            let fine = (a.within(num) && b.within(num)) || (a.within(text) && b.within(text)) || a != b;
            if !fine {
                return false;
            }
        }
    }
    true
}

/// A comparison of a household fact, a rule result or a variable with a constant scalar, as
/// a [`Test`] (the constant may stand on either side).
pub(crate) fn comparison_test(op: BinOp, x: &Node, y: &Node) -> Option<Test> {
    let scalar = |c: &Val| matches!(c, Val::Unit | Val::Bool(_) | Val::Int(_) | Val::Dec(_) | Val::Str(_));
    let (subject, c, op) = match (x, y) {
        (s, Node::Const(c)) if scalar(c) => (s, c.clone(), op),
        (Node::Const(c), s) if scalar(c) => (
            s,
            c.clone(),
            match op {
                BinOp::Lt => BinOp::Gt,
                BinOp::Le => BinOp::Ge,
                BinOp::Gt => BinOp::Lt,
                BinOp::Ge => BinOp::Le,
                other => other,
            },
        ),
        _ => return None,
    };
    if !matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
        return None;
    }
    Some(match subject {
        Node::Field(read) => Test::field(read, op, c),
        Node::Event(i, false) => Test::Events(*i, op, c),
        Node::ResultOf(i) => match (op, &c) {
            (BinOp::Eq | BinOp::Ne, Val::Str(text)) => match crate::decision::FindingResult::ALL.into_iter().find(|r| r.as_str() == text.as_str()) {
                Some(r) => Test::ResultIs(*i, r, op == BinOp::Eq),
                None => Test::Result(*i, op, c),
            },
            _ => Test::Result(*i, op, c),
        },
        Node::Local(slot) => Test::Local(*slot, op, c),
        Node::Prop(base, prop) => match (&**base, prop.tally) {
            (Node::Field(field), Some(read)) => Test::Tally(field, read, op, c),
            _ => return None,
        },
        _ => return None,
    })
}

/// A boolean residual expression as a [`Test`], when it is one already or a boolean
/// household property.
fn condition_test(node: &Node, kinds: Kinds) -> Option<Test> {
    match node {
        Node::Test(t) => Some((**t).clone()),
        Node::Field(read) if kinds.within(Kinds::BOOL) => Test::flag(read),
        _ => None,
    }
}

/// A value without closures, household handles or verdicts, safe to keep as a constant.
fn plain(v: &Val) -> bool {
    match v {
        Val::Unit | Val::Bool(_) | Val::Int(_) | Val::Dec(_) | Val::Str(_) => true,
        Val::Array(items) => items.iter().all(plain),
        Val::Map(m) => m.values().all(plain),
        _ => false,
    }
}

fn first_bail(specs: &[Spec]) -> Option<Spec> {
    specs.iter().any(Spec::is_bail).then(Spec::bail)
}

fn all_known(specs: &[Spec]) -> Option<Vec<Val>> {
    specs
        .iter()
        .map(|s| match (&s.abs, s.effects) {
            (Abs::Known(v), false) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn writes_inst(inst: &Inst, out: &mut Vec<usize>) {
    inst.parts(&mut |p| writes_part(p, out));
}

fn writes_part(part: Part<'_>, out: &mut Vec<usize>) {
    match part {
        Part::Node(n) => n.parts(&mut |p| writes_part(p, out)),
        Part::Inst(i) => writes_inst(i, out),
        Part::Writes(slot) => out.push(slot),
    }
}
