//! Remembered answers of specialised functions that read the household only through tests.
//!
//! Specialised to a parameter table, the monitoring `decide` builds lists (the risks fired,
//! the shocks among them, the 帮扶措施) and is too branchy to be a decision tree, yet it reads
//! the household only through conditions such as `h.pci < 6000` and the rules' results. Its
//! answer is therefore a function of a few dozen bits: the outcome of each of those
//! conditions and each result. A function of that kind gets a [`Memo`]: the conditions it can
//! ask (its *atoms*) are evaluated up front into a key, and the answer its closure code gave
//! for that key the first time is given again, on the same thread, under the same set.
//!
//! A function qualifies when the analysis below proves that its answer depends on the key
//! alone: every read of household facts is inside a typed [`Test`] (or gives a variable whose
//! only use is such a test, as `let after = if h.after_rigid_pc != () { h.after_rigid_pc }
//! else { h.pci }`), every read of a rule's result is an atom, it never reads its own
//! arguments (the handles `h`, `p`, `r`), and so do the functions and closures it calls.
//! Anything else keeps the closure code. Since the control flow is then fixed by the key too,
//! so are the statements a run executes: a remembered answer is charged the statements its
//! first run took and is not given at another call depth, so the sandbox limits hand a set to
//! the interpreter exactly where the closure code would. A first run that gives up is not
//! remembered; an atom that cannot be evaluated (a property of an unexpected kind) sends the
//! call to the closure code.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use super::exec::Machine;
use super::lower::{Func, Inst, Node, Part, Test};
use super::value::{Bail, Val};
use crate::decision::FindingResult;
use crate::fields::HouseholdField;

/// Most key bits: a test takes one, a rule's result two.
const MAX_BITS: u32 = 128;
/// Most answers remembered per thread (all sets together); beyond it the store starts over.
const MAX_REMEMBERED: usize = 1 << 16;

/// Something a remembered function's answer depends on.
#[derive(Clone, Debug)]
enum Atom {
    /// A condition on household facts.
    Test(Test),
    /// Rule `i`'s result, as `decide` reads it.
    Result(usize),
}

/// How a function's answer is found from its atoms.
#[derive(Debug)]
pub(crate) struct Memo {
    atoms: Vec<Atom>,
}

/// The memos of one specialised set, by function.
#[derive(Debug)]
pub(crate) struct Memos {
    /// Tells apart the sets sharing a thread's store.
    set: u64,
    by_func: Vec<Option<Memo>>,
}

/// A remembered answer: the set, the function, the call depth and the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Remembered {
    set: u64,
    func: usize,
    depth: usize,
    key: u128,
}

thread_local! {
    /// Answers and the statements their first run took.
    static STORE: RefCell<HashMap<Remembered, (Val, u64), foldhash::fast::RandomState>> = RefCell::new(HashMap::default());
}

static NEXT_SET: AtomicU64 = AtomicU64::new(0);

impl Memos {
    /// The memos of a set's functions; `skip(f)` for functions run another way (trees).
    pub(crate) fn of(funcs: &[Option<Func>], skip: impl Fn(usize) -> bool) -> Memos {
        let by_func = (0..funcs.len()).map(|f| if skip(f) { None } else { Memo::of(funcs, f) }).collect();
        Memos { set: NEXT_SET.fetch_add(1, Ordering::Relaxed), by_func }
    }

    /// Whether function `f` has a memo.
    pub(crate) fn has(&self, f: usize) -> bool {
        matches!(self.by_func.get(f), Some(Some(_)))
    }

    /// Calls `f` (arguments on the stack from `at`) through its memo; `None` when it has none.
    pub(crate) fn call(&self, m: &mut Machine<'_>, f: usize, at: usize) -> Option<Result<Val, Bail>> {
        let memo = self.by_func.get(f)?.as_ref()?;
        let Some(key) = memo.key(m) else { return Some(m.call_unremembered(f, at)) };
        let at_key = Remembered { set: self.set, func: f, depth: m.depth(), key };
        if let Some((value, ticks)) = STORE.with(|s| s.borrow().get(&at_key).cloned()) {
            m.truncate(at);
            return Some(m.charge(ticks).map(|()| value));
        }
        let before = m.budget();
        let out = m.call_unremembered(f, at);
        if let Ok(value) = &out {
            let ticks = before - m.budget();
            STORE.with(|s| {
                let mut s = s.borrow_mut();
                if s.len() >= MAX_REMEMBERED {
                    s.clear();
                }
                s.insert(at_key, (value.clone(), ticks));
            });
        }
        Some(out)
    }
}

impl Memo {
    /// The memo of function `f`, when its answer provably depends on its atoms alone.
    fn of(funcs: &[Option<Func>], f: usize) -> Option<Memo> {
        let mut scan = Scan { funcs, atoms: Vec::new(), seen: Vec::new(), done: Vec::new() };
        scan.function(f, true)?;
        let bits: u32 = scan.atoms.iter().map(|a| if matches!(a, Atom::Test(_)) { 1 } else { 2 }).sum();
        (bits <= MAX_BITS && !scan.atoms.is_empty()).then_some(Memo { atoms: scan.atoms })
    }

    /// The key of this household: each atom's outcome; `None` if an atom cannot be evaluated.
    fn key(&self, m: &Machine<'_>) -> Option<u128> {
        let mut key = 0u128;
        for atom in &self.atoms {
            key = match atom {
                Atom::Test(t) => key << 1 | u128::from(m.test(t).ok()?),
                Atom::Result(i) => {
                    let r = match m.results.get(*i)? {
                        FindingResult::Pass => 0,
                        FindingResult::Fail => 1,
                        FindingResult::Unknown => 2,
                        FindingResult::Error => 3,
                    };
                    key << 2 | r
                }
            };
        }
        Some(key)
    }
}

/// The analysis: collects atoms, or fails (`None`) on anything that reads the household
/// another way.
struct Scan<'f> {
    funcs: &'f [Option<Func>],
    atoms: Vec<Atom>,
    /// The atoms' texts, to keep each once.
    seen: Vec<String>,
    /// Functions already scanned.
    done: Vec<usize>,
}

/// What the scan knows of one function's variables.
struct Frame {
    /// Variables holding a household fact, with the facts they may hold.
    facts: HashMap<usize, Vec<HouseholdField>>,
    /// The function's own arguments (the remembered function's handles), never read.
    unread: usize,
}

impl Frame {
    fn may_read(&self, slot: usize) -> bool {
        slot >= self.unread && !self.facts.contains_key(&slot)
    }
}

impl Scan<'_> {
    fn function(&mut self, f: usize, remembered: bool) -> Option<()> {
        if self.done.contains(&f) {
            return Some(());
        }
        self.done.push(f);
        let func = self.funcs.get(f)?.as_ref()?;
        let frame = Frame { facts: fact_variables(func)?, unread: if remembered { func.params } else { 0 } };
        func.body.iter().try_for_each(|i| self.inst(i, &frame))
    }

    fn atom(&mut self, atom: Atom) {
        let text = format!("{atom:?}");
        if !self.seen.contains(&text) {
            self.seen.push(text);
            self.atoms.push(atom);
        }
    }

    fn inst(&mut self, inst: &Inst, fr: &Frame) -> Option<()> {
        match inst {
            Inst::Let(slot, node) if fr.facts.contains_key(slot) => self.fact_source(node, fr),
            other => self.parts(|f| other.parts(f), fr),
        }
    }

    /// Scans the parts of a node or statement.
    fn parts<'a>(&mut self, each: impl FnOnce(&mut dyn FnMut(Part<'a>)), fr: &Frame) -> Option<()> {
        let mut parts = Vec::new();
        each(&mut |p| parts.push(p));
        parts.into_iter().try_for_each(|p| match p {
            Part::Node(n) => self.node(n, fr),
            Part::Inst(i) => self.inst(i, fr),
            Part::Writes(slot) => fr.may_read(slot).then_some(()),
        })
    }

    fn node(&mut self, node: &Node, fr: &Frame) -> Option<()> {
        match node {
            Node::Const(v) => self.constant(v),
            Node::Local(slot) => fr.may_read(*slot).then_some(()),
            Node::LocalProp(slot, prop) => (fr.may_read(*slot) && prop.household.is_none() && prop.member.is_none() && prop.tally.is_none()).then_some(()),
            Node::Prop(base, prop) if prop.household.is_none() && prop.member.is_none() && prop.tally.is_none() => self.node(base, fr),
            Node::Prop(..) | Node::Field(_) | Node::Event(..) => None,
            Node::Builtin(super::lower::Builtin::EventCount | super::lower::Builtin::EventAmount, _) => None,
            Node::ResultOf(i) => {
                self.atom(Atom::Result(*i));
                Some(())
            }
            Node::Test(t) => self.test(t, fr),
            Node::Call(g, args) => {
                args.iter().try_for_each(|a| self.node(a, fr))?;
                self.function(*g, false)
            }
            other => self.parts(|f| other.parts(f), fr),
        }
    }

    /// A constant may be a closure (scanned) but not a handle on the household.
    fn constant(&mut self, v: &Val) -> Option<()> {
        match v {
            Val::Closure(g) => self.function(*g, false),
            Val::Household | Val::Member(_) | Val::Tally(_) | Val::Verdict(_) => None,
            Val::Array(items) => items.iter().try_for_each(|x| self.constant(x)),
            Val::Map(map) => map.values().try_for_each(|x| self.constant(x)),
            _ => Some(()),
        }
    }

    fn test(&mut self, t: &Test, fr: &Frame) -> Option<()> {
        match t {
            Test::Field(..) | Test::Flag(_) | Test::Tally(..) | Test::Events(..) => self.atom(Atom::Test(t.clone())),
            Test::Result(i, ..) => self.atom(Atom::Result(*i)),
            Test::Local(slot, op, c) => match fr.facts.get(slot) {
                // The variable holds one of these facts: its test is theirs.
                Some(fields) => fields.iter().for_each(|&field| self.atom(Atom::Test(Test::Field(field, *op, c.clone())))),
                None => return (*slot >= fr.unread).then_some(()),
            },
            Test::Not(x) => return self.test(x, fr),
            Test::And(x, y) | Test::Or(x, y) => {
                self.test(x, fr)?;
                return self.test(y, fr);
            }
        }
        Some(())
    }

    /// What a fact variable is given: a fact, a constant, or one of two picked by a condition.
    fn fact_source(&mut self, node: &Node, fr: &Frame) -> Option<()> {
        match node {
            Node::Field(_) => Some(()),
            Node::Const(v) => self.constant(v),
            Node::If(c, yes, no) => {
                self.node(c, fr)?;
                match (yes.as_slice(), no.as_slice()) {
                    ([Inst::Eval(a)], [Inst::Eval(b)]) => {
                        self.fact_source(a, fr)?;
                        self.fact_source(b, fr)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The facts a variable given by `node` may hold, when it holds nothing else (a constant is
/// fine: its tests need no atom); `None` if it may hold something computed.
fn fact_sources(node: &Node, out: &mut Vec<HouseholdField>) -> Option<()> {
    match node {
        Node::Field(f) => {
            out.push(*f);
            Some(())
        }
        Node::Const(v) if !matches!(v, Val::Household | Val::Member(_) | Val::Tally(_)) => Some(()),
        Node::If(_, yes, no) => match (yes.as_slice(), no.as_slice()) {
            ([Inst::Eval(a)], [Inst::Eval(b)]) => {
                fact_sources(a, out)?;
                fact_sources(b, out)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A function's variables that hold household facts: each is given only by `let`s of facts
/// or constants and written no other way. `None` when a variable is given a fact once and
/// anything else another time.
fn fact_variables(func: &Func) -> Option<HashMap<usize, Vec<HouseholdField>>> {
    #[derive(Default)]
    struct Uses {
        facts: Vec<HouseholdField>,
        computed: bool,
    }
    fn inst(i: &Inst, uses: &mut HashMap<usize, Uses>) {
        if let Inst::Let(slot, node) = i {
            let mut facts = Vec::new();
            let entry = uses.entry(*slot).or_default();
            match fact_sources(node, &mut facts) {
                Some(()) => entry.facts.extend(facts),
                None => entry.computed = true,
            }
            node.parts(&mut |p| part(p, uses));
        } else {
            i.parts(&mut |p| match p {
                Part::Writes(slot) => uses.entry(slot).or_default().computed = true,
                other => part(other, uses),
            });
        }
    }
    fn part(p: Part<'_>, uses: &mut HashMap<usize, Uses>) {
        match p {
            Part::Node(n) => n.parts(&mut |p| part(p, uses)),
            Part::Inst(i) => inst(i, uses),
            Part::Writes(slot) => uses.entry(slot).or_default().computed = true,
        }
    }
    let mut uses = HashMap::new();
    func.body.iter().for_each(|i| inst(i, &mut uses));
    let mut out = HashMap::new();
    for (slot, u) in uses {
        match (u.facts.is_empty(), u.computed) {
            (true, _) => {}
            (false, false) => {
                out.insert(slot, u.facts);
            }
            (false, true) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::{DECIDE_ARGS, FastPlan, OutcomeForm, RULE_ARGS};
    use super::*;
    use crate::generate::{GenOptions, Generator};
    use crate::sandbox::Limits;

    /// The shipped monitoring `decide` is remembered under the 2024 national parameters; the
    /// identification `decide` (the score's arithmetic on incomes) and the vehicle rule (a
    /// loop over the vehicles) are not.
    #[test]
    fn the_monitoring_decide_is_remembered() {
        let engine = crate::Engine::embedded().unwrap();
        let plan = engine.outcome_plan(2024, None);
        let form = |id: &str| plan.iter().find(|(i, _)| i == id).map(|(_, f)| *f);
        assert_eq!(form("monitor.decide"), Some(OutcomeForm::Remembered));
        assert_eq!(form("identify.decide"), Some(OutcomeForm::Closures));
        assert_eq!(form("identify.exclusion.vehicle"), Some(OutcomeForm::Closures));
    }

    /// A set run with remembered answers (the first time for a key and later) gives exactly
    /// what its code gives without them, and gives up exactly where the code does: with few
    /// call levels, and with `decide` left from nothing to plenty of statements after the
    /// rules, on generated households of several years, outcome-only and with full findings.
    #[test]
    fn remembered_answers_are_what_the_code_gives() {
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let plan: &FastPlan = &rules.plan;
        let (mut runs, mut bails, mut remembered) = (0, 0, 0);
        for year in [2016, 2020, 2024] {
            let households: Vec<crate::Household> = Generator::new(GenOptions { seed: 7 + year as u64, year, ..GenOptions::default() }).take(60).collect();
            for levels in [24, 3, 4, 5] {
                let limits = Limits { max_call_levels: levels, ..Limits::default() };
                for h in &households {
                    let params = rules.params.resolve(h.year, h.region.code.as_deref());
                    let facts = crate::facts::Facts::derive(h, &params);
                    let made = plan.specialised(&params, &limits);
                    for set in made.outcomes.iter().chain(&made.full).flatten() {
                        // The rules, then `decide` over their results with `left` statements
                        // left, on one machine.
                        let run = |memo: bool, left: u64| {
                            let m = Machine::new(&facts, &params, &set.funcs, &limits).with_compiled(&set.compiled, &set.trees);
                            let mut m = if memo { m.with_memos(&set.memos) } else { m };
                            let mut out = Vec::new();
                            for &f in &set.rules {
                                let value = m.call_compiled_with(f, RULE_ARGS).ok()?;
                                out.push(format!("{value:?}"));
                                m.results.push(match value {
                                    Val::Result(r) => r,
                                    Val::Verdict(v) => v.result,
                                    _ => return None,
                                });
                            }
                            m.charge(m.budget().saturating_sub(left)).ok()?;
                            out.push(format!("{:?}", m.call_compiled_with(set.decide, DECIDE_ARGS).ok()?));
                            Some(out)
                        };
                        for left in (0..100).step_by(3).chain([u64::MAX]) {
                            let code = run(false, left);
                            for _ in 0..2 {
                                assert_eq!(code, run(true, left), "household {}, {levels} levels, {left} statements left", h.id);
                            }
                            runs += 1;
                            bails += usize::from(code.is_none());
                            remembered += usize::from(set.memos.has(set.decide) && code.is_some());
                        }
                    }
                }
            }
        }
        assert!(runs > 20_000 && bails > 5_000 && remembered > 2_000, "{runs} runs, {bails} gave up, {remembered} remembered");
    }
}
