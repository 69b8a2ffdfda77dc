//! Many households at once: evaluated in parallel on all cores, answered in input order.
//! One bad household is one `Err` in its slot; the others are unaffected.

use rayon::prelude::*;

use crate::decision::{Decision, Outcomes};
use crate::model::Household;
use crate::engine::Engine;
use crate::error::ValidationError;

/// Evaluates JSON households in parallel; result `i` belongs to document `i`.
pub fn evaluate_json_batch<S: AsRef<str> + Sync>(engine: &Engine, documents: &[S]) -> Vec<Result<Decision, ValidationError>> {
    json_batch(documents, |h| engine.evaluate(h))
}

/// [`evaluate_json_batch`] for outcomes only ([`Engine::evaluate_outcomes`]).
pub fn outcomes_json_batch<S: AsRef<str> + Sync>(engine: &Engine, documents: &[S]) -> Vec<Result<Outcomes, ValidationError>> {
    json_batch(documents, |h| engine.evaluate_outcomes(h))
}

/// Evaluates households given as JSON values (or the error that already refused them, e.g.
/// from [`crate::tables::assemble`]) in parallel; result `i` belongs to input `i`.
pub fn evaluate_value_batch(engine: &Engine, documents: Vec<Result<serde_json::Value, ValidationError>>) -> Vec<Result<Decision, ValidationError>> {
    value_batch(documents, |h| engine.evaluate(h))
}

/// [`evaluate_value_batch`] for outcomes only ([`Engine::evaluate_outcomes`]).
pub fn outcomes_value_batch(engine: &Engine, documents: Vec<Result<serde_json::Value, ValidationError>>) -> Vec<Result<Outcomes, ValidationError>> {
    value_batch(documents, |h| engine.evaluate_outcomes(h))
}

/// [`evaluate_json_batch`] with each decision as its JSON text ([`Engine::decision_json`]: no
/// finding is made where the fast path settles the household).
pub fn decision_json_batch<S: AsRef<str> + Sync>(engine: &Engine, documents: &[S]) -> Vec<Result<String, ValidationError>> {
    json_batch(documents, |h| engine.decision_json(h))
}

/// [`evaluate_value_batch`] with each decision as its JSON text ([`Engine::decision_json`]).
pub fn decision_json_value_batch(engine: &Engine, documents: Vec<Result<serde_json::Value, ValidationError>>) -> Vec<Result<String, ValidationError>> {
    value_batch(documents, |h| engine.decision_json(h))
}

/// [`outcomes_json_batch`] with each household's decision as JSON text too: the flat
/// columns of a table and its `decision` column, both from one evaluation, in parallel and
/// without making the findings ([`Engine::outcomes_and_decision_json`]).
pub fn outcomes_with_json_batch<S: AsRef<str> + Sync>(engine: &Engine, documents: &[S]) -> Vec<Result<(Outcomes, String), ValidationError>> {
    json_batch(documents, |h| engine.outcomes_and_decision_json(h))
}

/// [`outcomes_with_json_batch`] of households given as JSON values.
pub fn outcomes_with_json_value_batch(engine: &Engine, documents: Vec<Result<serde_json::Value, ValidationError>>) -> Vec<Result<(Outcomes, String), ValidationError>> {
    value_batch(documents, |h| engine.outcomes_and_decision_json(h))
}

fn json_batch<S, T, F>(documents: &[S], evaluate: F) -> Vec<Result<T, ValidationError>>
where
    S: AsRef<str> + Sync,
    T: Send,
    F: Fn(&Household) -> Result<T, ValidationError> + Sync,
{
    documents.par_iter().map(|doc| crate::input::parse_household(doc.as_ref()).and_then(|h| evaluate(&h))).collect()
}

fn value_batch<T, F>(documents: Vec<Result<serde_json::Value, ValidationError>>, evaluate: F) -> Vec<Result<T, ValidationError>>
where
    T: Send,
    F: Fn(&Household) -> Result<T, ValidationError> + Sync,
{
    documents.into_par_iter().map(|doc| doc.and_then(crate::input::household_from_value).and_then(|h| evaluate(&h))).collect()
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
        let outcomes = outcomes_json_batch(&engine, &docs);
        assert_eq!(outcomes[0].as_ref().unwrap(), &Outcomes::from(out[0].as_ref().unwrap()));
        assert_eq!(outcomes[1].as_ref().unwrap_err(), out[1].as_ref().unwrap_err());
        let texts = decision_json_batch(&engine, &docs);
        assert_eq!(texts[0].as_ref().unwrap(), &serde_json::to_string(out[0].as_ref().unwrap()).unwrap());
        assert_eq!(texts[1].as_ref().unwrap_err(), out[1].as_ref().unwrap_err());
        assert_eq!(texts[2].as_ref().unwrap(), &serde_json::to_string(out[2].as_ref().unwrap()).unwrap());
        let both = outcomes_with_json_batch(&engine, &docs);
        let (outcomes_0, text_0) = both[0].as_ref().unwrap();
        assert_eq!((outcomes_0, text_0), (outcomes[0].as_ref().unwrap(), texts[0].as_ref().unwrap()));
        assert_eq!(both[1].as_ref().unwrap_err(), out[1].as_ref().unwrap_err());
    }
}
