//! 户表 + 人表: the two-table export of 建档立卡 registration systems (one row per household,
//! one row per member, joined by 户编号), assembled into households.
//!
//! Cells may be typed (numbers, booleans from data frames) or text (CSV). Column names are
//! the English names below or their Chinese aliases; unknown columns are refused, PII columns
//! (姓名, 身份证号, 联系电话) are accepted and dropped. An empty cell is *unknown*. Booleans
//! accept `true/false`, `是/否`, `1/0`. `vehicles` is written `car:30000;motorcycle`; `none` or
//! `无` = no vehicle (an empty cell, as everywhere, = unknown). Events are not part of the two-table export.
//!
//! Every problem is reported with its table, row and column, and never stops the others.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::ValidationError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Money,
    Number,
    Integer,
    Bool,
    Vehicles,
    Disability,
    Ignored,
}

/// (column, Chinese aliases, JSON path in the household or member, kind)
type Column = (&'static str, &'static [&'static str], &'static str, Kind);

/// Columns of the household table (户表).
const HOUSEHOLD_COLUMNS: &[Column] = &[
    ("id", &["户编号"], "id", Kind::Text),
    ("year", &["年度", "评定年度"], "year", Kind::Integer),
    ("region_code", &["行政区划代码"], "region.code", Kind::Text),
    ("province", &["省"], "region.province", Kind::Text),
    ("city", &["市"], "region.city", Kind::Text),
    ("county", &["县"], "region.county", Kind::Text),
    ("township", &["乡镇"], "region.township", Kind::Text),
    ("village", &["村"], "region.village", Kind::Text),
    ("western", &["西部地区"], "region.western", Kind::Bool),
    ("wage", &["工资性收入"], "income.wage", Kind::Money),
    ("business", &["经营性收入"], "income.business", Kind::Money),
    ("business_cost", &["生产经营性支出"], "income.business_cost", Kind::Money),
    ("property", &["财产性收入"], "income.property", Kind::Money),
    ("pension", &["养老金"], "income.pension", Kind::Money),
    ("dibao", &["低保金"], "income.dibao", Kind::Money),
    ("subsidies", &["政策性补贴"], "income.subsidies", Kind::Money),
    ("other_transfer", &["赡养费", "其他转移性收入"], "income.other_transfer", Kind::Money),
    ("medical_out_of_pocket", &["医疗自付费用"], "expenses.medical_out_of_pocket", Kind::Money),
    ("education_expense", &["教育支出"], "expenses.education", Kind::Money),
    ("other_rigid", &["其他刚性支出"], "expenses.other_rigid", Kind::Money),
    ("food_secure", &["不愁吃"], "food_secure", Kind::Bool),
    ("clothing_secure", &["不愁穿"], "clothing_secure", Kind::Bool),
    ("safety_grade", &["房屋安全等级", "危房等级"], "housing.safety_grade", Kind::Text),
    ("relocated", &["易地扶贫搬迁"], "housing.relocated", Kind::Bool),
    ("water_liters", &["人均日用水量"], "water.liters_per_person_day", Kind::Number),
    ("water_quality_ok", &["水质达标"], "water.quality_ok", Kind::Bool),
    ("water_fetch_minutes", &["取水往返时间"], "water.fetch_minutes_round_trip", Kind::Number),
    ("water_assurance_pct", &["供水保证率"], "water.supply_assurance_pct", Kind::Number),
    ("vehicles", &["车辆"], "assets.vehicles", Kind::Vehicles),
    ("urban_commercial_housing", &["城镇商品房"], "assets.urban_commercial_housing", Kind::Bool),
    ("business_registered_capital", &["企业注册资本"], "assets.business_registered_capital", Kind::Money),
    ("registered_poor", &["建档立卡贫困户"], "status.registered_poor", Kind::Bool),
    ("exit_year", &["脱贫年度", "脱贫年份"], "status.exit_year", Kind::Integer),
    ("category", &["贫困户属性"], "status.category", Kind::Text),
    ("monitoring", &["监测对象类别"], "status.monitoring", Kind::Text),
    ("prior_year_income_per_capita", &["上年人均纯收入"], "status.prior_year_income_per_capita", Kind::Money),
    ("head_name", &["户主姓名", "户主"], "", Kind::Ignored),
    ("phone", &["联系电话"], "", Kind::Ignored),
];

/// Columns of the member table (人表).
const MEMBER_COLUMNS: &[Column] = &[
    ("household_id", &["户编号"], "", Kind::Ignored),
    ("member_id", &["成员编号"], "id", Kind::Text),
    ("relation", &["与户主关系"], "relation", Kind::Text),
    ("birth_date", &["出生日期"], "birth_date", Kind::Text),
    ("age", &["年龄"], "age", Kind::Integer),
    ("sex", &["性别"], "sex", Kind::Text),
    ("disability_grade", &["残疾等级"], "disability_grade", Kind::Disability),
    ("labor_ability", &["劳动能力"], "labor_ability", Kind::Text),
    ("health", &["健康状况"], "health", Kind::Text),
    ("school_stage", &["在校阶段"], "schooling.stage", Kind::Text),
    ("enrolled", &["是否在校", "在校"], "schooling.enrolled", Kind::Bool),
    ("exemption", &["送教上门等认定"], "schooling.exemption", Kind::Text),
    ("medical_insurance", &["参加基本医疗保险"], "medical_insurance", Kind::Bool),
    ("family_doctor", &["家庭医生签约"], "family_doctor", Kind::Bool),
    ("public_employee", &["财政供养人员"], "public_employee", Kind::Bool),
    ("migrant_months", &["外出务工月数"], "migrant_months", Kind::Integer),
    ("village_cadre", &["村两委干部"], "village_cadre", Kind::Bool),
    ("name", &["姓名"], "", Kind::Ignored),
    ("id_number", &["身份证号", "证件号码"], "", Kind::Ignored),
    ("phone", &["联系电话"], "", Kind::Ignored),
];

/// One table row: column name (English or Chinese) → cell.
pub type Row = Map<String, Value>;

/// A household assembled from the two tables, or why it could not be.
#[derive(Debug)]
pub struct Assembled {
    /// Households in household-table order: (row in 户表, household JSON or error).
    pub households: Vec<(usize, Result<Value, ValidationError>)>,
    /// Member rows that could not be placed (row in 人表, error).
    pub member_errors: Vec<(usize, ValidationError)>,
}

fn column<'a>(columns: &'a [Column], name: &str) -> Option<&'a Column> {
    columns.iter().find(|(en, zh, _, _)| *en == name || zh.contains(&name))
}

fn truth(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "TRUE" | "True" | "是" | "1" | "yes" | "Y" | "y" => Some(true),
        "false" | "FALSE" | "False" | "否" | "0" | "no" | "N" | "n" => Some(false),
        _ => None,
    }
}

fn number(text: &str) -> Option<Value> {
    let text = text.trim();
    text.parse::<i64>().map(Value::from).ok().or_else(|| text.parse::<f64>().ok().and_then(|f| serde_json::Number::from_f64(f).map(Value::Number)))
}

/// Converts one cell; `Ok(None)` = empty (unknown).
fn cell(kind: Kind, value: &Value) -> Result<Option<Value>, String> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    };
    let bad = |what: &str| Err(format!("expected {what}"));
    Ok(Some(match (kind, value, text) {
        (Kind::Text, Value::Number(n), _) => Value::String(n.to_string()),
        (Kind::Text, _, Some(_)) | (Kind::Money, _, Some(_)) => value.clone(),
        (Kind::Money | Kind::Number | Kind::Integer, Value::Number(_), _) => value.clone(),
        (Kind::Number | Kind::Integer, _, Some(t)) => match number(t) {
            Some(n) => n,
            None => return bad("a number"),
        },
        (Kind::Bool, Value::Bool(_), _) => value.clone(),
        (Kind::Bool, Value::Number(n), _) if n.as_f64() == Some(1.0) || n.as_f64() == Some(0.0) => Value::Bool(n.as_f64() == Some(1.0)),
        (Kind::Bool, _, Some(t)) => match truth(t) {
            Some(b) => Value::Bool(b),
            None => return bad("是/否 or true/false"),
        },
        (Kind::Disability, Value::Number(n), _) if n.as_f64() == Some(0.0) => Value::Null,
        (Kind::Disability, Value::Number(_), _) => value.clone(),
        (Kind::Disability, _, Some(t)) => match t.trim() {
            "0" | "无" | "none" => Value::Null,
            other => match number(other) {
                Some(n) => n,
                None => return bad("a disability grade 1-4, or 无"),
            },
        },
        (Kind::Vehicles, _, Some(t)) if matches!(t.trim(), "none" | "无") => Value::Array(Vec::new()),
        (Kind::Vehicles, _, Some(t)) => Value::Array(
            t.split([';', '；']).filter(|v| !v.trim().is_empty()).map(|v| {
                let (kind, worth) = v.split_once([':', '：']).unwrap_or((v, ""));
                let mut car = Map::new();
                car.insert("kind".into(), Value::String(kind.trim().to_string()));
                if !worth.trim().is_empty() {
                    car.insert("value".into(), Value::String(worth.trim().to_string()));
                }
                Value::Object(car)
            }).collect(),
        ),
        (Kind::Ignored, _, _) => return Ok(None),
        _ => return bad(match kind {
            Kind::Bool => "是/否 or true/false",
            Kind::Vehicles => "text such as car:30000;motorcycle",
            Kind::Text => "text",
            _ => "a number",
        }),
    }))
}

fn put(target: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        Some((head, rest)) => {
            let slot = target.entry(head.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                put(inner, rest, value);
            }
        }
        None => {
            target.insert(path.to_string(), value);
        }
    }
}

/// Builds the JSON object of one row; errors name the table, row and column.
fn object(table: &str, row: usize, columns: &[Column], cells: &Row) -> Result<Map<String, Value>, ValidationError> {
    let mut out = Map::new();
    for (name, value) in cells {
        let Some(&(en, _, path, kind)) = column(columns, name) else {
            return Err(ValidationError::new(format!("{table}[{row}].{name}"), "unknown column"));
        };
        match cell(kind, value) {
            Ok(Some(v)) if !path.is_empty() => put(&mut out, path, v),
            Ok(_) => {}
            Err(message) => return Err(ValidationError::new(format!("{table}[{row}].{en}"), message)),
        }
    }
    Ok(out)
}

fn household_key(columns: &[Column], cells: &Row, english: &str) -> Option<String> {
    cells.iter().find(|(name, _)| column(columns, name).is_some_and(|c| c.0 == english)).and_then(|(_, v)| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Joins the household table and the member table into household JSON documents.
pub fn assemble(households: &[Row], members: &[Row]) -> Assembled {
    let mut member_errors = Vec::new();
    let mut by_household: HashMap<String, Vec<Value>> = HashMap::new();
    let known: HashMap<String, usize> = households
        .iter()
        .enumerate()
        .filter_map(|(i, r)| household_key(HOUSEHOLD_COLUMNS, r, "id").map(|id| (id, i)))
        .collect();
    for (i, row) in members.iter().enumerate() {
        let Some(id) = household_key(MEMBER_COLUMNS, row, "household_id") else {
            member_errors.push((i, ValidationError::new(format!("members[{i}].household_id"), "the member's 户编号 is missing")));
            continue;
        };
        if !known.contains_key(&id) {
            member_errors.push((i, ValidationError::new(format!("members[{i}].household_id"), format!("no household {id} in the household table"))));
            continue;
        }
        match object("members", i, MEMBER_COLUMNS, row) {
            Ok(m) => by_household.entry(id).or_default().push(Value::Object(m)),
            Err(e) => member_errors.push((i, e)),
        }
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let households = households
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let built = object("households", i, HOUSEHOLD_COLUMNS, row).and_then(|mut h| {
                let id = household_key(HOUSEHOLD_COLUMNS, row, "id")
                    .ok_or_else(|| ValidationError::new(format!("households[{i}].id"), "户编号 is required"))?;
                if let Some(first) = seen.insert(id.clone(), i) {
                    return Err(ValidationError::new(format!("households[{i}].id"), format!("duplicate 户编号 {id} (also row {first})")));
                }
                h.entry("region").or_insert_with(|| Value::Object(Map::new()));
                h.insert("members".into(), Value::Array(by_household.remove(&id).unwrap_or_default()));
                Ok(Value::Object(h))
            });
            (i, built)
        })
        .collect();
    Assembled { households, member_errors }
}

/// The English name of a household-table column given in English or Chinese, if it is one.
pub fn household_column(name: &str) -> Option<&'static str> {
    column(HOUSEHOLD_COLUMNS, name).map(|c| c.0)
}

/// The English name of a member-table column given in English or Chinese, if it is one.
pub fn member_column(name: &str) -> Option<&'static str> {
    column(MEMBER_COLUMNS, name).map(|c| c.0)
}

fn exported(columns: &'static [Column]) -> impl Iterator<Item = &'static Column> {
    columns.iter().filter(|c| c.3 != Kind::Ignored)
}

/// Header of the household table written by [`to_rows`] (English names; no PII columns).
pub fn household_header() -> Vec<&'static str> {
    exported(HOUSEHOLD_COLUMNS).map(|c| c.0).collect()
}

/// Header of the member table written by [`to_rows`]: `household_id`, then the member columns.
pub fn member_header() -> Vec<&'static str> {
    std::iter::once("household_id").chain(exported(MEMBER_COLUMNS).map(|c| c.0)).collect()
}

fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

/// The text of one cell, the inverse of [`cell`]; empty = unknown.
fn text_of(kind: Kind, value: Option<&Value>) -> String {
    match (kind, value) {
        (_, None) => String::new(),
        (Kind::Disability, Some(Value::Null)) => "none".into(),
        (Kind::Vehicles, Some(Value::Array(items))) if items.is_empty() => "none".into(),
        (Kind::Vehicles, Some(Value::Array(items))) => items
            .iter()
            .map(|v| match (v.get("kind").and_then(Value::as_str), v.get("value")) {
                (Some(k), Some(worth)) => format!("{k}:{}", text_of(Kind::Money, Some(worth))),
                (Some(k), None) => k.to_string(),
                _ => String::new(),
            })
            .collect::<Vec<_>>()
            .join(";"),
        (_, Some(Value::String(s))) => s.clone(),
        (_, Some(Value::Null)) => String::new(),
        (_, Some(other)) => other.to_string(),
    }
}

/// One household as a 户表 row and its 人表 rows, in the order of [`household_header`] and
/// [`member_header`] — what [`assemble`] reads back. Events are not part of the two-table
/// export and are left out; PII columns are never written.
pub fn to_rows(h: &crate::model::Household) -> (Vec<String>, Vec<Vec<String>>) {
    let value = serde_json::to_value(h).unwrap_or(Value::Null);
    let household = exported(HOUSEHOLD_COLUMNS).map(|c| text_of(c.3, at(&value, c.2))).collect();
    let members = value
        .get("members")
        .and_then(Value::as_array)
        .map(|members| {
            members
                .iter()
                .map(|m| std::iter::once(h.id.clone()).chain(exported(MEMBER_COLUMNS).map(|c| text_of(c.3, at(m, c.2)))).collect())
                .collect()
        })
        .unwrap_or_default();
    (household, members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(v: Value) -> Row {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn two_tables_make_households_with_chinese_headers_and_text_cells() {
        let hh = [row(json!({"户编号": "H1", "年度": "2024", "行政区划代码": "530102", "工资性收入": "3000", "不愁吃": "是", "车辆": "car:50000;motorcycle"}))];
        let mm = [
            row(json!({"户编号": "H1", "与户主关系": "head", "年龄": "45", "参加基本医疗保险": "否", "姓名": "张三", "残疾等级": "无"})),
            row(json!({"household_id": "H1", "relation": "child", "age": 9, "enrolled": true})),
        ];
        let a = assemble(&hh, &mm);
        assert!(a.member_errors.is_empty());
        let h = a.households[0].1.as_ref().unwrap();
        assert_eq!(h["year"], 2024);
        assert_eq!(h["income"]["wage"], "3000");
        assert_eq!(h["food_secure"], true);
        assert_eq!(h["assets"]["vehicles"][0]["value"], "50000");
        assert_eq!(h["members"][0]["medical_insurance"], false);
        assert_eq!(h["members"][0]["disability_grade"], Value::Null);
        assert!(h["members"][0].get("name").is_none(), "PII columns are dropped");
        assert_eq!(h["members"][1]["schooling"]["enrolled"], true);
        let household = crate::input::household_from_value(h.clone()).unwrap();
        assert_eq!(household.members.len(), 2);
    }

    #[test]
    fn bad_rows_are_named_and_the_rest_go_on() {
        let hh = [
            row(json!({"id": "H1", "year": 2024, "wage": "abc"})),
            row(json!({"id": "H2", "year": 2024, "food_secure": "maybe"})),
            row(json!({"id": "H3", "year": 2024})),
            row(json!({"id": "H3", "year": 2024})),
            row(json!({"id": "H4", "year": 2024, "colour": "red"})),
        ];
        let mm = [row(json!({"household_id": "H9", "relation": "head"})), row(json!({"household_id": "H3", "relation": "head"}))];
        let a = assemble(&hh, &mm);
        assert_eq!(a.member_errors[0].1.path, "members[0].household_id");
        let wage = crate::input::household_from_value(a.households[0].1.clone().unwrap()).unwrap_err();
        assert_eq!(wage.path, "income.wage");
        assert_eq!(a.households[1].1.as_ref().unwrap_err().path, "households[1].food_secure");
        assert!(a.households[2].1.is_ok());
        assert!(a.households[3].1.as_ref().unwrap_err().message.contains("duplicate"));
        assert_eq!(a.households[4].1.as_ref().unwrap_err().path, "households[4].colour");
    }

    #[test]
    fn generated_households_round_trip_through_the_two_tables_except_events() {
        let text_row = |header: &[&str], cells: Vec<String>| -> Row { header.iter().zip(cells).map(|(h, c)| (h.to_string(), Value::String(c))).collect() };
        for mut h in crate::generate::Generator::new(crate::generate::GenOptions::default()).take(40) {
            let (hh, mm) = to_rows(&h);
            let a = assemble(&[text_row(&household_header(), hh)], &mm.into_iter().map(|m| text_row(&member_header(), m)).collect::<Vec<_>>());
            assert!(a.member_errors.is_empty());
            let back = crate::input::household_from_value(a.households[0].1.clone().unwrap()).unwrap();
            h.events = None;
            let norm = |h: &crate::Household| serde_json::to_value(h).unwrap();
            assert_eq!(norm(&back), norm(&h));
        }
        assert_eq!(household_column("户编号"), Some("id"));
        assert_eq!(member_column("身份证号"), Some("id_number"));
        assert_eq!(member_column("nickname"), None);
    }
}
