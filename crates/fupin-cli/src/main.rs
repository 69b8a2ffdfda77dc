//! `fupin` — evaluate households for 识别 / 退出 / 监测, explain decisions in Chinese, run
//! rule tests, check edited rules, print the household schema, generate sample populations.
//!
//! Exit codes: 0 success; 1 some rows or tests failed; 2 the command could not run
//! (unreadable file, rules that do not load, bad arguments).

mod read;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fupin::Engine;
use fupin::generate::{GenOptions, Generator};

#[derive(Parser)]
#[command(name = "fupin", version, about = "扶贫 rules engine: 建档立卡识别, 脱贫退出, 防返贫监测预警")]
struct Cli {
    /// An edited copy of the rules directory (default: the rules embedded in this binary).
    #[arg(long, global = true, value_name = "DIR")]
    rules: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate households (one JSON object, a JSON array, or JSON Lines); one decision per line.
    Eval {
        /// Input file, or - for stdin.
        #[arg(default_value = "-")]
        input: String,
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
        /// The rules directory to check.
        dir: PathBuf,
    },
    /// Print the JSON Schema of one household, derived from the Rust model.
    Schema,
    /// Write a deterministic synthetic population as JSON Lines.
    Gen {
        /// Number of households.
        #[arg(long, default_value_t = 300)]
        households: usize,
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

fn engine(rules: &Option<PathBuf>) -> Result<Engine, String> {
    match rules {
        Some(dir) => Engine::from_dir(dir).map_err(|e| format!("rules in {} do not load:\n{e}", dir.display())),
        None => Engine::embedded().map_err(|e| format!("embedded rules do not load:\n{e}")),
    }
}

fn row_error(row: usize, id: Option<&str>, e: &fupin::ValidationError) -> String {
    serde_json::json!({ "row": row, "household_id": id, "path": e.path, "message": e.message }).to_string()
}

fn eval(engine: &Engine, input: &str) -> Result<ExitCode, String> {
    let text = read::read_text(input)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut failed = 0usize;
    for record in fupin::village::records(&text) {
        let result = record.household.and_then(|h| engine.evaluate(&h).map_err(|e| (Some(h.id.clone()), e)));
        match result {
            Ok(d) => writeln!(out, "{}", serde_json::to_string(&d).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?,
            Err((id, e)) => {
                failed += 1;
                eprintln!("{}", row_error(record.row, id.as_deref(), &e));
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(if failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
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
    for record in fupin::village::records(&text) {
        match record.household.and_then(|h| engine.evaluate(&h).map(|d| (d, h.members.len())).map_err(|e| (Some(h.id.clone()), e))) {
            Ok((d, size)) => s.add(&d, size),
            Err((id, e)) => {
                errors += 1;
                eprintln!("{}", row_error(record.row, id.as_deref(), &e));
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

fn check(dir: &PathBuf) -> Result<ExitCode, String> {
    match Engine::from_dir(dir) {
        Ok(engine) => {
            let r = engine.ruleset();
            println!("OK {} {} {}", r.info.name, r.info.version, r.info.hash);
            for set in &r.sets {
                println!("  {}: {} rules", set.kind.name(), set.rules.len());
            }
            println!("  parameters: {}", r.params.names().len());
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

fn generate(households: usize, seed: u64, year: i32, village_code: String) -> Result<ExitCode, String> {
    let options = GenOptions { seed, year, village_code, ..GenOptions::default() };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for h in Generator::new(options).take(households) {
        let line = serde_json::to_string(&h).map_err(|e| e.to_string())?;
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Eval { input } => eval(&engine(&cli.rules)?, &input),
        Command::Explain { input, id } => explain(&engine(&cli.rules)?, &input, &id),
        Command::Summary { input } => summary(&engine(&cli.rules)?, &input),
        Command::Test { dir } => test(&engine(&cli.rules)?, dir),
        Command::Check { dir } => check(&dir),
        Command::Schema => {
            println!("{}", serde_json::to_string_pretty(&fupin::schema::household_schema()).map_err(|e| e.to_string())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen { households, seed, year, village_code } => generate(households, seed, year, village_code),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fupin: {message}");
            ExitCode::from(2)
        }
    }
}
