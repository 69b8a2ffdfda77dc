//! Populations: what a county office does with many decisions at once.
//!
//! Every function here works on decisions that were already made one household at a time
//! (`Engine::evaluate`), so a faster engine drops in without changes. Households are named by
//! 户编号 only; names, 身份证号 and phone numbers never reach a row, report or list.
//!
//! - [`profile`]: the few facts about a household that aggregates need besides its decision;
//! - [`region`]: village / township / county from the 12-digit 行政区划代码;
//! - [`flat`]: one decision as one CSV row;
//! - [`report`], [`report_text`], [`report_html`]: 贫困发生率, the village exit test, counts,
//!   the 预警 list — as a table, CSV, JSON or a printable HTML page;
//! - [`diff`]: one population under two rule sets (what-if);
//! - [`rank`]: 全旗大排序 with 规模控制;
//! - [`dynamics`]: 动态管理 between two rounds.

pub mod diff;
pub mod dynamics;
pub mod flat;
pub mod profile;
pub mod rank;
pub mod region;
pub mod report;
pub mod report_html;
pub mod report_text;

use std::collections::BTreeMap;

/// Counts one more `key` in a tally of names (its text is copied only the first time it is
/// met).
pub(crate) fn count(counts: &mut BTreeMap<String, usize>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}
