//! Dated parameters with regional overrides (参数: 扶贫标准, 监测线, 饮水安全阈值, …).
//!
//! `params/national.toml` declares every parameter (type, unit, description, reference) and
//! its national values, each valid from a year. Files under `params/regions/` override a
//! parameter for a region-code prefix (province 2 digits, city 4, county 6) from a year on.
//! A household's value is the most specific override in force for its year and region code,
//! otherwise the national value in force. Files are validated when loaded; every error names
//! the file and the key.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use rhai::{Array, Dynamic};
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::RulesError;
use crate::money::Money;

/// The value type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// Yuan with two decimals.
    Money,
    /// An exact decimal (ratios, litres, minutes, percent, weights).
    Decimal,
    /// A whole number (ages, counts).
    Integer,
    /// A switch.
    Bool,
    /// A list of names.
    List,
}

/// One dated value in a parameter file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DatedValue {
    from: i32,
    value: toml::Value,
    source: String,
    #[serde(default)]
    confidence: Option<String>,
    /// Documentation for auditors (price basis); read by people, not by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    basis: Option<String>,
    /// Documentation for auditors; read by people, not by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// A parameter declaration in `national.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    #[serde(rename = "type")]
    kind: ParamType,
    description: String,
    /// Documentation for auditors; read by people, not by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    unit: Option<String>,
    /// Documentation for auditors; read by people, not by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    reference: Option<String>,
    values: Vec<DatedValue>,
}

/// A regional override file. Every key besides `region`, `name` and `note` must be a
/// declared parameter (checked after parsing, so the error can name it).
#[derive(Clone, Debug, Deserialize)]
struct RegionFile {
    region: String,
    name: String,
    /// Documentation for auditors; read by people, not by the engine.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(flatten)]
    overrides: BTreeMap<String, RegionOverride>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionOverride {
    values: Vec<DatedValue>,
}

/// A typed series of values, sorted by the year they start.
#[derive(Clone, Debug)]
struct Series(Vec<(i32, Dynamic)>);

impl Series {
    fn in_force(&self, year: i32) -> Option<&Dynamic> {
        self.0.iter().rev().find(|(from, _)| *from <= year).map(|(_, v)| v)
    }
}

#[derive(Clone, Debug)]
struct Parameter {
    kind: ParamType,
    national: Series,
    /// (region-code prefix, series), most specific prefix first.
    regional: Vec<(String, Series)>,
}

/// All parameters of a rule set, ready to be resolved for a year and region.
#[derive(Debug)]
pub struct ParamSet {
    names: Vec<String>,
    index: HashMap<String, usize>,
    params: Vec<Parameter>,
    /// By year and region prefix ([`table_key`]).
    cache: RwLock<HashMap<(i32, u64), Arc<Resolved>>>,
}

/// The parameters in force for one year and region: what scripts see as `p`.
#[derive(Debug)]
pub struct Resolved {
    /// Evaluation year.
    pub year: i32,
    names: Arc<[String]>,
    index: Arc<HashMap<String, usize>>,
    values: Vec<Option<Dynamic>>,
    /// What [`crate::facts::Facts::derive`] reads, read once per table.
    facts: FactParams,
}

/// The parameters that derived facts depend on, read once when a table is resolved (not once
/// per household).
#[derive(Debug)]
pub(crate) struct FactParams {
    /// 义务教育 age range (`compulsory_age_min` ..= `compulsory_age_max`; 6 ..= 15 if not in
    /// force).
    pub compulsory_ages: std::ops::RangeInclusive<i64>,
    /// `western_province_codes`: the province code prefixes of 西部地区.
    pub western_province_codes: Vec<String>,
}

impl FactParams {
    /// The fact parameters in force in `table`.
    fn of(table: &Resolved) -> FactParams {
        FactParams {
            compulsory_ages: table.int("compulsory_age_min").unwrap_or(6)..=table.int("compulsory_age_max").unwrap_or(15),
            western_province_codes: table.list("western_province_codes"),
        }
    }
}

fn params_err(file: &str, key: impl Into<String>, message: impl Into<String>) -> RulesError {
    RulesError::Params { file: file.to_string(), key: key.into(), message: message.into() }
}

/// A TOML error located by line and column.
pub(crate) fn toml_err(file: &str, text: &str, e: toml::de::Error) -> RulesError {
    let key = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line} column {column}")
        }
        None => String::new(),
    };
    params_err(file, key, e.message().to_string())
}

fn typed(file: &str, key: &str, kind: ParamType, value: &toml::Value) -> Result<Dynamic, RulesError> {
    let bad = |what: &str| params_err(file, key, format!("expected {what}"));
    Ok(match kind {
        ParamType::Money => {
            let money = match value {
                toml::Value::String(s) => Money::parse(s),
                toml::Value::Integer(i) => Money::new(Decimal::from(*i)),
                _ => return Err(bad("an amount of money (a string such as \"3218.00\" or an integer)")),
            };
            Dynamic::from_decimal(money.map_err(|m| params_err(file, key, m))?.decimal())
        }
        ParamType::Decimal => match value {
            toml::Value::String(s) => Dynamic::from_decimal(
                s.parse::<Decimal>().map_err(|_| bad("a decimal number such as \"1.5\""))?,
            ),
            toml::Value::Integer(i) => Dynamic::from_decimal(Decimal::from(*i)),
            _ => return Err(bad("a decimal number written as a string (\"1.5\") or an integer")),
        },
        ParamType::Integer => Dynamic::from_int(value.as_integer().ok_or_else(|| bad("an integer"))?),
        ParamType::Bool => Dynamic::from_bool(value.as_bool().ok_or_else(|| bad("true or false"))?),
        ParamType::List => {
            let items = value.as_array().ok_or_else(|| bad("a list of strings"))?;
            let mut list = Array::with_capacity(items.len());
            for item in items {
                list.push(item.as_str().ok_or_else(|| bad("a list of strings"))?.into());
            }
            Dynamic::from_array(list)
        }
    })
}

fn series(file: &str, key: &str, kind: ParamType, values: &[DatedValue]) -> Result<Series, RulesError> {
    if values.is_empty() {
        return Err(params_err(file, format!("{key}.values"), "at least one dated value is required"));
    }
    let mut out: Vec<(i32, Dynamic)> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let at = format!("{key}.values[{i}]");
        if !(2000..=2100).contains(&v.from) {
            return Err(params_err(file, format!("{at}.from"), format!("year {} is outside 2000..=2100", v.from)));
        }
        if v.source.trim().is_empty() {
            return Err(params_err(file, format!("{at}.source"), "every value needs its source"));
        }
        if let Some(c) = &v.confidence
            && !matches!(c.as_str(), "V" | "S" | "U" | "local")
        {
            return Err(params_err(file, format!("{at}.confidence"), "expected V, S, U or local"));
        }
        if out.iter().any(|(from, _)| *from == v.from) {
            return Err(params_err(file, format!("{at}.from"), format!("a second value from {}", v.from)));
        }
        out.push((v.from, typed(file, &format!("{at}.value"), kind, &v.value)?));
    }
    out.sort_by_key(|(from, _)| *from);
    Ok(Series(out))
}

impl ParamSet {
    /// Loads the national declarations and the regional override files `(path, text)`.
    pub fn load(national: (&str, &str), regions: &[(&str, &str)]) -> Result<ParamSet, Vec<RulesError>> {
        let (file, text) = national;
        let decls: BTreeMap<String, Declaration> =
            toml::from_str(text).map_err(|e| vec![toml_err(file, text, e)])?;
        let mut errors = Vec::new();
        let mut names = Vec::new();
        let mut params = Vec::new();
        for (key, decl) in &decls {
            if decl.description.trim().is_empty() {
                errors.push(params_err(file, format!("{key}.description"), "a description is required"));
            }
            match series(file, key, decl.kind, &decl.values) {
                Ok(national) => {
                    names.push(key.clone());
                    params.push(Parameter { kind: decl.kind, national, regional: Vec::new() });
                }
                Err(e) => errors.push(e),
            }
        }
        let index: HashMap<String, usize> = names.iter().cloned().enumerate().map(|(i, n)| (n, i)).collect();
        for (file, text) in regions {
            let region: RegionFile = match toml::from_str(text) {
                Ok(r) => r,
                Err(e) => {
                    errors.push(toml_err(file, text, e));
                    continue;
                }
            };
            let code_ok = matches!(region.region.len(), 2 | 4 | 6) && region.region.bytes().all(|b| b.is_ascii_digit());
            if !code_ok {
                errors.push(params_err(file, "region", "a region-code prefix of 2 (province), 4 (city) or 6 (county) digits is required"));
                continue;
            }
            if region.name.trim().is_empty() {
                errors.push(params_err(file, "name", "the region's name is required"));
            }
            for (key, o) in &region.overrides {
                let Some(&i) = index.get(key) else {
                    errors.push(params_err(file, key.as_str(), "unknown parameter (not declared in params/national.toml)"));
                    continue;
                };
                match series(file, key, params[i].kind, &o.values) {
                    Ok(s) => params[i].regional.push((region.region.clone(), s)),
                    Err(e) => errors.push(e),
                }
            }
        }
        for p in &mut params {
            p.regional.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
            if let Some(w) = p.regional.windows(2).find(|w| w[0].0 == w[1].0) {
                errors.push(params_err("params/regions", w[0].0.as_str(), "two files override the same parameter for one region"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ParamSet { names, index, params, cache: RwLock::new(HashMap::new()) })
    }

    /// The declared parameter names, sorted.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The slot of parameter `name` in every [`Resolved`] of this set.
    pub(crate) fn slot(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// The parameters in force for `year` in the region with this code (or national only).
    pub fn resolve(&self, year: i32, region_code: Option<&str>) -> Arc<Resolved> {
        let key = table_key(year, region_code);
        if let Some(hit) = self.cache.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Arc::clone(hit);
        }
        let prefix = region_prefix(region_code);
        let values = self
            .params
            .iter()
            .map(|p| {
                p.regional
                    .iter()
                    .filter(|(region, _)| prefix.starts_with(region.as_str()))
                    .find_map(|(_, s)| s.in_force(year))
                    .or_else(|| p.national.in_force(year))
                    .cloned()
            })
            .collect();
        // The table is read for its fact parameters before they are set (`unread` is replaced
        // at once).
        let unread = FactParams { compulsory_ages: 0..=0, western_province_codes: Vec::new() };
        let table = Resolved { year, names: self.names.clone().into(), index: Arc::new(self.index.clone()), values, facts: unread };
        let resolved = Arc::new(Resolved { facts: FactParams::of(&table), ..table });
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 4096 {
            cache.clear();
        }
        Arc::clone(cache.entry(key).or_insert(resolved))
    }
}

/// The province, prefecture and county digits of a region code (a code of other characters
/// is cut at a character boundary; validation refuses it anyway).
fn region_prefix(region_code: Option<&str>) -> &str {
    region_code.map(|c| &c[..c.floor_char_boundary(6)]).unwrap_or("")
}

/// What [`ParamSet::resolve`] resolves by: households with equal keys get the same table.
pub(crate) fn table_key(year: i32, region_code: Option<&str>) -> (i32, u64) {
    (year, prefix_key(region_prefix(region_code)))
}

/// A region prefix of at most six bytes as one number: its bytes and its length.
fn prefix_key(prefix: &str) -> u64 {
    let mut key = [0u8; 8];
    key[..prefix.len()].copy_from_slice(prefix.as_bytes());
    key[7] = prefix.len() as u8;
    u64::from_le_bytes(key)
}

/// Why a parameter could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamLookupError {
    /// The name is not declared.
    Unknown(String),
    /// Declared, but no value is in force for the year.
    NotInForce(String, i32),
}

impl std::fmt::Display for ParamLookupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamLookupError::Unknown(name) => write!(f, "参数 {name} 未定义 (unknown parameter {name})"),
            ParamLookupError::NotInForce(name, year) => {
                write!(f, "参数 {name} 在 {year} 年无有效值 (parameter {name} has no value in force for {year})")
            }
        }
    }
}

impl Resolved {
    /// The value of `name` in force, as the script sees it.
    pub fn get(&self, name: &str) -> Result<&Dynamic, ParamLookupError> {
        let i = *self.index.get(name).ok_or_else(|| ParamLookupError::Unknown(name.to_string()))?;
        self.values[i].as_ref().ok_or_else(|| ParamLookupError::NotInForce(name.to_string(), self.year))
    }

    /// The values in force as text, equal for two tables that scripts cannot tell apart (the
    /// fast path shares code specialised to equal tables).
    pub(crate) fn fingerprint(&self) -> String {
        format!("{:?}", self.values)
    }

    /// The value in slot `i` (see [`ParamSet::slot`]), if in force.
    pub(crate) fn at(&self, i: usize) -> Option<&Dynamic> {
        self.values.get(i).and_then(Option::as_ref)
    }

    /// An integer parameter, if declared and in force.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).ok().and_then(|v| v.as_int().ok())
    }

    /// A list parameter, if declared and in force.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .ok()
            .and_then(|v| v.read_lock::<Array>().map(|a| a.iter().map(|x| x.to_string()).collect()))
            .unwrap_or_default()
    }

    /// The province code prefixes of 西部地区 (`western_province_codes`), empty if not in force.
    pub fn western_province_codes(&self) -> &[String] {
        &self.facts.western_province_codes
    }

    /// What derived facts depend on.
    pub(crate) fn fact_params(&self) -> &FactParams {
        &self.facts
    }

    /// Every parameter in force, by name (for explanations and audits).
    pub fn in_force(&self) -> impl Iterator<Item = (&str, &Dynamic)> {
        self.names.iter().zip(&self.values).filter_map(|(n, v)| v.as_ref().map(|v| (n.as_str(), v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NATIONAL: &str = r#"
[poverty_line]
type = "money"
description = "扶贫标准"
values = [
  { from = 2013, value = "2736", source = "国开办发〔2014〕24号", confidence = "V" },
  { from = 2019, value = "3218", source = "统计局", confidence = "S" },
]
[monitoring_line]
type = "money"
description = "监测线"
values = [{ from = 2020, value = 6000, source = "[U]" }]
"#;
    const GUIZHOU: &str = r#"
region = "52"
name = "贵州省"
[poverty_line]
values = [{ from = 2017, value = "3335", source = "贵州 exit line" }]
"#;

    fn money(r: &Resolved, name: &str) -> String {
        r.get(name).unwrap().as_decimal().unwrap().to_string()
    }

    #[test]
    fn dated_values_and_regional_overrides() {
        let set = ParamSet::load(("national.toml", NATIONAL), &[("regions/52.toml", GUIZHOU)]).unwrap();
        assert_eq!(money(&set.resolve(2014, Some("520121")), "poverty_line"), "2736.00");
        assert_eq!(money(&set.resolve(2017, Some("520121")), "poverty_line"), "3335.00");
        assert_eq!(money(&set.resolve(2019, Some("520121")), "poverty_line"), "3335.00");
        assert_eq!(money(&set.resolve(2019, Some("530121")), "poverty_line"), "3218.00");
        assert_eq!(money(&set.resolve(2019, None), "poverty_line"), "3218.00");
        // Resolved once per year and region prefix; prefixes of different lengths differ, and a
        // code that is not digits is cut at a character boundary, not refused by a panic.
        assert!(Arc::ptr_eq(&set.resolve(2019, Some("520121100201")), &set.resolve(2019, Some("520121999999"))));
        assert!(!Arc::ptr_eq(&set.resolve(2019, Some("52")), &set.resolve(2019, Some("520"))));
        assert_eq!(money(&set.resolve(2019, Some("52012贵州")), "poverty_line"), "3335.00");
        let early = set.resolve(2019, None);
        assert_eq!(early.get("monitoring_line").unwrap_err(), ParamLookupError::NotInForce("monitoring_line".into(), 2019));
        assert!(matches!(early.get("nope"), Err(ParamLookupError::Unknown(_))));
    }

    /// The parameters derived facts read are taken once per table, from the values in force
    /// there (dated and regional), with the defaults where none is.
    #[test]
    fn fact_parameters_follow_the_table() {
        let ages = r#"
[compulsory_age_max]
type = "integer"
description = "义务教育最大年龄"
values = [{ from = 2013, value = 15, source = "[U]" }, { from = 2021, value = 16, source = "[U]" }]
[western_province_codes]
type = "list"
description = "西部地区"
values = [{ from = 2013, value = ["52", "53"], source = "[U]" }]
"#;
        let regional = "region = \"53\"\nname = \"云南省\"\n[compulsory_age_max]\nvalues = [{ from = 2013, value = 17, source = \"[U]\" }]\n";
        let set = ParamSet::load(("national.toml", &format!("{NATIONAL}{ages}")), &[("regions/53.toml", regional)]).unwrap();
        assert_eq!(set.resolve(2020, Some("520121")).fact_params().compulsory_ages, 6..=15);
        assert_eq!(set.resolve(2021, Some("520121")).fact_params().compulsory_ages, 6..=16);
        assert_eq!(set.resolve(2020, Some("530121")).fact_params().compulsory_ages, 6..=17);
        assert_eq!(set.resolve(2020, None).western_province_codes(), ["52", "53"]);
        let bare = ParamSet::load(("national.toml", NATIONAL), &[]).unwrap().resolve(2020, None);
        assert_eq!(bare.fact_params().compulsory_ages, 6..=15);
        assert!(bare.western_province_codes().is_empty());
    }

    fn load_err(national: &str, regions: &[(&str, &str)]) -> String {
        ParamSet::load(("national.toml", national), regions).unwrap_err().iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn malformed_files_name_file_and_key() {
        let unknown_key = NATIONAL.replace("description = \"监测线\"", "description = \"监测线\"\nfrom_year = 1");
        assert!(load_err(&unknown_key, &[]).contains("unknown field `from_year`"));
        let no_values = "[x]\ntype = \"money\"\ndescription = \"d\"\nvalues = []\n";
        assert!(load_err(no_values, &[]).contains("national.toml: x.values: at least one dated value"));
        let bad_money = NATIONAL.replace("\"3218\"", "\"3218.001\"");
        assert!(load_err(&bad_money, &[]).contains("poverty_line.values[1].value"));
        let undeclared = GUIZHOU.replace("[poverty_line]", "[povety_line]");
        assert!(load_err(NATIONAL, &[("regions/52.toml", &undeclared)]).contains("regions/52.toml: povety_line: unknown parameter"));
        let bad_region = GUIZHOU.replace("\"52\"", "\"520\"");
        assert!(load_err(NATIONAL, &[("regions/52.toml", &bad_region)]).contains("regions/52.toml: region:"));
    }
}
