//! Many households at once: evaluated in parallel on all cores, answered in input order.
//! One bad household is one `Err` in its slot; the others are unaffected.

use rayon::prelude::*;

use crate::decision::Decision;
use crate::engine::Engine;
use crate::error::ValidationError;

/// Evaluates JSON households in parallel; result `i` belongs to document `i`.
pub fn evaluate_json_batch<S: AsRef<str> + Sync>(engine: &Engine, documents: &[S]) -> Vec<Result<Decision, ValidationError>> {
    documents.par_iter().map(|doc| engine.evaluate_json(doc.as_ref())).collect()
}

/// Evaluates households given as JSON values (or the error that already refused them, e.g.
/// from [`crate::tables::assemble`]) in parallel; result `i` belongs to input `i`.
pub fn evaluate_value_batch(engine: &Engine, documents: Vec<Result<serde_json::Value, ValidationError>>) -> Vec<Result<Decision, ValidationError>> {
    documents
        .into_par_iter()
        .map(|doc| doc.and_then(crate::input::household_from_value).and_then(|h| engine.evaluate(&h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_and_bad_rows_stay_in_their_slot() {
        let engine = Engine::embedded().unwrap();
        let good = |id: &str| format!(r#"{{"id":"{id}","year":2024,"region":{{}},"members":[{{"relation":"head"}}]}}"#);
        let docs = vec![good("A"), "{".to_string(), good("C")];
        let out = evaluate_json_batch(&engine, &docs);
        assert_eq!(out[0].as_ref().unwrap().household_id, "A");
        assert!(out[1].is_err());
        assert_eq!(out[2].as_ref().unwrap().household_id, "C");
    }
}
