//! The parameter tables a worker thread used last, and the fast path's code specialised to
//! them.
//!
//! A county's households share one parameter table (year and region prefix), so a thread
//! evaluating them in turn asks for the same table again and again. Found through the shared
//! caches ([`crate::params::ParamSet::resolve`], [`crate::fast::FastPlan::specialised`]), each household
//! would take two read locks and two reference counts, all on memory every worker writes:
//! on two cores that cache line moves between them on every household. Kept here, per
//! thread, a household of the same table touches nothing shared.
//!
//! A few tables per thread (a file that mixes counties or years in turn still finds them);
//! they stay alive until the thread evaluates under others or ends.

use std::cell::{Cell, OnceCell};
use std::sync::Arc;

use crate::fast::Specialised;
use crate::params::{Resolved, table_key};
use crate::ruleset::Ruleset;
use crate::sandbox::Limits;

/// Tables kept per thread.
const KEPT: usize = 4;

/// The parameter table of one household, and the code specialised to it when asked for.
pub(crate) struct Table<'r> {
    rules: &'r Ruleset,
    limits: &'r Limits,
    kept: &'r Kept,
}

impl Table<'_> {
    /// The parameters in force.
    pub(crate) fn params(&self) -> &Arc<Resolved> {
        &self.kept.params
    }

    /// The fast path's code specialised to this table and the limits (made on first use).
    pub(crate) fn special(&self) -> &Specialised {
        self.kept.special.get_or_init(|| self.rules.plan.specialised(&self.kept.params, self.limits))
    }
}

/// What a table was found for.
#[derive(Clone, Copy, PartialEq)]
struct Key {
    load: u64,
    table: (i32, u64),
    limits: Limits,
}

/// A table kept, with its key.
struct Kept {
    key: Key,
    params: Arc<Resolved>,
    special: OnceCell<Specialised>,
}

thread_local! {
    /// The tables this thread used last, the latest at the end.
    static LAST: Cell<Vec<Kept>> = const { Cell::new(Vec::new()) };
}

/// Runs `f` with the parameter table of households of `year` in the region with this code,
/// under `rules` and `limits`: one this thread kept when it is the same, else resolved
/// (and then kept in place of the one used longest ago).
pub(crate) fn with_table<R>(rules: &Ruleset, limits: &Limits, year: i32, region_code: Option<&str>, f: impl FnOnce(&Table) -> R) -> R {
    let key = Key { load: rules.load_id, table: table_key(year, region_code), limits: *limits };
    // Taken out while `f` runs, so a nested call (none is made today) finds none and
    // resolves its own.
    let mut kept = LAST.with(Cell::take);
    let table = match kept.iter().rposition(|k| k.key == key) {
        Some(i) => kept.remove(i),
        None => {
            if kept.len() == KEPT {
                kept.remove(0);
            }
            Kept { key, params: rules.params.resolve(year, region_code), special: OnceCell::new() }
        }
    };
    let out = f(&Table { rules, limits, kept: &table });
    kept.push(table);
    LAST.with(|last| last.set(kept));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use crate::sources::RuleSources;

    /// The table found is the one `resolve` gives, for every key in turn, and a kept table
    /// is not handed out under another key (year, region, rules or limits).
    #[test]
    fn the_kept_table_is_the_resolved_one_for_its_key_only() {
        let a = Engine::embedded().unwrap().ruleset();
        let mut edited = RuleSources::embedded();
        let manifest = edited.get("ruleset.toml").unwrap().replacen("version = \"", "version = \"edited-", 1);
        edited.set("ruleset.toml", manifest);
        let b = Engine::from_sources(edited).unwrap().ruleset();
        let strict = Limits { max_operations: 1_000, ..Limits::default() };
        let cases = [
            (&a, Limits::default(), 2019, Some("520121")),
            (&a, Limits::default(), 2019, Some("520121100201")),
            (&a, Limits::default(), 2019, Some("530121")),
            (&a, Limits::default(), 2024, Some("530121")),
            (&a, Limits::default(), 2024, None),
            (&b, Limits::default(), 2024, None),
            (&b, strict, 2024, None),
            (&a, Limits::default(), 2019, Some("520121")),
        ];
        for round in 0..2 {
            for (rules, limits, year, code) in cases {
                with_table(rules, &limits, year, code, |t| {
                    assert!(Arc::ptr_eq(t.params(), &rules.params.resolve(year, code)), "round {round}: {year} {code:?}");
                    assert!(Arc::ptr_eq(t.special(), &rules.plan.specialised(t.params(), &limits)), "round {round}: {year} {code:?}");
                });
            }
        }
    }
}
