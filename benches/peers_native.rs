//! Native rows of the peer comparison (benches/peers/, run by `bash benches/peers/run.sh`).
//!
//! Usage: `cargo bench --bench peers_native -- <population.jsonl> <out-dir> [interp-sample]`
//!
//! Reads a generated population (JSON Lines, `fupin gen`), then on ONE thread times:
//! - `fupin_fast_full`: `engine.evaluate(&h)` on the native fast path (full `Decision`:
//!   every finding with values and Chinese/English messages);
//! - `fupin_fast_outcomes`: `engine.evaluate_outcomes(&h)` (outcomes + every rule's result);
//! - `fupin_interp_full`: the same engine forced onto the rhai interpreter, on the first
//!   `interp-sample` households (default 2,000);
//! - `floor`: the hand-written Rust rules (`benches/floor/mod.rs`) over pre-derived facts,
//!   and `floor_with_facts` (facts derivation + floor), `facts_derive` alone.
//!
//! Checks, and exits non-zero on any difference: fast path and interpreter give identical
//! decisions (serialised JSON) on the sample; the floor gives the same outcomes, level,
//! category, risks and 26 rule results as the fast path on every household.
//!
//! Writes into <out-dir>: `facts.csv` (the flat per-household inputs the Python peers read:
//! one row of integers / decimals per household, see `FACT_COLUMNS`), `params.json` (the
//! parameters in force, identical for every household or this fails), `expected.csv`
//! (fupin's fast-path outcomes and the 26 rule results), and `native.json` (timings).
//! The timings are also printed as one JSON line on stdout.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::time::Instant;

use fupin::facts::{Facts, Tally};
use fupin::model::EventKind;
use fupin::{Engine, EnginePath, Household};
use rust_decimal::Decimal;

#[path = "floor/mod.rs"]
#[allow(dead_code)]
mod floor;
use floor::FloorParams;

/// Minimum over `passes` runs of `f` over `0..n`, in µs per household.
fn time_per_household<O>(n: usize, passes: usize, mut f: impl FnMut(usize) -> O) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..passes {
        let start = Instant::now();
        for i in 0..n {
            black_box(f(black_box(i)));
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
        best = best.min(us);
    }
    best
}

fn die(msg: String) -> ! {
    eprintln!("peers_native: {msg}");
    std::process::exit(1)
}

/// Money to integer fen (the facts are already rounded to the fen).
fn fen(d: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    let f = d * Decimal::ONE_HUNDRED;
    if f.fract() != Decimal::ZERO {
        die(format!("money {d} is not a whole number of fen"));
    }
    f.to_i64().unwrap_or_else(|| die(format!("money {d} out of range")))
}

fn tri(b: Option<bool>) -> i64 {
    match b {
        Some(true) => 1,
        Some(false) => 0,
        None => -1,
    }
}

/// Columns of facts.csv, in order. Unknown booleans are -1; an unknown number has its
/// `*_known` column 0 and value 0. Money is in integer fen.
const FACT_COLUMNS: &[&str] = &[
    "pci_known", "pci", "income_known", "net", "business", "business_cost", "prior_known", "prior_pci",
    "after_known", "after_rigid_pc", "exp_known", "exp_medical", "exp_education", "exp_total",
    "urban_housing", "veh_known", "veh_kind", "veh_kind_unvalued", "veh_kind_max_value", "business_known",
    "business_capital", "pe_yes", "pe_unknown", "vc_yes", "vc_unknown", "food", "clothing", "school_age_out",
    "school_age_unknown", "age_unknown", "insured_no", "insured_unknown", "fd_no", "fd_unknown", "relocated",
    "grade", "water_liters_known", "water_liters", "water_quality", "water_fetch_known", "water_fetch",
    "water_assurance_known", "water_assurance", "serious_ill", "health_unknown", "labor_able", "labor_unknown",
    "exited", "ev_illness", "ev_disability", "ev_disaster", "ev_epidemic", "ev_income_drop", "ev_job_loss",
    "ev_expense_spike", "ev_industry_failure", "ev_accident", "ev_water_cut",
];

fn fact_row(h: &Facts, p: &FloorParams, out: &mut String) {
    let opt_fen = |d: Option<Decimal>| -> [String; 2] {
        match d {
            Some(d) => ["1".into(), fen(d).to_string()],
            None => ["0".into(), "0".into()],
        }
    };
    let opt_dec = |d: Option<Decimal>| -> [String; 2] {
        match d {
            Some(d) => ["1".into(), d.normalize().to_string()],
            None => ["0".into(), "0".into()],
        }
    };
    let mut cols: Vec<String> = Vec::with_capacity(FACT_COLUMNS.len());
    cols.extend(opt_fen(h.pci));
    match h.income {
        Some(i) => cols.extend(["1".into(), fen(i.net).to_string(), fen(i.business).to_string(), fen(i.business_cost).to_string()]),
        None => cols.extend(["0".into(), "0".into(), "0".into(), "0".into()]),
    }
    cols.extend(opt_fen(h.prior_pci));
    cols.extend(opt_fen(h.after_rigid_pc));
    match h.expenses {
        Some(e) => cols.extend(["1".into(), fen(e.medical).to_string(), fen(e.education).to_string(), fen(e.total).to_string()]),
        None => cols.extend(["0".into(), "0".into(), "0".into(), "0".into()]),
    }
    cols.push(tri(h.urban_housing).to_string());
    // Vehicles: the list is reduced here to the vehicles of an excluded kind (a parameter),
    // as `Facts` reduces members to tallies; the value threshold stays in each peer's rule.
    match &h.vehicles {
        None => cols.extend(["0".into(), "0".into(), "0".into(), "-1".into()]),
        Some(vs) => {
            let kinds = ["car", "truck", "engineering", "agricultural", "motorcycle"];
            let excluded: Vec<&Option<Decimal>> = vs
                .iter()
                .filter(|(k, _)| kinds.iter().position(|x| x == k).is_some_and(|i| p.excluded_vehicle_kinds & (1 << i) != 0))
                .map(|(_, v)| v)
                .collect();
            let unvalued = excluded.iter().filter(|v| v.is_none()).count();
            let max = excluded.iter().filter_map(|v| v.map(fen)).max().unwrap_or(-1);
            cols.extend(["1".into(), excluded.len().to_string(), unvalued.to_string(), max.to_string()]);
        }
    }
    cols.extend(opt_fen(h.business_capital));
    let tally = |t: Tally, cols: &mut Vec<String>| {
        cols.push(t.yes.to_string());
        cols.push(t.unknown.to_string());
    };
    tally(h.public_employee, &mut cols);
    tally(h.village_cadre, &mut cols);
    cols.push(tri(h.food_secure).to_string());
    cols.push(tri(h.clothing_secure).to_string());
    cols.push(h.school_age_out.to_string());
    cols.push(h.school_age_unknown.to_string());
    cols.push(h.age_unknown.to_string());
    cols.push(h.insured.no.to_string());
    cols.push(h.insured.unknown.to_string());
    cols.push(h.family_doctor.no.to_string());
    cols.push(h.family_doctor.unknown.to_string());
    cols.push(tri(h.relocated).to_string());
    let grade = match h.housing_grade {
        None => 0,
        Some("A") => 1,
        Some("B") => 2,
        Some("C") => 3,
        Some("D") => 4,
        Some(g) => die(format!("{}: housing grade {g}", h.id)),
    };
    cols.push(grade.to_string());
    cols.extend(opt_dec(h.water_liters));
    cols.push(tri(h.water_quality_ok).to_string());
    cols.extend(opt_dec(h.water_fetch_minutes));
    cols.extend(opt_dec(h.water_assurance_pct));
    cols.push(h.serious_ill.to_string());
    cols.push(h.health_unknown.to_string());
    cols.push(h.labor_able.to_string());
    cols.push(h.labor_unknown.to_string());
    cols.push((h.exit_year.is_some() as i64).to_string());
    for kind in [
        EventKind::Illness,
        EventKind::Disability,
        EventKind::Disaster,
        EventKind::Epidemic,
        EventKind::IncomeDrop,
        EventKind::JobLoss,
        EventKind::ExpenseSpike,
        EventKind::IndustryFailure,
        EventKind::Accident,
        EventKind::WaterCut,
    ] {
        cols.push(h.events[kind as usize].count.to_string());
    }
    assert_eq!(cols.len(), FACT_COLUMNS.len());
    let _ = writeln!(out, "{},{}", h.id, cols.join(","));
}

fn result_letter(r: &str) -> char {
    match r {
        "pass" => 'p',
        "fail" => 'f',
        "unknown" => 'u',
        _ => 'e',
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let (Some(pop_path), Some(out_dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: cargo bench --bench peers_native -- <population.jsonl> <out-dir> [interp-sample]");
        eprintln!("(run by benches/peers/run.sh; nothing to do without a population)");
        return;
    };
    let sample: usize = args.get(2).map_or(2000, |s| s.parse().expect("interp-sample is a number"));
    let text = std::fs::read_to_string(pop_path).unwrap_or_else(|e| die(format!("{pop_path}: {e}")));
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let n = lines.len();
    let t = Instant::now();
    let households: Vec<Household> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| fupin::parse_household(l).unwrap_or_else(|e| die(format!("line {}: {e}", i + 1))))
        .collect();
    let parse_us = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let sample = sample.min(n);

    let engine = Engine::embedded().unwrap_or_else(|e| die(format!("rules: {e}")));
    let interp = engine.clone().with_path(EnginePath::Interpreter);
    let rules = engine.ruleset();
    let plan = rules.plan();
    let native_rules = plan.iter().filter(|l| matches!(l.placement, fupin::fast::Placement::Native)).count();
    for l in &plan {
        if let fupin::fast::Placement::Interpreter(why) = &l.placement {
            eprintln!("peers_native: fast plan: {} runs in the interpreter: {why}", l.rule);
        }
    }
    let resolved: Vec<_> = households.iter().map(|h| rules.params.resolve(h.year, h.region.code.as_deref())).collect();
    let facts: Vec<Facts> = households.iter().zip(&resolved).map(|(h, p)| Facts::derive(h, p)).collect();
    let fp = FloorParams::from_resolved(&resolved[0]);
    for (h, p) in households.iter().zip(&resolved) {
        if format!("{:?}", FloorParams::from_resolved(p)) != format!("{fp:?}") {
            die(format!("{}: parameters differ from the first household's; the peers take one parameter set", h.id));
        }
    }

    // ---- checks -------------------------------------------------------------------------
    let outcomes: Vec<fupin::Outcomes> = households
        .iter()
        .map(|h| engine.evaluate_outcomes(h).unwrap_or_else(|e| die(format!("{}: {e}", h.id))))
        .collect();
    for (i, h) in households.iter().enumerate().take(sample) {
        let fast = serde_json::to_string(&engine.evaluate(h).unwrap()).unwrap();
        let slow = serde_json::to_string(&interp.evaluate(h).unwrap()).unwrap();
        if fast != slow {
            die(format!("household {} (row {i}): fast path and interpreter decisions differ", h.id));
        }
        let full = fupin::Outcomes::from(&engine.evaluate(h).unwrap());
        if format!("{full:?}") != format!("{:?}", outcomes[i]) {
            die(format!("household {}: evaluate_outcomes differs from evaluate", h.id));
        }
    }
    for (i, (f, o)) in facts.iter().zip(&outcomes).enumerate() {
        let fl = floor::evaluate(f, &fp);
        let results: Vec<&str> = fl
            .identify
            .findings
            .iter()
            .chain(&fl.exit.findings)
            .chain(&fl.monitor.findings)
            .map(|r| r.as_str())
            .collect();
        let engine_results: Vec<&str> = o.results.iter().map(|r| r.as_str()).collect();
        let same = o.identify == fl.identify.outcome.as_str()
            && o.exit == fl.exit.outcome.as_str()
            && o.monitor == fl.monitor.outcome.as_str()
            && o.level == fl.monitor.level.as_str()
            && o.category == fl.monitor.category.as_str()
            && o.risks == floor::names_of(fl.monitor.risks, &floor::RISKS)
            && engine_results == results;
        if !same {
            die(format!("household {} (row {i}): the floor differs from fupin: {o:?} vs {fl:?}", f.id));
        }
    }
    eprintln!(
        "peers_native: {n} households; fast path == interpreter on {sample} (full decisions, JSON); \
         floor == fupin on all {n} (outcomes, level, category, risks, 26 rule results)"
    );

    // ---- exports ------------------------------------------------------------------------
    std::fs::create_dir_all(out_dir).unwrap_or_else(|e| die(format!("{out_dir}: {e}")));
    let mut csv = String::with_capacity(n * 200);
    csv.push_str("id,");
    csv.push_str(&FACT_COLUMNS.join(","));
    csv.push('\n');
    for f in &facts {
        fact_row(f, &fp, &mut csv);
    }
    std::fs::write(format!("{out_dir}/facts.csv"), csv).unwrap();
    let params = serde_json::json!({
        "poverty_line": fen(fp.poverty_line),
        "monitoring_line": fen(fp.monitoring_line),
        "warning_band_factor": fp.warning_band_factor.normalize().to_string(),
        "monitor_requires_risk": fp.monitor_requires_risk,
        "require_family_doctor": fp.require_family_doctor,
        "water_min_liters": fp.water_min_liters.normalize().to_string(),
        "water_max_fetch_minutes": fp.water_max_fetch_minutes.normalize().to_string(),
        "water_min_assurance_pct": fp.water_min_assurance_pct.normalize().to_string(),
        "vehicle_value_threshold": fen(fp.vehicle_value_threshold),
        "business_capital_threshold": fen(fp.business_capital_threshold),
        "medical_oop_threshold": fen(fp.medical_oop_threshold),
        "education_expense_threshold": fen(fp.education_expense_threshold),
        "income_drop_share": fp.income_drop_share.normalize().to_string(),
        "expense_spike_share": fp.expense_spike_share.normalize().to_string(),
        "money_unit": "fen",
    });
    std::fs::write(format!("{out_dir}/params.json"), serde_json::to_string_pretty(&params).unwrap()).unwrap();
    let mut exp = String::from("id,identify,exit,monitor,level,category,risks,results\n");
    for o in &outcomes {
        let letters: String = o.results.iter().map(|r| result_letter(r.as_str())).collect();
        let _ = writeln!(exp, "{},{},{},{},{},{},{},{}", o.household_id, o.identify, o.exit, o.monitor, o.level, o.category, o.risks.join("|"), letters);
    }
    std::fs::write(format!("{out_dir}/expected.csv"), exp).unwrap();

    // ---- timings (one thread) --------------------------------------------------------------
    let passes = 3;
    let fast_full = time_per_household(n, passes, |i| engine.evaluate(&households[i]));
    let fast_outcomes = time_per_household(n, passes, |i| engine.evaluate_outcomes(&households[i]));
    let interp_full = time_per_household(sample, 2, |i| interp.evaluate(&households[i]));
    let floor_us = time_per_household(n, passes, |i| floor::evaluate(&facts[i], &fp));
    let floor_with_facts = time_per_household(n, passes, |i| floor::evaluate(&Facts::derive(&households[i], &resolved[i]), &fp));
    let derive = time_per_household(n, passes, |i| Facts::derive(&households[i], &resolved[i]));
    let json = serde_json::json!({
        "households": n,
        "fast_plan": format!("{native_rules} of {} rules and decides native", plan.len()),
        "interp_sample": sample,
        "parse_json_us": parse_us,
        "fupin_fast_full_us": fast_full,
        "fupin_fast_outcomes_us": fast_outcomes,
        "fupin_interp_full_us": interp_full,
        "floor_us": floor_us,
        "floor_with_facts_us": floor_with_facts,
        "facts_derive_us": derive,
    });
    std::fs::write(format!("{out_dir}/native.json"), json.to_string()).unwrap();
    println!("{json}");
    let _ = std::io::stdout().flush();
}
