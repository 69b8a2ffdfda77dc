//! Specialised code that is a decision tree, run without closures.
//!
//! Specialised to a parameter table and stripped of messages, most rules are only
//! conditions on household facts that end in a constant result: `if h.pci == () { unknown }
//! else if h.pci < 4000 { pass } else { fail }`, or a helper called with a fact, such as
//! `member_exclusion(h.village_cadre, …)`. Any specialised function whose code is of that kind
//! becomes a [`Tree`] of typed [`Test`]s, run by [`Machine::call_compiled`] instead of its
//! closures:
//! - a call is inlined with its arguments put in place of its parameters;
//! - a `switch` on booleans or strings becomes a chain of equality tests;
//! - a variable given a value that cannot fail to read (a fact, a constant, a rule's result)
//!   stands for that value, one given a value picked by a condition splits the tree, and a
//!   list built by pushing constants (`causes`) is a constant on each path;
//! - a condition the tests cannot say (`h.business_cost > h.business`) and a variable computed
//!   from facts (`let floor = yuan(h.prior_pci * 0.7)`) are computed by closures compiled as
//!   the function's other code is, the variable into the function's frame.
//!
//! So are a `decide` whose every path ends in a map of constants (the exit set's) and helpers
//! such as `measures_for(risk)`. Running a tree builds no value but its constant leaf, and a
//! tree that reads no variable needs no frame.
//!
//! A tree does exactly what the closure code does or gives up where it would: the tests are
//! the specialiser's own, whatever is put in place of a variable cannot fail to read, what
//! may fail is computed where the code computes it, and the run is charged the statements and
//! call levels of the code it replaces, so a tight sandbox limit still hands the set to the
//! interpreter. Anything else (loops, arithmetic into variables, messages) keeps the closure
//! code.

use std::sync::Arc;

use super::exec::{Machine, pure_builtin};
use super::lower::{Block, Builtin, Func, Inst, Node, Part, Test};
use super::special::comparison_test;
use super::syntax::BinOp;
use super::value::{Bail, Val, ValMap};
use crate::facts::EVENT_KINDS;
use crate::sandbox::Limits;

/// A decision tree over typed tests.
#[derive(Debug)]
pub(crate) enum Tree {
    /// A constant: a rule's result, or what `decide` returns.
    Leaf(Val),
    Branch(Box<Test>, Box<Tree>, Box<Tree>),
    /// A condition the tests cannot express (`h.business_cost > h.business`).
    Decide(Computed, Box<Tree>, Box<Tree>),
    /// A variable of the rule's own frame given a value that may fail to compute
    /// (`let floor = yuan(h.prior_pci * 0.7)`), computed where the code computes it.
    Let(usize, Computed, Box<Tree>),
}

/// An expression of a tree that is computed, not tested: compiled to closures as the rest of
/// the specialised code is (each closure calls the operations the tree walker defines).
/// Shared by the tree and its generated code (see `native`), which writes out the ones over
/// numbers and falls back on the closures for the rest.
#[derive(Clone)]
pub(crate) struct Computed(Arc<(super::compile::Code, Node)>);

impl Computed {
    fn of(node: &Node) -> Computed {
        Computed(Arc::new((super::compile::expr(node), node.clone())))
    }

    pub(crate) fn value(&self, m: &mut Machine<'_>) -> Result<Val, Bail> {
        (self.0.0)(m).map_err(|_| Bail)
    }

    /// The expression the closures compute.
    pub(crate) fn node(&self) -> &Node {
        &self.0.1
    }
}

impl std::fmt::Debug for Computed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Computed")
    }
}

/// A rule's (or `decide`'s) outcome-only code as a decision tree.
#[derive(Debug)]
pub(crate) struct RuleTree {
    tree: Tree,
    /// Statements in the code it replaces: at least as many as any run of it executes.
    ticks: u64,
    /// Call levels of that code: the function itself and the helpers inlined into it.
    levels: usize,
    /// The function's parameters and the size of its frame.
    params: usize,
    slots: usize,
    /// Whether the tree reads or writes its frame's variables.
    frame: bool,
    /// The tree's compiled code, when it is one of the embedded rules' (see `native`).
    native: Option<super::native::NativeTree>,
}

/// Largest tree kept (leaves); a bigger one stays closure code.
const MAX_LEAVES: usize = 256;
/// Deepest chain of inlined calls.
const MAX_LEVELS: usize = 4;

impl RuleTree {
    /// The tree of function `f`, when its code is one; its parameters are the first
    /// variables of its frame. Only `decide` reads the set's `results` rule results.
    pub(crate) fn of(funcs: &[Option<Func>], f: usize, results: usize, limits: &Limits) -> Option<RuleTree> {
        let mut b = Builder { funcs, ticks: 0, levels: 1, leaves: 0, results, max_array: limits.max_array_size };
        let func = funcs.get(f)?.as_ref()?;
        let env: Vec<Option<Node>> = (0..func.slots).map(|slot| (slot < func.params).then_some(Node::Local(slot))).collect();
        let tree = b.function(func, &env, 1)?;
        let frame = needs_frame(&tree);
        let native = super::native::NativeTree::of(&tree);
        Some(RuleTree { tree, ticks: b.ticks, levels: b.levels, params: func.params, slots: func.slots, frame, native })
    }

    /// The tree itself (what its compiled code is written from).
    #[cfg(test)]
    pub(crate) fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Whether the tree runs compiled code.
    pub(crate) fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The leaf `m` reaches: by the compiled code when there is one, else by walking.
    fn run<'t>(&'t self, m: &mut Machine<'_>) -> Result<&'t Val, Bail> {
        match &self.native {
            Some(native) => native.walk(m),
            None => walk(&self.tree, m),
        }
    }

    /// Runs the tree over the arguments on the stack from `at`, as
    /// [`Machine::call_compiled`] runs the function: its value, or [`Bail`] where the
    /// closure code would give up.
    pub(crate) fn call(&self, m: &mut Machine<'_>, at: usize) -> Result<Val, Bail> {
        self.call_by(m, at, |m| self.run(m))
    }

    /// [`RuleTree::call`] walking the tree, whether or not it has compiled code.
    #[cfg(test)]
    pub(crate) fn call_walking(&self, m: &mut Machine<'_>, at: usize) -> Result<Val, Bail> {
        self.call_by(m, at, |m| walk(&self.tree, m))
    }

    fn call_by<'t>(&'t self, m: &mut Machine<'_>, at: usize, run: impl FnOnce(&mut Machine<'_>) -> Result<&'t Val, Bail>) -> Result<Val, Bail> {
        if let Err(bail) = m.enter_inline(self.levels, self.ticks) {
            m.truncate(at);
            return Err(bail);
        }
        if self.frame {
            return m.in_frame(at, self.params, self.slots, |m| run(m).cloned());
        }
        let arity = m.stack_len() - at;
        m.truncate(at);
        if arity != self.params {
            return Err(Bail);
        }
        run(m).cloned()
    }

    /// Runs a tree that needs no frame as if called with `arity` arguments, without putting
    /// them on the stack; `None` when the tree needs its frame (call it with
    /// [`RuleTree::call`]).
    pub(crate) fn call_frameless(&self, m: &mut Machine<'_>, arity: usize) -> Option<Result<&Val, Bail>> {
        if self.frame {
            return None;
        }
        Some(match m.enter_inline(self.levels, self.ticks) {
            Ok(()) if arity == self.params => self.run(m),
            _ => Err(Bail),
        })
    }
}

/// Whether a tree reads or writes variables (else it runs without a frame).
fn needs_frame(tree: &Tree) -> bool {
    match tree {
        Tree::Leaf(_) => false,
        Tree::Branch(t, yes, no) => t.reads_variables() || needs_frame(yes) || needs_frame(no),
        Tree::Decide(..) | Tree::Let(..) => true,
    }
}

/// The leaf `m` reaches (a reference: the caller copies it where it keeps it, so that a value
/// is not moved through a return slot on the way).
fn walk<'t>(mut node: &'t Tree, m: &mut Machine<'_>) -> Result<&'t Val, Bail> {
    loop {
        node = match node {
            Tree::Leaf(v) => return Ok(v),
            Tree::Branch(t, yes, no) => if m.test(t)? { yes } else { no },
            Tree::Decide(c, yes, no) => if c.value(m)?.as_bool()? { yes } else { no },
            Tree::Let(slot, value, next) => {
                let v = value.value(m)?;
                m.set_local(*slot, v);
                next
            }
        }
    }
}

/// What a parameter stands for inside an inlined call: a constant or a household fact.
type Env = [Option<Node>];

struct Builder<'a> {
    funcs: &'a [Option<Func>],
    ticks: u64,
    levels: usize,
    leaves: usize,
    /// Rule results `decide` may read (none for a rule).
    results: usize,
    /// The array size limit (an array that stands for its items is never built).
    max_array: usize,
}

impl Builder<'_> {
    /// A function's body with its parameters bound to `env` (`None`: not usable).
    fn function(&mut self, func: &Func, env: &Env, level: usize) -> Option<Tree> {
        if level > MAX_LEVELS {
            return None;
        }
        self.levels = self.levels.max(level);
        self.ticks += count(&func.body);
        let body: Vec<&Inst> = func.body.iter().collect();
        self.seq(&body, env, level)
    }

    /// The value of running `insts` in order: the last statement's value, unless a `return`
    /// comes first.
    fn seq(&mut self, insts: &[&Inst], env: &Env, level: usize) -> Option<Tree> {
        let (first, rest) = insts.split_first()?;
        match first {
            Inst::Return(node) => self.value(node, env, level),
            Inst::Eval(node) if rest.is_empty() => self.value(node, env, level),
            // A statement that does nothing.
            Inst::Eval(Node::Const(_)) => self.seq(rest, env, level),
            // A variable given a value that cannot fail to read stands for that value; one of
            // the rule's own variables given any other value is computed into its frame.
            Inst::Let(slot, node) => {
                if let Some(tree) = self.let_value(*slot, node, rest, env, level) {
                    return Some(tree);
                }
                if level != 1 {
                    return None;
                }
                let value = computed(node, env)?;
                let mut env = env.to_vec();
                *env.get_mut(*slot)? = Some(Node::Local(*slot));
                Some(Tree::Let(*slot, Computed::of(&value), Box::new(self.seq(rest, &env, level)?)))
            }
            // A constant pushed onto a variable holding a constant array (`c.push("illness")`):
            // the variable stands for the longer array from here on.
            Inst::Eval(Node::Mutate(place, Builtin::Push, args)) if place.path.is_empty() && args.len() == 1 => {
                let (Some(Node::Const(Val::Array(items))), Some(Node::Const(item))) = (env.get(place.slot)?, self.pure(&args[0], env)) else { return None };
                if items.len() >= self.max_array {
                    return None;
                }
                let mut longer = (**items).clone();
                longer.push(item);
                let mut env = env.to_vec();
                env[place.slot] = Some(Node::Const(Val::Array(Arc::new(longer))));
                self.seq(rest, &env, level)
            }
            // A branch in statement position: each side runs on into what follows.
            Inst::Eval(Node::If(c, yes, no)) => self.branch(c, &joined(yes, rest), &joined(no, rest), env, level),
            _ => None,
        }
    }

    /// A branch on `c` between two runs of statements.
    fn branch(&mut self, c: &Node, yes: &[&Inst], no: &[&Inst], env: &Env, level: usize) -> Option<Tree> {
        self.fork(c, env, |b, taken| b.seq(if taken { yes } else { no }, env, level))
    }

    /// A tree that decides `c` and goes on with `side(true)` or `side(false)`; only the side
    /// taken when `c` is known while building.
    fn fork(&mut self, c: &Node, env: &Env, mut side: impl FnMut(&mut Self, bool) -> Option<Tree>) -> Option<Tree> {
        Some(match self.cond(c, env)? {
            Cond::Known(taken) => return side(self, taken),
            Cond::Test(test) => Tree::Branch(Box::new(test), Box::new(side(self, true)?), Box::new(side(self, false)?)),
            Cond::Expr(c) => Tree::Decide(Computed::of(&c), Box::new(side(self, true)?), Box::new(side(self, false)?)),
        })
    }

    /// A tree for an expression in value position.
    fn value(&mut self, node: &Node, env: &Env, level: usize) -> Option<Tree> {
        match node {
            Node::Verdict(r, None, messages) if messages.is_empty() => self.leaf(Val::Result(*r)),
            // A map of constants (what `decide` returns on this path).
            Node::Map(fields) => {
                let mut map = ValMap::new();
                for (k, n) in fields {
                    map.insert(k.clone(), constant(&self.pure(n, env)?)?);
                }
                self.leaf(Val::Map(Arc::new(map)))
            }
            Node::If(c, yes, no) => self.branch(c, &joined(yes, &[]), &joined(no, &[]), env, level),
            Node::Block(b) => self.seq(&joined(b, &[]), env, level),
            // `switch` on booleans or strings: a label matches a value of its own kind that
            // equals it, which is what `==` against a constant of that kind decides.
            Node::Switch(subject, cases, default) => {
                let subject = bound(subject, env)?;
                let mut chain = match default {
                    Some(body) => self.value(body, env, level)?,
                    None => return None,
                };
                for (labels, body) in cases.iter().rev() {
                    if !labels.iter().all(|l| matches!(l, Val::Bool(_) | Val::Str(_))) {
                        return None;
                    }
                    let test = any_equal(labels.iter().map(|l| (subject.clone(), Node::Const(l.clone()))))??;
                    let body = self.value(body, env, level)?;
                    chain = Tree::Branch(Box::new(test), Box::new(body), Box::new(chain));
                }
                Some(chain)
            }
            Node::Call(g, args) => {
                let func = self.funcs.get(*g)?.as_ref()?;
                if args.len() != func.params {
                    return None;
                }
                // Arguments are evaluated before the call, so each must be one that cannot
                // fail: a constant or a household fact (as a parameter's value).
                let mut inner: Vec<Option<Node>> = vec![None; func.slots.max(args.len())];
                for (slot, arg) in args.iter().enumerate() {
                    inner[slot] = Some(self.pure(arg, env)?);
                }
                self.function(func, &inner, level + 1)
            }
            other => self.leaf(constant(&self.pure(other, env)?)?),
        }
    }

    /// `let slot = node;` then `rest`, where `node` gives a value that cannot fail to read
    /// on every path (`if c { "a" } else { "b" }` splits the tree).
    fn let_value(&mut self, slot: usize, node: &Node, rest: &[&Inst], env: &Env, level: usize) -> Option<Tree> {
        if let Some(value) = self.pure(node, env) {
            let mut env = env.to_vec();
            *env.get_mut(slot)? = Some(value);
            return self.seq(rest, &env, level);
        }
        let single = |b: &'_ Block| -> Option<Node> {
            match b.as_slice() {
                [Inst::Eval(x)] => Some(x.clone()),
                _ => None,
            }
        };
        match node {
            Node::Block(b) => self.let_value(slot, &single(b)?, rest, env, level),
            Node::If(c, yes, no) => {
                let (yes, no) = (single(yes)?, single(no)?);
                self.fork(c, env, |b, taken| b.let_value(slot, if taken { &yes } else { &no }, rest, env, level))
            }
            _ => None,
        }
    }

    /// A value that cannot fail to be read, with parameters put in place: a constant, a
    /// household fact, a count or amount of this year's events of a known kind, a rule's
    /// result in `decide`, or an array of such values within the size limit (it stands for
    /// its items and is never built).
    fn pure(&self, node: &Node, env: &Env) -> Option<Node> {
        match node {
            Node::Array(items) if items.len() <= self.max_array => {
                Some(Node::Array(items.iter().map(|n| self.pure(n, env)).collect::<Option<_>>()?))
            }
            Node::ResultOf(i) if *i < self.results => Some(node.clone()),
            Node::Builtin(b @ (Builtin::IsEmpty | Builtin::Len), args) => {
                let mut values = args.iter().map(|a| constant(&self.pure(a, env)?)).collect::<Option<Vec<Val>>>()?;
                pure_builtin(*b, &mut values).ok().map(Node::Const)
            }
            _ => pure(node, env),
        }
    }

    /// A condition: known when it folds to a constant (`c.is_empty()` of a constant list),
    /// else as [`condition`] says it.
    fn cond(&self, c: &Node, env: &Env) -> Option<Cond> {
        match self.pure(c, env) {
            Some(Node::Const(Val::Bool(b))) => Some(Cond::Known(b)),
            _ => condition(c, env),
        }
    }

    fn leaf(&mut self, v: Val) -> Option<Tree> {
        self.leaves += 1;
        (self.leaves <= MAX_LEAVES).then_some(Tree::Leaf(v.own_copy()))
    }
}

/// `block` followed by `rest`.
fn joined<'i>(block: &'i Block, rest: &[&'i Inst]) -> Vec<&'i Inst> {
    block.iter().chain(rest.iter().copied()).collect()
}

/// Statements in a block and every block inside it (an upper bound on what one run
/// executes, since the code has no loops).
fn count(block: &Block) -> u64 {
    block.iter().map(|inst| count_part(Part::Inst(inst))).sum()
}

fn count_part(part: Part<'_>) -> u64 {
    match part {
        Part::Node(node) => {
            let mut n = 0;
            node.parts(&mut |p| n += count_part(p));
            n
        }
        Part::Inst(inst) => {
            let mut n = 1;
            inst.parts(&mut |p| n += count_part(p));
            n
        }
        Part::Writes(_) => 0,
    }
}

/// An expression the tree walker computes without a block or a call (arithmetic, comparisons
/// and `yuan`/`min`/`max` over facts, constants and variables), with the parameters of an
/// inlined call put in place.
fn computed(node: &Node, env: &Env) -> Option<Node> {
    let boxed = |n: &Node| computed(n, env).map(Box::new);
    Some(match node {
        Node::Const(_) | Node::Field(_) | Node::Event(..) | Node::Local(_) | Node::Prop(..) => bound(node, env)?,
        Node::Test(t) => Node::Test(Box::new(test(t, env)?)),
        Node::Bin(op, x, y) => Node::Bin(*op, boxed(x)?, boxed(y)?),
        Node::Not(x) => Node::Not(boxed(x)?),
        Node::Neg(x) => Node::Neg(boxed(x)?),
        Node::And(x, y) => Node::And(boxed(x)?, boxed(y)?),
        Node::Or(x, y) => Node::Or(boxed(x)?, boxed(y)?),
        Node::Builtin(b @ (Builtin::Yuan | Builtin::Min | Builtin::Max), args) => {
            Node::Builtin(*b, args.iter().map(|a| computed(a, env)).collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

/// The value of a constant node.
fn constant(node: &Node) -> Option<Val> {
    match node {
        Node::Const(v) => Some(v.clone()),
        _ => None,
    }
}

/// A node with the parameters of an inlined call put in place.
fn bound(node: &Node, env: &Env) -> Option<Node> {
    match node {
        Node::Local(slot) => env.get(*slot)?.clone(),
        Node::Prop(base, prop) => Some(Node::Prop(Box::new(bound(base, env)?), prop.clone())),
        Node::Const(_) | Node::Field(_) | Node::Event(..) | Node::ResultOf(_) => Some(node.clone()),
        Node::Array(items) => Some(Node::Array(items.iter().map(|n| bound(n, env)).collect::<Option<_>>()?)),
        _ => None,
    }
}

/// A condition decided by a test, by the tree walker, or known when the tree is built.
enum Cond {
    Test(Test),
    Known(bool),
    Expr(Node),
}

/// A condition the tests can say: a test, or known when the tree is built.
enum Tested {
    Test(Test),
    Known(bool),
}

/// A condition with the parameters of an inlined call put in place: a test where the tests
/// can say it, else the expression itself.
fn condition(node: &Node, env: &Env) -> Option<Cond> {
    match tested(node, env) {
        Some(Tested::Test(t)) => Some(Cond::Test(t)),
        Some(Tested::Known(b)) => Some(Cond::Known(b)),
        None => computed(node, env).map(Cond::Expr),
    }
}

/// A condition as a test. A constant side of `&&` or `||` folds away only where the closure
/// code would not evaluate the other side or would evaluate it anyway.
fn tested(node: &Node, env: &Env) -> Option<Tested> {
    Some(match node {
        Node::Const(Val::Bool(b)) => Tested::Known(*b),
        Node::Test(t) => Tested::Test(test(t, env)?),
        // `c in [a, b, …]`: `a == c || b == c || …`, in order, as `in` compares.
        Node::Bin(BinOp::In, needle, haystack) => match (bound(needle, env)?, bound(haystack, env)?) {
            (c @ Node::Const(_), Node::Array(items)) => match any_equal(items.into_iter().map(|item| (item, c.clone())))? {
                Some(t) => Tested::Test(t),
                None => Tested::Known(false),
            },
            _ => return None,
        },
        Node::Bin(op, x, y) => Tested::Test(comparison_test(*op, &bound(x, env)?, &bound(y, env)?)?),
        Node::Not(x) => match tested(x, env)? {
            Tested::Known(b) => Tested::Known(!b),
            Tested::Test(t) => Tested::Test(Test::Not(Box::new(t))),
        },
        Node::And(x, y) | Node::Or(x, y) => {
            // `x && y` is settled by a false `x`, `x || y` by a true one; a `y` that cannot
            // change the answer folds away.
            let and = matches!(node, Node::And(..));
            match tested(x, env)? {
                Tested::Known(b) if b != and => Tested::Known(b),
                Tested::Known(_) => tested(y, env)?,
                Tested::Test(a) => match tested(y, env)? {
                    Tested::Known(b) if b == and => Tested::Test(a),
                    Tested::Known(_) => return None,
                    Tested::Test(b) => Tested::Test(if and { Test::And(Box::new(a), Box::new(b)) } else { Test::Or(Box::new(a), Box::new(b)) }),
                },
            }
        }
        _ => return None,
    })
}

/// A value that cannot fail to be read, with parameters put in place: a constant, a
/// household fact or a count or amount of this year's events of a known kind.
fn pure(node: &Node, env: &Env) -> Option<Node> {
    match bound(node, env)? {
        n @ (Node::Const(_) | Node::Field(_)) => Some(n),
        n @ Node::Event(i, _) if i < EVENT_KINDS.len() => Some(n),
        _ => None,
    }
}

/// `a == b || c == d || …` over the pairs, in order, as tests; `Some(None)` for no pairs.
fn any_equal(pairs: impl DoubleEndedIterator<Item = (Node, Node)>) -> Option<Option<Test>> {
    let mut any = None;
    for (x, y) in pairs.rev() {
        let t = comparison_test(BinOp::Eq, &x, &y)?;
        any = Some(match any {
            Some(later) => Test::Or(Box::new(t), Box::new(later)),
            None => t,
        });
    }
    Some(any)
}

fn test(t: &Test, env: &Env) -> Option<Test> {
    Some(match t {
        Test::Local(slot, op, c) => comparison_test(*op, env.get(*slot)?.as_ref()?, &Node::Const(c.clone()))?,
        Test::Not(x) => Test::Not(Box::new(test(x, env)?)),
        Test::And(x, y) => Test::And(Box::new(test(x, env)?), Box::new(test(y, env)?)),
        Test::Or(x, y) => Test::Or(Box::new(test(x, env)?), Box::new(test(y, env)?)),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{DECIDE_ARGS, FastPlan, RULE_ARGS};
    use super::*;
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    /// Every rule and `decide` of the shipped sets gives the same answer with its functions'
    /// trees as with their closure code alone, and gives up wherever the closure code gives
    /// up (with few call levels, with a small operation budget), on generated households of
    /// several years.
    #[test]
    fn trees_run_as_the_closure_code_does() {
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let plan: &FastPlan = &rules.plan;
        let mut counts = Counts::default();
        for year in [2016, 2020, 2024] {
            let households: Vec<crate::Household> = Generator::new(GenOptions { seed: year as u64, year, ..GenOptions::default() }).take(40).collect();
            for (levels, operations) in [(24, 200_000), (3, 200_000), (4, 200_000), (5, 200_000), (6, 200_000), (24, 8), (24, 16), (24, 24), (24, 40)] {
                let limits = Limits { max_call_levels: levels, max_operations: operations, ..Limits::default() };
                for h in &households {
                    let params = rules.params.resolve(h.year, h.region.code.as_deref());
                    let facts = crate::facts::Facts::derive(h, &params);
                    let made = plan.specialised(&params, &limits);
                    for set in made.outcomes.iter().flatten() {
                        counts.trees = counts.trees.max(set.trees.iter().flatten().count());
                        // Each rule, then `decide` over the closure code's results; the same
                        // call with the trees and without them.
                        let call = |f: usize, decide: bool, results: &[crate::FindingResult], trees: bool| {
                            let m = Machine::new(&facts, &params, &set.funcs, &limits);
                            let mut m = if trees { m.with_compiled(&set.compiled, &set.trees) } else { m.with_compiled(&set.compiled, &[]) };
                            m.results = results.to_vec();
                            let value = if decide { m.call_compiled_with(f, DECIDE_ARGS) } else { m.call_compiled_with(f, RULE_ARGS) };
                            value.ok().map(|v| format!("{v:?}"))
                        };
                        let mut results = Vec::new();
                        for &f in &set.rules {
                            let closure = call(f, false, &[], false);
                            counts.compare(closure.clone(), call(f, false, &[], true), operations, &h.id);
                            results.push(match closure.as_deref() {
                                Some("Result(Pass)") => crate::FindingResult::Pass,
                                Some("Result(Fail)") => crate::FindingResult::Fail,
                                Some("Result(Unknown)") => crate::FindingResult::Unknown,
                                _ => crate::FindingResult::Error,
                            });
                        }
                        counts.compare(call(set.decide, true, &results, false), call(set.decide, true, &results, true), operations, &h.id);
                    }
                }
            }
        }
        assert!(counts.runs > 10_000 && counts.bails > 1_000 && counts.trees >= 15, "{counts:?}");
    }

    /// Tree runs compared with the closure code.
    #[derive(Debug, Default)]
    struct Counts {
        /// Functions of a set that are trees (the most in one set).
        trees: usize,
        runs: usize,
        /// Both gave up.
        bails: usize,
        /// The tree gave up where the closure code did not.
        sooner: usize,
    }

    impl Counts {
        /// The closure code's and a tree's answers agree; a tree may give up sooner on a
        /// tiny operation budget only, since it is charged every statement of the code it
        /// replaces.
        fn compare<T: PartialEq + std::fmt::Debug>(&mut self, closure: Option<T>, tree: Option<T>, operations: u64, id: &str) {
            self.runs += 1;
            match (closure, tree) {
                (None, None) => self.bails += 1,
                (Some(a), Some(b)) => assert_eq!(a, b, "household {id}"),
                (Some(_), None) if operations < 1_000 => self.sooner += 1,
                (a, b) => panic!("household {id}, {operations} operations: closure {a:?}, tree {b:?}"),
            }
        }
    }
}
