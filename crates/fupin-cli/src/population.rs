//! The population commands: streaming `eval`, `report`, `diff`, `rank` and `dynamics`. Each
//! reads households through [`crate::pipeline`], lets the core decide and aggregate
//! (`fupin::population`), and writes the result.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use fupin::population::diff::DiffBuilder;
use fupin::population::dynamics::DynamicsBuilder;
use fupin::population::profile::Profile;
use fupin::population::rank::{Candidate, Quota};
use fupin::population::region::Level;
use fupin::population::report::{ExitStandard, ReportBuilder};
use fupin::population::{diff, dynamics, flat, rank, report_html, report_text};
use fupin::{Engine, RuleSources};

use crate::parquet_out::ParquetWriter;
use crate::pipeline::{self, Outcome};
use crate::source::{self, Items};

/// Where households come from.
#[derive(Args, Debug)]
pub struct Input {
    /// JSON Lines (or one JSON household, or a JSON array); - for stdin.
    #[arg(conflicts_with_all = ["households", "members"])]
    pub input: Option<String>,
    /// 户表: the household table, UTF-8 CSV or .parquet (with --members).
    #[arg(long, requires = "members", value_name = "FILE")]
    pub households: Option<PathBuf>,
    /// 人表: the member table, UTF-8 CSV or .parquet (with --households).
    #[arg(long, requires = "households", value_name = "FILE")]
    pub members: Option<PathBuf>,
    /// Write row errors (JSON Lines) to FILE instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
}

impl Input {
    fn error_out(&self) -> pipeline::ErrorOut<'_> {
        pipeline::ErrorOut { file: self.errors.as_deref(), source: None }
    }

    fn items(&self) -> Result<Items, String> {
        match (&self.households, &self.members) {
            (Some(h), Some(m)) => source::tables(h, m),
            _ => source::json(self.input.as_deref().unwrap_or("-")),
        }
    }
}

/// Output format of decisions.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DecisionFormat {
    /// One full decision per line (JSON Lines).
    Jsonl,
    /// One flattened decision per row (columns: see README).
    Csv,
    /// The flattened columns as Parquet (needs --output FILE).
    Parquet,
}

/// The level of aggregation.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum By {
    /// 村 (12-digit code)
    Village,
    /// 乡镇 (first 9 digits)
    Township,
    /// 县 (first 6 digits)
    County,
}

impl By {
    fn level(self) -> Level {
        match self {
            By::Village => Level::Village,
            By::Township => Level::Township,
            By::County => Level::County,
        }
    }
}

/// Output format of a report, diff, rank or dynamics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Text for a terminal.
    Table,
    /// CSV.
    Csv,
    /// JSON.
    Json,
    /// A self-contained printable HTML page (report only).
    Html,
}

/// Whether an output path names stdout (`-o -`), as `-` names stdin on the input side.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Stdout (no path, or `-`) or a file, buffered.
pub fn output(path: Option<&Path>) -> Result<Box<dyn Write + Send>, String> {
    Ok(match path.filter(|p| !is_stdout(p)) {
        Some(p) => Box::new(BufWriter::with_capacity(1 << 16, File::create(p).map_err(|e| format!("{}: {e}", p.display()))?)),
        None => Box::new(BufWriter::with_capacity(1 << 16, Stdout(std::io::stdout()))),
    })
}

/// Set once a write to stdout finds the reading end of the pipe closed.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// True when stdout's reader went away (`fupin eval … | head -1`): the command then stops
/// and `main` ends quietly with success, as Unix tools do.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Stdout, noting a broken pipe in [`STDOUT_CLOSED`].
struct Stdout(std::io::Stdout);

impl Stdout {
    fn note<T>(result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            STDOUT_CLOSED.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::note(self.0.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Self::note(self.0.flush())
    }
}

fn io(e: impl std::fmt::Display) -> String {
    format!("write: {e}")
}

fn exit_code(outcome: &Outcome) -> ExitCode {
    if outcome.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

/// The profile of `h`, 西部地区 taken from the rules' parameter `western_province_codes` in
/// force for the household's year when the region does not say.
fn profile(engine: &Engine, h: &fupin::Household) -> Profile {
    let params = engine.ruleset().params.resolve(h.year, h.region.code.as_deref());
    Profile::of(h, params.western_province_codes())
}

/// One household's decision as its JSON line: `serde_json`'s bytes of the decision (written
/// from the fast path's verdicts where it settles the household, with room made for it) and
/// a line end.
fn json_line(engine: &Engine, h: &fupin::Household) -> Result<Vec<u8>, fupin::ValidationError> {
    let mut line = Vec::new();
    engine.evaluate_to_json(h, &mut line)?;
    line.push(b'\n');
    Ok(line)
}

/// One CSV record and its line end, from the cells `cells` hands out, as the `csv` crate
/// writes it with its defaults: `csv_core` says which cells need quotes and quotes them;
/// the others (nearly all: ids, outcomes, numbers) are copied as they are.
fn csv_line(cells: impl FnOnce(&mut dyn FnMut(&str))) -> Vec<u8> {
    /// The writer with the `csv` crate's defaults; only asked, never written through, so one
    /// serves every line (making it fills its table of bytes that need quotes).
    static WRITER: std::sync::LazyLock<csv_core::Writer> = std::sync::LazyLock::new(csv_core::Writer::new);
    let w = &*WRITER;
    let (delimiter, quote) = (w.get_delimiter(), w.get_quote());
    let mut out = Vec::with_capacity(512);
    let mut first = true;
    cells(&mut |cell| {
        if !first {
            out.push(delimiter);
        }
        first = false;
        let bytes = cell.as_bytes();
        if w.should_quote(bytes) {
            out.push(quote);
            // Room for every byte doubled: `quote` then never runs out of it.
            let len = out.len();
            out.resize(len + 2 * bytes.len(), 0);
            let (_, _, written) = csv_core::quote(bytes, &mut out[len..], quote, w.get_escape(), w.get_double_quote());
            out.truncate(len + written);
            out.push(quote);
        } else {
            out.extend_from_slice(bytes);
        }
    });
    // A record of nothing (one empty cell) is written as an empty quoted cell, so that it is
    // not read back as a blank line.
    if out.is_empty() {
        out.extend_from_slice(&[quote, quote]);
    }
    out.push(b'\n');
    out
}

/// `fupin eval`: decisions in input order, as JSON Lines (the bytes of `serde_json`) or CSV.
/// Each decision is encoded (and dropped) where it is evaluated, on all cores; the writer
/// thread only copies the encoded rows out.
pub fn eval(engine: &Engine, input: &Input, format: DecisionFormat, out: Option<&Path>) -> Result<ExitCode, String> {
    let items = input.items()?;
    let outcome = match format {
        DecisionFormat::Jsonl => {
            let mut w = output(out)?;
            let mut sink = |line: Vec<u8>| w.write_all(&line).map_err(io);
            let outcome = pipeline::run(items, |h| json_line(engine, h), &mut sink, input.error_out(), "households")?;
            w.flush().map_err(io)?;
            outcome
        }
        DecisionFormat::Csv => {
            let mut w = output(out)?;
            w.write_all(&csv_line(|cell| flat::COLUMNS.iter().for_each(|c| cell(c)))).map_err(io)?;
            let mut sink = |line: Vec<u8>| w.write_all(&line).map_err(io);
            let outcome = pipeline::run(items, |h| engine.evaluate_outcomes(h).map(|d| csv_line(|cell| flat::cells(&d, cell))), &mut sink, input.error_out(), "households")?;
            w.flush().map_err(io)?;
            outcome
        }
        DecisionFormat::Parquet => {
            let path = out.filter(|p| !is_stdout(p)).ok_or("--format parquet needs --output FILE (a file: Parquet is not written to stdout)")?;
            let mut w = ParquetWriter::create(path, &crate::parquet_out::decision_columns())?;
            let mut sink = |row: Vec<String>| w.push(row);
            let outcome = pipeline::run(items, |h| engine.evaluate_outcomes(h).map(|d| flat::row(&d)), &mut sink, input.error_out(), "households")?;
            w.finish()?;
            outcome
        }
    };
    Ok(exit_code(&outcome))
}

/// `fupin report`.
pub fn report(engine: &Engine, input: &Input, by: By, format: ReportFormat, standard: ExitStandard, out: Option<&Path>) -> Result<ExitCode, String> {
    let mut builder = ReportBuilder::new(by.level(), standard);
    let mut sink = |(p, d): (Profile, fupin::Outcomes)| {
        builder.add(&p, &d);
        Ok(())
    };
    let outcome = pipeline::run(input.items()?, |h| engine.evaluate_outcomes(h).map(|d| (profile(engine, h), d)), &mut sink, input.error_out(), "households")?;
    builder.count_errors(outcome.failed);
    let report = builder.finish();
    let mut w = output(out)?;
    match format {
        ReportFormat::Table => w.write_all(report_text::table(&report).as_bytes()).map_err(io)?,
        ReportFormat::Html => w.write_all(report_html::html(&report).as_bytes()).map_err(io)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &report).map_err(io)?;
            w.write_all(b"\n").map_err(io)?;
        }
        ReportFormat::Csv => {
            let mut c = csv::Writer::from_writer(&mut w);
            c.write_record(report_text::CSV_COLUMNS).map_err(io)?;
            for row in report_text::csv_rows(&report) {
                c.write_record(row).map_err(io)?;
            }
            c.flush().map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    Ok(exit_code(&outcome))
}

/// Rule set B of a what-if: a rules directory, or A's files with some replaced
/// (`--set-b params/regions/52.toml=my.toml`).
pub fn engine_b(base: &Option<PathBuf>, rules_b: &Option<PathBuf>, set_b: &[String]) -> Result<Engine, String> {
    if rules_b.is_none() && set_b.is_empty() {
        return Err("diff needs --rules-b DIR or --set-b PATH=FILE (what rule set B differs in)".into());
    }
    let mut sources = match rules_b.as_ref().or(base.as_ref()) {
        Some(dir) => RuleSources::from_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?,
        None => RuleSources::embedded(),
    };
    for item in set_b {
        let (path, file) = item.split_once('=').ok_or_else(|| format!("--set-b {item:?}: expected PATH=FILE, e.g. params/regions/52.toml=my-52.toml"))?;
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        sources.set(path, text);
    }
    Engine::from_sources(sources).map_err(|e| format!("rule set B does not load:\n{e}"))
}

/// `fupin diff`.
pub fn diff(a: &Engine, b: &Engine, input: &Input, by: By, format: ReportFormat, out: Option<&Path>) -> Result<ExitCode, String> {
    if format == ReportFormat::Html {
        return Err("diff writes table, csv or json".into());
    }
    let mut builder = DiffBuilder::new(by.level());
    let mut sink = |(p, da, db): (Profile, fupin::Outcomes, fupin::Outcomes)| {
        builder.add(&p, &da, &db);
        Ok(())
    };
    let both = |h: &fupin::Household| Ok((profile(a, h), a.evaluate_outcomes(h)?, b.evaluate_outcomes(h)?));
    let outcome = pipeline::run(input.items()?, both, &mut sink, input.error_out(), "households")?;
    builder.count_errors(outcome.failed);
    let d = builder.finish();
    let mut w = output(out)?;
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &d).map_err(io)?;
            w.write_all(b"\n").map_err(io)?;
        }
        ReportFormat::Csv => {
            let mut c = csv::Writer::from_writer(&mut w);
            c.write_record(["household_id", "group", "decision", "from", "to"]).map_err(io)?;
            for h in &d.changed {
                for change in &h.changes {
                    c.write_record([h.household_id.as_str(), &h.group, change.decision, &change.from, &change.to]).map_err(io)?;
                }
            }
            c.flush().map_err(io)?;
        }
        _ => w.write_all(diff::table(&d).as_bytes()).map_err(io)?,
    }
    w.flush().map_err(io)?;
    Ok(exit_code(&outcome))
}

/// Quotas by unit code from a TOML file: `[quota]` then `"150526" = 30` or `"150526" = "5%"`.
fn quota_file(path: &Path) -> Result<Vec<(String, Quota)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let table = doc.get("quota").and_then(toml::Value::as_table).ok_or_else(|| format!("{}: expected a [quota] table of unit code = quota", path.display()))?;
    table
        .iter()
        .map(|(code, v)| {
            let q = match v {
                toml::Value::Integer(n) => Quota::parse(&n.to_string()),
                toml::Value::String(s) => Quota::parse(s),
                _ => Err(format!("quota for {code}: expected a number or a percentage string")),
            };
            q.map(|q| (code.clone(), q)).map_err(|e| format!("{}: {e}", path.display()))
        })
        .collect()
}

/// `fupin rank`.
pub fn rank(engine: &Engine, input: &Input, by: By, quota: Option<&str>, quotas: Option<&Path>, format: ReportFormat, out: Option<&Path>) -> Result<ExitCode, String> {
    if format == ReportFormat::Html {
        return Err("rank writes table, csv or json".into());
    }
    let default = quota.map(Quota::parse).transpose()?;
    let by_unit = quotas.map(quota_file).transpose()?.unwrap_or_default();
    if default.is_none() && by_unit.is_empty() {
        return Err("rank needs --quota N|P% or --quota-file FILE".into());
    }
    let level = by.level();
    let mut candidates = Vec::new();
    let mut sink = |c: Candidate| {
        candidates.push(c);
        Ok(())
    };
    let outcome = pipeline::run(input.items()?, |h| engine.evaluate_outcomes(h).map(|d| Candidate::of(&profile(engine, h), &d, level)), &mut sink, input.error_out(), "households")?;
    let lookup = |unit: &str| {
        by_unit
            .iter()
            .find(|(code, _)| code == unit)
            .map(|(_, q)| *q)
            .or(default)
            .ok_or_else(|| format!("no quota for {} {unit}: add it to the quota file or give --quota", level.zh()))
    };
    let ranked = rank::rank(candidates, lookup)?;
    let mut w = output(out)?;
    let note = |r: &rank::Ranked| r.disagreement.as_ref().map(|d| d.zh()).unwrap_or_default();
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut w, &ranked).map_err(io)?;
            w.write_all(b"\n").map_err(io)?;
        }
        ReportFormat::Csv => {
            let mut c = csv::Writer::from_writer(&mut w);
            c.write_record(["group", "rank", "quota", "household_id", "score", "per_capita_income", "identify_outcome", "proposed", "disagreement", "note_zh"]).map_err(io)?;
            for r in &ranked {
                let kind = r.disagreement.as_ref().and_then(|d| serde_json::to_value(d).ok()).and_then(|v| v["kind"].as_str().map(str::to_string)).unwrap_or_default();
                let row = [
                    r.group.clone(),
                    r.rank.to_string(),
                    r.quota.to_string(),
                    r.household_id.clone(),
                    r.score.clone(),
                    r.per_capita_income.clone().unwrap_or_default(),
                    r.identify_outcome.clone(),
                    if r.proposed { "是" } else { "否" }.to_string(),
                    kind,
                    note(r),
                ];
                c.write_record(row).map_err(io)?;
            }
            c.flush().map_err(io)?;
        }
        _ => {
            let mut group = "";
            for r in &ranked {
                if r.group != group {
                    group = &r.group;
                    let proposed = ranked.iter().filter(|x| x.group == group && x.proposed).count();
                    let disagreements = ranked.iter().filter(|x| x.group == group && x.disagreement.is_some()).count();
                    writeln!(w, "{} {group}：规模 {} 户，拟识别 {proposed} 户，需民主评议的不一致 {disagreements} 户", level.zh(), r.quota).map_err(io)?;
                    writeln!(w, "  名次  户编号  得分  人均纯收入  规则结论  拟识别  不一致").map_err(io)?;
                }
                writeln!(
                    w,
                    "  {}  {}  {}  {}  {}  {}  {}",
                    r.rank,
                    r.household_id,
                    r.score,
                    r.per_capita_income.as_deref().unwrap_or("未知"),
                    fupin::explain::outcome_zh(&r.identify_outcome),
                    if r.proposed { "是" } else { "否" },
                    note(r)
                )
                .map_err(io)?;
            }
        }
    }
    w.flush().map_err(io)?;
    Ok(exit_code(&outcome))
}

/// A round of `dynamics`: a JSON Lines file, or a directory holding a 户表+人表 pair as
/// `households.csv` + `members.csv` (or `.parquet`), as `fupin tables` and `fupin gen --csv` write.
fn round(path: &str) -> Result<Items, String> {
    let dir = Path::new(path);
    if !dir.is_dir() {
        return source::json(path);
    }
    for ext in ["csv", "parquet"] {
        let (h, m) = (dir.join(format!("households.{ext}")), dir.join(format!("members.{ext}")));
        if h.is_file() && m.is_file() {
            return source::tables(&h, &m);
        }
    }
    Err(format!("{path}: a directory without households.csv + members.csv (or .parquet)"))
}

/// `fupin dynamics`: last year's and this year's data for the same households.
pub fn dynamics(engine: &Engine, last: &str, this: &str, format: ReportFormat, out: Option<&Path>) -> Result<ExitCode, String> {
    if !matches!(format, ReportFormat::Table | ReportFormat::Json) {
        return Err("dynamics writes table or json".into());
    }
    let evaluate = |h: &fupin::Household| engine.evaluate_outcomes(h).map(|d| (profile(engine, h), d));
    let mut builder = DynamicsBuilder::new();
    let mut sink = |(p, d): (Profile, fupin::Outcomes)| {
        builder.add_last(&p, &d);
        Ok(())
    };
    let first = pipeline::run(round(last)?, evaluate, &mut sink, pipeline::ErrorOut { file: None, source: Some(last) }, "households (上一轮)")?;
    let mut sink = |(p, d): (Profile, fupin::Outcomes)| {
        builder.add_this(&p, &d);
        Ok(())
    };
    let second = pipeline::run(round(this)?, evaluate, &mut sink, pipeline::ErrorOut { file: None, source: Some(this) }, "households (本轮)")?;
    let d = builder.finish();
    let mut w = output(out)?;
    if format == ReportFormat::Json {
        serde_json::to_writer_pretty(&mut w, &d).map_err(io)?;
        w.write_all(b"\n").map_err(io)?;
    } else {
        w.write_all(dynamics::table(&d).as_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(if first.failed + second.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows encoded cell by cell on the workers are the bytes the `csv` crate's writer gives,
    /// quoting included (commas, quotes, line ends, empty cells, a cell longer than the room
    /// first made for it).
    #[test]
    fn csv_lines_are_what_the_csv_writer_writes() {
        let long = "\"長,".repeat(400);
        let rows: [&[&str]; 8] = [
            &["H1", "2024", "", "a;b"],
            &["a,\"b\"\nc", "", "\r", " x "],
            &[""],
            &[],
            &["abc"],
            &["#x", "\t", "'"],
            &["", ""],
            &[&long, "\"\"", ","],
        ];
        for row in rows {
            let mut expected = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            expected.write_record(row).unwrap();
            let expected = expected.into_inner().unwrap();
            assert_eq!(csv_line(|cell| row.iter().for_each(|c| cell(c))), expected, "{row:?}");
        }
    }
}
