// fupin (扶贫) in JavaScript: the rules engine compiled to WebAssembly, for the browser and Node.
//
// One artefact serves both: `fupin_wasm.js` is wasm-bindgen's `--target web` glue; in a
// browser the .wasm is fetched beside this file, in Node it is read from disk. The module
// initialises itself (top-level await), so `import { Engine } from './fupin.js'` is enough.
//
// All decisions are made by the Rust core; this file only converts arguments and re-throws the
// binding's errors as `ValidationError` / `RulesError` instances.

import init, { NativeEngine, household_schema, label_zh } from './fupin_wasm.js';

const wasmUrl = new URL('./fupin_wasm_bg.wasm', import.meta.url);
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const { readFile } = await import('node:fs/promises');
  await init({ module_or_path: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

/** Base class of every error this module throws on purpose. */
export class FupinError extends Error {
  constructor(message) {
    super(message);
    this.name = 'FupinError';
  }
}

/** A household that does not match the input contract; `.path` names the field. */
export class ValidationError extends FupinError {
  constructor({ path, detail, row }) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'ValidationError';
    /** Field path such as `members[2].schooling.enrolled` ('' for the whole document). */
    this.path = path;
    /** What is wrong (never the value itself). */
    this.detail = detail;
    /** 1-based row in a batch, or null. */
    this.row = row ?? null;
  }
}

/** Rules or parameters that do not load; `.errors` lists each problem with file and line. */
export class RulesError extends FupinError {
  constructor({ message, errors }) {
    super(message);
    this.name = 'RulesError';
    /** `[{type, file, line?, column?, key?, message}]`, as the core reports them. */
    this.errors = errors;
    /** File of the first problem. */
    this.file = errors[0]?.file ?? null;
    /** 1-based line of the first problem, when it has one. */
    this.line = errors[0]?.line ?? null;
  }
}

/**
 * Set when the WebAssembly module trapped (a Rust panic: a bug, never bad input). Its memory may
 * then be inconsistent, so every later call refuses instead of risking a wrong decision.
 */
let trapped = null;

/** Runs a binding call, re-throwing the binding's named errors as this module's classes. */
function call(fn) {
  if (trapped) throw new FupinError(`the WebAssembly module stopped after an internal error (${trapped}); reload the page or process`);
  try {
    return fn();
  } catch (thrown) {
    if (thrown instanceof Error && thrown.name === 'ValidationError') throw new ValidationError(thrown);
    if (thrown instanceof Error && thrown.name === 'RulesError') throw new RulesError(thrown);
    if (thrown instanceof WebAssembly.RuntimeError) trapped = thrown.message;
    throw thrown;
  }
}

/** JSON text of a household given as an object or as JSON text. */
function householdText(household) {
  if (typeof household === 'string') return household;
  if (household === null || typeof household !== 'object') {
    throw new TypeError('a household must be an object or JSON text');
  }
  return JSON.stringify(household);
}

/** The rules engine: 识别, 退出 and 监测 decisions for households. */
export class Engine {
  #native;

  /** The national rule set embedded in the module. */
  constructor(native) {
    this.#native = native instanceof NativeEngine ? native : call(() => NativeEngine.load('{}'));
  }

  /**
   * The embedded rules with some files replaced or added, e.g.
   * `Engine.fromRules({'exit.rhai': editedText, 'params/regions/51.toml': text})`.
   * Throws `RulesError` (with `.file` and `.line`) when they do not load.
   */
  static fromRules(files) {
    if (files === null || typeof files !== 'object') throw new TypeError('fromRules takes an object of path → text');
    for (const [path, text] of Object.entries(files)) {
      if (typeof text !== 'string') throw new TypeError(`rule file ${path} must be text`);
    }
    return new Engine(call(() => NativeEngine.load(JSON.stringify(files))));
  }

  /** The decision as JSON text: the same bytes as one line of `fupin eval`. */
  evaluateJson(household) {
    const text = householdText(household);
    return call(() => this.#native.evaluate(text));
  }

  /** The decision as an object (parsed from `evaluateJson`). */
  evaluate(household) {
    return JSON.parse(this.evaluateJson(household));
  }

  /** The Chinese explanation of the three decisions (the text read out at a 公示). */
  explain(household) {
    const text = householdText(household);
    return call(() => this.#native.explain(text));
  }

  /**
   * A village file's text (one JSON household, a JSON array or JSON Lines), read as the CLI
   * reads it. Returns `{rows, member_errors, summary}`: each row has `row`, `household_id`
   * and either `size` + `decision` or `error` (`{path, message}`); a bad row never stops the
   * others. `summary.report` is the text `fupin summary` prints.
   */
  evaluateVillage(text) {
    if (typeof text !== 'string') throw new TypeError('evaluateVillage takes the file text');
    return JSON.parse(call(() => this.#native.evaluate_village(text)));
  }

  /** The 户表 + 人表 CSV pair (joined by 户编号); the same result shape as `evaluateVillage`. */
  evaluateTables(householdsCsv, membersCsv) {
    if (typeof householdsCsv !== 'string' || typeof membersCsv !== 'string') throw new TypeError('evaluateTables takes two CSV texts');
    return JSON.parse(call(() => this.#native.evaluate_tables(householdsCsv, membersCsv)));
  }

  /** `{name, version, hash}` of the rules in use. */
  get ruleset() {
    return JSON.parse(call(() => this.#native.ruleset()));
  }

  /** The rule files in use, relative path → text (scripts and parameters). */
  ruleFiles() {
    return JSON.parse(call(() => this.#native.rule_files()));
  }

  /** Frees the WebAssembly memory held by this engine; it cannot be used afterwards. */
  free() {
    this.#native.free();
  }
}

/** The JSON Schema of one household, derived from the Rust model. */
export function householdSchema() {
  return JSON.parse(call(() => household_schema()));
}

/**
 * The Chinese name of an id as the core writes it in explanations, e.g.
 * `labelZh('level', 'high')` → '高风险'. `kind`: outcome, level, category, cause (致贫原因
 * and risk factors) or measure (帮扶措施). Unknown ids come back unchanged.
 */
export function labelZh(kind, id) {
  return call(() => label_zh(kind, id));
}
