// Types of fupin.js. The contracts are ../shared/household.schema.json (input) and
// ../shared/decision.schema.json (output); these types follow them.

/** Yuan: a JSON number or a decimal string with at most 2 decimals, e.g. "2736.50". */
export type Money = number | string;

export type Relation = 'head' | 'spouse' | 'child' | 'parent' | 'grandchild' | 'grandparent' | 'sibling' | 'other';

/** A household member (共同生活的家庭成员). Missing optional fields mean "unknown". */
export interface Member {
  /** Member id within the household (not an ID-card number). */
  id?: string;
  /** PII: accepted, never echoed in outputs, errors or explanations. */
  name?: string;
  /** 身份证号. PII: accepted, never echoed. */
  id_number?: string;
  /** PII: accepted, never echoed. */
  phone?: string;
  /** 与户主关系 */
  relation: Relation;
  /** ISO date, e.g. "1972-03-01". */
  birth_date?: string;
  /** Age at 31 Dec of the evaluation year, when birth_date is not given (0-130). */
  age?: number;
  sex?: 'male' | 'female';
  /** 残疾等级 1 (most severe) to 4; null = no disability. */
  disability_grade?: 1 | 2 | 3 | 4 | null;
  /** 技能劳动力 / 普通劳动力 / 弱劳动力或半劳动力 / 丧失劳动力 / 无劳动力 */
  labor_ability?: 'skilled' | 'ordinary' | 'weak' | 'lost' | 'none';
  /** 健康 / 长期慢性病 / 患有大病 / 残疾 */
  health?: 'healthy' | 'chronic' | 'serious_illness' | 'disabled';
  schooling?: {
    stage?: 'none' | 'preschool' | 'primary' | 'junior' | 'senior' | 'vocational' | 'college' | 'graduated';
    /** 在校 */
    enrolled?: boolean;
    /** 送教上门 / 因病缓学 etc. */
    exemption?: 'none' | 'home_delivery' | 'medical' | 'other';
  };
  /** 参加城乡居民基本医疗保险 */
  medical_insurance?: boolean;
  /** 家庭医生签约 */
  family_doctor?: boolean;
  /** 财政供养人员 */
  public_employee?: boolean;
  /** 外出务工月数 this year (0-12). */
  migrant_months?: number;
  /** 村两委干部 */
  village_cadre?: boolean;
}

export type EventKind =
  | 'illness' | 'disability' | 'disaster' | 'epidemic' | 'job_loss' | 'income_drop'
  | 'expense_spike' | 'industry_failure' | 'schooling' | 'death' | 'accident' | 'water_cut';

/** A shock in the evaluation year. */
export interface HouseholdEvent {
  kind: EventKind;
  /** ISO date within the evaluation year. */
  date: string;
  /** Loss or extra expense, where known. */
  amount?: Money;
  member_id?: string;
  note?: string;
}

/** One rural household at one evaluation year (农户). Unknown properties are refused. */
export interface Household {
  /** 户编号 */
  id: string;
  /** Evaluation year (2010-2100); selects the parameters in force. */
  year: number;
  region: {
    /** 行政区划代码: 6, 9 or 12 digits. */
    code?: string;
    province?: string;
    city?: string;
    county?: string;
    township?: string;
    village?: string;
    /** 西部地区; derived from the code when absent. */
    western?: boolean;
  };
  /** At least one member. */
  members: Member[];
  /** Annual household income (yuan). */
  income?: {
    /** 工资性收入 */ wage?: Money;
    /** 经营性收入 (gross) */ business?: Money;
    /** 生产经营性支出 */ business_cost?: Money;
    /** 财产性收入 */ property?: Money;
    /** 养老金 */ pension?: Money;
    /** 低保金 */ dibao?: Money;
    /** 政策性补贴 */ subsidies?: Money;
    /** 赡养费, 赠送 etc. */ other_transfer?: Money;
  };
  expenses?: {
    /** 医疗自付费用 */ medical_out_of_pocket?: Money;
    education?: Money;
    /** 其他刚性支出 */ other_rigid?: Money;
  };
  /** 不愁吃 */
  food_secure?: boolean;
  /** 不愁穿 */
  clothing_secure?: boolean;
  housing?: {
    /** 房屋安全鉴定等级; C and D are 危房. */
    safety_grade?: 'A' | 'B' | 'C' | 'D';
    /** 易地扶贫搬迁 */
    relocated?: boolean;
  };
  water?: {
    liters_per_person_day?: number;
    quality_ok?: boolean;
    /** 0 for tap water at home. */
    fetch_minutes_round_trip?: number;
    supply_assurance_pct?: number;
  };
  assets?: {
    vehicles?: { kind: 'car' | 'truck' | 'engineering' | 'agricultural' | 'motorcycle'; value?: Money }[];
    /** 在城镇购买商品房 */
    urban_commercial_housing?: boolean;
    business_registered_capital?: Money;
  };
  status?: {
    /** 建档立卡贫困户 (currently registered, not exited) */
    registered_poor?: boolean;
    exit_year?: number;
    /** 一般贫困户 / 低保贫困户 / 特困供养贫困户 */
    category?: 'general' | 'dibao' | 'tekun';
    /** 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户 */
    monitoring?: 'none' | 'unstable' | 'marginal' | 'sudden_hardship';
    prior_year_income_per_capita?: Money;
  };
  events?: HouseholdEvent[];
}

/** One rule's result: the values it used, a Chinese and English message, the policy text. */
export interface Finding {
  /** Stable rule id, e.g. "exit.housing". */
  rule: string;
  result: 'pass' | 'fail' | 'unknown' | 'error';
  title_zh: string;
  title_en: string;
  message_zh: string;
  message_en: string;
  values: Record<string, unknown>;
  /** Policy document and article the rule implements. */
  citation: string;
}

export type Cause =
  | 'illness' | 'disability' | 'schooling' | 'disaster' | 'lack_land' | 'lack_water' | 'lack_skills'
  | 'lack_labor' | 'lack_capital' | 'poor_transport' | 'low_motivation' | 'other';

export type Risk =
  | 'illness' | 'disability' | 'schooling' | 'disaster' | 'epidemic' | 'income_drop' | 'expense_spike'
  | 'industry_unsustainable' | 'labor_loss' | 'accident' | 'employment_unstable' | 'housing' | 'water';

export interface RulesetInfo {
  name: string;
  version: string;
  /** "sha256:…" of every script and parameter file. */
  hash: string;
}

/** The three decisions for one household (the CLI's decision JSON). */
export interface Decision {
  household_id: string;
  year: number;
  ruleset: RulesetInfo;
  /** 家庭人均纯收入, two decimals; null when unknown. */
  per_capita_income: string | null;
  /** 识别 */
  identify: { outcome: 'eligible' | 'ineligible' | 'needs_review'; score: number; causes: Cause[]; findings: Finding[] };
  /** 退出 */
  exit: { outcome: 'meets_standard' | 'not_met' | 'needs_review'; findings: Finding[] };
  /** 监测 */
  monitor: {
    outcome: 'assessed' | 'needs_review';
    level: 'none' | 'low' | 'medium' | 'high';
    category: 'none' | 'unstable' | 'marginal' | 'sudden_hardship';
    risks: Risk[];
    /** Suggested 帮扶措施 ids. */
    measures: string[];
    findings: Finding[];
  };
}

/** One row of a village file: its decision, or why it was refused. */
export type VillageRow =
  | { row: number; household_id: string | null; size: number; decision: Decision }
  | { row: number; household_id: string | null; error: { path: string; message: string } };

/** What `fupin summary` counts (by household unless named otherwise). */
export interface VillageSummary {
  households: number;
  population: number;
  eligible_population: number;
  /** Rows that could not be evaluated (and member rows that could not be placed). */
  errors: number;
  /** 贫困发生率 in percent with two decimals, e.g. "2.18". */
  poverty_rate_pct: string;
  identify: Record<string, number>;
  exit: Record<string, number>;
  levels: Record<string, number>;
  categories: Record<string, number>;
  /** Eligible households by primary 致贫原因. */
  causes: Record<string, number>;
  /** At most five [cause, households], most frequent first. */
  top_causes: [Cause, number][];
  /** Households needing a 预警报告, by 户编号 only. */
  high_risk: { household_id: string; risks: Risk[] }[];
  /** The text `fupin summary` prints. */
  report: string;
}

export interface VillageResult {
  rows: VillageRow[];
  /** 人表 rows that could not be placed in a household (CSV pair only). */
  member_errors: { row: number; path: string; message: string }[];
  summary: VillageSummary;
}

/** Base class of every error this module throws on purpose (also thrown for every call after the module trapped). */
export class FupinError extends Error {}

/** A household that does not match the input contract. */
export class ValidationError extends FupinError {
  /** Field path such as "members[2].schooling.enrolled" ("" for the whole document). */
  readonly path: string;
  /** What is wrong (never the value itself). */
  readonly detail: string;
  /** 1-based row in a batch, or null. */
  readonly row: number | null;
}

/** One problem of a rule set that does not load. */
export interface RulesProblem {
  type: 'io' | 'syntax' | 'script' | 'params';
  file: string;
  line?: number;
  column?: number;
  key?: string;
  message: string;
}

/** Rules or parameters that do not load. */
export class RulesError extends FupinError {
  readonly errors: RulesProblem[];
  /** File of the first problem. */
  readonly file: string | null;
  /** 1-based line of the first problem, when it has one. */
  readonly line: number | null;
}

/** The rules engine: 识别, 退出 and 监测 decisions for households. */
export class Engine {
  /** The national rule set embedded in the module. */
  constructor();
  /** The embedded rules with some files (relative path → text) replaced or added. Throws RulesError. */
  static fromRules(files: Record<string, string>): Engine;
  /** The decision as JSON text: the same bytes as one line of `fupin eval`. Throws ValidationError. */
  evaluateJson(household: Household | string): string;
  /** The decision as an object. Throws ValidationError. */
  evaluate(household: Household | string): Decision;
  /** The Chinese explanation (公示 text). Throws ValidationError. */
  explain(household: Household | string): string;
  /** A village file's text: one JSON household, a JSON array or JSON Lines. */
  evaluateVillage(text: string): VillageResult;
  /** The 户表 + 人表 CSV pair. Throws ValidationError for a table that is not CSV. */
  evaluateTables(householdsCsv: string, membersCsv: string): VillageResult;
  /** The rules in use. */
  readonly ruleset: RulesetInfo;
  /** The rule files in use, relative path → text. */
  ruleFiles(): Record<string, string>;
  /** Frees the WebAssembly memory held by this engine. */
  free(): void;
}

/** The JSON Schema of one household. */
export function householdSchema(): object;

/** The Chinese name of an id as the core writes it, e.g. labelZh('level', 'high') → '高风险'. */
export function labelZh(kind: 'outcome' | 'level' | 'category' | 'cause' | 'measure', id: string): string;
