//! The `fupin` command line, run as a user would run it.

mod common;

use std::path::Path;

use common::{fupin, root, text};

const HOUSEHOLD: &str = r#"{"id":"CLI-1","year":2019,"region":{"code":"530402001001"},"members":[{"relation":"head","name":"张三","id_number":"530402197001011234","phone":"13800138000","age":50,"medical_insurance":true}],"income":{"wage":"3300"}}"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn eval_writes_one_decision_per_line_and_reports_bad_rows() {
    let input = format!("{HOUSEHOLD}\nnot json\n{}\n{{\"id\":\"CLI-3\",\"year\":2019,\"region\":{{}},\"members\":[]}}\n", HOUSEHOLD.replace("CLI-1", "CLI-2"));
    let out = fupin(&["eval", "-"], &input);
    assert_eq!(out.status.code(), Some(1), "a failed row makes the exit code 1");
    let lines: Vec<serde_json::Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the good rows are all written");
    assert_eq!(lines[0]["household_id"], "CLI-1");
    assert_eq!(lines[1]["household_id"], "CLI-2");
    let errors: Vec<serde_json::Value> = text(&out.stderr).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["row"], 2);
    assert_eq!(errors[1]["row"], 4);
    assert_eq!(errors[1]["household_id"], "CLI-3");
    assert_eq!(errors[1]["path"], "members");
}

#[test]
fn eval_accepts_a_single_pretty_document_and_an_array() {
    let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(HOUSEHOLD).unwrap()).unwrap();
    let out = fupin(&["eval"], &pretty);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 1);
    let out = fupin(&["eval"], &format!("[{HOUSEHOLD},{}]", HOUSEHOLD.replace("CLI-1", "CLI-2")));
    assert_eq!(text(&out.stdout).lines().count(), 2);
}

#[test]
fn personal_data_never_reaches_output_or_errors() {
    let out = fupin(&["eval", "-"], HOUSEHOLD);
    let explain = fupin(&["explain", "-", "--id", "CLI-1"], HOUSEHOLD);
    let bad = fupin(&["eval", "-"], &HOUSEHOLD.replace("\"age\":50", "\"age\":\"张三\""));
    for output in [&out, &explain, &bad] {
        let all = text(&output.stdout) + &text(&output.stderr);
        for pii in ["张三", "530402197001011234", "13800138000"] {
            assert!(!all.contains(pii), "{pii} leaked: {all}");
        }
    }
    assert!(text(&explain.stdout).contains("户编号 CLI-1"));
    assert!(text(&explain.stdout).contains("一、识别"));
}

#[test]
fn editing_a_threshold_in_a_copied_rules_directory_changes_the_outcome() {
    let dir = std::env::temp_dir().join(format!("fupin-rules-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("rules"), &dir);
    let before = fupin(&["eval", "-"], HOUSEHOLD);
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    assert_eq!(before["identify"]["outcome"], "ineligible", "3300 is above the 2019 line 3218");

    let national = dir.join("params/national.toml");
    let edited = std::fs::read_to_string(&national).unwrap().replace("{ from = 2019, value = \"3218\"", "{ from = 2019, value = \"3400\"");
    std::fs::write(&national, edited).unwrap();
    let dir_arg = dir.to_str().unwrap();
    let check = fupin(&["check", dir_arg], "");
    assert!(check.status.success(), "{}", text(&check.stdout));
    let after = fupin(&["--rules", dir_arg, "eval", "-"], HOUSEHOLD);
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(after["identify"]["outcome"], "eligible");
    assert_ne!(after["ruleset"]["hash"], before["ruleset"]["hash"]);

    std::fs::write(dir.join("exit.rhai"), "fn rules() { [] \n fn decide(h, p, r) { }").unwrap();
    let check = fupin(&["check", dir_arg], "");
    assert_eq!(check.status.code(), Some(1));
    assert!(text(&check.stdout).contains("exit.rhai:"), "{}", text(&check.stdout));
    let eval = fupin(&["--rules", dir_arg, "eval", "-"], HOUSEHOLD);
    assert_eq!(eval.status.code(), Some(2), "rules that do not load stop the command");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_rule_tests_pass() {
    let out = fupin(&["test"], "");
    assert!(out.status.success(), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("rule test cases passed"));
}

#[test]
fn gen_is_deterministic_and_schema_prints() {
    let a = fupin(&["gen", "--households", "20", "--seed", "5"], "");
    let b = fupin(&["gen", "--households", "20", "--seed", "5"], "");
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(text(&a.stdout).lines().count(), 20);
    let schema: serde_json::Value = serde_json::from_slice(&fupin(&["schema"], "").stdout).unwrap();
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn the_shipped_sample_evaluates_without_errors() {
    let out = fupin(&["summary", "examples/village.jsonl"], "");
    assert!(out.status.success());
    let report = text(&out.stdout);
    assert!(report.contains("户数 300"), "{report}");
    assert!(report.contains("贫困发生率"));
    assert!(report.contains("输入错误 0 行"));
}

#[test]
fn both_engines_write_the_same_bytes() {
    for format in ["jsonl", "csv"] {
        let fast = fupin(&["eval", "examples/village.jsonl", "--format", format], "");
        let interp = fupin(&["--engine", "interp", "eval", "examples/village.jsonl", "--format", format], "");
        assert!(fast.status.success() && interp.status.success(), "{}", text(&interp.stderr));
        assert!(fast.stdout.len() > 10_000, "{format} output written");
        assert!(fast.stdout == interp.stdout, "{format}: the fast path and the interpreter differ");
    }
    let fast = fupin(&["report", "examples/village.jsonl", "--format", "json"], "");
    let interp = fupin(&["--engine", "interp", "report", "examples/village.jsonl", "--format", "json"], "");
    assert_eq!(text(&fast.stdout), text(&interp.stdout));
}

#[test]
fn explain_plan_names_the_rules_left_to_the_interpreter() {
    let shipped = fupin(&["check", "--explain-plan"], "");
    assert!(shipped.status.success(), "{}", text(&shipped.stderr));
    let out = text(&shipped.stdout);
    assert!(out.contains("plan: 29 of 29 rules and decide steps run natively"), "{out}");
    // Outcome-only: most rules are decision trees; the monitoring `decide`, the water rules
    // and the vehicle rule (lists, but facts read only in tests, under them, or as an empty
    // list) are remembered; the identification `decide` (the score's arithmetic) stays
    // closures that give the entries of the map it ends in. The trees of the shipped rules
    // run as Rust compiled with fupin.
    assert!(out.contains("outcome-only code, 2024 national parameters: 24 of 29 as decision trees (24 compiled with fupin), 4 remembered"), "{out}");
    assert!(out.lines().any(|l| l.trim() == "compiled     identify.income") && out.lines().any(|l| l.trim() == "record       identify.decide"), "{out}");
    assert!(out.lines().any(|l| l.trim() == "remembered   monitor.decide") && out.lines().any(|l| l.trim() == "remembered   exit.water"), "{out}");

    let dir = std::env::temp_dir().join(format!("fupin-plan-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&root().join("rules"), &dir);
    let exit = dir.join("exit.rhai");
    let edited = std::fs::read_to_string(&exit).unwrap().replacen("fn food(h, p) {", "fn food(h, p) {\n    let i = 0; while i < 2 { i += 1; }", 1);
    std::fs::write(&exit, edited).unwrap();
    let plan = fupin(&["check", dir.to_str().unwrap(), "--explain-plan"], "");
    let out = text(&plan.stdout);
    assert!(plan.status.success(), "{out}");
    assert!(out.contains("plan: 28 of 29"), "{out}");
    assert!(out.lines().any(|l| l.contains("interpreter  exit.food") && l.contains("while")), "{out}");
    // The exit set keeps its general outcome-only code; the other sets are still trees, with
    // the code compiled for the shipped rules (their trees are the same).
    assert!(out.lines().any(|l| l.trim() == "general      exit.income") && out.lines().any(|l| l.trim() == "compiled     monitor.illness"), "{out}");
    let fast = fupin(&["--rules", dir.to_str().unwrap(), "eval", "examples/village.jsonl"], "");
    let interp = fupin(&["--rules", dir.to_str().unwrap(), "--engine", "interp", "eval", "examples/village.jsonl"], "");
    assert!(fast.stdout == interp.stdout && !fast.stdout.is_empty(), "mixed plan gives the interpreter's bytes");
    std::fs::remove_dir_all(&dir).unwrap();
}
