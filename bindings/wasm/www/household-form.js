// The household form: fields, the members table and the events table. It only turns what the
// user typed into a household document (empty = unknown, omitted); the engine checks it and
// its errors name the field path, which `markInvalid` highlights.

const YES_NO = [['true', '是'], ['false', '否']];

/** Vehicle kinds as a cadre writes them (Chinese) and as the contract names them. */
const VEHICLE_KINDS = [['小汽车', 'car'], ['货车', 'truck'], ['工程机械', 'engineering'], ['农用车', 'agricultural'], ['摩托车', 'motorcycle']];

/** [path, label, kind, options] — kind: text | int | number | money | bool | select | vehicles. */
const GROUPS = [
  ['基本信息', [
    ['id', '户编号', 'text'],
    ['year', '评定年度', 'int'],
    ['region.code', '行政区划代码', 'text'],
  ]],
  ['家庭收入（元/年）', [
    ['income.wage', '工资性收入', 'money'],
    ['income.business', '经营性收入', 'money'],
    ['income.business_cost', '生产经营性支出', 'money'],
    ['income.property', '财产性收入', 'money'],
    ['income.pension', '养老金', 'money'],
    ['income.dibao', '低保金', 'money'],
    ['income.subsidies', '政策性补贴', 'money'],
    ['income.other_transfer', '赡养费等其他转移性收入', 'money'],
  ]],
  ['家庭支出（元/年）', [
    ['expenses.medical_out_of_pocket', '医疗自付费用', 'money'],
    ['expenses.education', '教育支出', 'money'],
    ['expenses.other_rigid', '其他刚性支出', 'money'],
  ]],
  ['两不愁', [
    ['food_secure', '不愁吃', 'bool'],
    ['clothing_secure', '不愁穿', 'bool'],
  ]],
  ['住房安全', [
    ['housing.safety_grade', '房屋安全鉴定等级', 'select', [['A', 'A 级'], ['B', 'B 级'], ['C', 'C 级（危房）'], ['D', 'D 级（危房）']]],
    ['housing.relocated', '易地扶贫搬迁', 'bool'],
  ]],
  ['饮水安全', [
    ['water.liters_per_person_day', '人均日用水量（升）', 'number'],
    ['water.quality_ok', '水质达标', 'bool'],
    ['water.fetch_minutes_round_trip', '取水往返时间（分钟）', 'number'],
    ['water.supply_assurance_pct', '供水保证率（%）', 'number'],
  ]],
  ['资产（识别排除）', [
    ['assets.vehicles', '车辆（如“小汽车:80000；摩托车”，无车填“无”）', 'vehicles'],
    ['assets.urban_commercial_housing', '在城镇购买商品房', 'bool'],
    ['assets.business_registered_capital', '企业注册资本（元）', 'money'],
  ]],
  ['建档立卡与监测状态', [
    ['status.registered_poor', '建档立卡贫困户', 'bool'],
    ['status.exit_year', '脱贫年度', 'int'],
    ['status.category', '贫困户属性', 'select', [['general', '一般贫困户'], ['dibao', '低保贫困户'], ['tekun', '特困供养贫困户']]],
    ['status.monitoring', '监测对象类别', 'select', [['none', '非监测对象'], ['unstable', '脱贫不稳定户'], ['marginal', '边缘易致贫户'], ['sudden_hardship', '突发严重困难户']]],
    ['status.prior_year_income_per_capita', '上年人均纯收入（元）', 'money'],
  ]],
];

const MEMBER_COLUMNS = [
  ['relation', '与户主关系', 'select', [['head', '户主'], ['spouse', '配偶'], ['child', '子女'], ['parent', '父母'], ['grandchild', '孙子女'], ['grandparent', '祖父母'], ['sibling', '兄弟姐妹'], ['other', '其他']]],
  ['age', '年龄', 'int'],
  ['sex', '性别', 'select', [['male', '男'], ['female', '女']]],
  ['disability_grade', '残疾等级', 'select', [['null', '无'], ['1', '一级'], ['2', '二级'], ['3', '三级'], ['4', '四级']]],
  ['labor_ability', '劳动能力', 'select', [['skilled', '技能劳动力'], ['ordinary', '普通劳动力'], ['weak', '弱劳动力或半劳动力'], ['lost', '丧失劳动力'], ['none', '无劳动力']]],
  ['health', '健康状况', 'select', [['healthy', '健康'], ['chronic', '长期慢性病'], ['serious_illness', '患有大病'], ['disabled', '残疾']]],
  ['schooling.stage', '在校阶段', 'select', [['none', '未上学'], ['preschool', '学前'], ['primary', '小学'], ['junior', '初中'], ['senior', '高中'], ['vocational', '中职'], ['college', '大专及以上'], ['graduated', '已毕业']]],
  ['schooling.enrolled', '在校', 'bool'],
  ['schooling.exemption', '送教上门等认定', 'select', [['none', '无'], ['home_delivery', '送教上门'], ['medical', '因病缓学'], ['other', '其他']]],
  ['medical_insurance', '参加基本医疗保险', 'bool'],
  ['family_doctor', '家庭医生签约', 'bool'],
  ['migrant_months', '外出务工月数', 'int'],
  ['public_employee', '财政供养人员', 'bool'],
  ['village_cadre', '村两委干部', 'bool'],
];

const EVENT_COLUMNS = [
  ['kind', '事件', 'select', [['illness', '患病'], ['disability', '致残'], ['disaster', '自然灾害'], ['epidemic', '疫情'], ['job_loss', '失业'], ['income_drop', '收入大幅下降'], ['expense_spike', '刚性支出骤增'], ['industry_failure', '产业失败'], ['schooling', '上学支出'], ['death', '家庭成员去世'], ['accident', '意外事故'], ['water_cut', '断水']]],
  ['date', '日期（年-月-日）', 'text'],
  ['amount', '损失或支出（元）', 'money'],
];

/** A household that shows every decision in use: a 2019 household in 贵州 below the line. */
export const SAMPLE_HOUSEHOLD = {
  id: '520121001-00001', year: 2019, region: { code: '520121001' },
  members: [
    { relation: 'head', age: 52, sex: 'male', disability_grade: null, labor_ability: 'ordinary', health: 'chronic', medical_insurance: true, public_employee: false, village_cadre: false },
    { relation: 'spouse', age: 49, sex: 'female', disability_grade: null, labor_ability: 'weak', health: 'healthy', medical_insurance: true, public_employee: false, village_cadre: false },
    { relation: 'child', age: 12, sex: 'female', disability_grade: null, labor_ability: 'none', health: 'healthy', schooling: { stage: 'junior', enrolled: true }, medical_insurance: true, public_employee: false, village_cadre: false },
  ],
  income: { wage: '6000', business: '1500', business_cost: '600' },
  expenses: { medical_out_of_pocket: '3000' },
  food_secure: true, clothing_secure: true,
  housing: { safety_grade: 'B' },
  water: { liters_per_person_day: 60, quality_ok: true, fetch_minutes_round_trip: 0, supply_assurance_pct: 95 },
  assets: { vehicles: [{ kind: 'motorcycle' }], urban_commercial_housing: false, business_registered_capital: '0' },
  status: { registered_poor: false },
};

function control(kind, options, path) {
  const el = kind === 'bool' || kind === 'select' ? document.createElement('select') : document.createElement('input');
  if (el.tagName === 'SELECT') {
    for (const [value, label] of [['', '未填'], ...(kind === 'bool' ? YES_NO : options)]) el.add(new Option(label, value));
  } else {
    el.inputMode = ['int', 'number', 'money'].includes(kind) ? 'decimal' : 'text';
  }
  el.dataset.path = path;
  el.dataset.kind = kind;
  return el;
}

/** The typed value of a control, or undefined when empty (unknown). */
function valueOf(el) {
  const text = el.value.trim();
  if (text === '') return undefined;
  switch (el.dataset.kind) {
    case 'bool': return text === 'true';
    case 'int': return /^-?\d+$/.test(text) ? Number(text) : text;
    case 'number': return text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'select': return text === 'null' ? null : /^\d$/.test(text) ? Number(text) : text;
    case 'vehicles': return parseVehicles(text);
    default: return text;
  }
}

/** "小汽车:80000；摩托车" → [{kind: 'car', value: '80000'}, {kind: 'motorcycle'}]; "无" → []. */
function parseVehicles(text) {
  if (text === '无') return [];
  return text.split(/[;；]/).map((item) => item.trim()).filter(Boolean).map((item) => {
    const [kind, value] = item.split(/[:：]/).map((part) => part.trim());
    const english = VEHICLE_KINDS.find(([zh]) => zh === kind)?.[1] ?? kind;
    return value ? { kind: english, value } : { kind: english };
  });
}

function vehiclesText(list) {
  if (list.length === 0) return '无';
  return list.map((v) => {
    const zh = VEHICLE_KINDS.find(([, en]) => en === v.kind)?.[0] ?? v.kind;
    return v.value === undefined ? zh : `${zh}:${v.value}`;
  }).join('；');
}

function put(target, path, value) {
  const keys = path.split('.');
  let at = target;
  for (const key of keys.slice(0, -1)) at = at[key] ??= {};
  at[keys.at(-1)] = value;
}

function get(source, path) {
  return path.split('.').reduce((at, key) => (at == null ? undefined : at[key]), source);
}

function show(el, value) {
  if (el.dataset.kind === 'vehicles' && Array.isArray(value)) el.value = vehiclesText(value);
  else el.value = value === undefined ? '' : value === null ? 'null' : String(value);
}

/** A table of rows (members or events) whose controls are named `<list>[i].<column>`. */
class RowTable {
  constructor(table, list, columns, onChange) {
    Object.assign(this, { table, list, columns, onChange });
    const head = table.createTHead().insertRow();
    for (const [, label] of columns) head.append(Object.assign(document.createElement('th'), { textContent: label }));
    head.append(document.createElement('th'));
    this.body = table.createTBody();
  }

  add(values = {}) {
    const row = this.body.insertRow();
    for (const [key, , kind, options] of this.columns) {
      const el = control(kind, options, key);
      show(el, get(values, key));
      row.insertCell().append(el);
    }
    const remove = Object.assign(document.createElement('button'), { type: 'button', textContent: '删除', className: 'remove' });
    remove.addEventListener('click', () => {
      row.remove();
      this.renumber();
      this.onChange();
    });
    row.insertCell().append(remove);
    this.renumber();
  }

  renumber() {
    [...this.body.rows].forEach((row, i) => {
      row.querySelectorAll('[data-path]').forEach((el, j) => { el.dataset.path = `${this.list}[${i}].${this.columns[j][0]}`; });
    });
  }

  values() {
    return [...this.body.rows].map((row) => {
      const item = {};
      row.querySelectorAll('[data-path]').forEach((el, j) => {
        const value = valueOf(el);
        if (value !== undefined) put(item, this.columns[j][0], value);
      });
      return item;
    });
  }

  clear() {
    this.body.replaceChildren();
  }
}

/** The form: builds its fields, reports every change, and reads/writes household documents. */
export class HouseholdForm {
  constructor(form, onChange) {
    this.form = form;
    const fields = form.querySelector('#household-fields');
    for (const [legend, list] of GROUPS) {
      const set = document.createElement('fieldset');
      set.append(Object.assign(document.createElement('legend'), { textContent: legend }));
      for (const [path, label, kind, options] of list) {
        const wrap = document.createElement('label');
        wrap.append(label, control(kind, options, path));
        set.append(wrap);
      }
      fields.append(set);
    }
    this.members = new RowTable(form.querySelector('#members'), 'members', MEMBER_COLUMNS, onChange);
    this.events = new RowTable(form.querySelector('#events'), 'events', EVENT_COLUMNS, onChange);
    form.querySelector('#add-member').addEventListener('click', () => { this.members.add(); onChange(); });
    form.querySelector('#add-event').addEventListener('click', () => { this.events.add(); onChange(); });
    form.addEventListener('input', onChange);
    form.addEventListener('change', onChange);
  }

  /** The household document the form describes (unknown fields omitted). */
  household() {
    const h = { region: {} };
    for (const el of this.form.querySelectorAll('#household-fields [data-path]')) {
      const value = valueOf(el);
      if (value !== undefined) put(h, el.dataset.path, value);
    }
    h.members = this.members.values();
    const events = this.events.values();
    if (events.length) h.events = events;
    return h;
  }

  /** Fills the form from a household document. */
  fill(h) {
    for (const el of this.form.querySelectorAll('#household-fields [data-path]')) show(el, get(h, el.dataset.path));
    this.members.clear();
    for (const m of h.members ?? []) this.members.add(m);
    this.events.clear();
    for (const e of h.events ?? []) this.events.add(e);
  }

  /** Highlights the control of a field path from a ValidationError (or clears all with null). */
  markInvalid(path) {
    for (const el of this.form.querySelectorAll('.invalid')) el.classList.remove('invalid');
    if (!path) return;
    const exact = this.form.querySelector(`[data-path="${CSS.escape(path)}"]`);
    (exact ?? this.form.querySelector(`[data-path^="${CSS.escape(path)}"]`))?.classList.add('invalid');
  }
}
