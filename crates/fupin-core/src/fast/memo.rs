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
//! A few facts may also be read as values where a condition holds (`water_check`'s
//! `水量 ${h.water_liters} 升/人·日` under `h.water_liters < 35`): their exact values join the
//! key when the condition holds, so the households that meet every standard share one key.
//! A list of facts looped over or compared with a constant (`for car in h.vehicles`) joins
//! the key only when it is `()` or empty; a household with vehicles runs the closure code.
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
use super::lower::{Builtin, Func, Inst, Node, Part, Test};
use super::value::{Bail, Val};
use crate::decision::FindingResult;
use crate::fields::{Field, HouseholdField};

/// Most key bits: a test takes one, a rule's result two, a fact read as a value three.
pub(crate) const MAX_BITS: u32 = 128;
/// Most facts read as values.
const MAX_READS: usize = 4;
/// Most answers remembered per thread (all sets together); beyond it the store starts over.
/// A county's population needs a few thousand (1,500–2,000 per thread for 100,000 generated
/// households); the bound keeps a long-running embedding (a browser page, a server) at a few
/// MB per thread whatever it evaluates.
const MAX_REMEMBERED: usize = 1 << 13;

/// Something a remembered function's answer depends on.
#[derive(Clone, Debug)]
enum Atom {
    /// A condition on household facts.
    Test(Test),
    /// Rule `i`'s result, as `decide` reads it.
    Result(usize),
}

/// An atom as compiled code reads it.
pub(crate) enum KeyAtom<'a> {
    Test(&'a Test),
    Result(usize),
}

fn key_atoms(atoms: &[Atom]) -> Vec<KeyAtom<'_>> {
    atoms
        .iter()
        .map(|a| match a {
            Atom::Test(t) => KeyAtom::Test(t),
            Atom::Result(i) => KeyAtom::Result(*i),
        })
        .collect()
}

/// Where a fact read as a value comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    Field(HouseholdField),
    /// This year's events of one kind: count, or amount when `true`.
    Event(usize, bool),
}

/// A fact read as a value, only where `guard` has this outcome (always without one).
#[derive(Clone, Debug)]
struct Read {
    source: Source,
    guard: Option<(Test, bool)>,
    /// The atom that is the guard's test, if one is (its outcome is then not asked again).
    guard_atom: Option<usize>,
}

/// How a function's answer is found from its atoms.
#[derive(Debug)]
pub(crate) struct Memo {
    atoms: Vec<Atom>,
    reads: Vec<Read>,
    /// The atoms' outcomes as compiled code, for the embedded rules (see `native`).
    native: Option<super::native::NativeKey>,
}

/// A key: the atoms' outcomes and the kinds of the facts read (or that they were not), and
/// those facts' values, two words each.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    bits: u128,
    values: [u64; 2 * MAX_READS],
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
    key: Key,
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

    /// Every memo of the set.
    #[cfg(test)]
    pub(crate) fn all(&self) -> impl Iterator<Item = &Memo> {
        self.by_func.iter().flatten()
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
        let mut scan = Scan { funcs, atoms: Vec::new(), reads: Vec::new(), seen: Vec::new(), done: Vec::new(), guard: None };
        scan.function(f, true)?;
        let bits: usize = scan.atoms.iter().map(|a| if matches!(a, Atom::Test(_)) { 1 } else { 2 }).sum::<usize>() + 3 * scan.reads.len();
        let fits = bits <= MAX_BITS as usize && scan.reads.len() <= MAX_READS;
        let reads_anything = !scan.atoms.is_empty() || !scan.reads.is_empty();
        let atoms: Vec<String> = scan.atoms.iter().map(|a| format!("{a:?}")).collect();
        for read in &mut scan.reads {
            read.guard_atom = read.guard.as_ref().and_then(|(t, _)| atoms.iter().position(|a| *a == format!("{:?}", Atom::Test(t.clone()))));
        }
        if !(fits && reads_anything) {
            return None;
        }
        // Looked up only for a memo that is kept.
        let native = super::native::NativeKey::of(&key_atoms(&scan.atoms));
        Some(Memo { atoms: scan.atoms, reads: scan.reads, native })
    }

    /// The atoms as compiled code reads them.
    #[cfg(test)]
    pub(crate) fn key_atoms(&self) -> Vec<KeyAtom<'_>> {
        key_atoms(&self.atoms)
    }

    /// The key of this household: each atom's outcome and the facts read where their
    /// conditions hold; `None` if an atom cannot be evaluated or a fact is not a number, a
    /// boolean or `()`.
    fn key(&self, m: &Machine<'_>) -> Option<Key> {
        // The atoms first: a read guarded by one of them takes its outcome from there.
        let mut outcomes = [false; MAX_BITS as usize];
        let mut bits = self.bits(m, &mut outcomes)?;
        let mut values = [0u64; 2 * MAX_READS];
        for (read, words) in self.reads.iter().zip(values.chunks_exact_mut(2)) {
            let held = match (&read.guard, read.guard_atom) {
                (Some((_, when)), Some(atom)) => outcomes[atom] == *when,
                (Some((guard, when)), None) => m.test(guard).ok()? == *when,
                (None, _) => true,
            };
            let kind = if !held {
                0
            } else {
                let value = match read.source {
                    Source::Field(f) => f.get(m.facts),
                    Source::Event(i, amount) => {
                        let e = m.event_total(i).ok()?;
                        if amount { Field::Dec(e.amount) } else { Field::Int(e.count) }
                    }
                };
                let (kind, [lo, hi]) = match value {
                    // A value read without a condition is taken only as `()` or an empty
                    // list: other values are seldom shared, so the call is not remembered.
                    Field::Bool(_) | Field::Int(_) | Field::Dec(_) if read.guard.is_none() => return None,
                    Field::Unit => (1, [0, 0]),
                    Field::Bool(b) => (2, [u64::from(b), 0]),
                    Field::Int(i) => (3, [i as u64, 0]),
                    // The decimal's exact form (digits and scale: `35` and `35.0` print apart).
                    Field::Dec(d) => {
                        let b = d.serialize();
                        (4, [u64::from_le_bytes(b[..8].try_into().ok()?), u64::from_le_bytes(b[8..].try_into().ok()?)])
                    }
                    // A list only when empty (no vehicle): its items would be values too.
                    Field::Vehicles([]) => (5, [0, 0]),
                    _ => return None,
                };
                words.copy_from_slice(&[lo, hi]);
                kind
            };
            bits = bits << 3 | kind;
        }
        Some(Key { bits, values })
    }

    /// Whether the key runs compiled code.
    #[cfg(test)]
    pub(crate) fn is_native(&self) -> bool {
        self.native.is_some()
    }

    /// The atoms' outcomes as bits; each test's outcome also in `outcomes`, by atom.
    pub(crate) fn bits(&self, m: &Machine<'_>, outcomes: &mut [bool; MAX_BITS as usize]) -> Option<u128> {
        match &self.native {
            Some(native) => native.bits(m, outcomes),
            None => self.bits_walked(m, outcomes),
        }
    }

    /// [`Memo::bits`] by the atoms themselves.
    pub(crate) fn bits_walked(&self, m: &Machine<'_>, outcomes: &mut [bool; MAX_BITS as usize]) -> Option<u128> {
        let mut key = 0u128;
        for (atom, outcome) in self.atoms.iter().zip(outcomes.iter_mut()) {
            key = match atom {
                Atom::Test(t) => {
                    *outcome = m.test(t).ok()?;
                    key << 1 | u128::from(*outcome)
                }
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
    /// Facts read as values.
    reads: Vec<Read>,
    /// The atoms' and reads' texts, to keep each once.
    seen: Vec<String>,
    /// Functions already scanned.
    done: Vec<usize>,
    /// A condition on facts that holds (or fails) wherever the scan is, in the function being
    /// scanned: a fact read as a value here is read only when it does.
    guard: Option<(Test, bool)>,
}

/// Adds `item` to `list` unless an equal one (by its text, kept in `seen`) is there.
fn once<T: std::fmt::Debug>(seen: &mut Vec<String>, list: &mut Vec<T>, item: T) {
    let text = format!("{item:?}");
    if !seen.contains(&text) {
        seen.push(text);
        list.push(item);
    }
}

/// What the scan knows of one function's variables.
struct Frame {
    /// Variables holding a household fact, with the facts they may hold.
    facts: HashMap<usize, Vec<Source>>,
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
        // A called function may be called from elsewhere too: its reads are guarded only by
        // its own conditions.
        let guard = self.guard.take();
        let scanned = func.body.iter().try_for_each(|i| self.inst(i, &frame));
        self.guard = guard;
        scanned
    }

    fn atom(&mut self, atom: Atom) {
        once(&mut self.seen, &mut self.atoms, atom);
    }

    /// A fact read as a value: only under a condition, so that most households share a key.
    fn read(&mut self, source: Source) -> Option<()> {
        self.guard.as_ref()?;
        self.read_where(source)
    }

    /// A fact read as a value where the scan is, guarded or not: a list looped over or
    /// compared with a constant (`for car in h.vehicles`, `h.vehicles == ()`), which the key
    /// takes only when it is `()` or empty.
    fn read_where(&mut self, source: Source) -> Option<()> {
        once(&mut self.seen, &mut self.reads, Read { source, guard: self.guard.clone(), guard_atom: None });
        Some(())
    }

    fn inst(&mut self, inst: &Inst, fr: &Frame) -> Option<()> {
        match inst {
            Inst::Let(slot, node) if fr.facts.contains_key(slot) => {
                // The facts are the variable's (known to `fr`); the conditions picking among
                // them are scanned as any condition.
                let mut conditions = Vec::new();
                fact_sources(node, &mut Vec::new(), &mut conditions)?;
                conditions.into_iter().try_for_each(|c| self.node(c, fr))
            }
            Inst::For(slot, Node::Field(list), body) => {
                self.read_where(Source::Field(list))?;
                fr.may_read(*slot).then_some(())?;
                body.iter().try_for_each(|i| self.inst(i, fr))
            }
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
            Node::Local(slot) => match fr.facts.get(slot) {
                Some(sources) => sources.iter().try_for_each(|&s| self.read(s)),
                None => fr.may_read(*slot).then_some(()),
            },
            Node::LocalProp(slot, prop) => (fr.may_read(*slot) && !prop.reads_facts()).then_some(()),
            Node::Prop(base, prop) if !prop.reads_facts() => self.node(base, fr),
            Node::Field(f) => self.read(Source::Field(f)),
            Node::Bin(_, x, c) | Node::Bin(_, c, x) if matches!((&**x, &**c), (Node::Field(_), Node::Const(_))) => {
                let Node::Field(f) = &**x else { return None };
                self.read_where(Source::Field(f))
            }
            Node::Event(i, amount) => self.read(Source::Event(*i, *amount)),
            Node::Prop(..) => None,
            // A branch on a condition of facts: what it reads, it reads only when the
            // condition has that outcome.
            Node::If(c, yes, no) if matches!(&**c, Node::Test(t) if !t.reads_variables()) => {
                let Node::Test(t) = &**c else { return None };
                self.test(t, fr)?;
                let outer = self.guard.take();
                for (block, when) in [(yes, true), (no, false)] {
                    self.guard = Some(((**t).clone(), when));
                    let scanned = block.iter().try_for_each(|i| self.inst(i, fr));
                    if scanned.is_none() {
                        self.guard = outer;
                        return None;
                    }
                }
                self.guard = outer;
                Some(())
            }
            Node::Builtin(Builtin::EventCount | Builtin::EventAmount, _) => None,
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
            Test::Field(..) | Test::Dec(..) | Test::Int(..) | Test::IsUnit(..) | Test::Bool(_) | Test::Tally(..) | Test::Events(..) => {
                self.atom(Atom::Test(t.clone()))
            }
            Test::Result(i, ..) | Test::ResultIs(i, ..) => self.atom(Atom::Result(*i)),
            Test::Local(slot, op, c) => match fr.facts.get(slot) {
                // The variable holds one of these facts: its test is theirs.
                Some(sources) => {
                    for &source in sources {
                        let test = match source {
                            Source::Field(field) => Test::field(field, *op, c.clone()),
                            Source::Event(i, false) => Test::Events(i, *op, c.clone()),
                            Source::Event(_, true) => return None,
                        };
                        self.atom(Atom::Test(test));
                    }
                }
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
}

/// The facts a variable given by `node` may hold, when it holds nothing else (a scalar
/// constant is fine: its tests need no atom), and the conditions that pick among them;
/// `None` if it may hold something computed.
fn fact_sources<'n>(node: &'n Node, out: &mut Vec<Source>, conditions: &mut Vec<&'n Node>) -> Option<()> {
    match node {
        Node::Field(f) => {
            out.push(Source::Field(f));
            Some(())
        }
        Node::Event(i, amount) => {
            out.push(Source::Event(*i, *amount));
            Some(())
        }
        Node::Const(Val::Unit | Val::Bool(_) | Val::Int(_) | Val::Dec(_) | Val::Str(_)) => Some(()),
        Node::If(c, yes, no) => match (yes.as_slice(), no.as_slice()) {
            ([Inst::Eval(a)], [Inst::Eval(b)]) => {
                conditions.push(c);
                fact_sources(a, out, conditions)?;
                fact_sources(b, out, conditions)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A function's variables that hold household facts: each is given only by `let`s of facts
/// or constants and written no other way. `None` when a variable is given a fact once and
/// anything else another time.
fn fact_variables(func: &Func) -> Option<HashMap<usize, Vec<Source>>> {
    #[derive(Default)]
    struct Uses {
        facts: Vec<Source>,
        computed: bool,
    }
    fn inst(i: &Inst, uses: &mut HashMap<usize, Uses>) {
        if let Inst::Let(slot, node) = i {
            let mut facts = Vec::new();
            let entry = uses.entry(*slot).or_default();
            match fact_sources(node, &mut facts, &mut Vec::new()) {
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

    /// The shipped monitoring `decide`, water rules and vehicle rule (its list of vehicles
    /// keyed only when empty) are remembered under the 2024 national parameters; the
    /// identification `decide` (the score's arithmetic on incomes) is not.
    #[test]
    fn the_monitoring_decide_the_water_and_vehicle_rules_are_remembered() {
        let engine = crate::Engine::embedded().unwrap();
        let plan = engine.outcome_plan(2024, None);
        let form = |id: &str| plan.iter().find(|(i, _)| i == id).map(|(_, f)| *f);
        assert_eq!(form("monitor.decide"), Some(OutcomeForm::Remembered));
        assert_eq!(form("exit.water"), Some(OutcomeForm::Remembered));
        assert_eq!(form("monitor.water"), Some(OutcomeForm::Remembered));
        assert_eq!(form("identify.decide"), Some(OutcomeForm::Record));
        assert_eq!(form("identify.exclusion.vehicle"), Some(OutcomeForm::Remembered));
    }

    /// A set run with remembered answers (the first time for a key and later) gives exactly
    /// what its code gives without them, and gives up exactly where the code does: with few
    /// call levels, with `decide` left from nothing to plenty of statements after the rules,
    /// and with string limits about as long as the water messages (whose length depends on
    /// the facts read as values), on generated households of several years, outcome-only and
    /// with full findings.
    #[test]
    fn remembered_answers_are_what_the_code_gives() {
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let plan: &FastPlan = &rules.plan;
        let (mut runs, mut bails, mut remembered) = (0, 0, 0);
        for year in [2016, 2020, 2024] {
            let households: Vec<crate::Household> = Generator::new(GenOptions { seed: 7 + year as u64, year, ..GenOptions::default() }).take(60).collect();
            let strings = (12..100).step_by(4).map(|size| (24, size, false));
            for (levels, max_string_size, all_budgets) in [(24, 8_192, true), (3, 8_192, true), (4, 8_192, true), (5, 8_192, true)].into_iter().chain(strings) {
                let limits = Limits { max_call_levels: levels, max_string_size, ..Limits::default() };
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
                        let budgets = if all_budgets { 0..100 } else { 0..0 };
                        for left in budgets.step_by(3).chain([u64::MAX]) {
                            let code = run(false, left);
                            for _ in 0..2 {
                                assert_eq!(code, run(true, left), "household {}, {levels} levels, {left} statements left, strings of {max_string_size}", h.id);
                            }
                            runs += 1;
                            bails += usize::from(code.is_none());
                            remembered += set.rules.iter().chain([&set.decide]).filter(|&&f| set.memos.has(f)).count() * usize::from(code.is_some());
                        }
                    }
                }
            }
        }
        assert!(runs > 20_000 && bails > 5_000 && remembered > 5_000, "{runs} runs, {bails} gave up, {remembered} remembered calls");
    }

    /// Facts read as values join the key: households whose water fails the quantity standard
    /// by amounts of different lengths (`5` and `30` litres, `水量 5 升/人·日 …`) are told
    /// apart under string limits around the message's length, where one message fits and the
    /// other does not; each remembered rule answers as its code does.
    #[test]
    fn facts_read_as_values_join_the_key() {
        let engine = crate::Engine::embedded().unwrap();
        let rules = engine.ruleset();
        let plan: &FastPlan = &rules.plan;
        let base: crate::Household = Generator::new(GenOptions::default()).next().unwrap();
        let (mut compared, mut gave_up) = (0, 0);
        for max_string_size in 8..120 {
            let limits = Limits { max_string_size, ..Limits::default() };
            for liters in [5, 30, 7, 31, 120] {
                let mut h = base.clone();
                let water = h.water.get_or_insert_with(Default::default);
                water.liters_per_person_day = Some(crate::money::Quantity::from(rust_decimal::Decimal::from(liters)));
                let params = rules.params.resolve(h.year, h.region.code.as_deref());
                let facts = crate::facts::Facts::derive(&h, &params);
                let made = plan.specialised(&params, &limits);
                for set in made.outcomes.iter().flatten() {
                    for &f in set.rules.iter().filter(|&&f| set.memos.has(f)) {
                        let call = |memo: bool| {
                            let m = Machine::new(&facts, &params, &set.funcs, &limits).with_compiled(&set.compiled, &set.trees);
                            let mut m = if memo { m.with_memos(&set.memos) } else { m };
                            m.call_compiled_with(f, RULE_ARGS).ok().map(|v| format!("{v:?}"))
                        };
                        let code = call(false);
                        assert_eq!(code, call(true), "{liters} litres, strings of {max_string_size}");
                        compared += 1;
                        gave_up += usize::from(code.is_none());
                    }
                }
            }
        }
        assert!(compared > 500 && gave_up > 50 && gave_up < compared, "{compared} compared, {gave_up} gave up");
        // The water rules read their facts under conditions that are atoms too: each such
        // condition is asked once per key.
        let params = rules.params.resolve(base.year, base.region.code.as_deref());
        let made = plan.specialised(&params, &Limits::default());
        let guarded: Vec<&Read> = made.outcomes.iter().flatten().flat_map(|set| set.memos.by_func.iter().flatten()).flat_map(|memo| &memo.reads).filter(|r| r.guard.is_some()).collect();
        assert!(guarded.len() >= 4 && guarded.iter().all(|r| r.guard_atom.is_some()), "{guarded:?}");
    }
}
