//! A decision's JSON written straight from the fast path's verdicts.
//!
//! A full decision holds about 40 findings, each with its rule's id, titles and citation,
//! two messages and a map of values; made into [`crate::Finding`]s (owned strings, `serde_json`
//! values) and then serialised, that took about 560 allocations per household. Where the
//! fast path settles all three sets, [`crate::Engine::evaluate_to_json`] makes the decision
//! without findings and writes each finding from its rule's declaration and the verdict as
//! the fast path holds it, through the writers of [`crate::json_text`]: the same bytes, field
//! for field, as `serde_json` writes for the decision with its findings made.
//!
//! The field names and their order below are those of [`Decision`], [`crate::Finding`] and
//! their parts; the engine's tests write decisions both ways and compare the bytes.

use std::sync::Arc;

use crate::decision::Decision;
use crate::fast::{NativeVerdict, write_map_json};
use crate::json_text::JsonOut;
use crate::ruleset::RuleJson;

/// One set's findings as the fast path's verdicts: the set's rule texts (escaped when the rules
/// loaded) and their verdicts, in declaration order.
pub(crate) struct Findings<'a>(pub &'a [RuleJson], pub &'a [Arc<NativeVerdict>]);

/// A finding value that is not JSON (a verdict or a handle): the fast path gives up on it.
#[derive(Debug)]
pub(crate) struct NotJson;

impl Findings<'_> {
    fn write(&self, out: &mut impl JsonOut) -> Result<(), NotJson> {
        out.list("[", self.0.iter().zip(self.1), "]", |out, (meta, v)| {
            out.raw("{\"rule\":");
            out.raw(meta.id.get());
            out.raw(",\"result\":\"");
            out.raw(v.result.as_str());
            out.raw("\",\"title_zh\":");
            out.raw(meta.title_zh.get());
            out.raw(",\"title_en\":");
            out.raw(meta.title_en.get());
            out.raw(",\"message_zh\":");
            out.string(&v.message_zh);
            out.raw(",\"message_en\":");
            out.string(&v.message_en);
            out.raw(",\"values\":");
            write_map_json(&v.values, out).map_err(|_| NotJson)?;
            out.raw(",\"citation\":");
            out.raw(meta.citation.get());
            out.raw("}");
            Ok(())
        })
    }
}

/// A decision made without findings, written with the verdicts of each set (identify, exit,
/// monitor) as its findings.
pub(crate) struct DecisionJson<'a> {
    pub decision: &'a Decision,
    pub findings: [Findings<'a>; 3],
}

impl DecisionJson<'_> {
    /// Appends the decision's JSON to `out`; on error nothing is appended.
    pub(crate) fn write(&self, out: &mut impl JsonOut) -> Result<(), NotJson> {
        let start = out.written();
        self.write_all(out).inspect_err(|_| out.cut(start))
    }

    fn write_all(&self, out: &mut impl JsonOut) -> Result<(), NotJson> {
        let d = self.decision;
        let [identify, exit, monitor] = &self.findings;
        out.raw("{\"household_id\":");
        out.string(&d.household_id);
        out.raw(",\"year\":");
        out.int(d.year.into());
        out.raw(",\"ruleset\":{\"name\":");
        out.string(&d.ruleset.name);
        out.raw(",\"version\":");
        out.string(&d.ruleset.version);
        out.raw(",\"hash\":");
        out.string(&d.ruleset.hash);
        out.raw("},\"per_capita_income\":");
        match &d.per_capita_income {
            Some(pci) => out.string(pci),
            None => out.raw("null"),
        }
        out.raw(",\"identify\":{\"outcome\":");
        out.string(&d.identify.outcome);
        out.raw(",\"score\":");
        // `serde_json::Number`'s text is the token `serde_json` writes for it.
        out.raw(&d.identify.score.to_string());
        out.raw(",\"causes\":");
        out.strings(&d.identify.causes);
        out.raw(",\"findings\":");
        identify.write(out)?;
        out.raw("},\"exit\":{\"outcome\":");
        out.string(&d.exit.outcome);
        out.raw(",\"findings\":");
        exit.write(out)?;
        out.raw("},\"monitor\":{\"outcome\":");
        out.string(&d.monitor.outcome);
        out.raw(",\"level\":");
        out.string(&d.monitor.level);
        out.raw(",\"category\":");
        out.string(&d.monitor.category);
        out.raw(",\"risks\":");
        out.strings(&d.monitor.risks);
        out.raw(",\"measures\":");
        out.strings(&d.monitor.measures);
        out.raw(",\"findings\":");
        monitor.write(out)?;
        out.raw("}}");
        Ok(())
    }
}
