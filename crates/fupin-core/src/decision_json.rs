//! A decision's JSON written straight from the fast path's verdicts.
//!
//! A full decision holds about 40 findings, each with its rule's id, titles and citation,
//! two messages and a map of values; made into [`crate::Finding`]s (owned strings, `serde_json`
//! values) and then serialised, that took about 560 allocations per household. Where the
//! fast path settles all three sets, [`crate::Engine::evaluate_to_json`] makes the decision
//! without findings and writes each finding from its rule's declaration and the verdict as
//! the fast path holds it: the same bytes, field for field, as `serde_json` writes for the
//! decision with its findings made, with about 240 allocations (mostly the rules' own
//! messages and maps of values).
//!
//! The field names and their order below are those of [`Decision`], [`crate::Finding`] and
//! their parts; the engine's tests write decisions both ways and compare the bytes.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::decision::{Decision, ExitDecision, IdentifyDecision, MonitorDecision};
use crate::fast::{JsonMap, NativeVerdict};
use crate::ruleset::RuleJson;

/// One set's findings as the fast path's verdicts: the set's rule texts (escaped when the rules
/// loaded) and their verdicts, in declaration order.
pub(crate) struct Findings<'a>(pub &'a [RuleJson], pub &'a [Arc<NativeVerdict>]);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().zip(self.1).map(|(meta, v)| NativeFinding(meta, v)))
    }
}

/// A [`crate::Finding`] written from its rule's texts and the verdict.
struct NativeFinding<'a>(&'a RuleJson, &'a NativeVerdict);

impl Serialize for NativeFinding<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let NativeFinding(meta, v) = self;
        let mut f = s.serialize_struct("Finding", 8)?;
        f.serialize_field("rule", &meta.id)?;
        f.serialize_field("result", &v.result)?;
        f.serialize_field("title_zh", &meta.title_zh)?;
        f.serialize_field("title_en", &meta.title_en)?;
        f.serialize_field("message_zh", v.message_zh.as_str())?;
        f.serialize_field("message_en", v.message_en.as_str())?;
        f.serialize_field("values", &JsonMap(&v.values))?;
        f.serialize_field("citation", &meta.citation)?;
        f.end()
    }
}

/// A decision made without findings, written with the verdicts of each set (identify, exit,
/// monitor) as its findings.
pub(crate) struct DecisionJson<'a> {
    pub decision: &'a Decision,
    pub findings: [Findings<'a>; 3],
}

impl Serialize for DecisionJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.decision;
        let [identify, exit, monitor] = &self.findings;
        let mut out = s.serialize_struct("Decision", 7)?;
        out.serialize_field("household_id", &d.household_id)?;
        out.serialize_field("year", &d.year)?;
        out.serialize_field("ruleset", &d.ruleset)?;
        out.serialize_field("per_capita_income", &d.per_capita_income)?;
        out.serialize_field("identify", &IdentifyJson(&d.identify, identify))?;
        out.serialize_field("exit", &ExitJson(&d.exit, exit))?;
        out.serialize_field("monitor", &MonitorJson(&d.monitor, monitor))?;
        out.end()
    }
}

struct IdentifyJson<'a>(&'a IdentifyDecision, &'a Findings<'a>);

impl Serialize for IdentifyJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let IdentifyJson(d, findings) = self;
        let mut out = s.serialize_struct("IdentifyDecision", 4)?;
        out.serialize_field("outcome", &d.outcome)?;
        out.serialize_field("score", &d.score)?;
        out.serialize_field("causes", &d.causes)?;
        out.serialize_field("findings", findings)?;
        out.end()
    }
}

struct ExitJson<'a>(&'a ExitDecision, &'a Findings<'a>);

impl Serialize for ExitJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ExitJson(d, findings) = self;
        let mut out = s.serialize_struct("ExitDecision", 2)?;
        out.serialize_field("outcome", &d.outcome)?;
        out.serialize_field("findings", findings)?;
        out.end()
    }
}

struct MonitorJson<'a>(&'a MonitorDecision, &'a Findings<'a>);

impl Serialize for MonitorJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let MonitorJson(d, findings) = self;
        let mut out = s.serialize_struct("MonitorDecision", 6)?;
        out.serialize_field("outcome", &d.outcome)?;
        out.serialize_field("level", &d.level)?;
        out.serialize_field("category", &d.category)?;
        out.serialize_field("risks", &d.risks)?;
        out.serialize_field("measures", &d.measures)?;
        out.serialize_field("findings", findings)?;
        out.end()
    }
}
