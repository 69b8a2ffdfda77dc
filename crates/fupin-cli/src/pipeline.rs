//! The streaming batch: a reader thread cuts the input into chunks of [`CHUNK`] records,
//! one worker thread per core (as many as rayon's pool) takes a whole chunk at a time, reads
//! all its records and then evaluates them, and a writer thread puts the finished chunks back
//! in input order, checks for duplicate 户编号 in that order and writes results and row errors.
//! No worker waits for another: a chunk that takes longer holds back only the writing of the
//! chunks after it. At most `2 × workers + 2` chunks are between the reader and the writer at
//! any time, so memory does not grow with the input — except the duplicate index, which keeps
//! a 64-bit hash and the row of every 户编号 seen (12 bytes per household, 24 while two runs
//! merge).
//!
//! A 户编号 seen before makes the later row an error naming both rows; the earlier row stands
//! (a later row is evaluated before it is found out, and its result dropped).

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::sync::mpsc::sync_channel;

use fupin::{Household, ValidationError};
use indicatif::{ProgressBar, ProgressStyle};

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

/// Evaluates one record read.
fn evaluate<T>(parsed: Parsed, eval: &(impl Fn(&Household) -> Result<T, ValidationError> + Sync)) -> Done<T> {
    match parsed {
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
    let workers = rayon::current_num_threads().max(1);
    // Chunks read and not yet written: each worker's, and as many again queued or waiting to
    // be written in order.
    let window = 2 * workers + 2;
    let (chunk_tx, chunk_rx) = sync_channel::<(usize, Vec<Item>)>(workers);
    // Shared by the workers; dropped with the last of them, which ends the reader.
    let chunk_rx = Arc::new(Mutex::new(chunk_rx));
    let (out_tx, out_rx) = sync_channel::<(usize, Result<Vec<Done<T>>, String>)>(window);
    let (slot_tx, slot_rx) = sync_channel::<()>(window);
    for _ in 0..window {
        let _ = slot_tx.send(());
    }
    let (outcome, fatal) = std::thread::scope(|s| {
        // The reader takes a slot for each chunk it hands out; the writer gives it back once
        // the chunk is written. A read error ends the input after the chunks read before it.
        let reader = s.spawn(move || -> Option<String> {
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut seq = 0;
            let mut hand_out = |chunk: Vec<Item>| {
                let sent = slot_rx.recv().is_ok() && chunk_tx.send((seq, chunk)).is_ok();
                seq += 1;
                sent
            };
            for item in items {
                match item {
                    Ok(item) => {
                        chunk.push(item);
                        if chunk.len() == CHUNK && !hand_out(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))) {
                            return None;
                        }
                    }
                    Err(e) => {
                        if !chunk.is_empty() {
                            hand_out(chunk);
                        }
                        return Some(e);
                    }
                }
            }
            if !chunk.is_empty() {
                hand_out(chunk);
            }
            None
        });
        // Each worker reads and evaluates a whole chunk: all its records read first, then all
        // evaluated, so that the reading code and the rules each stay in the processor's caches
        // for a run of records.
        for _ in 0..workers {
            let (chunk_rx, out_tx, eval) = (Arc::clone(&chunk_rx), out_tx.clone(), &eval);
            s.spawn(move || {
                loop {
                    let next = chunk_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, items)) = next else { return };
                    let first_row = items.first().map_or(0, |item| item.row);
                    // A panic would lose the chunk and leave the writer waiting for it: it ends
                    // the run instead, as an error naming the chunk.
                    let results = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let parsed: Vec<Parsed> = items.into_iter().map(parse).collect();
                        parsed.into_iter().map(|p| evaluate(p, eval)).collect::<Vec<Done<T>>>()
                    }))
                    .map_err(|_| format!("internal error: evaluating the {CHUNK} records from row {first_row} panicked"));
                    if out_tx.send((seq, results)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((out_tx, chunk_rx));
        let errors = &mut errors;
        // The writer puts the chunks back in input order, keeps the duplicate index and writes
        // results and row errors.
        let writer = s.spawn(move || -> Result<Outcome, String> {
            let mut outcome = Outcome { rows: 0, failed: 0 };
            let mut seen = SeenIds::new();
            let mut early: BTreeMap<usize, Vec<Done<T>>> = BTreeMap::new();
            let mut next = 0;
            for (seq, batch) in out_rx {
                early.insert(seq, batch?);
                while let Some(batch) = early.remove(&next) {
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
                    next += 1;
                    let _ = slot_tx.send(());
                }
            }
            Ok(outcome)
        });
        let outcome = writer.join().unwrap_or_else(|_| Err("the writer thread panicked".into()));
        let fatal = reader.join().unwrap_or_else(|_| Some("the reader thread panicked".into()));
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

    fn line(i: usize) -> Result<Item, String> {
        let json = format!(r#"{{"id":"H-{i}","year":2024,"region":{{"code":"520121"}},"members":[{{"relation":"head","age":40}}]}}"#);
        Ok(Item { table: None, row: i, pending: Pending::Line(json.into_bytes().into()) })
    }

    fn quiet() -> ErrorOut<'static> {
        ErrorOut { file: None, source: None }
    }

    #[test]
    fn chunks_finished_out_of_order_are_written_in_input_order() {
        let n = CHUNK * 6 + 7;
        let items: Items = Box::new((1..=n).map(line));
        // The first chunk is the slowest, so later chunks are finished before it.
        let eval = |h: &Household| -> Result<String, ValidationError> {
            if h.id == "H-1" {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Ok(h.id.clone())
        };
        let mut written = Vec::new();
        let outcome = run(items, eval, &mut |id: String| {
            written.push(id);
            Ok(())
        }, quiet(), "test")
        .unwrap();
        assert_eq!((outcome.rows, outcome.failed), (n, 0));
        assert_eq!(written, (1..=n).map(|i| format!("H-{i}")).collect::<Vec<_>>());
    }

    #[test]
    fn a_read_error_ends_the_input_after_the_records_before_it() {
        let before = CHUNK * 2 + 3;
        let items: Items = Box::new((1..=before).map(line).chain([Err("disk: read failed".to_string())]).chain((before + 1..before + 100).map(line)));
        let mut written = 0;
        let result = run(items, |h: &Household| Ok(h.id.clone()), &mut |_: String| {
            written += 1;
            Ok(())
        }, quiet(), "test");
        assert_eq!(result.err().as_deref(), Some("disk: read failed"));
        assert_eq!(written, before, "every record read before the error is written");
    }

    #[test]
    fn a_panic_while_evaluating_ends_the_run_with_an_error() {
        let items: Items = Box::new((1..=CHUNK * 50).map(line));
        let eval = |h: &Household| -> Result<String, ValidationError> {
            assert_ne!(h.id, format!("H-{}", CHUNK * 3 + 5), "a bug in the rules engine");
            Ok(h.id.clone())
        };
        let result = run(items, eval, &mut |_: String| Ok(()), quiet(), "test");
        let expected = format!("internal error: evaluating the {CHUNK} records from row {} panicked", CHUNK * 3 + 1);
        assert_eq!(result.err(), Some(expected));
    }

    #[test]
    fn a_failing_output_stops_reading_and_evaluating() {
        let evaluated = std::sync::atomic::AtomicUsize::new(0);
        let items: Items = Box::new((1..=CHUNK * 200).map(line));
        let eval = |h: &Household| -> Result<String, ValidationError> {
            evaluated.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(h.id.clone())
        };
        let mut written = 0;
        let result = run(items, eval, &mut |_: String| {
            written += 1;
            if written == 10 { Err("output: broken pipe".to_string()) } else { Ok(()) }
        }, quiet(), "test");
        assert_eq!(result.err().as_deref(), Some("output: broken pipe"));
        let evaluated = evaluated.into_inner();
        assert!(evaluated < CHUNK * 20, "{evaluated} records evaluated after the output failed");
    }

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
