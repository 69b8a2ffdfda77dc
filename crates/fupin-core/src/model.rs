//! The typed household model (农户), exactly as `household.schema.json` describes it.
//!
//! Every optional field is `Option`: absent means *unknown*, never false or zero, and the
//! rules that need an unknown fact yield `unknown` findings (待核实). JSON `null` is refused
//! except for `disability_grade`, where `null` states "no disability".
//! Personal identifiers (`name`, `id_number`, `phone`) are accepted and carried only so a
//! record round-trips; nothing in the engine reads or prints them.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

use crate::money::{Money, Quantity};

/// Deserializes a present field; `null` is refused (absent fields use `Default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// A JSON Schema integer: `2018` and `2018.0` alike (columnar tools often write the latter).
struct Whole(i64);

impl<'de> Deserialize<'de> for Whole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Whole;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Whole, E> {
                Ok(Whole(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Whole, E> {
                i64::try_from(v).map(Whole).map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Whole, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Whole(v as i64))
                } else {
                    Err(E::custom("expected an integer"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

fn narrow<T: TryFrom<i64>, E: serde::de::Error>(w: Whole) -> Result<T, E> {
    T::try_from(w.0).map_err(|_| E::custom(format!("integer out of range for {}", std::any::type_name::<T>())))
}

/// A required integer field.
fn whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    narrow(Whole::deserialize(d)?)
}

/// An optional integer field (absent = unknown; `null` refused).
fn present_whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    narrow(Whole::deserialize(d)?).map(Some)
}

/// `disability_grade`: absent = unknown, `null` = no disability, else an integer.
fn nullable_whole<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    match Option::<Whole>::deserialize(d)? {
        Some(w) => narrow(w).map(|v| Some(Some(v))),
        None => Ok(Some(None)),
    }
}

/// A calendar date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoDate(pub time::Date);

impl<'de> Deserialize<'de> for IsoDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<IsoDate, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        // Exactly four year digits (the `time` parser would also take "+2024-01-01").
        let shaped = text.len() == 10 && text.as_bytes()[..4].iter().all(u8::is_ascii_digit);
        shaped
            .then(|| time::Date::parse(&text, &format).ok())
            .flatten()
            .map(IsoDate)
            .ok_or_else(|| serde::de::Error::custom("expected a calendar date written YYYY-MM-DD"))
    }
}

impl Serialize for IsoDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (y, m, d) = (self.0.year(), u8::from(self.0.month()), self.0.day());
        s.collect_str(&format_args!("{y:04}-{m:02}-{d:02}"))
    }
}

impl JsonSchema for IsoDate {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "date".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date" })
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = $text] #[serde(rename = $text)] $variant),+
        }
        impl $name {
            /// The stable wire name, as in the schema.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
    };
}

string_enum!(
    /// 与户主关系
    Relation { Head = "head", Spouse = "spouse", Child = "child", Parent = "parent",
        Grandchild = "grandchild", Grandparent = "grandparent", Sibling = "sibling", Other = "other" }
);
string_enum!(
    /// 性别
    Sex { Male = "male", Female = "female" }
);
string_enum!(
    /// 劳动能力: 技能劳动力 / 普通劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力
    LaborAbility { Skilled = "skilled", Ordinary = "ordinary", Weak = "weak", Lost = "lost", NoLabor = "none" }
);
string_enum!(
    /// 健康状况: 健康 / 长期慢性病 / 患有大病 / 残疾
    Health { Healthy = "healthy", Chronic = "chronic", SeriousIllness = "serious_illness", Disabled = "disabled" }
);
string_enum!(
    /// 在校阶段
    SchoolStage { NoStage = "none", Preschool = "preschool", Primary = "primary", Junior = "junior",
        Senior = "senior", Vocational = "vocational", College = "college", Graduated = "graduated" }
);
string_enum!(
    /// 免于在校的情形: 送教上门 / 因病缓学 / 其他
    Exemption { NoExemption = "none", HomeDelivery = "home_delivery", Medical = "medical", Other = "other" }
);
string_enum!(
    /// 风险事件类型
    EventKind { Illness = "illness", Disability = "disability", Disaster = "disaster",
        Epidemic = "epidemic", JobLoss = "job_loss", IncomeDrop = "income_drop",
        ExpenseSpike = "expense_spike", IndustryFailure = "industry_failure",
        Schooling = "schooling", Death = "death", Accident = "accident", WaterCut = "water_cut" }
);
string_enum!(
    /// 房屋安全鉴定等级; C and D are 危房
    SafetyGrade { A = "A", B = "B", C = "C", D = "D" }
);
string_enum!(
    /// 车辆类型
    VehicleKind { Car = "car", Truck = "truck", Engineering = "engineering",
        Agricultural = "agricultural", Motorcycle = "motorcycle" }
);
string_enum!(
    /// 贫困户属性: 一般贫困户 / 低保贫困户 / 特困供养贫困户
    PoorCategory { General = "general", Dibao = "dibao", Tekun = "tekun" }
);
string_enum!(
    /// 监测对象类别: 无 / 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户
    MonitoringCategory { NoCategory = "none", Unstable = "unstable", Marginal = "marginal",
        SuddenHardship = "sudden_hardship" }
);

/// One rural household (农户) at one evaluation year.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Household (农户)")]
pub struct Household {
    /// 户编号
    #[schemars(length(min = 1))]
    pub id: String,
    /// Evaluation year; selects the parameters in force.
    #[serde(deserialize_with = "whole")]
    #[schemars(range(min = 2010, max = 2100))]
    pub year: i32,
    /// 行政区划
    pub region: Region,
    /// 共同生活的家庭成员
    #[schemars(length(min = 1))]
    pub members: Vec<Member>,
    /// Annual household income (yuan); absent = unknown.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub income: Option<Income>,
    /// Rigid expenses (刚性支出); absent = unknown.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub expenses: Option<Expenses>,
    /// 不愁吃
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub food_secure: Option<bool>,
    /// 不愁穿
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub clothing_secure: Option<bool>,
    /// 住房安全
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub housing: Option<Housing>,
    /// 饮水安全
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub water: Option<Water>,
    /// Facts for the exclusion rules (识别排除).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub assets: Option<Assets>,
    /// 建档立卡 and monitoring status.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Shocks in the evaluation year.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<Event>>,
}

/// 行政区划: a 6, 9 or 12 digit code and/or names.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// 行政区划代码, 6, 9 or 12 digits
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$"))]
    pub code: Option<String>,
    /// 省
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    /// 市
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// 县
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// 乡镇
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// 村
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// 西部地区; derived from the code when absent.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub western: Option<bool>,
}

/// A household member (家庭成员).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// Member id within the household (not an ID-card number).
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// PII: never read by the engine, never echoed.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// 身份证号. PII: never read by the engine, never echoed.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// PII: never read by the engine, never echoed.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 与户主关系
    pub relation: Relation,
    /// 出生日期
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<IsoDate>,
    /// Age at 31 Dec of the evaluation year, when `birth_date` is not given.
    #[serde(default, deserialize_with = "present_whole", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 130))]
    pub age: Option<u32>,
    /// 性别
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    /// 残疾等级 1 (most severe) to 4; `null` = no disability; absent = unknown.
    #[serde(default, deserialize_with = "nullable_whole", skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<u8>", range(min = 1, max = 4))]
    pub disability_grade: Option<Option<u8>>,
    /// 劳动能力
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub labor_ability: Option<LaborAbility>,
    /// 健康状况
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub health: Option<Health>,
    /// 在校情况
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub schooling: Option<Schooling>,
    /// 参加城乡居民基本医疗保险
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub medical_insurance: Option<bool>,
    /// 家庭医生签约
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub family_doctor: Option<bool>,
    /// 财政供养人员
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub public_employee: Option<bool>,
    /// 外出务工月数 this year
    #[serde(default, deserialize_with = "present_whole", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 12))]
    pub migrant_months: Option<u32>,
    /// 村两委/村三委干部
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub village_cadre: Option<bool>,
}

/// 在校情况
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Schooling {
    /// 在校阶段
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub stage: Option<SchoolStage>,
    /// 在校
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub enrolled: Option<bool>,
    /// 送教上门 / 因病缓学 etc.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub exemption: Option<Exemption>,
}

/// Annual household income (yuan). Inside the object an absent component counts 0.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Income {
    /// 工资性收入
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub wage: Option<Money>,
    /// 经营性收入 (gross)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub business: Option<Money>,
    /// 生产经营性支出
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub business_cost: Option<Money>,
    /// 财产性收入
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub property: Option<Money>,
    /// 养老金
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub pension: Option<Money>,
    /// 低保金
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub dibao: Option<Money>,
    /// 政策性补贴
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub subsidies: Option<Money>,
    /// 赡养费, 赠送 etc.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub other_transfer: Option<Money>,
}

/// Rigid expenses (刚性支出), yuan per year.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expenses {
    /// 医疗自付费用
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub medical_out_of_pocket: Option<Money>,
    /// 教育支出
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub education: Option<Money>,
    /// 其他刚性支出
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub other_rigid: Option<Money>,
}

/// 住房安全
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Housing {
    /// 房屋安全鉴定等级
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub safety_grade: Option<SafetyGrade>,
    /// 易地扶贫搬迁 into a safe new house
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub relocated: Option<bool>,
}

/// 饮水安全 indicators (T/CHES 18-2018).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Water {
    /// 水量, litres per person per day
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub liters_per_person_day: Option<Quantity>,
    /// 水质达标
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub quality_ok: Option<bool>,
    /// 取水往返时间 (minutes; 0 for tap water at home)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub fetch_minutes_round_trip: Option<Quantity>,
    /// 供水保证率 (%)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub supply_assurance_pct: Option<Quantity>,
}

/// Facts for the exclusion rules (识别排除).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assets {
    /// 车辆
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub vehicles: Option<Vec<Vehicle>>,
    /// 在城镇购买商品房
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub urban_commercial_housing: Option<bool>,
    /// Registered capital of businesses owned (工商注册)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub business_registered_capital: Option<Money>,
}

/// A vehicle owned by the household.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// 车辆类型
    pub kind: VehicleKind,
    /// 购置价值 (yuan)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub value: Option<Money>,
}

/// 建档立卡 and monitoring status.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// 建档立卡贫困户 (currently registered, not exited)
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub registered_poor: Option<bool>,
    /// Year the household exited poverty (脱贫年份)
    #[serde(default, deserialize_with = "present_whole", skip_serializing_if = "Option::is_none")]
    pub exit_year: Option<i32>,
    /// 贫困户属性
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub category: Option<PoorCategory>,
    /// Current 监测对象 category
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<MonitoringCategory>,
    /// 上年家庭人均纯收入
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub prior_year_income_per_capita: Option<Money>,
}

/// A dated shock (风险事件) in the evaluation year.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// 事件类型
    pub kind: EventKind,
    /// 发生日期
    pub date: IsoDate,
    /// Loss or extra expense in yuan, where known.
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// The member concerned
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// Free text; never interpreted
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
