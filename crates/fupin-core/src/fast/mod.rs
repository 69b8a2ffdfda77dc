//! The fast path: rule scripts lowered to native code, with the rhai interpreter as the
//! reference.
//!
//! When rules are loaded, each script (merged over `common.rhai`, as the interpreter sees
//! it) is read by `syntax` and lowered by `lower` into a tree whose variables are frame
//! slots, whose `h.…` properties read the derived [`Facts`] directly
//! and whose `p.…` parameters are slots of the resolved parameter table. A rule runs
//! natively when its function and everything it calls were lowered; otherwise it runs in the
//! interpreter, alone, through a generated `try`/`catch` wrapper, and the plan says why
//! ([`FastPlan::describe`], `fupin check --explain-plan`).
//!
//! At run time every operation either does exactly what rhai does or gives up
//! (`value::Bail`): a type rhai would reject, an arithmetic overflow, a missing parameter,
//! a sandbox limit. Then the engine evaluates that household's rule set with the
//! interpreter, so error findings always carry the interpreter's own message. The
//! differential tests (`tests/fast_path.rs`) hold both paths to byte-identical decisions.
//!
//! For each parameter table a population meets, `special` specialises the lowered code to it,
//! `compile` turns the residual code into closures (with `numeric` running arithmetic, and
//! functions that only compute a number, over plain numbers), `tree` runs the functions that
//! reduce to conditions ending in constants as decision trees, and `memo` remembers the answers of
//! functions that read the household only through such conditions, a few facts under them or
//! an empty list (the monitoring `decide`, the water and vehicle rules), keyed by the
//! conditions' outcomes and the values read ([`crate::Engine::outcome_plan`] says which).
//! An outcome-only `decide` left as closures that ends in a map literal (the identification
//! one) gives that map's entries as a list, read by key, without building the map
//! (`compile::Record`).

mod compile;
mod exec;
mod lower;
mod memo;
mod native;
#[rustfmt::skip]
mod native_code;
mod numeric;
mod special;
mod syntax;
mod tree;
mod value;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rhai::{Dynamic, Map};

use crate::decision::{Finding, FindingResult};
use crate::facts::Facts;
use crate::params::{ParamSet, Resolved};
use crate::ruleset::{RuleMeta, SetKind};
use crate::sandbox::Limits;
use crate::sources::RuleSources;
use exec::Machine;
use lower::Program;
use special::SpecialSet;
use syntax::FnDef;
pub(crate) use value::{NativeVerdict, ValMap, write_map_json};
use value::{Val, map_json, result_text};

/// Where one rule (or a set's `decide`) runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Lowered to native code.
    Native,
    /// In the rhai interpreter, with the reason the fast path could not take it.
    Interpreter(String),
}

/// One line of the evaluation plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanLine {
    /// `identify`, `exit` or `monitor`.
    pub set: &'static str,
    /// The rule id, or `<set>.decide`.
    pub rule: String,
    /// Where it runs.
    pub placement: Placement,
}

/// One set's lowered program and where each rule runs.
#[derive(Debug)]
struct SetPlan {
    program: Program,
    /// Per rule: the native function, or the reason it stays with the interpreter.
    rules: Vec<Result<usize, String>>,
    /// The rule ids, as `decide` sees them in `results`.
    ids: Vec<rhai::ImmutableString>,
    decide: Result<usize, String>,
}

impl SetPlan {
    /// Lowers one set's functions and binds its rules and `decide`.
    fn lower(defs: &Result<Vec<FnDef>, String>, metas: &[RuleMeta], params: &ParamSet, outcomes_only: bool) -> SetPlan {
        match defs {
            Ok(defs) => {
                let program = Program::lower(defs, &|name| params.slot(name), outcomes_only);
                let bind = |name: &str, arity: usize| {
                    let f = program.find(name, arity).ok_or_else(|| format!("fn {name} not found"))?;
                    program.check(f).map(|()| f)
                };
                let rules = metas.iter().map(|m| bind(&m.run, 2)).collect();
                let decide = bind("decide", 3);
                SetPlan { program, rules, ids: metas.iter().map(|m| m.id.as_str().into()).collect(), decide }
            }
            Err(why) => SetPlan {
                program: Program::default(),
                ids: Vec::new(),
                rules: metas.iter().map(|_| Err(why.clone())).collect(),
                decide: Err(why.clone()),
            },
        }
    }
}

/// The fast path of a loaded rule set.
#[derive(Debug)]
pub struct FastPlan {
    /// Full findings: values and messages.
    sets: Vec<SetPlan>,
    /// Outcomes only: results per rule and what `decide` returns.
    outcomes: Vec<SetPlan>,
    /// Outcome-only code specialised to each parameter table met so far (see [`special`]).
    special: RwLock<SpecialCache>,
}

/// The three sets' code specialised to one parameter table, with full findings and outcomes
/// only; `None` for a set the specialiser could not follow (it runs its general code).
pub(crate) type Specialised = Arc<SpecialSets>;

#[derive(Debug)]
pub(crate) struct SpecialSets {
    full: [Option<SpecialSet>; 3],
    outcomes: [Option<SpecialSet>; 3],
}

/// Specialised code by parameter table: found by the table's address on the hot path, and
/// shared between tables of equal content (many counties share their province's values).
#[derive(Debug, Default)]
struct SpecialCache {
    /// By the address of a table, kept alive so that the address is not reused.
    by_table: HashMap<usize, (Arc<Resolved>, Limits, Specialised)>,
    /// By the values of a table and the limits.
    by_content: HashMap<String, Specialised>,
}

/// Most tables remembered before the cache starts again (as [`crate::params::ParamSet`]'s).
const MAX_SPECIALISED: usize = 4096;

/// The name of the generated interpreter wrapper for rule `i` of a set.
pub(crate) fn rule_wrapper(i: usize) -> String {
    format!("__fupin_rule_{i}")
}

/// The name of the generated interpreter wrapper for `decide`.
pub(crate) const DECIDE_WRAPPER: &str = "__fupin_decide";

/// Interpreter wrappers with the driver's semantics, for rules the fast path leaves alone:
/// a throw becomes `rule_error(e)`, and a value without `.result` is an error too.
pub(crate) fn wrapper_source(rules: &[RuleMeta]) -> String {
    let mut code = String::new();
    for (i, rule) in rules.iter().enumerate() {
        code += &format!(
            "fn {name}(h, p) {{ try {{ let v = {run}(h, p); [v.result, v] }} catch (e) {{ [\"error\", rule_error(e)] }} }}\n",
            name = rule_wrapper(i),
            run = rule.run
        );
    }
    code += &format!("fn {DECIDE_WRAPPER}(h, p, r) {{ try {{ decide(h, p, r) }} catch (e) {{ rule_error(e) }} }}\n");
    code
}

impl FastPlan {
    /// Lowers the three scripts of `sources`; never fails (what cannot be lowered stays with
    /// the interpreter).
    pub(crate) fn compile(sources: &RuleSources, params: &ParamSet, rules: [&[RuleMeta]; 3]) -> FastPlan {
        // Each script is read once and lowered twice: with full findings and outcomes only.
        let common = sources.get("common.rhai").map(syntax::functions);
        let defs: Vec<Result<Vec<FnDef>, String>> = SetKind::ALL
            .iter()
            .map(|kind| {
                let own = sources.get(&format!("{}.rhai", kind.name())).map(syntax::functions);
                match (&common, own) {
                    (Some(Err(why)), _) => Err(format!("common.rhai: {why}")),
                    (_, Some(Err(why))) => Err(why),
                    (_, None) => Err("script missing".to_string()),
                    (Some(Ok(c)), Some(Ok(o))) => Ok(c.iter().cloned().chain(o).collect()),
                    (None, Some(Ok(o))) => Ok(o),
                }
            })
            .collect();
        let lower = |outcomes_only: bool| -> Vec<SetPlan> {
            defs.iter().zip(rules).map(|(defs, metas)| SetPlan::lower(defs, metas, params, outcomes_only)).collect()
        };
        FastPlan { sets: lower(false), outcomes: lower(true), special: RwLock::new(SpecialCache::default()) }
    }

    /// Where each rule and each `decide` runs.
    pub fn describe(&self, rules: [&[RuleMeta]; 3]) -> Vec<PlanLine> {
        let mut out = Vec::new();
        for ((kind, plan), metas) in SetKind::ALL.iter().zip(&self.sets).zip(rules) {
            let place = |r: &Result<usize, String>| match r {
                Ok(_) => Placement::Native,
                Err(why) => Placement::Interpreter(why.clone()),
            };
            for (meta, r) in metas.iter().zip(&plan.rules) {
                out.push(PlanLine { set: kind.name(), rule: meta.id.clone(), placement: place(r) });
            }
            out.push(PlanLine { set: kind.name(), rule: format!("{}.decide", kind.name()), placement: place(&plan.decide) });
        }
        out
    }
}

/// How one rule's (or a set's `decide`'s) outcome-only code runs under one parameter table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeForm {
    /// A decision tree over typed tests, walked.
    Tree,
    /// A decision tree of the embedded rules, run as Rust compiled with the crate (see
    /// `native`).
    CompiledTree,
    /// Code specialised to the table, compiled to closures, its answers remembered by the
    /// conditions it asks (see `memo`).
    Remembered,
    /// Code specialised to the table, compiled to closures.
    Closures,
    /// A `decide` specialised to the table and compiled to closures that give the entries of
    /// the map literal it ends in, read by key without building the map (see `compile`).
    Record,
    /// The set's general lowered code (the specialiser could not follow the set).
    General,
    /// The interpreter.
    Interpreter,
}

impl OutcomeForm {
    /// A short name for plans.
    pub fn name(self) -> &'static str {
        match self {
            OutcomeForm::Tree => "tree",
            OutcomeForm::CompiledTree => "compiled",
            OutcomeForm::Remembered => "remembered",
            OutcomeForm::Closures => "closures",
            OutcomeForm::Record => "record",
            OutcomeForm::General => "general",
            OutcomeForm::Interpreter => "interpreter",
        }
    }
}

impl FastPlan {
    /// How each rule and each `decide` runs outcome-only under `params` and `limits`, in the
    /// order of [`FastPlan::describe`].
    pub fn describe_outcomes(&self, rules: [&[RuleMeta]; 3], params: &Arc<Resolved>, limits: &Limits) -> Vec<(String, OutcomeForm)> {
        let special = self.specialised(params, limits);
        let mut out = Vec::new();
        for ((kind, plan), metas) in SetKind::ALL.iter().zip(&self.outcomes).zip(rules) {
            let set = special.outcomes[*kind as usize].as_ref();
            let form = |f: Option<usize>, native: bool| match (set, f) {
                (Some(s), Some(f)) if s.trees[f].as_ref().is_some_and(|t| t.is_native()) => OutcomeForm::CompiledTree,
                (Some(s), Some(f)) if s.trees[f].is_some() => OutcomeForm::Tree,
                (Some(s), Some(f)) if s.memos.has(f) => OutcomeForm::Remembered,
                (Some(s), Some(f)) if f == s.decide && s.record.is_some() => OutcomeForm::Record,
                (Some(_), _) => OutcomeForm::Closures,
                (None, _) if native => OutcomeForm::General,
                (None, _) => OutcomeForm::Interpreter,
            };
            for (i, (meta, placed)) in metas.iter().zip(&plan.rules).enumerate() {
                out.push((meta.id.clone(), form(set.map(|s| s.rules[i]), placed.is_ok())));
            }
            out.push((format!("{}.decide", kind.name()), form(set.map(|s| s.decide), plan.decide.is_ok())));
        }
        out
    }
}

/// What a fast run of one set produced: findings, and `decide`'s map or its error verdict.
pub(crate) struct FastRun {
    pub findings: Vec<Finding>,
    pub decision: Result<Map, crate::script_api::Verdict>,
    pub any_error: bool,
}

/// Calls into the interpreter for rules the plan leaves there.
pub(crate) trait Interpreter {
    /// Runs wrapper `name` with `(h, p)` or `(h, p, results)`; `None` if a sandbox limit
    /// stopped it (the whole set then goes to the interpreter).
    fn call(&self, kind: SetKind, name: &str, results: Option<Map>) -> Option<Dynamic>;
}

impl Runner<'_> {
    /// Runs one rule set natively, with full findings, where the plan allows (specialised
    /// code where the set has it); `None` hands the household's set to the interpreter.
    pub(crate) fn full(&self, kind: SetKind, metas: &[RuleMeta], facts: &Facts, interp: &dyn Interpreter) -> Option<FastRun> {
        let (plan, params, limits) = (self.plan, self.params, self.limits);
        if let Some(set) = &self.special.full[kind as usize] {
            return run_full_specialised(set, metas, facts, params, limits);
        }
        let set = &plan.sets[kind as usize];
        let mut machine = Machine::new(facts, params, &set.program.funcs, limits);
        let mut findings = Vec::with_capacity(metas.len());
        let mut results = ValMap::new();
        let mut any_error = false;
        for (i, (meta, placement)) in metas.iter().zip(&set.rules).enumerate() {
            let finding = match placement {
                Ok(f) => {
                    let Val::Verdict(v) = machine.call(*f, &[Val::Household, Val::Params]).ok()? else { return None };
                    crate::engine::finding_of(meta, v.result, &v.message_zh, &v.message_en, map_json(&v.values).ok()?)
                }
                Err(_) => {
                    let pair = interp.call(kind, &rule_wrapper(i), None)?.try_cast::<rhai::Array>()?;
                    let verdict = pair.into_iter().nth(1)?.try_cast::<crate::script_api::Verdict>()?;
                    crate::engine::finding(meta, verdict)
                }
            };
            any_error |= finding.result == FindingResult::Error;
            results.insert(set.ids[i].clone(), result_text(finding.result));
            findings.push(finding);
        }
        let decision = match &set.decide {
            Ok(f) => {
                let Val::Map(m) = machine.call(*f, &[Val::Household, Val::Params, Val::Map(Arc::new(results))]).ok()? else { return None };
                Ok(Val::Map(m).to_dynamic().ok()?.cast::<Map>())
            }
            Err(_) => {
                let results: Map = results.iter().map(|(k, v)| Some((k.as_str().into(), v.to_dynamic().ok()?))).collect::<Option<_>>()?;
                let out = interp.call(kind, DECIDE_WRAPPER, Some(results))?;
                if out.is::<Map>() {
                    Ok(out.cast::<Map>())
                } else {
                    Err(out.try_cast::<crate::script_api::Verdict>().unwrap_or_else(|| crate::script_api::Verdict::error("decide(h, p, results) did not return a map")))
                }
            }
        };
        Some(FastRun { findings, decision, any_error })
    }
}

/// A rule's arguments `(h, p)` and `decide`'s `(h, p, results)` in specialised code (which
/// reads the results from the machine).
const RULE_ARGS: [Val; 2] = [Val::Household, Val::Params];
const DECIDE_ARGS: [Val; 3] = [Val::Household, Val::Params, Val::Unit];

/// Runs a set's specialised code with full findings.
fn run_full_specialised(set: &SpecialSet, metas: &[RuleMeta], facts: &Facts, params: &Resolved, limits: &Limits) -> Option<FastRun> {
    let mut findings = Vec::with_capacity(metas.len());
    // Each verdict is made a finding as soon as its rule has run, while it is fresh.
    let decision = run_verdicts(set, facts, params, limits, |i, v| {
        findings.push(crate::engine::finding_of(metas.get(i)?, v.result, &v.message_zh, &v.message_en, map_json(&v.values).ok()?));
        Some(())
    })?;
    Some(FastRun { findings, decision: Ok(decision), any_error: false })
}

/// A set run natively with full findings, before they are made [`Finding`]s: its rules'
/// verdicts (values and messages as the fast path holds them), in declaration order, and
/// what `decide` returned.
pub(crate) struct NativeRun {
    pub verdicts: Vec<Arc<NativeVerdict>>,
    pub decision: Map,
}

impl Runner<'_> {
    /// Runs one set natively with full findings when its code is specialised to the table;
    /// `None` when it is not, or gives up (the caller then runs the set as
    /// [`crate::Engine::evaluate`] does). A verdict is never an error: code that would throw
    /// gives up instead.
    pub(crate) fn native(&self, kind: SetKind, facts: &Facts) -> Option<NativeRun> {
        let set = self.special.full[kind as usize].as_ref()?;
        let mut verdicts = Vec::with_capacity(set.rules.len());
        let decision = run_verdicts(set, facts, self.params, self.limits, |_, v| {
            verdicts.push(v);
            Some(())
        })?;
        Some(NativeRun { verdicts, decision })
    }
}

/// Runs a set's specialised code with full findings: hands each rule's verdict to `each`, in
/// declaration order, and gives what `decide` returned; `None` where the code (or `each`)
/// gives up.
fn run_verdicts(
    set: &SpecialSet,
    facts: &Facts,
    params: &Resolved,
    limits: &Limits,
    mut each: impl FnMut(usize, Arc<NativeVerdict>) -> Option<()>,
) -> Option<Map> {
    let mut machine = Machine::new(facts, params, &set.funcs, limits).with_compiled(&set.compiled, &set.trees).with_memos(&set.memos);
    machine.results.reserve(set.rules.len());
    for (i, &f) in set.rules.iter().enumerate() {
        let Val::Verdict(v) = machine.call_compiled_with(f, RULE_ARGS).ok()? else { return None };
        machine.results.push(v.result);
        each(i, v)?;
    }
    let Val::Map(m) = machine.call_compiled_with(set.decide, DECIDE_ARGS).ok()? else { return None };
    Some(Val::Map(m).to_dynamic().ok()?.cast::<Map>())
}

impl FastPlan {
    /// The code of the three sets specialised to `params` and `limits` (with full findings
    /// and outcomes only), made on first use and kept here for every thread; the engine
    /// keeps what it found per thread as well (`thread_table`).
    pub(crate) fn specialised(&self, params: &Arc<Resolved>, limits: &Limits) -> Specialised {
        let address = Arc::as_ptr(params) as usize;
        if let Some((_, l, hit)) = self.special.read().unwrap_or_else(|e| e.into_inner()).by_table.get(&address)
            && l == limits
        {
            return Arc::clone(hit);
        }
        let content = format!("{limits:?}{}", params.fingerprint());
        let known = self.special.read().unwrap_or_else(|e| e.into_inner()).by_content.get(&content).cloned();
        let made = known.unwrap_or_else(|| self.specialise(params, limits));
        let mut cache = self.special.write().unwrap_or_else(|e| e.into_inner());
        if cache.by_table.len() >= MAX_SPECIALISED {
            *cache = SpecialCache::default();
        }
        let made = Arc::clone(cache.by_content.entry(content).or_insert(made));
        cache.by_table.insert(address, (Arc::clone(params), *limits, Arc::clone(&made)));
        made
    }

    /// The code of the three sets specialised to `params` and `limits`, made now (a few
    /// milliseconds) and not kept.
    pub(crate) fn specialise(&self, params: &Resolved, limits: &Limits) -> Specialised {
        let specialise = |sets: &[SetPlan], outcomes_only: bool| {
            std::array::from_fn(|k| {
                let set = &sets[k];
                let rules = set.rules.iter().map(|r| r.as_ref().ok().copied()).collect::<Option<Vec<usize>>>()?;
                let decide = *set.decide.as_ref().ok()?;
                special::specialise(&set.program.funcs, &rules, decide, &set.ids, params, limits, outcomes_only)
            })
        };
        Arc::new(SpecialSets { full: specialise(&self.sets, false), outcomes: specialise(&self.outcomes, true) })
    }

    /// Whether each set's code is specialised to `params` (see [`special`]), with full findings
    /// and outcomes only.
    #[cfg(test)]
    pub(crate) fn is_specialised(&self, params: &Arc<Resolved>, limits: &Limits) -> [(bool, bool); 3] {
        self.specialised(params, limits).shape()
    }
}

impl SpecialSets {
    /// Whether each set's code is specialised, with full findings and outcomes only.
    #[cfg(test)]
    pub(crate) fn shape(&self) -> [(bool, bool); 3] {
        std::array::from_fn(|k| (self.full[k].is_some(), self.outcomes[k].is_some()))
    }
}

/// Fast runs of the three sets under one parameter table and limits (found once per
/// household): with full findings ([`Runner::full`], [`Runner::native`]) or outcomes only
/// ([`Runner::outcomes`]).
pub(crate) struct Runner<'p> {
    plan: &'p FastPlan,
    special: &'p SpecialSets,
    params: &'p Arc<Resolved>,
    limits: &'p Limits,
}

impl FastPlan {
    /// Runs under `params` and `limits`, with this plan's code specialised to them
    /// (`special`, from [`FastPlan::specialised`]).
    pub(crate) fn runner<'p>(&'p self, params: &'p Arc<Resolved>, limits: &'p Limits, special: &'p SpecialSets) -> Runner<'p> {
        Runner { plan: self, special, params, limits }
    }
}

impl Runner<'_> {
    /// Runs one rule set for its outcomes only: appends its rules' results, in declaration
    /// order, to `results` and gives what `decide` returned; `None` when any rule or `decide`
    /// is not native or gives up (the caller then takes the outcomes of a full evaluation,
    /// and drops any results appended).
    pub(crate) fn outcomes(&self, kind: SetKind, facts: &Facts, results: &mut Vec<FindingResult>) -> Option<Decided<'_>> {
        match &self.special.outcomes[kind as usize] {
            Some(set) => run_specialised(set, facts, self.params, self.limits, results),
            None => run_general(self.plan, kind, facts, self.params, self.limits, results).map(Decided::Map),
        }
    }
}

/// What an outcome-only run of `decide` gave: its map, or the entries of the map literal it
/// ends in (its record form, see [`compile::Record`]), read alike by key.
pub(crate) enum Decided<'s> {
    Map(Arc<ValMap>),
    Record(&'s [rhai::ImmutableString], Vec<Val>),
}

impl Decided<'_> {
    /// The value under `key`, as the map holds it (of equal keys, the last).
    fn get(&self, key: &str) -> Option<&Val> {
        match self {
            Decided::Map(map) => map.get(key),
            Decided::Record(keys, values) => values.get(keys.iter().rposition(|k| k.as_str() == key)?),
        }
    }
}

/// Runs one set's general outcome-only code.
fn run_general(plan: &FastPlan, kind: SetKind, facts: &Facts, params: &Arc<Resolved>, limits: &Limits, results: &mut Vec<FindingResult>) -> Option<Arc<ValMap>> {
    let set = &plan.outcomes[kind as usize];
    let decide = *set.decide.as_ref().ok()?;
    let mut machine = Machine::new(facts, params, &set.program.funcs, limits);
    let mut by_id = ValMap::new();
    for (rule, id) in set.rules.iter().zip(&set.ids) {
        let f = *rule.as_ref().ok()?;
        let r = exec::verdict_result(&machine.call(f, &[Val::Household, Val::Params]).ok()?)?;
        results.push(r);
        by_id.insert(id.clone(), result_text(r));
    }
    match machine.call(decide, &[Val::Household, Val::Params, Val::Map(Arc::new(by_id))]).ok()? {
        Val::Map(decision) => Some(decision),
        _ => None,
    }
}

/// Runs a set's specialised code; `decide` reads the results from the machine.
fn run_specialised<'s>(set: &'s SpecialSet, facts: &Facts, params: &Resolved, limits: &Limits, results: &mut Vec<FindingResult>) -> Option<Decided<'s>> {
    let mut machine = Machine::new(facts, params, &set.funcs, limits).with_compiled(&set.compiled, &set.trees).with_memos(&set.memos);
    // The results are kept twice, the machine's for `decide`: copying its list at the end
    // measured slower.
    machine.results.reserve(set.rules.len());
    for &f in &set.rules {
        let r = machine.call_rule(f, RULE_ARGS)?;
        results.push(r);
        machine.results.push(r);
    }
    let decided = match &set.record {
        Some(record) => match machine.call_record(record, DECIDE_ARGS).ok()? {
            compile::Recorded::Entries(values) => return Some(Decided::Record(&record.keys, values)),
            compile::Recorded::Returned(value) => value,
        },
        None => machine.call_compiled_with(set.decide, DECIDE_ARGS).ok()?,
    };
    match decided {
        Val::Map(decision) => Some(Decided::Map(decision)),
        _ => None,
    }
}

/// Reads `decide`'s map the way the engine reads it; `None` for anything the engine would
/// turn into a `decide` error (the caller then evaluates in full).
pub(crate) fn decision_text(map: &Decided, key: &str, allowed: &[&'static str]) -> Option<&'static str> {
    match map.get(key) {
        Some(Val::Str(s)) => allowed.iter().find(|a| **a == s.as_str()).copied(),
        _ => None,
    }
}

/// A list of strings from `decide`'s map.
pub(crate) fn decision_list(map: &Decided, key: &str) -> Option<Vec<String>> {
    decision_strings(map, key, |s| Some(s.to_string()))
}

/// A list of strings from `decide`'s map, each one of `allowed` (and given as that one).
pub(crate) fn decision_choices(map: &Decided, key: &str, allowed: &[&'static str]) -> Option<Vec<std::borrow::Cow<'static, str>>> {
    decision_strings(map, key, |s| allowed.iter().find(|a| **a == s).map(|a| std::borrow::Cow::Borrowed(*a)))
}

fn decision_strings<T>(map: &Decided, key: &str, item: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let Some(Val::Array(items)) = map.get(key) else { return None };
    items
        .iter()
        .map(|v| match v {
            Val::Str(s) => item(s.as_str()),
            _ => None,
        })
        .collect()
}

/// `score` from `decide`'s map, rounded to the fen as the engine writes it.
pub(crate) fn decision_score(map: &Decided) -> Option<rust_decimal::Decimal> {
    match map.get("score") {
        Some(Val::Dec(d)) => Some(crate::facts::round_fen(*d).normalize()),
        Some(Val::Int(i)) => Some(crate::facts::round_fen(rust_decimal::Decimal::from(*i)).normalize()),
        _ => None,
    }
}
