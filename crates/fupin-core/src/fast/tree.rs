//! Outcome-only rules that are decision trees, run without a frame.
//!
//! Specialised to a parameter table and stripped of messages, most rules are only
//! conditions on household facts that end in a constant result: `if h.pci == () { unknown }
//! else if h.pci < 4000 { pass } else { fail }`, or a helper called with a fact, such as
//! `member_exclusion(h.village_cadre, …)`. Such a rule becomes a [`Tree`] of typed
//! [`Test`]s: a call is inlined with its arguments put in place of its parameters, and a
//! `switch` on booleans or strings becomes a chain of equality tests. Running the tree builds
//! no value and enters no frame.
//!
//! A tree does exactly what the closure code does or gives up where it would: the tests are
//! the specialiser's own, an argument is a constant or a fact (which cannot fail to read),
//! and the run is charged the statements and call levels of the code it replaces
//! ([`RuleTree::ticks`], [`RuleTree::levels`]), so a tight sandbox limit still hands the set
//! to the interpreter. Anything else (locals, loops, values, messages) keeps the closure code.

use super::exec::Machine;
use super::lower::{Block, Func, Inst, Node, Test};
use super::special::comparison_test;
use super::syntax::BinOp;
use super::value::{Bail, Val};
use crate::decision::FindingResult;
use crate::facts::EVENT_KINDS;

/// A decision tree over typed tests.
#[derive(Debug)]
pub(crate) enum Tree {
    Leaf(FindingResult),
    Branch(Box<Test>, Box<Tree>, Box<Tree>),
}

/// A rule's outcome-only code as a decision tree.
#[derive(Debug)]
pub(crate) struct RuleTree {
    tree: Tree,
    /// Statements in the code it replaces: at least as many as any run of it executes.
    ticks: u64,
    /// Call levels of that code: the rule's own function and the helpers inlined into it.
    levels: usize,
}

/// Largest tree kept (leaves); a bigger one stays closure code.
const MAX_LEAVES: usize = 256;
/// Deepest chain of inlined calls.
const MAX_LEVELS: usize = 4;

impl RuleTree {
    /// The tree of rule function `f`, when its code is one.
    pub(crate) fn of(funcs: &[Option<Func>], f: usize) -> Option<RuleTree> {
        let mut b = Builder { funcs, ticks: 0, levels: 1, leaves: 0 };
        let func = funcs.get(f)?.as_ref()?;
        if func.params != 2 {
            return None;
        }
        let tree = b.function(func, &vec![None; func.slots], 1)?;
        Some(RuleTree { tree, ticks: b.ticks, levels: b.levels })
    }

    /// The rule's result for the machine's household, or [`Bail`] where the closure code
    /// would give up.
    pub(crate) fn run(&self, m: &mut Machine<'_>) -> Result<FindingResult, Bail> {
        m.enter_inline(self.levels, self.ticks)?;
        let mut node = &self.tree;
        loop {
            match node {
                Tree::Leaf(r) => return Ok(*r),
                Tree::Branch(t, yes, no) => node = if m.test(t)? { yes } else { no },
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
            // A variable given a value that cannot fail to read: it stands for that value.
            Inst::Let(slot, node) => {
                let mut env = env.to_vec();
                *env.get_mut(*slot)? = Some(pure(node, &env)?);
                self.seq(rest, &env, level)
            }
            // A branch in statement position: each side runs on into what follows.
            Inst::Eval(Node::If(c, yes, no)) => match condition(c, env)? {
                Cond::Known(true) => self.seq(&joined(yes, rest), env, level),
                Cond::Known(false) => self.seq(&joined(no, rest), env, level),
                Cond::Test(test) => {
                    let yes = self.seq(&joined(yes, rest), env, level)?;
                    let no = self.seq(&joined(no, rest), env, level)?;
                    Some(Tree::Branch(Box::new(test), Box::new(yes), Box::new(no)))
                }
            },
            _ => None,
        }
    }

    /// A branch on `c` between two blocks in value position.
    fn branch(&mut self, c: &Node, yes: &Block, no: &Block, env: &Env, level: usize) -> Option<Tree> {
        match condition(c, env)? {
            Cond::Known(true) => self.seq(&joined(yes, &[]), env, level),
            Cond::Known(false) => self.seq(&joined(no, &[]), env, level),
            Cond::Test(test) => {
                let yes = self.seq(&joined(yes, &[]), env, level)?;
                let no = self.seq(&joined(no, &[]), env, level)?;
                Some(Tree::Branch(Box::new(test), Box::new(yes), Box::new(no)))
            }
        }
    }

    /// A tree for an expression in value position.
    fn value(&mut self, node: &Node, env: &Env, level: usize) -> Option<Tree> {
        match node {
            Node::Const(Val::Result(r)) => self.leaf(*r),
            Node::Verdict(r, None, messages) if messages.is_empty() => self.leaf(*r),
            Node::If(c, yes, no) => self.branch(c, yes, no, env, level),
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
                    let mut test: Option<Test> = None;
                    for label in labels.iter().rev() {
                        if !matches!(label, Val::Bool(_) | Val::Str(_)) {
                            return None;
                        }
                        let t = comparison_test(BinOp::Eq, &subject, &Node::Const(label.clone()))?;
                        test = Some(match test {
                            Some(later) => Test::Or(Box::new(t), Box::new(later)),
                            None => t,
                        });
                    }
                    let body = self.value(body, env, level)?;
                    chain = Tree::Branch(Box::new(test?), Box::new(body), Box::new(chain));
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
                    inner[slot] = Some(pure(arg, env)?);
                }
                self.function(func, &inner, level + 1)
            }
            _ => None,
        }
    }

    fn leaf(&mut self, r: FindingResult) -> Option<Tree> {
        self.leaves += 1;
        (self.leaves <= MAX_LEAVES).then_some(Tree::Leaf(r))
    }
}

/// `block` followed by `rest`.
fn joined<'i>(block: &'i Block, rest: &[&'i Inst]) -> Vec<&'i Inst> {
    block.iter().chain(rest.iter().copied()).collect()
}

/// Statements in a block and every block inside it (an upper bound on what one run
/// executes, since the code has no loops).
fn count(block: &Block) -> u64 {
    let mut n = 0;
    for inst in block {
        n += 1;
        inst.parts(&mut |p| n += count_part(p));
    }
    n
}

fn count_part(part: super::lower::Part<'_>) -> u64 {
    use super::lower::Part;
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

/// A node with the parameters of an inlined call put in place.
fn bound(node: &Node, env: &Env) -> Option<Node> {
    match node {
        Node::Local(slot) => env.get(*slot)?.clone(),
        Node::Prop(base, prop) => Some(Node::Prop(Box::new(bound(base, env)?), prop.clone())),
        Node::Const(_) | Node::Field(_) | Node::Event(..) => Some(node.clone()),
        _ => None,
    }
}

/// A condition decided by a test, or known when the tree is built.
enum Cond {
    Test(Test),
    Known(bool),
}

/// A condition as a test, with the parameters of an inlined call put in place. A constant
/// side of `&&` or `||` folds away only where the closure code would not evaluate the other
/// side or would evaluate it anyway.
fn condition(node: &Node, env: &Env) -> Option<Cond> {
    Some(match node {
        Node::Const(Val::Bool(b)) => Cond::Known(*b),
        Node::Test(t) => Cond::Test(test(t, env)?),
        Node::Bin(op, x, y) => Cond::Test(comparison_test(*op, &bound(x, env)?, &bound(y, env)?)?),
        Node::Not(x) => match condition(x, env)? {
            Cond::Known(b) => Cond::Known(!b),
            Cond::Test(t) => Cond::Test(Test::Not(Box::new(t))),
        },
        Node::And(x, y) => match condition(x, env)? {
            Cond::Known(false) => Cond::Known(false),
            Cond::Known(true) => condition(y, env)?,
            Cond::Test(a) => match condition(y, env)? {
                Cond::Known(true) => Cond::Test(a),
                Cond::Known(false) => return None,
                Cond::Test(b) => Cond::Test(Test::And(Box::new(a), Box::new(b))),
            },
        },
        Node::Or(x, y) => match condition(x, env)? {
            Cond::Known(true) => Cond::Known(true),
            Cond::Known(false) => condition(y, env)?,
            Cond::Test(a) => match condition(y, env)? {
                Cond::Known(false) => Cond::Test(a),
                Cond::Known(true) => return None,
                Cond::Test(b) => Cond::Test(Test::Or(Box::new(a), Box::new(b))),
            },
        },
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
    use super::super::{FastPlan, rule_result};
    use super::*;
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    /// Every rule of the shipped sets that is a tree gives the closure code's result, and
    /// gives up wherever the closure code gives up (with few call levels, with a small
    /// operation budget), on generated households of several years.
    #[test]
    fn trees_run_as_the_closure_code_does() {
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let plan: &FastPlan = &rules.plan;
        let mut trees = 0;
        let mut bails = 0;
        let mut sooner = 0;
        for year in [2016, 2020, 2024] {
            let households: Vec<crate::Household> = Generator::new(GenOptions { seed: year as u64, year, ..GenOptions::default() }).take(40).collect();
            for (levels, operations) in [(24, 200_000), (3, 200_000), (4, 200_000), (5, 200_000), (6, 200_000), (24, 8), (24, 16), (24, 24), (24, 40)] {
                let limits = Limits { max_call_levels: levels, max_operations: operations, ..Limits::default() };
                for h in &households {
                    let params = rules.params.resolve(h.year, h.region.code.as_deref());
                    let facts = crate::facts::Facts::derive(h, &params);
                    let made = plan.specialised(&params, &limits);
                    for set in made.outcomes.iter().flatten() {
                        for (&f, tree) in set.rules.iter().zip(&set.trees) {
                            let Some(tree) = tree else { continue };
                            trees += 1;
                            let mut m = Machine::new(&facts, &params, &set.funcs, &limits).with_compiled(&set.compiled);
                            let at = m.stack_len();
                            m.push(Val::Household);
                            m.push(Val::Params);
                            let closure = m.call_compiled(f, at).ok().and_then(rule_result);
                            let mut m = Machine::new(&facts, &params, &set.funcs, &limits);
                            let native = tree.run(&mut m).ok();
                            match (closure, native) {
                                (None, None) => bails += 1,
                                (Some(a), Some(b)) => assert_eq!(a, b, "household {} in {year}", h.id),
                                // A tree is charged every statement of the code it replaces,
                                // so on a tiny budget it may give up sooner (the interpreter
                                // then decides), never under the default limits.
                                (Some(_), None) if operations < 1_000 => sooner += 1,
                                (a, b) => panic!("household {} in {year}, limits {levels}/{operations}: closure {a:?}, tree {b:?}", h.id),
                            }
                        }
                    }
                }
            }
        }
        assert!(trees > 10_000 && bails > 1_000, "{trees} tree runs, {bails} given up with the closure code, {sooner} sooner");
    }
}
