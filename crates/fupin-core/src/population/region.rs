//! Levels of aggregation from the 行政区划代码: the first 6 digits are the county (县级),
//! the first 9 the township (乡级), all 12 the village (村级). A household whose code is
//! shorter than the level asked for is grouped under its code marked as incomplete, never
//! silently merged into a neighbour.

use serde::{Deserialize, Serialize};

/// The level a report or a quota applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 村 (12 digits)
    Village,
    /// 乡镇 (9 digits)
    Township,
    /// 县 (6 digits)
    County,
}

impl Level {
    /// Digits of the 行政区划代码 that name a unit at this level.
    pub fn digits(self) -> usize {
        match self {
            Level::Village => 12,
            Level::Township => 9,
            Level::County => 6,
        }
    }

    /// 村 / 乡镇 / 县
    pub fn zh(self) -> &'static str {
        match self {
            Level::Village => "村",
            Level::Township => "乡镇",
            Level::County => "县",
        }
    }

    /// Parses `village`, `township` or `county` (or 村 / 乡镇 / 县).
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "village" | "村" => Some(Level::Village),
            "township" | "乡镇" | "乡" => Some(Level::Township),
            "county" | "县" => Some(Level::County),
            _ => None,
        }
    }
}

/// The group a household with this region code belongs to at `level`: the code's first
/// `level.digits()` digits; a shorter code keeps all its digits and is marked `…?`; no code is
/// `unknown`.
pub fn group_code(code: Option<&str>, level: Level) -> String {
    match code {
        Some(c) if c.len() >= level.digits() => c[..level.digits()].to_string(),
        Some(c) => format!("{c}?"),
        None => "unknown".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_cut_at_the_level_and_short_codes_are_marked() {
        assert_eq!(group_code(Some("150526100201"), Level::Village), "150526100201");
        assert_eq!(group_code(Some("150526100201"), Level::Township), "150526100");
        assert_eq!(group_code(Some("150526100201"), Level::County), "150526");
        assert_eq!(group_code(Some("150526"), Level::Village), "150526?");
        assert_eq!(group_code(None, Level::County), "unknown");
        assert_eq!(Level::parse("乡镇"), Some(Level::Township));
        assert_eq!(Level::parse("city"), None);
    }
}
