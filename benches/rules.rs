//! Per-household cost of the default national rules: the rhai engine with full findings
//! against a hand-written Rust "floor" of the same rules, plus facts derivation and JSON
//! parsing for context. See benches/README.md for figures and how to run.
//!
//! Every benchmark walks the same 1,000 generated households (`GenOptions::default()`) in
//! order, one household per criterion iteration, continuing where the previous sample
//! stopped, so each reported time is the mean per household over the whole population.
//! Before anything is measured the floor is checked against the engine on all 1,000.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fupin::facts::{Facts, round_fen};
use fupin::generate::{GenOptions, Generator};
use fupin::params::Resolved;
use fupin::{Decision, Engine, EnginePath, Household};

mod floor;
use floor::FloorParams;

const HOUSEHOLDS: usize = 1000;

struct Population {
    engine: Engine,
    households: Vec<Household>,
    json: Vec<String>,
    /// The parameters in force for each household, as the engine resolves them.
    resolved: Vec<Arc<Resolved>>,
    facts: Vec<Facts>,
    /// Distinct (year, region) parameter sets, read once into typed values.
    floor_params: Vec<FloorParams>,
    /// Index into `floor_params` for each household.
    floor_index: Vec<usize>,
}

impl Population {
    fn new() -> Population {
        let engine = Engine::embedded().expect("the embedded rules load");
        let households: Vec<Household> = Generator::new(GenOptions::default()).take(HOUSEHOLDS).collect();
        let json = households.iter().map(|h| serde_json::to_string(h).expect("households serialize")).collect();
        let rules = engine.ruleset();
        let resolved: Vec<Arc<Resolved>> =
            households.iter().map(|h| rules.params.resolve(h.year, h.region.code.as_deref())).collect();
        let facts = households.iter().zip(&resolved).map(|(h, p)| Facts::derive(h, p)).collect();
        // The parameter set caches resolutions, so equal pointers mean the same year and region.
        let mut seen: HashMap<*const Resolved, usize> = HashMap::new();
        let mut floor_params = Vec::new();
        let floor_index = resolved
            .iter()
            .map(|p| {
                *seen.entry(Arc::as_ptr(p)).or_insert_with(|| {
                    floor_params.push(FloorParams::from_resolved(p));
                    floor_params.len() - 1
                })
            })
            .collect();
        Population { engine, households, json, resolved, facts, floor_params, floor_index }
    }

    fn floor(&self, i: usize) -> floor::Outcome {
        floor::evaluate(&self.facts[i], &self.floor_params[self.floor_index[i]])
    }
}

fn diverge(id: &str, what: &str, engine: &dyn std::fmt::Debug, floor: &dyn std::fmt::Debug) -> ! {
    panic!("floor diverges from the engine on household {id}: {what}: engine {engine:?}, floor {floor:?}")
}

/// Panics, naming the household, where the floor and the engine disagree.
fn check_agreement(pop: &Population) {
    let mut tally: HashMap<String, usize> = HashMap::new();
    let monitor_ids: Vec<String> = floor::RISKS.iter().map(|r| format!("monitor.{r}")).collect();
    let monitor_ids: Vec<&str> = monitor_ids.iter().map(String::as_str).collect();
    for (i, h) in pop.households.iter().enumerate() {
        let d: Decision = pop.engine.evaluate(h).unwrap_or_else(|e| panic!("{}: engine refused the household: {e}", h.id));
        let f = pop.floor(i);
        let id = &h.id;
        let fail = |what: &str, engine: &dyn std::fmt::Debug, floor: &dyn std::fmt::Debug| diverge(id, what, engine, floor);
        let findings = |name: &str, ids: &[&str], engine: &[fupin::Finding], floor: &[floor::R]| {
            let e: Vec<(&str, &str)> = engine.iter().map(|x| (x.rule.as_str(), x.result.as_str())).collect();
            let f: Vec<(&str, &str)> = ids.iter().copied().zip(floor.iter().map(|r| r.as_str())).collect();
            if e != f {
                fail(&format!("{name} findings"), &e, &f);
            }
        };

        // identify
        if d.identify.outcome != f.identify.outcome.as_str() {
            fail("identify outcome", &d.identify.outcome, &f.identify.outcome);
        }
        findings("identify", &floor::IDENTIFY_RULES, &d.identify.findings, &f.identify.findings);
        let causes = floor::names_of(f.identify.causes, &floor::CAUSES);
        if d.identify.causes != causes {
            fail("identify causes", &d.identify.causes, &causes);
        }
        let score = round_fen(f.identify.score).normalize().to_string();
        if d.identify.score.to_string() != score {
            fail("identify score", &d.identify.score, &score);
        }
        // exit
        if d.exit.outcome != f.exit.outcome.as_str() {
            fail("exit outcome", &d.exit.outcome, &f.exit.outcome);
        }
        findings("exit", &floor::EXIT_RULES, &d.exit.findings, &f.exit.findings);
        // monitor
        let m = &d.monitor;
        if m.outcome != f.monitor.outcome.as_str() {
            fail("monitor outcome", &m.outcome, &f.monitor.outcome);
        }
        if m.level != f.monitor.level.as_str() {
            fail("monitor level", &m.level, &f.monitor.level);
        }
        if m.category != f.monitor.category.as_str() {
            fail("monitor category", &m.category, &f.monitor.category);
        }
        let risks = floor::names_of(f.monitor.risks, &floor::RISKS);
        if m.risks != risks {
            fail("monitor risks", &m.risks, &risks);
        }
        findings("monitor", &monitor_ids, &m.findings, &f.monitor.findings);
        // The engine lists measures in the order decide() meets them; compare as sets.
        let mut engine_measures: Vec<&str> = m.measures.iter().map(String::as_str).collect();
        engine_measures.sort_unstable();
        let mut floor_measures = floor::names_of(f.monitor.measures, &floor::MEASURES);
        floor_measures.sort_unstable();
        if engine_measures != floor_measures {
            fail("monitor measures", &m.measures, &floor_measures);
        }

        for key in [
            format!("identify={}", d.identify.outcome),
            format!("exit={}", d.exit.outcome),
            format!("monitor={}", m.outcome),
            format!("monitor.category={}", m.category),
            format!("monitor.level={}", m.level),
            match m.risks.len() {
                n @ 0..=2 => format!("monitor.risks={n}"),
                _ => "monitor.risks>=3".to_string(),
            },
        ] {
            *tally.entry(key).or_default() += 1;
        }
    }
    let mut tally: Vec<_> = tally.into_iter().collect();
    tally.sort();
    let summary: Vec<String> = tally.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    eprintln!(
        "floor agrees with the engine on all {} households (outcomes, every finding, causes, score, \
         category, level, risks, measures)\n  {}",
        pop.households.len(),
        summary.join(", ")
    );
}

/// Measures `f(i)` one household per iteration, walking the population in order and
/// carrying on where the previous sample stopped.
fn per_household<O>(c: &mut Criterion, name: &str, n: usize, mut f: impl FnMut(usize) -> O) {
    let mut next = 0usize;
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f(black_box(next)));
                next += 1;
                if next == n {
                    next = 0;
                }
            }
            start.elapsed()
        })
    });
}

fn benches(c: &mut Criterion) {
    let pop = Population::new();
    check_agreement(&pop);
    let n = pop.households.len();

    per_household(c, "engine_evaluate", n, |i| pop.engine.evaluate(&pop.households[i]));
    per_household(c, "engine_outcomes", n, |i| pop.engine.evaluate_outcomes(&pop.households[i]));
    per_household(c, "engine_decision_to_json", n, |i| pop.engine.evaluate(&pop.households[i]).map(|d| serde_json::to_vec(&d)));
    per_household(c, "engine_to_json", n, |i| {
        let mut out = Vec::with_capacity(16 << 10);
        pop.engine.evaluate_to_json(&pop.households[i], &mut out).map(|()| out)
    });
    let interpreter = pop.engine.clone().with_path(EnginePath::Interpreter);
    per_household(c, "engine_interpreter", n, |i| interpreter.evaluate(&pop.households[i]));
    per_household(c, "floor_rules", n, |i| pop.floor(i));
    per_household(c, "floor_with_facts", n, |i| {
        let facts = Facts::derive(&pop.households[i], &pop.resolved[i]);
        floor::evaluate(&facts, &pop.floor_params[pop.floor_index[i]])
    });
    per_household(c, "facts_derive", n, |i| Facts::derive(&pop.households[i], &pop.resolved[i]));
    per_household(c, "parse_json", n, |i| fupin::parse_household(&pop.json[i]));
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5))
}

criterion_group! { name = rules; config = config(); targets = benches }
criterion_main!(rules);
