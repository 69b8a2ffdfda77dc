//! Compiling a rule set: the manifest, the parameters and the three scripts, checked
//! together so that every problem is reported at once, with file, line and column.
//!
//! Each script declares its rules in `fn rules()`: a list of maps with `id`, `title_zh`,
//! `title_en`, `citation`, `run` (the rule function, called as `run(h, p)`) and, for
//! monitor rules, `risk`. It also defines `decide(h, p, results)`. The engine appends a
//! generated driver that runs every rule inside `try`/`catch`, so one failing rule becomes
//! an `error` finding and the others still run.

use std::collections::BTreeSet;
use std::sync::Arc;

use rhai::{AST, Array, CallFnOptions, Dynamic, Engine, Map, Scope};
use serde::Deserialize;

use crate::decision::RulesetInfo;
use crate::error::{RulesError, RulesErrors};
use crate::fast::{FastPlan, PlanLine};
use crate::params::ParamSet;
use crate::sandbox::{Limits, hardened_engine};
use crate::sources::RuleSources;

/// The three rule sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetKind {
    /// 识别
    Identify,
    /// 退出
    Exit,
    /// 监测
    Monitor,
}

impl SetKind {
    /// All three, in decision order.
    pub const ALL: [SetKind; 3] = [SetKind::Identify, SetKind::Exit, SetKind::Monitor];

    /// `identify`, `exit` or `monitor` (the rule-id prefix).
    pub fn name(self) -> &'static str {
        match self {
            SetKind::Identify => "identify",
            SetKind::Exit => "exit",
            SetKind::Monitor => "monitor",
        }
    }

    fn file(self) -> String {
        format!("{}.rhai", self.name())
    }
}

/// Finding ids the decision contract requires of the exit rule set.
pub const REQUIRED_EXIT_RULES: [&str; 7] =
    ["exit.income", "exit.food", "exit.clothing", "exit.education", "exit.medical", "exit.housing", "exit.water"];

/// Risk ids of the decision contract.
pub const RISKS: [&str; 13] = [
    "illness", "disability", "schooling", "disaster", "epidemic", "income_drop", "expense_spike",
    "industry_unsustainable", "labor_loss", "accident", "employment_unstable", "housing", "water",
];

/// Parameters the engine itself reads when deriving facts; they must exist from 2010.
const REQUIRED_PARAMS: [&str; 3] = ["poverty_line", "compulsory_age_min", "compulsory_age_max"];

/// Optional helpers merged into every set's script.
const COMMON: &str = "common.rhai";

/// The name of the generated driver function.
pub(crate) const DRIVER: &str = "__fupin_run";

/// One rule's declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable id, e.g. `exit.housing`.
    pub id: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// Policy citation.
    pub citation: String,
    /// The script function implementing it.
    pub run: String,
    /// For monitor rules: the risk id a `fail` stands for.
    pub risk: Option<String>,
}

/// One compiled script with its rules.
#[derive(Debug)]
pub struct CompiledSet {
    /// Which set.
    pub kind: SetKind,
    /// Script + generated driver.
    pub(crate) ast: AST,
    /// The declared rules, in script order.
    pub rules: Vec<RuleMeta>,
    /// Each rule's id, titles and citation as JSON strings, escaped once when the rules load
    /// (written into every decision, see `decision_json`).
    pub(crate) rules_json: Vec<RuleJson>,
}

/// A rule's declared texts as `serde_json` writes them.
#[derive(Debug)]
pub(crate) struct RuleJson {
    pub id: Box<serde_json::value::RawValue>,
    pub title_zh: Box<serde_json::value::RawValue>,
    pub title_en: Box<serde_json::value::RawValue>,
    pub citation: Box<serde_json::value::RawValue>,
}

impl RuleJson {
    fn of(meta: &RuleMeta) -> Result<RuleJson, serde_json::Error> {
        let raw = serde_json::value::to_raw_value;
        Ok(RuleJson { id: raw(&meta.id)?, title_zh: raw(&meta.title_zh)?, title_en: raw(&meta.title_en)?, citation: raw(&meta.citation)? })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    name: String,
    version: String,
    description: String,
}

/// A loaded, validated rule set.
#[derive(Debug)]
pub struct Ruleset {
    /// Name, version and content hash.
    pub info: Arc<RulesetInfo>,
    /// One-line description from `ruleset.toml`.
    pub description: String,
    pub(crate) engine: Engine,
    /// The parameters.
    pub params: ParamSet,
    /// identify, exit, monitor.
    pub sets: [CompiledSet; 3],
    /// The files it was built from.
    pub sources: RuleSources,
    /// The native fast path of the same scripts.
    pub(crate) plan: FastPlan,
    /// Every rule id, identify then exit then monitor (for [`crate::Outcomes`]).
    pub(crate) rule_ids: Arc<[String]>,
    /// This load's number, unique in the process (rules reloaded get a new one).
    pub(crate) load_id: u64,
}

/// The number of the next [`Ruleset`] loaded.
static NEXT_LOAD_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn script_err(file: &str, message: impl Into<String>) -> RulesError {
    RulesError::Script { file: file.to_string(), message: message.into() }
}

fn text_field(file: &str, i: usize, map: &Map, key: &str) -> Result<String, RulesError> {
    match map.get(key).map(|v| v.clone().into_string()) {
        Some(Ok(s)) if !s.trim().is_empty() => Ok(s),
        _ => Err(script_err(file, format!("rules()[{i}].{key}: a non-empty string is required"))),
    }
}

fn read_rules(engine: &Engine, kind: SetKind, file: &str, ast: &AST) -> Result<Vec<RuleMeta>, Vec<RulesError>> {
    let options = CallFnOptions::new().eval_ast(false);
    let list: Array = engine
        .call_fn_with_options(options, &mut Scope::new(), ast, "rules", ())
        .map_err(|e| vec![script_err(file, format!("fn rules() must return the list of rules: {e}"))])?;
    let functions: BTreeSet<(String, usize)> =
        ast.iter_functions().map(|f| (f.name.to_string(), f.params.len())).collect();
    let mut errors = Vec::new();
    let mut rules = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, item) in list.into_iter().enumerate() {
        let Some(map) = item.try_cast::<Map>() else {
            errors.push(script_err(file, format!("rules()[{i}]: expected a map #{{ id: …, run: … }}")));
            continue;
        };
        let allowed = ["id", "title_zh", "title_en", "citation", "run", "risk"];
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            errors.push(script_err(file, format!("rules()[{i}]: unknown key `{k}` (allowed: {})", allowed.join(", "))));
        }
        let fields = ["id", "title_zh", "title_en", "citation", "run"].map(|k| text_field(file, i, &map, k));
        let [id, title_zh, title_en, citation, run] = match fields {
            [Ok(a), Ok(b), Ok(c), Ok(d), Ok(e)] => [a, b, c, d, e],
            other => {
                errors.extend(other.into_iter().filter_map(Result::err));
                continue;
            }
        };
        if !id.starts_with(&format!("{}.", kind.name())) {
            errors.push(script_err(file, format!("rule `{id}`: ids in {file} start with `{}.`", kind.name())));
        }
        if !ids.insert(id.clone()) {
            errors.push(script_err(file, format!("rule `{id}` is declared twice")));
        }
        if !functions.contains(&(run.clone(), 2)) {
            errors.push(script_err(file, format!("rule `{id}`: no function `{run}(h, p)` in the script")));
        }
        let risk = match map.get("risk") {
            None => None,
            Some(r) => match r.clone().into_string() {
                Ok(r) if kind == SetKind::Monitor && RISKS.contains(&r.as_str()) => Some(r),
                _ => {
                    errors.push(script_err(file, format!("rule `{id}`: risk must be one of {} (monitor rules only)", RISKS.join(", "))));
                    None
                }
            },
        };
        rules.push(RuleMeta { id, title_zh, title_en, citation, run, risk });
    }
    if !functions.contains(&("decide".to_string(), 3)) {
        errors.push(script_err(file, "no function `decide(h, p, results)` in the script"));
    }
    if kind == SetKind::Exit {
        for required in REQUIRED_EXIT_RULES {
            if !ids.contains(required) {
                errors.push(script_err(file, format!("the decision contract requires a rule `{required}`")));
            }
        }
    }
    if errors.is_empty() { Ok(rules) } else { Err(errors) }
}

/// The generated driver: every rule in `try`/`catch`, then `decide`. A rule that throws, or
/// returns something other than a verdict, is recorded as an error and the others still run.
fn driver_source(rules: &[RuleMeta]) -> String {
    let mut code = format!("fn {DRIVER}(h, p) {{\n    let verdicts = [];\n    let results = #{{}};\n");
    for rule in rules {
        code += &format!(
            "    try {{ let v = {run}(h, p); results[{id:?}] = v.result; verdicts.push(v); }} \
             catch (e) {{ results[{id:?}] = \"error\"; verdicts.push(rule_error(e)); }}\n",
            run = rule.run,
            id = rule.id
        );
    }
    code += "    let decision = ();\n    try { decision = decide(h, p, results); } catch (e) { decision = rule_error(e); }\n";
    code += "    [verdicts, decision]\n}\n";
    code
}

fn parse(engine: &Engine, file: &str, text: &str) -> Result<AST, RulesError> {
    engine.compile(text).map_err(|e| RulesError::Syntax {
        file: file.to_string(),
        line: e.1.line().unwrap_or(0),
        column: e.1.position().unwrap_or(0),
        message: e.err_type().to_string(),
    })
}

/// Compiles one set's script, merged over the shared helpers of `common.rhai` (if any).
fn compile(engine: &Engine, kind: SetKind, sources: &RuleSources, common: Option<&AST>) -> Result<CompiledSet, Vec<RulesError>> {
    let file = kind.file();
    let text = sources.require(&file).map_err(|e| vec![e])?;
    let own = parse(engine, &file, text).map_err(|e| vec![e])?;
    let ast = match common {
        Some(common) => common.merge(&own),
        None => own,
    };
    if ast.iter_functions().any(|f| f.name.starts_with("__fupin")) {
        return Err(vec![script_err(&file, "function names starting with __fupin are reserved")]);
    }
    let rules = read_rules(engine, kind, &file, &ast)?;
    let driver = engine
        .compile(format!("{}{}", driver_source(&rules), crate::fast::wrapper_source(&rules)))
        .map_err(|e| vec![script_err(&file, format!("internal driver failed to compile: {e}"))])?;
    let rules_json = rules
        .iter()
        .map(RuleJson::of)
        .collect::<Result<_, _>>()
        .map_err(|e| vec![script_err(&file, format!("rule texts cannot be written as JSON: {e}"))])?;
    Ok(CompiledSet { kind, ast: ast.merge(&driver), rules, rules_json })
}

impl Ruleset {
    /// Loads and checks a rule set; every problem found is reported.
    pub fn load(sources: RuleSources, limits: &Limits) -> Result<Ruleset, RulesErrors> {
        let engine = hardened_engine(limits);
        let mut errors = Vec::new();
        let manifest = sources.require("ruleset.toml").and_then(|text| {
            toml::from_str::<Manifest>(text).map_err(|e| crate::params::toml_err("ruleset.toml", text, e))
        });
        let manifest = manifest.map_err(|e| errors.push(e)).ok();
        let regions: Vec<(&str, &str)> = sources.files().filter(|(p, _)| p.starts_with("params/regions/")).collect();
        let params = match sources.require("params/national.toml") {
            Ok(national) => ParamSet::load(("params/national.toml", national), &regions).map_err(|e| errors.extend(e)).ok(),
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if let Some(params) = &params {
            let first = params.resolve(2010, None);
            for name in REQUIRED_PARAMS {
                if let Err(e) = first.get(name) {
                    errors.push(RulesError::Params { file: "params/national.toml".into(), key: name.into(), message: format!("required from 2010: {e}") });
                }
            }
        }
        let common = sources.get(COMMON).and_then(|text| parse(&engine, COMMON, text).map_err(|e| errors.push(e)).ok());
        let sets = if errors.iter().any(|e| matches!(e, RulesError::Syntax { .. })) {
            [None, None, None]
        } else {
            SetKind::ALL.map(|kind| compile(&engine, kind, &sources, common.as_ref()).map_err(|e| errors.extend(e)).ok())
        };
        match (manifest, params, sets) {
            (Some(manifest), Some(params), [Some(i), Some(x), Some(m)]) if errors.is_empty() => Ok(Ruleset {
                rule_ids: [&i, &x, &m].iter().flat_map(|set| set.rules.iter().map(|r| r.id.clone())).collect(),
                info: Arc::new(RulesetInfo { name: manifest.name, version: manifest.version, hash: sources.content_hash() }),
                description: manifest.description,
                engine,
                plan: FastPlan::compile(&sources, &params, [&i.rules, &x.rules, &m.rules]),
                params,
                sets: [i, x, m],
                sources,
                load_id: NEXT_LOAD_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            }),
            _ => Err(RulesErrors(errors)),
        }
    }

    /// Where each rule runs: natively on the fast path, or in the interpreter and why.
    pub fn plan(&self) -> Vec<PlanLine> {
        self.plan.describe([&self.sets[0].rules, &self.sets[1].rules, &self.sets[2].rules])
    }

    /// How each rule and `decide` runs outcome-only under the parameters in force for `year`
    /// in the region with this code (or national only), with these sandbox limits.
    pub(crate) fn outcome_plan(&self, year: i32, region_code: Option<&str>, limits: &crate::sandbox::Limits) -> Vec<(String, crate::fast::OutcomeForm)> {
        let params = self.params.resolve(year, region_code);
        self.plan.describe_outcomes([&self.sets[0].rules, &self.sets[1].rules, &self.sets[2].rules], &params, limits)
    }

    /// The compiled set of `kind`.
    pub fn set(&self, kind: SetKind) -> &CompiledSet {
        &self.sets[kind as usize]
    }

    /// Calls one script function of a set with `(h, p)`-style arguments.
    pub(crate) fn call(&self, kind: SetKind, name: &str, args: impl rhai::FuncArgs) -> Result<Dynamic, Box<rhai::EvalAltResult>> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        self.engine.call_fn_with_options(options, &mut Scope::new(), &self.set(kind).ast, name, args)
    }
}
