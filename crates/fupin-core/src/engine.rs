//! The [`Engine`]: built once, cheap to clone, `Send + Sync`, evaluated many times.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use arc_swap::ArcSwap;
use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;

use crate::decision::{Decision, ExitDecision, Finding, FindingResult, IdentifyDecision, MonitorDecision, Outcomes};
use crate::decision_json::{DecisionJson, Findings};
use crate::error::{RulesErrors, ValidationError};
use crate::facts::Facts;
use crate::fast;
use crate::input::{check_plausible, parse_household};
use crate::json_text::JsonOut;
use crate::model::Household;
use crate::ruleset::{DRIVER, RuleMeta, Ruleset, SetKind};
use crate::sandbox::Limits;
use crate::script_api::{HouseholdRef, ParamsRef, Verdict};
use crate::sources::RuleSources;
use crate::thread_table::{Table, with_table};
use crate::values::to_json_map;

const IDENTIFY_OUTCOMES: [&str; 3] = ["eligible", "ineligible", "needs_review"];
const EXIT_OUTCOMES: [&str; 3] = ["meets_standard", "not_met", "needs_review"];
const MONITOR_OUTCOMES: [&str; 2] = ["assessed", "needs_review"];
const LEVELS: [&str; 4] = ["none", "low", "medium", "high"];
const CATEGORIES: [&str; 4] = ["none", "unstable", "marginal", "sudden_hardship"];
const CAUSES: [&str; 12] = [
    "illness", "disability", "schooling", "disaster", "lack_land", "lack_water", "lack_skills",
    "lack_labor", "lack_capital", "poor_transport", "low_motivation", "other",
];

/// Room made for a decision's JSON before it is written: a full decision is about 11 KB.
const DECISION_JSON_ROOM: usize = 16 << 10;

/// How rules are evaluated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EnginePath {
    /// Rules lowered to native code where possible, the interpreter for the rest and for
    /// any household the fast path cannot settle exactly (see [`crate::fast`]).
    #[default]
    Fast,
    /// Every rule in the rhai interpreter (the reference).
    Interpreter,
}

/// The rules engine. Clones share the loaded rules; [`Engine::reload`] swaps them for all.
#[derive(Clone)]
pub struct Engine {
    current: Arc<ArcSwap<Ruleset>>,
    limits: Limits,
    path: EnginePath,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("ruleset", &self.current.load().info).finish()
    }
}

/// What one rule set's run produced.
struct SetRun {
    findings: Vec<Finding>,
    decision: Result<Map, Verdict>,
    any_error: bool,
}

impl Engine {
    /// The embedded default national rule set.
    pub fn embedded() -> Result<Engine, RulesErrors> {
        Engine::from_sources(RuleSources::embedded())
    }

    /// An edited copy of the rules in `dir` (see `rules/` for the layout).
    pub fn from_dir(dir: impl AsRef<std::path::Path>) -> Result<Engine, RulesErrors> {
        Engine::from_sources(RuleSources::from_dir(dir)?)
    }

    /// Rules from any source, with the default [`Limits`].
    pub fn from_sources(sources: RuleSources) -> Result<Engine, RulesErrors> {
        Engine::with_limits(sources, Limits::default())
    }

    /// Rules from any source with explicit sandbox limits.
    pub fn with_limits(sources: RuleSources, limits: Limits) -> Result<Engine, RulesErrors> {
        let ruleset = Ruleset::load(sources, &limits)?;
        Ok(Engine { current: Arc::new(ArcSwap::from_pointee(ruleset)), limits, path: EnginePath::default() })
    }

    /// This engine (sharing its rules) evaluating on `path`.
    pub fn with_path(mut self, path: EnginePath) -> Engine {
        self.path = path;
        self
    }

    /// The evaluation path in use.
    pub fn path(&self) -> EnginePath {
        self.path
    }

    /// Re-reads the rules from where they came from and swaps them in atomically.
    /// If the new rules fail to load, the old ones stay in use and the errors are returned.
    pub fn reload(&self) -> Result<(), RulesErrors> {
        let sources = self.current.load().sources.reread()?;
        self.reload_from(sources)
    }

    /// Swaps in rules from `sources` atomically; keeps the old rules on error.
    pub fn reload_from(&self, sources: RuleSources) -> Result<(), RulesErrors> {
        let ruleset = Ruleset::load(sources, &self.limits)?;
        self.current.store(Arc::new(ruleset));
        Ok(())
    }

    /// The rules in use now.
    pub fn ruleset(&self) -> Arc<Ruleset> {
        self.current.load_full()
    }

    /// How each rule and `decide` of the rules in use runs outcome-only
    /// ([`Engine::evaluate_outcomes`]) for households of `year` in the region with this code
    /// (or under national parameters only): a decision tree, closures, general code or the
    /// interpreter (`fupin check --explain-plan`).
    pub fn outcome_plan(&self, year: i32, region_code: Option<&str>) -> Vec<(String, fast::OutcomeForm)> {
        self.ruleset().outcome_plan(year, region_code, &self.limits)
    }

    /// Parses one JSON household and evaluates it.
    pub fn evaluate_json(&self, json: &str) -> Result<Decision, ValidationError> {
        self.evaluate(&parse_household(json)?)
    }

    /// Evaluates one household under all three rule sets.
    pub fn evaluate(&self, household: &Household) -> Result<Decision, ValidationError> {
        check_plausible(household)?;
        let rules = self.current.load();
        Ok(with_table(&rules, &self.limits, household.year, household.region.code.as_deref(), |table| {
            let facts = Arc::new(Facts::derive(household, table.params()));
            self.decide(&rules, household, table, facts)
        }))
    }

    /// Writes the JSON of [`Engine::evaluate`]'s decision to `out`: the bytes
    /// `serde_json::to_writer` writes for it. Where the fast path settles all three sets, the
    /// findings are written from its verdicts without being made [`Finding`]s (see
    /// `decision_json`), after making room in `out` for a full decision; otherwise the
    /// decision is made and written. On error nothing is written.
    pub fn evaluate_to_json(&self, household: &Household, out: &mut Vec<u8>) -> Result<(), ValidationError> {
        self.write_json(household, out).map(drop)
    }

    /// The JSON text of [`Engine::evaluate`]'s decision, as [`Engine::evaluate_to_json`]
    /// writes it.
    pub fn decision_json(&self, household: &Household) -> Result<String, ValidationError> {
        let mut text = String::new();
        self.write_json(household, &mut text)?;
        Ok(text)
    }

    /// The household's outcomes ([`Engine::evaluate_outcomes`]'s) and its decision's JSON text
    /// ([`Engine::decision_json`]'s), both from one evaluation.
    pub fn outcomes_and_decision_json(&self, household: &Household) -> Result<(Outcomes, String), ValidationError> {
        let mut text = String::new();
        let written = self.write_json(household, &mut text)?;
        Ok((written.outcomes(), text))
    }

    /// Writes the decision's JSON to `out` ([`Engine::evaluate_to_json`]) and gives what it
    /// was written from.
    fn write_json(&self, household: &Household, out: &mut impl JsonOut) -> Result<Written, ValidationError> {
        check_plausible(household)?;
        let rules = self.current.load();
        with_table(&rules, &self.limits, household.year, household.region.code.as_deref(), |table| {
            let facts = Arc::new(Facts::derive(household, table.params()));
            if self.path == EnginePath::Fast
                && let Some(written) = self.write_native_json(&rules, household, table, &facts, out)
            {
                return Ok(written);
            }
            let decision = self.decide(&rules, household, table, facts);
            // A decision is plain data (strings, numbers, maps) written to memory: this cannot fail.
            out.serde(&decision).map_err(|e| ValidationError::new("", e.to_string()))?;
            Ok(Written::Made(decision))
        })
    }

    /// [`Engine::evaluate_to_json`] from the fast path's verdicts; `None` (nothing written)
    /// where a set is not settled natively, or `decide`'s map is one the engine refuses.
    fn write_native_json(&self, rules: &Ruleset, household: &Household, table: &Table, facts: &Facts, out: &mut impl JsonOut) -> Option<Written> {
        let runner = rules.plan.runner(table.params(), &self.limits, table.special());
        let run = |kind: SetKind| runner.native(kind, facts);
        let (identify, exit, monitor) = (run(SetKind::Identify)?, run(SetKind::Exit)?, run(SetKind::Monitor)?);
        let without_findings = |decision: Map| SetRun { findings: Vec::new(), decision: Ok(decision), any_error: false };
        let mut decision = assemble(rules, household, facts, [identify.decision, exit.decision, monitor.decision].map(without_findings));
        // A refused `decide` map adds its error finding: the general path writes that decision.
        if !(decision.identify.findings.is_empty() && decision.exit.findings.is_empty() && decision.monitor.findings.is_empty()) {
            return None;
        }
        // The risks are those of the verdicts (the decision was made without them).
        decision.monitor.risks = fired_risks(&rules.set(SetKind::Monitor).rules, monitor.verdicts.iter().map(|v| v.result));
        let verdicts = [identify.verdicts, exit.verdicts, monitor.verdicts];
        let json = DecisionJson {
            decision: &decision,
            findings: [
                Findings(&rules.set(SetKind::Identify).rules_json, &verdicts[0]),
                Findings(&rules.set(SetKind::Exit).rules_json, &verdicts[1]),
                Findings(&rules.set(SetKind::Monitor).rules_json, &verdicts[2]),
            ],
        };
        // A value that is not JSON (the fast path gives up on it): the general path decides.
        out.reserve(DECISION_JSON_ROOM);
        json.write(out).ok()?;
        Some(Written::Native { decision, verdicts, rule_ids: Arc::clone(&rules.rule_ids) })
    }

    /// One set's full run: natively where the plan allows, else in the interpreter.
    fn set_run(&self, rules: &Ruleset, kind: SetKind, table: &Table, h: &HouseholdRef, p: &ParamsRef) -> SetRun {
        let fast = match self.path {
            EnginePath::Fast => {
                let interp = Interp { rules, h, p };
                rules.plan.runner(&p.0, &self.limits, table.special()).full(kind, &rules.set(kind).rules, &h.0, &interp)
            }
            EnginePath::Interpreter => None,
        };
        match fast {
            Some(run) => SetRun { findings: run.findings, decision: run.decision, any_error: run.any_error },
            None => run_set(rules, kind, h, p),
        }
    }

    /// The decision of a checked household whose facts are derived.
    fn decide(&self, rules: &Ruleset, household: &Household, table: &Table, facts: Arc<Facts>) -> Decision {
        let h = HouseholdRef(Arc::clone(&facts));
        let p = ParamsRef(Arc::clone(table.params()));
        assemble(rules, household, &facts, SetKind::ALL.map(|kind| self.set_run(rules, kind, table, &h, &p)))
    }
}

/// What a decision's JSON was written from.
enum Written {
    /// The decision, made in full.
    Made(Decision),
    /// The decision made without findings, and the verdicts its findings were written from
    /// (identify, exit, monitor), whose rules are `rule_ids`.
    Native { decision: Decision, verdicts: [Vec<Arc<fast::NativeVerdict>>; 3], rule_ids: Arc<[String]> },
}

impl Written {
    /// The outcomes of the decision written: `Outcomes::from` the decision, with the rule
    /// results of the verdicts where it was made without findings.
    fn outcomes(self) -> Outcomes {
        match self {
            Written::Made(decision) => Outcomes::from(&decision),
            Written::Native { decision, verdicts, rule_ids } => {
                let results = verdicts.iter().flatten().map(|v| v.result).collect();
                Outcomes { results, rule_ids, ..Outcomes::from(&decision) }
            }
        }
    }
}

/// The decision of a household from its three sets' runs (identify, exit, monitor).
fn assemble(rules: &Ruleset, household: &Household, facts: &Facts, [identify, exit, monitor]: [SetRun; 3]) -> Decision {
    Decision {
        household_id: household.id.clone(),
        year: household.year,
        ruleset: (*rules.info).clone(),
        per_capita_income: facts.pci.map(|d| d.to_string()),
        identify: identify_decision(identify),
        exit: exit_decision(exit),
        monitor: monitor_decision(monitor, &rules.set(SetKind::Monitor).rules),
    }
}

impl Engine {
    /// The outcomes of [`Engine::evaluate`] without findings' values and messages. On the
    /// fast path no message is formatted; a household the fast path cannot settle exactly is
    /// evaluated in full and its outcomes taken from the decision, so the answer is always
    /// `Outcomes::from(&self.evaluate(household)?)`.
    pub fn evaluate_outcomes(&self, household: &Household) -> Result<Outcomes, ValidationError> {
        check_plausible(household)?;
        let rules = self.current.load();
        Ok(with_table(&rules, &self.limits, household.year, household.region.code.as_deref(), |table| self.outcomes_under(&rules, household, table)))
    }

    /// [`Engine::evaluate_outcomes`] of a checked household under its parameter table.
    fn outcomes_under(&self, rules: &Ruleset, household: &Household, table: &Table) -> Outcomes {
        let facts = Facts::derive(household, table.params());
        // The scripts' handles on the facts and parameters, made only for a set that runs in
        // full (the fast path reads `facts` and the table where they are).
        let shared: OnceCell<(HouseholdRef, ParamsRef)> = OnceCell::new();
        // Each set on its own: outcomes only where the fast path settles it, else in full
        // (before 2020, say, the monitor set has no monitoring line and goes to the
        // interpreter, while identification and exit stay outcome-only).
        let runner = match self.path {
            EnginePath::Fast => Some(rules.plan.runner(table.params(), &self.limits, table.special())),
            EnginePath::Interpreter => None,
        };
        let fast = |kind: SetKind, results: &mut Vec<FindingResult>| runner.as_ref()?.outcomes(kind, &facts, results);
        let full = |kind: SetKind| {
            let (h, p) = shared.get_or_init(|| (HouseholdRef(Arc::new(facts.clone())), ParamsRef(Arc::clone(table.params()))));
            self.set_run(rules, kind, table, h, p)
        };
        let text = |decision: &fast::Decided, key: &str, allowed: &[&'static str]| fast::decision_text(decision, key, allowed).map(Cow::Borrowed);
        // Every set's rule results, in order, in one list.
        let mut results = Vec::with_capacity(rules.rule_ids.len());
        let (identify, score, causes) = settle(
            &mut results,
            |results| {
                let decision = fast(SetKind::Identify, results)?;
                let outcome = text(&decision, "outcome", &IDENTIFY_OUTCOMES)?;
                let score = fast::decision_score(&decision)?;
                let causes = fast::decision_choices(&decision, "causes", &CAUSES)?;
                Some((outcome, score, causes))
            },
            |results| {
                let d = identify_decision(full(SetKind::Identify));
                results.extend(rule_results(&d.findings));
                let score = d.score_decimal();
                (d.outcome.into(), score, d.causes.into_iter().map(Cow::Owned).collect())
            },
        );
        let exit = settle(
            &mut results,
            |results| text(&fast(SetKind::Exit, results)?, "outcome", &EXIT_OUTCOMES),
            |results| {
                let d = exit_decision(full(SetKind::Exit));
                results.extend(rule_results(&d.findings));
                d.outcome.into()
            },
        );
        let metas = &rules.set(SetKind::Monitor).rules;
        let monitor = settle(
            &mut results,
            |results| {
                let start = results.len();
                let decision = fast(SetKind::Monitor, results)?;
                Some(MonitorOutcomes {
                    outcome: text(&decision, "outcome", &MONITOR_OUTCOMES)?,
                    level: text(&decision, "level", &LEVELS)?,
                    category: text(&decision, "category", &CATEGORIES)?,
                    risks: fired_risks(metas, results[start..].iter().copied()),
                    measures: fast::decision_list(&decision, "measures")?,
                })
            },
            |results| {
                let d = monitor_decision(full(SetKind::Monitor), metas);
                results.extend(rule_results(&d.findings));
                MonitorOutcomes { outcome: d.outcome.into(), level: d.level.into(), category: d.category.into(), risks: d.risks, measures: d.measures }
            },
        );
        Outcomes {
            household_id: household.id.clone(),
            year: household.year,
            per_capita_income: facts.pci,
            identify,
            score,
            causes,
            exit,
            monitor: monitor.outcome,
            level: monitor.level,
            category: monitor.category,
            risks: monitor.risks,
            measures: monitor.measures,
            results,
            rule_ids: Arc::clone(&rules.rule_ids),
            ruleset: Arc::clone(&rules.info),
        }
    }
}

/// The monitoring set's part of [`Outcomes`].
struct MonitorOutcomes {
    outcome: Cow<'static, str>,
    level: Cow<'static, str>,
    category: Cow<'static, str>,
    risks: Vec<String>,
    measures: Vec<String>,
}

/// One set's part of [`Outcomes`]: from its outcome-only run where that settles it (its
/// rules' results appended to `results`), else from its full evaluation (which appends
/// them in place of any the outcome-only run left).
fn settle<T>(results: &mut Vec<FindingResult>, fast: impl FnOnce(&mut Vec<FindingResult>) -> Option<T>, full: impl FnOnce(&mut Vec<FindingResult>) -> T) -> T {
    let start = results.len();
    fast(results).unwrap_or_else(|| {
        results.truncate(start);
        full(results)
    })
}

/// The rules' results among a set's findings.
fn rule_results(findings: &[Finding]) -> Vec<FindingResult> {
    crate::decision::rule_findings(findings.iter()).map(|f| f.result).collect()
}

/// The interpreter, for the rules the fast path leaves to it.
struct Interp<'a> {
    rules: &'a Ruleset,
    h: &'a HouseholdRef,
    p: &'a ParamsRef,
}

impl fast::Interpreter for Interp<'_> {
    fn call(&self, kind: SetKind, name: &str, results: Option<Map>) -> Option<Dynamic> {
        let (h, p) = (self.h.clone(), self.p.clone());
        match results {
            Some(r) => self.rules.call(kind, name, (h, p, r)),
            None => self.rules.call(kind, name, (h, p)),
        }
        .ok()
    }
}

/// Runs one rule set through the generated driver; if the driver itself is stopped (a limit
/// that `catch` cannot intercept), runs each rule on its own so only the culprit errors.
fn run_set(rules: &Ruleset, kind: SetKind, h: &HouseholdRef, p: &ParamsRef) -> SetRun {
    let metas = &rules.set(kind).rules;
    let (verdicts, decision): (Vec<Dynamic>, Dynamic) = match rules.call(kind, DRIVER, (h.clone(), p.clone())) {
        Ok(out) => {
            let mut pair = out.try_cast::<Array>().unwrap_or_default().into_iter();
            match (pair.next().and_then(|v| v.try_cast::<Array>()), pair.next()) {
                (Some(v), Some(d)) => (v, d),
                _ => (Vec::new(), Dynamic::from(Verdict::error("driver returned an unexpected value"))),
            }
        }
        Err(_) => {
            let verdicts: Vec<Dynamic> = metas
                .iter()
                .map(|m| rules.call(kind, &m.run, (h.clone(), p.clone())).unwrap_or_else(|e| Dynamic::from(Verdict::error(limit_message(&e)))))
                .collect();
            let mut results = Map::new();
            for (m, v) in metas.iter().zip(&verdicts) {
                let r = v.clone().try_cast::<Verdict>().map_or("error", |v| v.result.as_str());
                results.insert(m.id.as_str().into(), Dynamic::from(rhai::ImmutableString::from(r)));
            }
            let decision = rules
                .call(kind, "decide", (h.clone(), p.clone(), results))
                .unwrap_or_else(|e| Dynamic::from(Verdict::error(limit_message(&e))));
            (verdicts, decision)
        }
    };
    let mut any_error = false;
    let findings = metas
        .iter()
        .enumerate()
        .map(|(i, meta)| {
            let verdict = match verdicts.get(i).cloned().map(Dynamic::try_cast::<Verdict>) {
                Some(Some(v)) => v,
                _ => Verdict::error(format!("{} did not return pass(…), fail(…) or unknown(…)", meta.run)),
            };
            any_error |= verdict.result == FindingResult::Error;
            finding(meta, verdict)
        })
        .collect();
    let decision = if decision.is::<Map>() {
        Ok(decision.cast::<Map>())
    } else {
        Err(decision.try_cast::<Verdict>().unwrap_or_else(|| Verdict::error("decide(h, p, results) did not return a map")))
    };
    SetRun { findings, decision, any_error }
}

fn limit_message(e: &rhai::EvalAltResult) -> String {
    use rhai::EvalAltResult as E;
    match e {
        E::ErrorTooManyOperations(_) => "超出运算次数限制 (too many operations: the script may loop forever)".into(),
        E::ErrorStackOverflow(_) => "调用层数过深 (call stack too deep: runaway recursion)".into(),
        E::ErrorDataTooLarge(what, _) => format!("数据超出限制 (data too large: {what})"),
        other => other.to_string(),
    }
}

/// A finding from a rule's declaration and its verdict.
pub(crate) fn finding(meta: &RuleMeta, v: Verdict) -> Finding {
    finding_of(meta, v.result, &v.message_zh, &v.message_en, to_json_map(&v.values))
}

/// A finding from a rule's declaration, its result, messages and values.
pub(crate) fn finding_of(
    meta: &RuleMeta,
    result: FindingResult,
    message_zh: &str,
    message_en: &str,
    values: serde_json::Map<String, serde_json::Value>,
) -> Finding {
    Finding {
        rule: meta.id.clone(),
        result,
        title_zh: meta.title_zh.clone(),
        title_en: meta.title_en.clone(),
        message_zh: message_zh.to_string(),
        message_en: message_en.to_string(),
        values,
        citation: meta.citation.clone(),
    }
}

/// A finding for the set's `decide` step when it failed or returned something invalid.
fn decide_error(kind: SetKind, v: Verdict) -> Finding {
    let meta = RuleMeta {
        id: format!("{}.decide", kind.name()),
        title_zh: "综合判定".into(),
        title_en: "Combined decision".into(),
        citation: format!("rules/{}.rhai decide()", kind.name()),
        run: "decide".into(),
        risk: None,
    };
    finding(&meta, Verdict { result: FindingResult::Error, ..v })
}

fn text(map: &Map, key: &str, allowed: &[&str]) -> Result<String, Verdict> {
    match map.get(key).map(|v| v.clone().into_string()) {
        Some(Ok(s)) if allowed.contains(&s.as_str()) => Ok(s),
        _ => Err(Verdict::error(format!("decide() must return `{key}` as one of {}", allowed.join(", ")))),
    }
}

fn list(map: &Map, key: &str, allowed: Option<&[&str]>) -> Result<Vec<String>, Verdict> {
    let bad = || Verdict::error(format!("decide() must return `{key}` as a list of known ids"));
    let items = map.get(key).and_then(|v| v.clone().try_cast::<Array>()).ok_or_else(bad)?;
    items
        .into_iter()
        .map(|v| v.into_string().ok().filter(|s| allowed.is_none_or(|a| a.contains(&s.as_str()))).ok_or_else(bad))
        .collect()
}

fn score(map: &Map) -> Result<serde_json::Number, Verdict> {
    let bad = || Verdict::error("decide() must return `score` as a number");
    let value = map.get("score").ok_or_else(bad)?;
    let d = value.as_decimal().or_else(|_| value.as_int().map(Decimal::from)).map_err(|_| bad())?;
    let text = crate::facts::round_fen(d).normalize().to_string();
    text.parse::<serde_json::Number>().map_err(|_| bad())
}

fn identify_decision(run: SetRun) -> IdentifyDecision {
    let SetRun { mut findings, decision, any_error } = run;
    let parsed = decision.and_then(|m| Ok((text(&m, "outcome", &IDENTIFY_OUTCOMES)?, list(&m, "causes", Some(&CAUSES))?, score(&m)?)));
    let (outcome, causes, score) = match parsed {
        Ok(t) => t,
        Err(v) => {
            findings.push(decide_error(SetKind::Identify, v));
            ("needs_review".into(), Vec::new(), serde_json::Number::from(0))
        }
    };
    let outcome = if any_error { "needs_review".into() } else { outcome };
    IdentifyDecision { outcome, score, causes, findings }
}

fn exit_decision(run: SetRun) -> ExitDecision {
    let SetRun { mut findings, decision, any_error } = run;
    let outcome = match decision.and_then(|m| text(&m, "outcome", &EXIT_OUTCOMES)) {
        Ok(o) if !any_error => o,
        Ok(_) => "needs_review".into(),
        Err(v) => {
            findings.push(decide_error(SetKind::Exit, v));
            "needs_review".into()
        }
    };
    ExitDecision { outcome, findings }
}

/// The risk factors of the monitoring rules that fired (failed), in rule order.
fn fired_risks(metas: &[RuleMeta], results: impl Iterator<Item = FindingResult>) -> Vec<String> {
    metas.iter().zip(results).filter(|(_, r)| *r == FindingResult::Fail).filter_map(|(m, _)| m.risk.clone()).collect()
}

fn monitor_decision(run: SetRun, metas: &[RuleMeta]) -> MonitorDecision {
    let SetRun { mut findings, decision, mut any_error } = run;
    let risks = fired_risks(metas, findings.iter().map(|f| f.result));
    let parsed = decision.and_then(|m| {
        Ok((
            text(&m, "outcome", &MONITOR_OUTCOMES)?,
            text(&m, "level", &LEVELS)?,
            text(&m, "category", &CATEGORIES)?,
            list(&m, "measures", None)?,
        ))
    });
    let (outcome, level, category, measures) = match parsed {
        Ok(t) => t,
        Err(v) => {
            findings.push(decide_error(SetKind::Monitor, v));
            any_error = true;
            ("needs_review".into(), "none".into(), "none".into(), Vec::new())
        }
    };
    let outcome = if any_error { "needs_review".into() } else { outcome };
    MonitorDecision { outcome, level, category, risks, measures, findings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{GenOptions, Generator};

    /// Whether the fast path settles the exit set of `h` itself (no fallback).
    fn exit_is_native(engine: &Engine, h: &Household) -> bool {
        let rules = engine.ruleset();
        let params = rules.params.resolve(h.year, h.region.code.as_deref());
        let facts = Arc::new(Facts::derive(h, &params));
        let (hr, pr) = (HouseholdRef(Arc::clone(&facts)), ParamsRef(Arc::clone(&params)));
        let interp = Interp { rules: &rules, h: &hr, p: &pr };
        let metas = &rules.set(SetKind::Exit).rules;
        let special = rules.plan.specialised(&params, &engine.limits);
        rules.plan.runner(&params, &engine.limits, &special).full(SetKind::Exit, metas, &facts, &interp).is_some()
    }

    /// `tests/fast_path_corners.txt`: the differential test shows both paths agree; this shows
    /// the fast path answers the supported corners itself and gives up on the errors.
    #[test]
    fn language_corners_are_answered_natively_and_errors_are_left_to_the_interpreter() {
        let corners = include_str!("../../../tests/fast_path_corners.txt");
        let households: Vec<Household> = Generator::new(GenOptions { seed: 3, ..GenOptions::default() }).take(25).collect();
        for line in corners.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let (expect_native, body) = match line.strip_prefix("! ") {
                Some(body) => (false, body),
                None => (true, line),
            };
            let mut sources = RuleSources::embedded();
            let exit = sources.get("exit.rhai").unwrap().to_string();
            let start = exit.find("fn food(h, p) {").unwrap();
            let end = start + exit[start..].find("\n}\n").unwrap() + 3;
            let food = format!("fn food(h, p) {{\n    let out = {{ {body} }};\n    pass(#{{ out: out }}, \"m\", \"m\")\n}}\n");
            sources.set("exit.rhai", format!("{}{food}{}", &exit[..start], &exit[end..]));
            let engine = Engine::from_sources(sources).unwrap();
            let plan = engine.ruleset().plan();
            assert!(plan.iter().all(|l| l.placement == fast::Placement::Native), "{body}: {plan:?}");
            for h in &households {
                assert_eq!(exit_is_native(&engine, h), expect_native, "{body} on {}", h.id);
            }
        }
    }

    /// The differential tests compare answers; these check the fast path is what answers
    /// (no fallback) on generated households with the shipped rules.
    #[test]
    fn shipped_rules_are_settled_natively_in_full_and_outcome_only_modes() {
        let engine = Engine::embedded().unwrap();
        let rules = engine.ruleset();
        for year in [2016, 2020, 2024] {
            for h in Generator::new(GenOptions { seed: year as u64, year, ..GenOptions::default() }).take(200) {
                let params = rules.params.resolve(h.year, h.region.code.as_deref());
                let facts = Arc::new(Facts::derive(&h, &params));
                let (hr, pr) = (HouseholdRef(Arc::clone(&facts)), ParamsRef(Arc::clone(&params)));
                let interp = Interp { rules: &rules, h: &hr, p: &pr };
                let special = rules.plan.specialised(&params, &engine.limits);
                // Before 2020 there is no monitoring line: `p.monitoring_line` is an error the
                // interpreter reports, so the monitor set goes to it.
                for kind in SetKind::ALL {
                    let metas = &rules.set(kind).rules;
                    let native = rules.plan.runner(&params, &engine.limits, &special).full(kind, metas, &facts, &interp).is_some();
                    assert_eq!(native, kind != SetKind::Monitor || year >= 2020, "{kind:?} of {} in {year}", h.id);
                }
                // The code of both modes is specialised to every parameter table of the shipped rules.
                assert_eq!(rules.plan.is_specialised(&params, &engine.limits), [(true, true); 3], "{} in {year}", h.id);
                // Outcome-only code settles every set but the monitor set before 2020, which
                // alone goes to a full evaluation; the outcomes are the full decision's.
                for kind in SetKind::ALL {
                    let settled = rules.plan.runner(&params, &engine.limits, &special).outcomes(kind, &facts, &mut Vec::new()).is_some();
                    assert_eq!(settled, kind != SetKind::Monitor || year >= 2020, "outcome-only {kind:?} of {} in {year}", h.id);
                }
                // What the identification `decide` gives is read as it stands, not refused.
                let runner = rules.plan.runner(&params, &engine.limits, &special);
                let decided = runner.outcomes(SetKind::Identify, &facts, &mut Vec::new()).unwrap();
                assert!(fast::decision_text(&decided, "outcome", &IDENTIFY_OUTCOMES).is_some(), "{} in {year}", h.id);
                assert!(fast::decision_score(&decided).is_some() && fast::decision_choices(&decided, "causes", &CAUSES).is_some(), "{} in {year}", h.id);
                assert_eq!(engine.evaluate_outcomes(&h).unwrap(), Outcomes::from(&engine.evaluate(&h).unwrap()), "household {}", h.id);
                // The decision's JSON is written from the verdicts where all three sets are
                // settled natively in full, and is the decision's own JSON.
                let mut written = Vec::new();
                let native = with_table(&rules, &engine.limits, h.year, h.region.code.as_deref(), |t| engine.write_native_json(&rules, &h, t, &facts, &mut written)).is_some();
                assert_eq!(native, year >= 2020, "JSON written from the verdicts for {} in {year}", h.id);
                if native {
                    assert_eq!(written, serde_json::to_vec(&engine.evaluate(&h).unwrap()).unwrap(), "household {}", h.id);
                }
            }
        }
    }

    /// A `decide` map the engine refuses (an outcome it does not know) adds an error finding:
    /// that decision is not written from the verdicts, and its JSON is still the decision's.
    #[test]
    fn a_refused_decide_map_is_written_by_the_general_path() {
        let mut sources = RuleSources::embedded();
        let identify = sources.get("identify.rhai").unwrap().replacen("#{ outcome: outcome,", "#{ outcome: if h.size > 3 { \"unheard_of\" } else { outcome },", 1);
        sources.set("identify.rhai", identify);
        let engine = Engine::from_sources(sources).unwrap();
        let rules = engine.ruleset();
        let (mut refused, mut native) = (0, 0);
        for h in Generator::new(GenOptions { seed: 5, ..GenOptions::default() }).take(60) {
            let params = rules.params.resolve(h.year, h.region.code.as_deref());
            let facts = Facts::derive(&h, &params);
            let mut written = Vec::new();
            let wrote = with_table(&rules, &engine.limits, h.year, h.region.code.as_deref(), |t| engine.write_native_json(&rules, &h, t, &facts, &mut written)).is_some();
            assert_eq!(wrote, h.members.len() <= 3, "household {}", h.id);
            assert!(wrote || written.is_empty(), "nothing is left written by a refused try");
            let decision = engine.evaluate(&h).unwrap();
            let mut out = Vec::new();
            engine.evaluate_to_json(&h, &mut out).unwrap();
            assert_eq!(out, serde_json::to_vec(&decision).unwrap(), "household {}", h.id);
            refused += usize::from(!wrote);
            native += usize::from(wrote);
        }
        assert!(refused > 5 && native > 5, "{refused} refused, {native} written from the verdicts");
    }
}
