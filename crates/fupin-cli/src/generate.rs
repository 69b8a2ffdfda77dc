//! `fupin gen` at scale: the population is cut into chunks of [`CHUNK`] households, each
//! generated on its own core from its own seed ([`fupin::generate::chunk_seed`]) and written in
//! order, a few chunks at a time — the same seed gives the same bytes on any machine and any
//! number of cores. A population of up to [`CHUNK`] households in one village is exactly what
//! the sequential generator makes (the shipped sample is `--households 300 --seed 1`).

use std::io::Write;
use std::path::Path;

use fupin::Household;
use fupin::generate::{GenOptions, Generator, chunk_seed};
use rayon::prelude::*;

/// Households per chunk.
pub const CHUNK: usize = 4096;

/// What to generate.
pub struct Plan {
    /// Households in all.
    pub households: usize,
    /// Villages they are spread over (consecutive codes from `village_code`).
    pub villages: usize,
    /// Seed.
    pub seed: u64,
    /// Evaluation year.
    pub year: i32,
    /// Code of the first village.
    pub village_code: String,
}

/// One chunk: village index, first household number, count.
struct Task {
    village: usize,
    chunk: u64,
    first: u64,
    count: usize,
}

fn village(plan: &Plan, i: usize) -> Result<(String, String), String> {
    let base: u64 = plan.village_code.parse().map_err(|_| format!("--village-code {:?}: expected 12 digits", plan.village_code))?;
    if plan.village_code.len() != 12 {
        return Err(format!("--village-code {:?}: expected 12 digits", plan.village_code));
    }
    let code = format!("{:012}", base + i as u64);
    let name = if i == 0 { "示范嘎查".to_string() } else { format!("示范嘎查{}", i + 1) };
    Ok((code, name))
}

fn tasks(plan: &Plan) -> Vec<Task> {
    let villages = plan.villages.max(1);
    let mut out = Vec::new();
    for v in 0..villages {
        let size = plan.households / villages + usize::from(v < plan.households % villages);
        let mut first = 1;
        for chunk in 0..size.div_ceil(CHUNK) {
            let count = CHUNK.min(size - chunk * CHUNK);
            out.push(Task { village: v, chunk: chunk as u64, first, count });
            first += count as u64;
        }
    }
    out
}

fn households(plan: &Plan, t: &Task) -> Result<Vec<Household>, String> {
    let (village_code, village_name) = village(plan, t.village)?;
    let seed = chunk_seed(chunk_seed(plan.seed, t.village as u64), t.chunk);
    let options = GenOptions { seed, year: plan.year, village_code, village_name };
    Ok(Generator::starting_at(options, t.first).take(t.count).collect())
}

/// Generates chunks in parallel, a window at a time, and hands each chunk's bytes to `write`
/// in order.
fn run(plan: &Plan, render: impl Fn(&[Household]) -> Result<Vec<Vec<u8>>, String> + Sync, mut write: impl FnMut(Vec<Vec<u8>>) -> Result<(), String>) -> Result<(), String> {
    let tasks = tasks(plan);
    let window = rayon::current_num_threads() * 2;
    for group in tasks.chunks(window) {
        let rendered: Vec<Result<Vec<Vec<u8>>, String>> = group.par_iter().map(|t| households(plan, t).and_then(|h| render(&h))).collect();
        for r in rendered {
            write(r?)?;
        }
    }
    Ok(())
}

/// Writes the population as JSON Lines.
pub fn jsonl(plan: &Plan, out: &mut dyn Write) -> Result<(), String> {
    let render = |hh: &[Household]| {
        let mut buf = Vec::with_capacity(hh.len() * 1500);
        for h in hh {
            serde_json::to_writer(&mut buf, h).map_err(|e| e.to_string())?;
            buf.push(b'\n');
        }
        Ok(vec![buf])
    };
    run(plan, render, |parts| parts.iter().try_for_each(|p| out.write_all(p)).map_err(|e| format!("write: {e}")))?;
    out.flush().map_err(|e| format!("write: {e}"))
}

/// Writes the population as a 户表 (`households.csv`) and a 人表 (`members.csv`) in `dir`.
/// Events (the year's shocks) are not part of the two-table export and are left out.
pub fn tables(plan: &Plan, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let create = |name: &str| {
        let path = dir.join(name);
        std::fs::File::create(&path).map(|f| std::io::BufWriter::with_capacity(1 << 16, f)).map_err(|e| format!("{}: {e}", path.display()))
    };
    let (mut hf, mut mf) = (create("households.csv")?, create("members.csv")?);
    let header = |cols: Vec<&str>| -> Result<Vec<u8>, String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(cols).map_err(|e| e.to_string())?;
        w.into_inner().map_err(|e| e.to_string())
    };
    hf.write_all(&header(fupin::tables::household_header())?).map_err(|e| e.to_string())?;
    mf.write_all(&header(fupin::tables::member_header())?).map_err(|e| e.to_string())?;
    let render = |hh: &[Household]| -> Result<Vec<Vec<u8>>, String> {
        let mut h = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        let mut m = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for household in hh {
            let (row, members) = fupin::tables::to_rows(household);
            h.write_record(row).map_err(|e| e.to_string())?;
            for member in members {
                m.write_record(member).map_err(|e| e.to_string())?;
            }
        }
        Ok(vec![h.into_inner().map_err(|e| e.to_string())?, m.into_inner().map_err(|e| e.to_string())?])
    };
    run(plan, render, |parts| {
        hf.write_all(&parts[0]).and_then(|_| mf.write_all(&parts[1])).map_err(|e| format!("write: {e}"))
    })?;
    hf.flush().and_then(|_| mf.flush()).map_err(|e| format!("write: {e}"))
}

/// File format of a 户表+人表 pair.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum TableFormat {
    /// UTF-8 CSV with English headers.
    Csv,
    /// Parquet, text columns.
    Parquet,
}

/// One table being written.
enum TableOut {
    Csv(csv::Writer<std::fs::File>),
    Parquet(crate::parquet_out::ParquetWriter),
}

impl TableOut {
    fn create(dir: &Path, stem: &str, header: &[&str], format: TableFormat) -> Result<TableOut, String> {
        let path = dir.join(format!("{stem}.{}", match format {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }));
        match format {
            TableFormat::Csv => {
                let mut w = std::fs::File::create(&path).map(csv::Writer::from_writer).map_err(|e| format!("{}: {e}", path.display()))?;
                w.write_record(header).map_err(|e| e.to_string())?;
                Ok(TableOut::Csv(w))
            }
            TableFormat::Parquet => {
                let columns: Vec<(&str, crate::parquet_out::Kind)> = header.iter().map(|h| (*h, crate::parquet_out::Kind::Text)).collect();
                crate::parquet_out::ParquetWriter::create(&path, &columns).map(TableOut::Parquet)
            }
        }
    }

    fn push(&mut self, row: Vec<String>) -> Result<(), String> {
        match self {
            TableOut::Csv(w) => w.write_record(row).map_err(|e| format!("write: {e}")),
            TableOut::Parquet(w) => w.push(row),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            TableOut::Csv(mut w) => w.flush().map_err(|e| format!("write: {e}")),
            TableOut::Parquet(w) => w.finish(),
        }
    }
}

/// Writes JSON households as a 户表 and a 人表 in `dir` (events are dropped; bad rows are
/// reported on stderr and skipped). Returns the number of bad rows.
pub fn convert(items: crate::source::Items, dir: &Path, format: TableFormat) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut h = TableOut::create(dir, "households", &fupin::tables::household_header(), format)?;
    let mut m = TableOut::create(dir, "members", &fupin::tables::member_header(), format)?;
    let (mut rows, mut failed) = (0, 0);
    for item in items {
        let item = item?;
        rows += 1;
        let household = match item.pending {
            crate::source::Pending::Line(bytes) => crate::source::parse_line(item.row, &bytes),
            crate::source::Pending::Ready(result) => *result,
            crate::source::Pending::Deferred(assemble) => assemble(),
        };
        match household {
            Ok(household) => {
                let (row, members) = fupin::tables::to_rows(&household);
                h.push(row)?;
                for member in members {
                    m.push(member)?;
                }
            }
            Err(e) => {
                failed += 1;
                eprintln!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
            }
        }
    }
    if rows == 0 {
        return Err("the input holds no households".into());
    }
    h.finish()?;
    m.finish()?;
    Ok(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn villages_split_the_households_and_chunks_cover_them_once() {
        let plan = Plan { households: 10_000, villages: 3, seed: 1, year: 2024, village_code: "150526100201".into() };
        let t = tasks(&plan);
        assert_eq!(t.iter().map(|t| t.count).sum::<usize>(), 10_000);
        assert_eq!(t.iter().filter(|t| t.village == 0).map(|t| t.count).sum::<usize>(), 3334);
        assert_eq!(t.iter().filter(|t| t.village == 0).map(|t| t.first).collect::<Vec<_>>(), [1]);
        assert_eq!(village(&plan, 2).unwrap().0, "150526100203");
        let plan = Plan { households: 9000, villages: 1, ..plan };
        assert_eq!(tasks(&plan).iter().map(|t| (t.first, t.count)).collect::<Vec<_>>(), [(1, 4096), (4097, 4096), (8193, 808)]);
    }
}
