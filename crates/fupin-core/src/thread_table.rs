//! What a worker thread keeps between households: the parameter tables it used last, and
//! its own copy of the fast path's code specialised to them.
//!
//! A county's households share one parameter table (year and region prefix), so a thread
//! evaluating them in turn asks for the same table again and again. Found through the shared
//! caches ([`crate::params::ParamSet::resolve`], [`crate::fast::FastPlan::specialised`]), each
//! household would take two read locks and two reference counts, all on memory every worker
//! writes: on two cores that cache line moves between them on every household. Kept here,
//! per thread, a household of a kept table touches nothing shared.
//!
//! The specialised code is the thread's own copy for the same reason: its constants (the
//! outcome names and lists the rules return, shared strings) are cloned into every
//! household's answer, and a clone writes the constant's reference count. The copy is made
//! once per thread for each distinct code (a few milliseconds; the shared cache makes it
//! once for the process first), for up to [`OWN_COPIES`] codes at a time; a thread that
//! meets more uses the shared code for the others.
//!
//! A few tables per thread (a file that mixes counties or years in turn still finds them);
//! they stay alive until the thread evaluates under others or ends, and the copies until
//! their rules are dropped and the thread needs the room, or the thread ends.

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;

use crate::fast::Specialised;
use crate::params::{Resolved, table_key};
use crate::ruleset::Ruleset;
use crate::sandbox::Limits;

/// Tables kept per thread.
const KEPT: usize = 4;
/// Own copies of specialised code per thread.
const OWN_COPIES: usize = 8;

/// The parameter table of one household, and the code specialised to it when asked for.
pub(crate) struct Table<'r> {
    rules: &'r Ruleset,
    limits: &'r Limits,
    table: &'r KeptTable,
    copies: &'r RefCell<Copies>,
}

impl Table<'_> {
    /// The parameters in force.
    pub(crate) fn params(&self) -> &Arc<Resolved> {
        &self.table.params
    }

    /// The fast path's code specialised to this table and the limits (made on first use):
    /// this thread's copy, or the shared code beyond [`OWN_COPIES`].
    pub(crate) fn special(&self) -> &Specialised {
        self.table.special.get_or_init(|| {
            let shared = self.rules.plan.specialised(&self.table.params, self.limits);
            self.copies.borrow_mut().copy_of(shared, self.rules, &self.table.params, self.limits)
        })
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
struct KeptTable {
    key: Key,
    params: Arc<Resolved>,
    special: OnceCell<Specialised>,
}

/// A thread's copies of specialised code, by the shared code they copy (kept with them, so
/// that its address is not reused while a copy is found by it).
#[derive(Default)]
struct Copies {
    copies: Vec<(Specialised, Specialised)>,
}

impl Copies {
    /// This thread's copy of `shared` (the code for `params` and `limits` under `rules`).
    /// Copies of several loads of rules live side by side (`fupin diff` evaluates every
    /// household under two); a copy whose shared code the rules no longer keep (rules
    /// dropped, or their cache started over) makes room for a new one.
    fn copy_of(&mut self, shared: Specialised, rules: &Ruleset, params: &Resolved, limits: &Limits) -> Specialised {
        if let Some((_, own)) = self.copies.iter().find(|(s, _)| Arc::ptr_eq(s, &shared)) {
            return Arc::clone(own);
        }
        if self.copies.len() == OWN_COPIES {
            // Held here alone, the shared code can no longer be handed out by its rules.
            self.copies.retain(|(s, _)| Arc::strong_count(s) > 1);
            if self.copies.len() == OWN_COPIES {
                return shared;
            }
        }
        let own = rules.plan.specialise(params, limits);
        self.copies.push((shared, Arc::clone(&own)));
        own
    }
}

/// What a thread keeps.
#[derive(Default)]
struct Kept {
    /// The tables used last, the latest at the end.
    tables: Vec<KeptTable>,
    copies: RefCell<Copies>,
}

thread_local! {
    static KEPT_HERE: Cell<Kept> = Cell::new(Kept::default());
}

/// Runs `f` with the parameter table of households of `year` in the region with this code,
/// under `rules` and `limits`: one this thread kept when it is the same, else resolved
/// (and then kept in place of the one used longest ago).
pub(crate) fn with_table<R>(rules: &Ruleset, limits: &Limits, year: i32, region_code: Option<&str>, f: impl FnOnce(&Table) -> R) -> R {
    let key = Key { load: rules.load_id, table: table_key(year, region_code), limits: *limits };
    // Taken out while `f` runs, so a nested call (none is made today) finds nothing and
    // resolves its own.
    let mut kept = KEPT_HERE.with(Cell::take);
    let table = match kept.tables.iter().rposition(|k| k.key == key) {
        Some(i) => kept.tables.remove(i),
        None => {
            if kept.tables.len() == KEPT {
                kept.tables.remove(0);
            }
            KeptTable { key, params: rules.params.resolve(year, region_code), special: OnceCell::new() }
        }
    };
    let out = f(&Table { rules, limits, table: &table, copies: &kept.copies });
    kept.tables.push(table);
    KEPT_HERE.with(|here| here.set(kept));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use crate::sources::RuleSources;

    /// Rules whose name differs from the embedded ones (another load, other content hash).
    fn edited_rules() -> Arc<Ruleset> {
        let mut edited = RuleSources::embedded();
        let manifest = edited.get("ruleset.toml").unwrap().replacen("version = \"", "version = \"edited-", 1);
        edited.set("ruleset.toml", manifest);
        Engine::from_sources(edited).unwrap().ruleset()
    }

    /// The table found is the one `resolve` gives, for every key in turn, and a kept table
    /// is not handed out under another key (year, region, rules or limits).
    #[test]
    fn the_kept_table_is_the_resolved_one_for_its_key_only() {
        let a = Engine::embedded().unwrap().ruleset();
        let b = edited_rules();
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
                    let shared = rules.plan.specialised(t.params(), &limits);
                    assert_eq!(t.special().shape(), shared.shape(), "round {round}: {year} {code:?}");
                });
            }
        }
    }

    /// A thread's copy is made once per shared code, differs from the shared code, is not
    /// handed out for another code, lives beside copies of other rules; beyond the bound the
    /// shared code is handed out, until copies whose shared code is gone make room.
    #[test]
    fn a_copy_is_made_once_per_code_within_the_bound() {
        let (a, b) = (Engine::embedded().unwrap().ruleset(), edited_rules());
        let limits = Limits::default();
        let (p19, p24) = (a.params.resolve(2019, None), a.params.resolve(2024, None));
        let (s19, s24) = (a.plan.specialised(&p19, &limits), a.plan.specialised(&p24, &limits));
        let mut copies = Copies::default();
        let c19 = copies.copy_of(Arc::clone(&s19), &a, &p19, &limits);
        let c24 = copies.copy_of(Arc::clone(&s24), &a, &p24, &limits);
        assert!(!Arc::ptr_eq(&c19, &s19) && !Arc::ptr_eq(&c19, &c24));
        assert_eq!((c19.shape(), c24.shape()), (s19.shape(), s24.shape()));
        // Other rules in turn (as `fupin diff` evaluates): each copy is made once.
        let b24 = b.params.resolve(2024, None);
        let sb = b.plan.specialised(&b24, &limits);
        let cb = copies.copy_of(Arc::clone(&sb), &b, &b24, &limits);
        for _ in 0..3 {
            assert!(Arc::ptr_eq(&copies.copy_of(Arc::clone(&s19), &a, &p19, &limits), &c19), "made once");
            assert!(Arc::ptr_eq(&copies.copy_of(Arc::clone(&sb), &b, &b24, &limits), &cb), "made once");
        }
        assert!(!Arc::ptr_eq(&cb, &sb) && copies.copies.len() == 3);
        // Beyond the bound, the shared code itself.
        let held: Vec<Specialised> = (0..OWN_COPIES).map(|_| b.plan.specialise(&b24, &limits)).collect();
        let handed: Vec<Specialised> = held.iter().map(|s| copies.copy_of(Arc::clone(s), &b, &b24, &limits)).collect();
        let over = handed.iter().zip(&held).filter(|(h, s)| Arc::ptr_eq(h, s)).count();
        assert_eq!(over, 3, "the three copies made before fill the bound three codes early");
        // Codes nobody else holds any more make room.
        drop((handed, held));
        let fresh = b.plan.specialise(&b24, &limits);
        assert!(!Arc::ptr_eq(&copies.copy_of(Arc::clone(&fresh), &b, &b24, &limits), &fresh));
        assert!(Arc::ptr_eq(&copies.copy_of(Arc::clone(&s19), &a, &p19, &limits), &c19), "a copy of code still held stays");
    }
}
