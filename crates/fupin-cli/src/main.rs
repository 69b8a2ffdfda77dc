//! `fupin` — evaluate households for 识别 / 退出 / 监测, explain decisions in Chinese, run
//! rule tests, check edited rules, print the household schema, generate sample populations.
//!
//! Exit codes: 0 success; 1 some rows or tests failed; 2 the command could not run
//! (unreadable file, rules that do not load, bad arguments). Output piped into a reader that
//! closes early (`fupin eval … | head -1`) ends the command quietly with 0.

mod generate;
mod lines;
mod parquet_out;
mod pipeline;
mod population;
mod read;
mod source;
mod tables_csv;
mod tables_parquet;

use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: evaluation allocates many small values on every worker thread, where glibc's
/// allocator costs the streaming commands about a tenth of their time (benches/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use fupin::{Engine, EnginePath};
use fupin::population::report::ExitStandard;
use population::{By, DecisionFormat, Input, ReportFormat};
use rayon::prelude::*;

#[derive(Parser)]
#[command(name = "fupin", version, about = "扶贫 rules engine: 建档立卡识别, 脱贫退出, 防返贫监测预警")]
struct Cli {
    /// An edited copy of the rules directory (default: the rules embedded in this binary).
    #[arg(long, global = true, value_name = "DIR")]
    rules: Option<PathBuf>,
    /// fast: rules lowered to native code, the interpreter where it must; interp: every rule in
    /// the rhai interpreter (the reference). Both give identical decisions.
    #[arg(long, global = true, value_enum, default_value = "fast")]
    engine: EngineChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate households (JSON Lines, one JSON object or array, or 户表+人表 as CSV or
    /// Parquet), streaming, on all cores, decisions in input order.
    Eval {
        #[command(flatten)]
        input: Input,
        /// jsonl: full decisions; csv / parquet: one flattened row per decision.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: DecisionFormat,
        /// Output file (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Aggregate by village / township / county: 贫困发生率, the exit test, causes, risks,
    /// levels and the households needing a 《返贫致贫风险预警报告》.
    Report {
        #[command(flatten)]
        input: Input,
        /// Level of aggregation.
        #[arg(long, value_enum, default_value = "village")]
        by: By,
        /// table, csv, json or html (self-contained, printable).
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Output file (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Exit standard: 贫困发生率 below this percentage (《关于建立贫困退出机制的意见》: 2).
        #[arg(long, default_value_t = 2.0, value_name = "PCT")]
        exit_rate: f64,
        /// Exit standard in 西部地区 (3).
        #[arg(long, default_value_t = 3.0, value_name = "PCT")]
        western_exit_rate: f64,
    },
    /// What-if: the same households under rule set A and rule set B; what changes, where.
    Diff {
        #[command(flatten)]
        input: Input,
        /// Rules A (default: --rules, else the embedded rules).
        #[arg(long, value_name = "DIR")]
        rules_a: Option<PathBuf>,
        /// Rules B: another rules directory.
        #[arg(long, value_name = "DIR")]
        rules_b: Option<PathBuf>,
        /// Rules B = rules A with one file replaced, e.g. params/regions/52.toml=my-52.toml (repeatable).
        #[arg(long, value_name = "PATH=FILE")]
        set_b: Vec<String>,
        /// Level of the per-unit counts.
        #[arg(long, value_enum, default_value = "village")]
        by: By,
        /// table, csv (the changed households) or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Output file (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// 全旗大排序: rank households by the identify score within a quota (规模控制), mark 拟识别,
    /// list the disagreements for 民主评议.
    Rank {
        #[command(flatten)]
        input: Input,
        /// Quota per unit: N households or P% of the unit's households.
        #[arg(long, value_name = "N|P%")]
        quota: Option<String>,
        /// Quotas per unit code (TOML: [quota] "150526" = 30 or "5%"); --quota is the default.
        #[arg(long, value_name = "FILE")]
        quota_file: Option<PathBuf>,
        /// The unit ranked as one list.
        #[arg(long, value_enum, default_value = "county")]
        by: By,
        /// table, csv or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Output file (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// 动态管理: compare last year's and this year's data for the same households — 新识别, 脱贫,
    /// 返贫, 新纳入监测, 解除监测.
    Dynamics {
        /// Last year's households: JSON Lines, or a directory with households.csv + members.csv
        /// (or .parquet).
        #[arg(long, value_name = "FILE|DIR")]
        last: String,
        /// This year's households, likewise.
        #[arg(long, value_name = "FILE|DIR")]
        this: String,
        /// table or json.
        #[arg(long, value_enum, default_value = "table")]
        format: ReportFormat,
        /// Output file (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print a Chinese explanation of the three decisions for one household (for a 公示).
    Explain {
        /// Input file, or - for stdin.
        input: String,
        /// 户编号 of the household to explain.
        #[arg(long)]
        id: String,
    },
    /// Evaluate a village file and print counts, 贫困发生率, top causes and high-risk households.
    Summary {
        /// Input file, or - for stdin.
        input: String,
    },
    /// Run the rule tests (TOML cases) and show each failure with its explanation.
    Test {
        /// Directory of test files (default: rules/tests).
        dir: Option<PathBuf>,
    },
    /// Load and validate a rules directory; report every problem with file, line and key.
    Check {
        /// The rules directory to check (default: the embedded rules).
        dir: Option<PathBuf>,
        /// Also list where each rule runs: natively (fast path) or in the interpreter, and why;
        /// and how it runs outcome-only (CSV, reports) under one year's national parameters.
        #[arg(long)]
        explain_plan: bool,
        /// The year whose national parameters the outcome-only plan uses.
        #[arg(long, default_value_t = 2024, requires = "explain_plan")]
        year: i32,
    },
    /// Print the JSON Schema of one household, derived from the Rust model.
    Schema,
    /// Convert households (JSON Lines) to a 户表+人表 pair: DIR/households.csv and
    /// DIR/members.csv (or .parquet). Events (the year's shocks) are not part of the two-table
    /// export and are dropped.
    Tables {
        /// Input file, or - for stdin.
        input: String,
        /// Directory to write the two tables to.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// csv or parquet.
        #[arg(long, value_enum, default_value = "csv")]
        format: generate::TableFormat,
    },
    /// Write a deterministic synthetic population as JSON Lines (or a 户表+人表 CSV pair), in
    /// parallel chunks.
    Gen {
        /// Number of households.
        #[arg(long, default_value_t = 300)]
        households: usize,
        /// Spread them over this many villages (consecutive codes from --village-code).
        #[arg(long, default_value_t = 1)]
        villages: usize,
        /// Write DIR/households.csv and DIR/members.csv instead of JSON Lines (no events).
        #[arg(long, value_name = "DIR")]
        csv: Option<PathBuf>,
        /// Output file for JSON Lines (default, or `-`: stdout).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Evaluation year.
        #[arg(long, default_value_t = 2024)]
        year: i32,
        /// 12-digit village code.
        #[arg(long, default_value = "150526100201")]
        village_code: String,
    },
}

/// The evaluation path chosen with `--engine`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum EngineChoice {
    /// The native fast path (default).
    Fast,
    /// The rhai interpreter alone.
    Interp,
}

impl EngineChoice {
    fn path(self) -> EnginePath {
        match self {
            EngineChoice::Fast => EnginePath::Fast,
            EngineChoice::Interp => EnginePath::Interpreter,
        }
    }
}

fn engine(rules: &Option<PathBuf>, choice: EngineChoice) -> Result<Engine, String> {
    let engine = match rules {
        Some(dir) => Engine::from_dir(dir).map_err(|e| format!("rules in {} do not load:\n{e}", dir.display())),
        None => Engine::embedded().map_err(|e| format!("embedded rules do not load:\n{e}")),
    }?;
    Ok(engine.with_path(choice.path()))
}

fn row_error(row: usize, id: Option<&str>, e: &fupin::ValidationError) -> String {
    serde_json::json!({ "row": row, "household_id": id, "path": e.path, "message": e.message }).to_string()
}

fn explain(engine: &Engine, input: &str, id: &str) -> Result<ExitCode, String> {
    let text = read::read_text(input)?;
    let found = fupin::village::records(&text).into_iter().find_map(|r| r.household.ok().filter(|h| h.id == id));
    let household = found.ok_or_else(|| format!("no valid household with 户编号 {id} in {input}"))?;
    let decision = engine.evaluate(&household).map_err(|e| format!("户编号 {id}: {e}"))?;
    print!("{}", fupin::explain::explain_zh(&decision));
    Ok(ExitCode::SUCCESS)
}

fn summary(engine: &Engine, input: &str) -> Result<ExitCode, String> {
    let text = read::read_text(input)?;
    let mut s = fupin::village::Summary::default();
    let mut errors = 0;
    // Evaluated in parallel, counted and reported in input order.
    let evaluated: Vec<_> = fupin::village::records(&text)
        .into_par_iter()
        .map(|record| (record.row, record.household.and_then(|h| engine.evaluate_outcomes(&h).map(|d| (d, h.members.len())).map_err(|e| (Some(h.id.clone()), e)))))
        .collect();
    for (row, result) in evaluated {
        match result {
            Ok((d, size)) => s.add(&d, size),
            Err((id, e)) => {
                errors += 1;
                eprintln!("{}", row_error(row, id.as_deref(), &e));
            }
        }
    }
    let r = engine.ruleset();
    println!("规则：{} {}（{}）", r.info.name, r.info.version, r.info.hash);
    print!("{}", s.render(errors));
    Ok(ExitCode::SUCCESS)
}

fn test(engine: &Engine, dir: Option<PathBuf>) -> Result<ExitCode, String> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("rules/tests"));
    let report = fupin::ruletest::run_dir(engine, &dir);
    for e in &report.file_errors {
        println!("ERROR {e}");
    }
    for case in report.cases.iter().filter(|c| !c.passed()) {
        println!("FAIL {} :: {}", case.file, case.name);
        for f in &case.failures {
            println!("  - {f}");
        }
        if let Some(d) = &case.decision {
            for line in fupin::explain::explain_zh(d).lines() {
                println!("    | {line}");
            }
        }
    }
    println!("{} of {} rule test cases passed ({})", report.passed(), report.cases.len(), dir.display());
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn check(dir: Option<&PathBuf>, explain_plan: bool, year: i32) -> Result<ExitCode, String> {
    let loaded = match dir {
        Some(dir) => Engine::from_dir(dir),
        None => Engine::embedded(),
    };
    match loaded {
        Ok(engine) => {
            let r = engine.ruleset();
            println!("OK {} {} {}", r.info.name, r.info.version, r.info.hash);
            for set in &r.sets {
                println!("  {}: {} rules", set.kind.name(), set.rules.len());
            }
            println!("  parameters: {}", r.params.names().len());
            if explain_plan {
                print_plan(&r.plan());
                print_outcome_plan(&engine.outcome_plan(year, None), year);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(errors) => {
            for e in &errors.0 {
                println!("ERROR {e}");
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn generate(plan: generate::Plan, csv: Option<PathBuf>, output: Option<PathBuf>) -> Result<ExitCode, String> {
    match csv {
        Some(dir) => generate::tables(&plan, &dir)?,
        None => generate::jsonl(&plan, &mut population::output(output.as_deref())?)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Eval { input, format, output } => population::eval(&engine(&cli.rules, cli.engine)?, &input, format, output.as_deref()),
        Command::Report { input, by, format, output, exit_rate, western_exit_rate } => {
            let standard = ExitStandard { rate_pct: exit_rate, western_rate_pct: western_exit_rate };
            population::report(&engine(&cli.rules, cli.engine)?, &input, by, format, standard, output.as_deref())
        }
        Command::Diff { input, rules_a, rules_b, set_b, by, format, output } => {
            let base = rules_a.or(cli.rules);
            let a = engine(&base, cli.engine)?;
            let b = population::engine_b(&base, &rules_b, &set_b)?.with_path(cli.engine.path());
            population::diff(&a, &b, &input, by, format, output.as_deref())
        }
        Command::Rank { input, quota, quota_file, by, format, output } => {
            population::rank(&engine(&cli.rules, cli.engine)?, &input, by, quota.as_deref(), quota_file.as_deref(), format, output.as_deref())
        }
        Command::Dynamics { last, this, format, output } => population::dynamics(&engine(&cli.rules, cli.engine)?, &last, &this, format, output.as_deref()),
        Command::Explain { input, id } => explain(&engine(&cli.rules, cli.engine)?, &input, &id),
        Command::Summary { input } => summary(&engine(&cli.rules, cli.engine)?, &input),
        Command::Test { dir } => test(&engine(&cli.rules, cli.engine)?, dir),
        Command::Check { dir, explain_plan, year } => check(dir.as_ref(), explain_plan, year),
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&fupin::schema::household_schema()).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Tables { input, out, format } => {
            let failed = generate::convert(source::json(&input)?, &out, format)?;
            Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Gen { households, villages, csv, output, seed, year, village_code } => {
            generate(generate::Plan { households, villages, seed, year, village_code }, csv, output)
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        // The reader of our output went away (`fupin eval … | head -1`): nothing is wrong.
        Err(_) if population::stdout_closed() => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fupin: {message}");
            ExitCode::from(2)
        }
    }
}

/// How each rule runs outcome-only under one year's national parameters.
fn print_outcome_plan(plan: &[(String, fupin::fast::OutcomeForm)], year: i32) {
    let count = |form| plan.iter().filter(|(_, f)| *f == form).count();
    let compiled = count(fupin::fast::OutcomeForm::CompiledTree);
    let (trees, remembered) = (count(fupin::fast::OutcomeForm::Tree) + compiled, count(fupin::fast::OutcomeForm::Remembered));
    println!(
        "  outcome-only code, {year} national parameters: {trees} of {} as decision trees ({compiled} compiled with fupin), {remembered} remembered",
        plan.len()
    );
    for (rule, form) in plan {
        println!("    {:<12} {rule}", form.name());
    }
}

/// Where each rule runs, one line per rule (`fupin check --explain-plan`).
fn print_plan(plan: &[fupin::fast::PlanLine]) {
    let native = plan.iter().filter(|l| l.placement == fupin::fast::Placement::Native).count();
    println!("  plan: {native} of {} rules and decide steps run natively (fast path)", plan.len());
    for line in plan {
        match &line.placement {
            fupin::fast::Placement::Native => println!("    native       {}", line.rule),
            fupin::fast::Placement::Interpreter(why) => println!("    interpreter  {}  ({why})", line.rule),
        }
    }
}
