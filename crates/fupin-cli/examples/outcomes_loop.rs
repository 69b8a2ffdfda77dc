//! The outcome-only evaluation of a population in a loop, for counting its instructions
//! (`benches/instructions.sh`): parses every household of a JSON Lines file once, then runs
//! `Engine::evaluate_outcomes` over all of them `ROUNDS` times (default 1) with the embedded
//! rules, on one thread, with the CLI's allocator. It prints the households and the wall time
//! per household of the fastest round, which on a busy host says little; the instruction
//! count that `valgrind --tool=callgrind` gives for two numbers of rounds does not depend on
//! the host.

use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: outcomes_loop POPULATION.jsonl")?;
    let rounds: usize = std::env::var("ROUNDS").ok().map(|r| r.parse()).transpose()?.unwrap_or(1);
    let text = std::fs::read_to_string(path)?;
    let households = text.lines().map(fupin::parse_household).collect::<Result<Vec<_>, _>>()?;
    let engine = fupin::Engine::embedded()?;
    let mut best = f64::INFINITY;
    let mut results = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        for h in &households {
            results += engine.evaluate_outcomes(h)?.results.len();
        }
        best = best.min(start.elapsed().as_secs_f64() / households.len() as f64);
    }
    println!("{} households, {} rule results, {:.3} µs per household (fastest of {rounds})", households.len(), results, best * 1e6);
    Ok(())
}
