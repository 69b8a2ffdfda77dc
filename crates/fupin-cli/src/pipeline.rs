//! The streaming batch: a reader thread cuts the input into chunks of [`CHUNK`] records, the
//! main thread parses and evaluates each chunk in parallel (rayon; a record is evaluated by the
//! worker that read it) and keeps its order, a writer thread checks for duplicate 户编号 in
//! input order and writes results and row errors. The channels between them hold at most two
//! chunks each, so memory does not grow with the input — except the duplicate index, which
//! keeps a 64-bit hash and the row of every 户编号 seen (12 bytes per household, 24 while two
//! runs merge).
//!
//! A 户编号 seen before makes the later row an error naming both rows; the earlier row stands
//! (a later row is evaluated before it is found out, and its result dropped).

use std::collections::HashMap;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::mpsc::sync_channel;

use fupin::{Household, ValidationError};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::source::{Item, Items, Pending, RowError, parse_line};

/// Records per chunk.
pub const CHUNK: usize = 256;

/// How a run went.
pub struct Outcome {
    /// Records read (good and bad).
    pub rows: usize,
    /// Records refused (each reported once).
    pub failed: usize,
}

/// Where row errors go: stderr (around the progress bar) or a file.
struct Errors {
    file: Option<BufWriter<File>>,
    progress: Option<ProgressBar>,
    source: Option<String>,
}

impl Errors {
    fn write(&mut self, mut e: RowError) -> Result<(), String> {
        e.file = self.source.clone();
        let line = serde_json::to_string(&e).map_err(|e| e.to_string())?;
        match (&mut self.file, &self.progress) {
            (Some(f), _) => writeln!(f, "{line}").map_err(|e| format!("errors file: {e}")),
            (None, Some(p)) => {
                p.suspend(|| eprintln!("{line}"));
                Ok(())
            }
            (None, None) => {
                eprintln!("{line}");
                Ok(())
            }
        }
    }
}

fn progress_bar(label: &str) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    let style = ProgressStyle::with_template("{spinner} {human_pos} {msg} ({per_sec}, {elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_message(label.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

type Parsed = (Option<&'static str>, usize, Result<Household, RowError>);

fn parse(item: Item) -> Parsed {
    let household = match item.pending {
        Pending::Line(bytes) => parse_line(item.row, &bytes),
        Pending::Ready(result) => *result,
        Pending::Deferred(assemble) => assemble(),
    };
    (item.table, item.row, household)
}

/// The 户编号 seen so far, as a 64-bit hash and the row where each was first seen: 12 bytes per
/// household in sorted runs (a recent batch in a small hash map, merged into two sorted columns
/// every [`SeenIds::BATCH`] households). Two different 户编号 with the same 64-bit hash would be
/// taken for a duplicate: about one chance in 10⁸ for a million households.
struct SeenIds {
    hashes: Vec<u64>,
    rows: Vec<u32>,
    recent: HashMap<u64, u32, foldhash::fast::RandomState>,
}

impl SeenIds {
    const BATCH: usize = 1 << 16;

    fn new() -> SeenIds {
        SeenIds { hashes: Vec::new(), rows: Vec::new(), recent: HashMap::default() }
    }

    /// A 64-bit hash of good quality (foldhash's; SipHash measured 1–2 % of `fupin eval`).
    fn hash(id: &str) -> u64 {
        foldhash::quality::FixedState::with_seed(0x6675_7069_6e5f_6964).hash_one(id)
    }

    /// Records `id` at `row`; if it was seen before, the row where it was first seen.
    fn first_seen(&mut self, id: &str, row: usize) -> Option<usize> {
        let h = Self::hash(id);
        if let Some(first) = self.recent.get(&h) {
            return Some(*first as usize);
        }
        if let Ok(i) = self.hashes.binary_search(&h) {
            return Some(self.rows[i] as usize);
        }
        self.recent.insert(h, u32::try_from(row).unwrap_or(u32::MAX));
        if self.recent.len() == Self::BATCH {
            self.merge();
        }
        None
    }

    fn merge(&mut self) {
        let mut batch: Vec<(u64, u32)> = self.recent.drain().collect();
        batch.sort_unstable();
        let n = self.hashes.len() + batch.len();
        let (mut hashes, mut rows) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut i, mut j) = (0, 0);
        while i < self.hashes.len() || j < batch.len() {
            if j == batch.len() || (i < self.hashes.len() && self.hashes[i] < batch[j].0) {
                hashes.push(self.hashes[i]);
                rows.push(self.rows[i]);
                i += 1;
            } else {
                hashes.push(batch[j].0);
                rows.push(batch[j].1);
                j += 1;
            }
        }
        self.hashes = hashes;
        self.rows = rows;
    }
}

/// One record after the parallel pass: its table and row, the 户编号 of a household that was
/// read, and its result.
type Done<T> = (Option<&'static str>, usize, Option<String>, Result<T, RowError>);

/// Reads and evaluates one record.
fn parse_and_eval<T>(item: Item, eval: &(impl Fn(&Household) -> Result<T, ValidationError> + Sync)) -> Done<T> {
    match parse(item) {
        (table, row, Ok(h)) => {
            let result = eval(&h).map_err(|e| RowError::new(table, row, Some(h.id.clone()), e));
            (table, row, Some(h.id), result)
        }
        (table, row, Err(e)) => (table, row, None, Err(e)),
    }
}

/// A record's result, unless its 户编号 was read in an earlier row: then the error naming
/// both rows (the earlier row stands). Records are taken in input order.
fn unless_seen<T>(seen: &mut SeenIds, (table, row, id, result): Done<T>) -> Result<T, RowError> {
    let Some(id) = id else { return result };
    match seen.first_seen(&id, row) {
        Some(first) => {
            let e = ValidationError::new("id", format!("duplicate 户编号 {id} (also row {first})"));
            Err(RowError::new(table, row, Some(id), e))
        }
        None => result,
    }
}

/// Where row errors go and how they are labelled.
pub struct ErrorOut<'a> {
    /// A file for the error lines (default stderr).
    pub file: Option<&'a Path>,
    /// The input's name, written in each error line (for commands reading several inputs).
    pub source: Option<&'a str>,
}

/// Runs `eval` over every household of `items` and hands the results to `sink` in input
/// order; row errors go to `errors.file` or stderr. An input with no records is an error.
pub fn run<T, F>(items: Items, eval: F, sink: &mut (dyn FnMut(T) -> Result<(), String> + Send), errors: ErrorOut, label: &str) -> Result<Outcome, String>
where
    T: Send,
    F: Fn(&Household) -> Result<T, ValidationError> + Sync,
{
    let file = match errors.file {
        Some(path) => Some(BufWriter::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)),
        None => None,
    };
    let mut errors = Errors { file, progress: progress_bar(label), source: errors.source.map(str::to_string) };
    let (chunk_tx, chunk_rx) = sync_channel::<Result<Vec<Item>, String>>(2);
    let (out_tx, out_rx) = sync_channel::<Vec<Done<T>>>(2);
    let (outcome, fatal) = std::thread::scope(|s| {
        s.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            for item in items {
                match item {
                    Ok(item) => {
                        chunk.push(item);
                        if chunk.len() == CHUNK && chunk_tx.send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = chunk_tx.send(Ok(std::mem::take(&mut chunk)));
                        let _ = chunk_tx.send(Err(e));
                        return;
                    }
                }
            }
            if !chunk.is_empty() {
                let _ = chunk_tx.send(Ok(chunk));
            }
        });
        let errors = &mut errors;
        // The writer also keeps the duplicate index, in input order, while the workers go on
        // with the next chunk.
        let writer = s.spawn(move || -> Result<Outcome, String> {
            let mut outcome = Outcome { rows: 0, failed: 0 };
            let mut seen = SeenIds::new();
            for batch in out_rx {
                let n = batch.len();
                for done in batch {
                    outcome.rows += 1;
                    match unless_seen(&mut seen, done) {
                        Ok(value) => sink(value)?,
                        Err(e) => {
                            outcome.failed += 1;
                            errors.write(e)?;
                        }
                    }
                }
                if let Some(p) = &errors.progress {
                    p.inc(n as u64);
                }
            }
            Ok(outcome)
        });
        let mut fatal = None;
        for chunk in chunk_rx {
            let items = match chunk {
                Ok(items) => items,
                Err(e) => {
                    fatal = Some(e);
                    break;
                }
            };
            // Each household is evaluated by the worker that read it, in one parallel pass.
            let results: Vec<Done<T>> = items.into_par_iter().map(|item| parse_and_eval(item, &eval)).collect();
            if out_tx.send(results).is_err() {
                break;
            }
        }
        drop(out_tx);
        let outcome = writer.join().unwrap_or_else(|_| Err("the writer thread panicked".into()));
        (outcome, fatal)
    });
    if let Some(p) = &errors.progress {
        p.finish_and_clear();
    }
    if let Some(f) = &mut errors.file {
        f.flush().map_err(|e| format!("errors file: {e}"))?;
    }
    let outcome = outcome?;
    if let Some(e) = fatal {
        return Err(e);
    }
    if outcome.rows == 0 {
        return Err("the input holds no households".into());
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_found_across_merged_runs_with_their_first_row() {
        let mut seen = SeenIds::new();
        let n = SeenIds::BATCH * 2 + 10;
        for row in 1..=n {
            assert_eq!(seen.first_seen(&format!("H-{row}"), row), None);
        }
        assert_eq!(seen.hashes.len(), SeenIds::BATCH * 2, "two runs merged");
        assert!(seen.hashes.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(seen.first_seen("H-1", n + 1), Some(1));
        assert_eq!(seen.first_seen(&format!("H-{}", SeenIds::BATCH + 7), n + 2), Some(SeenIds::BATCH + 7));
        assert_eq!(seen.first_seen(&format!("H-{n}"), n + 3), Some(n), "still in the recent batch");
        assert_eq!(seen.first_seen("H-new", n + 4), None);
    }
}
