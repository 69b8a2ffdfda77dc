//! Loading rules: every problem named with file and line or key; reload swaps atomically and
//! keeps the old rules when the new ones are broken.

mod common;

use common::{household, sources_with};
use fupin::{Engine, RuleSources, RulesError};

fn errors_of(sources: RuleSources) -> Vec<RulesError> {
    Engine::from_sources(sources).expect_err("must not load").0
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let errors = errors_of(sources_with("monitor.rhai", |t| t.replace("fn labor_loss(h, p) {", "fn labor_loss(h, p) {\n    let x = ;")));
    match &errors[0] {
        RulesError::Syntax { file, line, column, .. } => {
            assert_eq!(file, "monitor.rhai");
            assert!(*line > 100, "line {line}");
            assert!(*column > 0);
        }
        other => panic!("expected a syntax error, got {other}"),
    }
}

#[test]
fn a_parameter_file_with_an_unknown_key_is_refused() {
    let errors = errors_of(sources_with("params/national.toml", |t| t.replace("[water_min_liters]\ntype", "[water_min_liters]\nunit_of_measure = \"L\"\ntype")));
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.contains("params/national.toml") && e.contains("unit_of_measure")), "{text:?}");
}

#[test]
fn a_malformed_override_is_refused_with_its_file() {
    let errors = errors_of(sources_with("params/regions/53.toml", |t| t.replace("[monitoring_line]", "[monitoring_lien]")));
    assert!(errors.iter().any(|e| e.to_string().contains("params/regions/53.toml: monitoring_lien")), "{errors:?}");
    let errors = errors_of(sources_with("params/regions/53.toml", |t| t.replace("value = \"8050\"", "value = \"eight thousand\"")));
    assert!(errors.iter().any(|e| e.to_string().contains("monitoring_line.values[0].value")), "{errors:?}");
}

#[test]
fn a_parameter_without_any_value_is_refused() {
    let errors = errors_of(sources_with("params/national.toml", |t| {
        format!("{t}\n[new_line]\ntype = \"money\"\ndescription = \"新参数\"\nvalues = []\n")
    }));
    assert!(errors.iter().any(|e| e.to_string().contains("new_line.values: at least one dated value")), "{errors:?}");
}

#[test]
fn a_missing_rule_function_and_a_missing_contract_rule_are_reported_together() {
    let errors = errors_of(sources_with("exit.rhai", |t| t.replace("run: \"water\"", "run: \"water_v2\"").replace("id: \"exit.food\"", "id: \"exit.foods\"")));
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|e| e.contains("water_v2")), "{text:?}");
    assert!(text.iter().any(|e| e.contains("requires a rule `exit.food`")), "{text:?}");
}

#[test]
fn reload_keeps_the_old_rules_when_the_new_ones_fail() {
    let engine = common::engine();
    let before = engine.ruleset().info.clone();
    let broken = sources_with("identify.rhai", |t| t.replace("fn rules() {", "fn rules( {"));
    assert!(engine.reload_from(broken).is_err());
    assert_eq!(engine.ruleset().info, before);
    assert_eq!(engine.evaluate_json(&household("R")).unwrap().ruleset, *before);
}

#[test]
fn reload_swaps_for_every_clone() {
    let engine = common::engine();
    let clone = engine.clone();
    let stricter = sources_with("params/national.toml", |t| t.replace("{ from = 2020, value = \"4000\"", "{ from = 2020, value = \"12000\""));
    engine.reload_from(stricter).unwrap();
    let d = clone.evaluate_json(&household("R")).unwrap();
    assert_eq!(d.identify.outcome, "eligible", "per-capita 10000 is below the edited line 12000");
    assert_ne!(d.ruleset.hash, RuleSources::embedded().content_hash());
}

#[test]
fn the_embedded_rules_load_from_the_rules_directory_too() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");
    let from_dir = Engine::from_dir(dir).unwrap();
    assert_eq!(from_dir.ruleset().info, common::engine().ruleset().info, "rules/ and the embedded copy are the same files");
    from_dir.reload().unwrap();
}
