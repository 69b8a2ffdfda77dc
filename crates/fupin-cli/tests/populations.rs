//! Population commands run as a user would run them: streaming eval with bad rows, 户表+人表
//! CSV input, report, diff, rank, dynamics and gen at scale.

mod common;

use std::path::Path;
use std::process::Output;

use common::{fupin, fupin_bytes, fupin_first_line, text};
use serde_json::Value;

fn json_lines(bytes: &[u8]) -> Vec<Value> {
    text(bytes).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

fn household(id: &str, wage: u32) -> String {
    format!(
        r#"{{"id":"{id}","year":2019,"region":{{"code":"530402001001"}},"members":[{{"relation":"head","name":"张三","id_number":"530402197001011234","age":50,"medical_insurance":true}}],"income":{{"wage":"{wage}"}}}}"#
    )
}

const PII: [&str; 3] = ["张三", "530402197001011234", "13800138000"];

fn no_pii(out: &Output) {
    let all = text(&out.stdout) + &text(&out.stderr);
    for pii in PII {
        assert!(!all.contains(pii), "{pii} leaked: {all}");
    }
}

#[test]
fn streaming_eval_keeps_input_order_over_many_chunks_and_reports_each_bad_row_once() {
    let mut input = Vec::new();
    for i in 0..2500 {
        match i {
            100 => input.extend_from_slice(b"not json\n"),
            // Read, then refused by the engine: its 户编号 is taken all the same.
            600 => input.extend_from_slice(format!("{}\n", household("H-NEG", 1000).replace("\"wage\":\"1000\"", "\"wage\":\"-5\"")).as_bytes()),
            2200 => input.extend_from_slice(format!("{}\n", household("H-NEG", 1000)).as_bytes()),
            1500 => input.extend_from_slice(b"{\"id\":\"BAD-\xff\xfe\",\"year\":2019}\n"),
            2000 => input.extend_from_slice(format!("{}\n", household("H-10", 1000)).as_bytes()),
            _ => input.extend_from_slice(format!("{}\n", household(&format!("H-{i}"), 1000 + i)).as_bytes()),
        }
    }
    input.extend_from_slice(br#"{"id":"H-TRUNC","year":2019,"region":{},"mem"#);
    let out = fupin_bytes(&["eval"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let decisions = json_lines(&out.stdout);
    let expected: Vec<String> = (0..2500).filter(|i| ![100, 600, 1500, 2000, 2200].contains(i)).map(|i| format!("H-{i}")).collect();
    let ids: Vec<&str> = decisions.iter().map(|d| d["household_id"].as_str().unwrap()).collect();
    assert_eq!(ids, expected, "every good row, in input order");
    let errors = json_lines(&out.stderr);
    let rows: Vec<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [101, 601, 1501, 2001, 2201, 2501], "{errors:?}");
    assert!(errors[0]["message"].as_str().unwrap().contains("malformed JSON"));
    assert_eq!((errors[1]["household_id"].as_str(), errors[1]["path"].as_str()), (Some("H-NEG"), Some("income.wage")), "{}", errors[1]);
    assert!(errors[2]["message"].as_str().unwrap().contains("UTF-8"));
    assert_eq!(errors[3]["household_id"], "H-10");
    assert!(errors[3]["message"].as_str().unwrap().contains("also row 11"), "both rows are named: {}", errors[3]);
    assert!(errors[4]["message"].as_str().unwrap().contains("duplicate 户编号 H-NEG (also row 601)"), "{}", errors[4]);
    assert!(errors[5]["message"].as_str().unwrap().contains("malformed JSON"), "the truncated last line: {}", errors[5]);
    no_pii(&out);
}

#[test]
fn jsonl_output_is_byte_for_byte_one_decision_per_line_and_csv_is_flat() {
    let input = format!("{}\n{}\n", household("A", 2000), household("B", 9000));
    let out = fupin(&["eval"], &input);
    assert!(out.status.success());
    let a = fupin(&["eval"], &household("A", 2000));
    assert_eq!(text(&out.stdout).lines().next().unwrap(), text(&a.stdout).trim_end());
    let csv = fupin(&["eval", "--format", "csv"], &input);
    let lines: Vec<String> = text(&csv.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("household_id,year,per_capita_income,identify_outcome,identify_score"));
    assert!(lines[1].starts_with("A,2019,2000.00,eligible,"), "{}", lines[1]);
    no_pii(&csv);
    // `-o -` is stdout, as `-` is stdin on the input side (not a file named `-`).
    let dashed = fupin(&["eval", "--format", "csv", "-o", "-"], &input);
    assert!(dashed.status.success(), "{}", text(&dashed.stderr));
    assert_eq!(dashed.stdout, csv.stdout);
    assert!(!common::root().join("-").exists(), "no file named '-'");
    let parquet = fupin(&["eval", "--format", "parquet", "-o", "-"], &input);
    assert_eq!(parquet.status.code(), Some(2), "{}", text(&parquet.stderr));
    assert!(text(&parquet.stderr).contains("--format parquet needs --output FILE"), "{}", text(&parquet.stderr));
}

#[test]
fn errors_file_takes_the_row_errors_and_an_empty_input_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let errors = dir.path().join("errors.jsonl");
    let out = fupin(&["eval", "--errors", errors.to_str().unwrap()], &format!("{}\n[1,2\n", household("A", 1)));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    let lines = json_lines(&std::fs::read(&errors).unwrap());
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["row"], 2);
    let empty = fupin(&["eval"], "");
    assert_eq!(empty.status.code(), Some(2));
    assert!(text(&empty.stderr).contains("no households"));
    let blank = fupin(&["report"], "\n\n");
    assert_eq!(blank.status.code(), Some(2));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn two_tables_with_chinese_headers_and_every_kind_of_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut households = "户编号,年度,行政区划代码,工资性收入,户主姓名\n".as_bytes().to_vec();
    households.extend_from_slice("G1,2019,530402001001,2000,张三\n".as_bytes()); // line 2: good
    households.extend_from_slice("G2,2019,530402001001,abc,张三\n".as_bytes()); // line 3: money
    households.extend_from_slice("G3,2019,530402001001,2000,\n".as_bytes()); // line 4: no members
    households.extend_from_slice(b"G4,2019,530402001001,2000,\xd5\xc5\xc8\xfd\n"); // line 5: GBK
    households.extend_from_slice("G1,2019,530402001001,2000,\n".as_bytes()); // line 6: duplicate
    households.extend_from_slice("G5,2019,530402001001,9000,\n".as_bytes()); // line 7: good
    let members = "户编号,与户主关系,年龄,参加基本医疗保险,姓名,身份证号\n\
        G1,head,50,是,张三,530402197001011234\n\
        G2,head,50,是,,\n\
        G9,head,40,是,,\n\
        G4,head,40,是,,\n\
        G5,head,40,是,,\n\
        G5,child,十,是,,\n";
    let h = write(dir.path(), "h.csv", &households);
    let m = write(dir.path(), "m.csv", members.as_bytes());
    let out = fupin(&["eval", "--households", &h, "--members", &m], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let ids: Vec<String> = json_lines(&out.stdout).iter().map(|d| d["household_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids, ["G1"], "the good household is evaluated");
    let errors = json_lines(&out.stderr);
    let place: Vec<(String, u64, String)> =
        errors.iter().map(|e| (e["table"].as_str().unwrap().to_string(), e["row"].as_u64().unwrap(), e["path"].as_str().unwrap().to_string())).collect();
    assert_eq!(
        place,
        [
            ("households".to_string(), 3, "income.wage".to_string()),
            ("households".to_string(), 4, "members".to_string()),
            ("households".to_string(), 5, "户主姓名".to_string()),
            ("households".to_string(), 6, "id".to_string()),
            ("members".to_string(), 7, "age".to_string()),
            ("members".to_string(), 4, "household_id".to_string()),
        ],
        "{errors:?}"
    );
    assert!(errors[3]["message"].as_str().unwrap().contains("also row 2"));
    assert_eq!(errors[5]["household_id"], "G9");
    no_pii(&out);
}

#[test]
fn byte_order_marks_and_windows_line_ends_are_accepted() {
    let jsonl = format!("\u{feff}{}\r\n{}\r\n", household("A", 1000), household("B", 9000));
    let out = fupin(&["eval"], &jsonl);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "h.csv", "\u{feff}户编号,年度\r\nA,2019\r\n".as_bytes());
    let m = write(dir.path(), "m.csv", "\u{feff}户编号,与户主关系\r\nA,head\r\n".as_bytes());
    let out = fupin(&["eval", "--households", &h, "--members", &m], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json_lines(&out.stdout)[0]["household_id"], "A");
}

#[test]
fn a_table_without_a_required_column_or_with_an_unknown_one_cannot_run() {
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "h.csv", b"id,wage\nA,100\n");
    let m = write(dir.path(), "m.csv", b"household_id,relation\nA,head\n");
    let out = fupin(&["eval", "--households", &h, "--members", &m], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("required column year"), "{}", text(&out.stderr));
    let h = write(dir.path(), "h2.csv", b"id,year,colour\nA,2019,red\n");
    let out = fupin(&["eval", "--households", &h, "--members", &m], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown column \"colour\""), "{}", text(&out.stderr));
}

#[test]
fn the_shipped_tables_give_the_sample_village_except_for_events() {
    let tables = fupin(&["eval", "--households", "examples/village-tables/households.csv", "--members", "examples/village-tables/members.csv"], "");
    assert!(tables.status.success(), "{}", text(&tables.stderr));
    let jsonl = fupin(&["eval", "examples/village.jsonl"], "");
    let (t, j) = (json_lines(&tables.stdout), json_lines(&jsonl.stdout));
    assert_eq!(t.len(), 300);
    for (a, b) in t.iter().zip(&j) {
        assert_eq!(a["household_id"], b["household_id"]);
        assert_eq!(a["per_capita_income"], b["per_capita_income"]);
        assert_eq!(a["identify"]["outcome"], b["identify"]["outcome"]);
    }
}

#[test]
fn report_of_the_sample_village_in_every_format() {
    let table = fupin(&["report", "examples/village.jsonl"], "");
    assert!(table.status.success());
    assert!(text(&table.stdout).contains("150526100201  示范嘎查  300"), "{}", text(&table.stdout));
    let json: Value = serde_json::from_slice(&fupin(&["report", "examples/village.jsonl", "--format", "json", "--by", "county"], "").stdout).unwrap();
    assert_eq!(json["groups"][0]["code"], "150526");
    assert_eq!(json["total"]["households"], 300);
    assert_eq!(json["groups"][0]["exit_threshold_pct"], 3.0, "内蒙古 is western");
    let warnings = json["groups"][0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len() as u64, json["total"]["levels"]["high"].as_u64().unwrap());
    let csv = text(&fupin(&["report", "examples/village.jsonl", "--format", "csv"], "").stdout);
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.lines().nth(2).unwrap().starts_with("total,total,合计"));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("r.html");
    let html = fupin(&["report", "examples/village.jsonl", "--format", "html", "-o", page.to_str().unwrap()], "");
    assert!(html.status.success());
    let page = std::fs::read_to_string(page).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg") && page.contains("《返贫致贫风险预警报告》"));
    assert!(page.contains(warnings[0]["household_id"].as_str().unwrap()));
}

#[test]
fn what_if_a_higher_monitoring_line_moves_households_into_monitoring() {
    let args = ["diff", "examples/village.jsonl", "--set-b", "params/regions/15.toml=examples/what-if/15-higher-monitoring-line.toml", "--format", "json"];
    let out = fupin(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(d["changed_households"].as_u64().unwrap() > 0);
    assert_eq!(d["by_decision"].get("identify"), None, "the monitoring line does not change identification");
    let into: u64 = d["transitions"].as_array().unwrap().iter().filter(|t| t["decision"] == "monitor_category" && t["from"] == "none").map(|t| t["households"].as_u64().unwrap()).sum();
    assert!(into > 0);
    assert!(d["transitions"].as_array().unwrap().iter().all(|t| t["decision"] != "monitor_category" || t["to"] != "none"), "a higher line never ends monitoring");
    assert_eq!(d["changed"].as_array().unwrap().len() as u64, d["changed_households"].as_u64().unwrap());
    let none = fupin(&["diff", "examples/village.jsonl"], "");
    assert_eq!(none.status.code(), Some(2), "B must differ from A");
}

#[test]
fn rank_marks_the_quota_per_unit_and_lists_disagreements() {
    let dir = tempfile::tempdir().unwrap();
    let quota = write(dir.path(), "q.toml", b"[quota]\n\"150526\" = \"5%\"\n");
    let out = fupin(&["rank", "examples/village.jsonl", "--quota-file", &quota, "--format", "json"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ranked: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(ranked.len(), 300);
    assert_eq!(ranked.iter().filter(|r| r["proposed"] == true).count(), 15, "5% of 300");
    let scores: Vec<f64> = ranked.iter().map(|r| r["score"].as_str().unwrap().parse().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ordered by score");
    for r in &ranked {
        let outside_but_eligible = r["proposed"] == false && r["identify_outcome"] == "eligible";
        assert_eq!(outside_but_eligible, r["disagreement"]["kind"] == "eligible_outside_quota");
    }
    let again = fupin(&["rank", "examples/village.jsonl", "--quota", "15", "--format", "json"], "");
    assert_eq!(out.stdout, again.stdout, "15 households = 5% of 300, same list");
    let missing = fupin(&["rank", "examples/village.jsonl", "--by", "village", "--quota-file", &quota], "");
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no quota for 村 150526100201"));
}

#[test]
fn dynamics_names_each_movement_between_two_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let exited = |id: &str, wage: u32| household(id, wage).replace(r#""income""#, r#""status":{"exit_year":2017},"income""#);
    let last = [household("NEW", 9000), household("OUT", 1000), exited("BACK", 9000), household("GONE", 9000), "not json".to_string()].join("\n");
    let this = [household("NEW", 1000), household("OUT", 9000).replace(r#""age":50,"#, r#""age":50,"family_doctor":true,"#), exited("BACK", 1000), household("CAME", 9000)].join("\n");
    let (l, t) = (write(dir.path(), "last.jsonl", last.as_bytes()), write(dir.path(), "this.jsonl", this.as_bytes()));
    let out = fupin(&["dynamics", "--last", &l, "--this", &t, "--format", "json"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let errors = json_lines(&out.stderr);
    assert_eq!((errors.len(), errors[0]["file"].as_str(), errors[0]["row"].as_u64()), (1, Some(l.as_str()), Some(5)), "the error names its file");
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let moved = |id: &str| d["moved"].as_array().unwrap().iter().find(|m| m["household_id"] == id).map(|m| m["movements"].clone());
    assert!(moved("NEW").unwrap().as_array().unwrap().contains(&Value::from("newly_identified")), "{d}");
    assert!(moved("BACK").unwrap().as_array().unwrap().contains(&Value::from("returned")), "{d}");
    assert_eq!(d["only_last"], serde_json::json!(["GONE"]));
    assert_eq!(d["only_this"], serde_json::json!(["CAME"]));
    let table = text(&fupin(&["dynamics", "--last", &l, "--this", &t], "").stdout);
    assert!(table.contains("新识别：1 户") && table.contains("返贫：1 户"), "{table}");
    let pair = dir.path().join("this-tables");
    let converted = fupin(&["tables", &t, "--out", pair.to_str().unwrap()], "");
    assert!(converted.status.success(), "{}", text(&converted.stderr));
    let from_tables = text(&fupin(&["dynamics", "--last", &l, "--this", pair.to_str().unwrap()], "").stdout);
    assert_eq!(from_tables, table, "a 户表+人表 directory is the same round");
}

#[test]
fn gen_in_parallel_chunks_is_deterministic_and_writes_a_table_pair() {
    let a = fupin(&["gen", "--households", "9000", "--villages", "3", "--seed", "4"], "");
    let b = fupin(&["gen", "--households", "9000", "--villages", "3", "--seed", "4"], "");
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let lines: Vec<Value> = json_lines(&a.stdout);
    assert_eq!(lines.len(), 9000);
    let mut ids: Vec<&str> = lines.iter().map(|h| h["id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 9000, "ids are unique");
    assert_eq!(lines[8999]["region"]["code"], "150526100203");
    let small = fupin(&["gen", "--households", "300", "--seed", "4"], "");
    assert!(text(&a.stdout).starts_with(&text(&small.stdout)[..text(&small.stdout).find("150526100201-00300").unwrap()]));
    let dir = tempfile::tempdir().unwrap();
    let out = fupin(&["gen", "--households", "50", "--csv", dir.path().to_str().unwrap()], "");
    assert!(out.status.success());
    let h = dir.path().join("households.csv");
    let m = dir.path().join("members.csv");
    let eval = fupin(&["eval", "--households", h.to_str().unwrap(), "--members", m.to_str().unwrap()], "");
    assert!(eval.status.success(), "{}", text(&eval.stderr));
    assert_eq!(text(&eval.stdout).lines().count(), 50);
}

fn parquet(path: &Path, columns: Vec<(&str, arrow_array::ArrayRef)>) {
    let batch = arrow_array::RecordBatch::try_from_iter(columns).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_tables_with_typed_columns_in_and_flattened_decisions_out() {
    use arrow_array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let (h, m, d) = (dir.path().join("h.parquet"), dir.path().join("m.parquet"), dir.path().join("d.parquet"));
    parquet(
        &h,
        vec![
            ("户编号", Arc::new(StringArray::from(vec!["P1", "P2", "P3"])) as ArrayRef),
            ("year", Arc::new(Int64Array::from(vec![2019, 2019, 2019]))),
            ("region_code", Arc::new(StringArray::from(vec!["530402001001"; 3]))),
            ("wage", Arc::new(Float64Array::from(vec![Some(2000.0), None, Some(-5.0)]))),
            ("food_secure", Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]))),
        ],
    );
    parquet(
        &m,
        vec![
            ("household_id", Arc::new(StringArray::from(vec!["P1", "P2", "P3", "P4"])) as ArrayRef),
            ("relation", Arc::new(StringArray::from(vec!["head"; 4]))),
            ("age", Arc::new(Int64Array::from(vec![50, 60, 70, 80]))),
            ("姓名", Arc::new(StringArray::from(vec!["张三"; 4]))),
        ],
    );
    let out = fupin(&["eval", "--households", h.to_str().unwrap(), "--members", m.to_str().unwrap(), "--format", "parquet", "-o", d.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let errors = json_lines(&out.stderr);
    let place: Vec<(&str, u64, &str)> = errors.iter().map(|e| (e["table"].as_str().unwrap(), e["row"].as_u64().unwrap(), e["household_id"].as_str().unwrap())).collect();
    assert_eq!(place, [("households", 3, "P3"), ("members", 4, "P4")], "negative money; unknown household");
    no_pii(&out);
    let file = std::fs::File::open(&d).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<arrow_array::RecordBatch> = reader.map(Result::unwrap).collect();
    let batch = &batches[0];
    assert_eq!(batch.num_rows(), 2);
    assert_eq!(batch.schema().field(1).data_type(), &arrow_schema::DataType::Int32);
    let ids = batch.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!((ids.value(0), ids.value(1)), ("P1", "P2"));
    let pci = batch.column(2).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(pci.value(0), "2000.00");
    assert!(pci.is_null(1), "no wage column value: income unknown");
}

/// `fupin eval … | head -1`: the reader leaves after one line; fupin stops quietly with 0.
#[test]
fn a_closed_output_pipe_ends_eval_quietly_with_success() {
    // 300 full decisions are far more than a pipe holds, so fupin is still writing.
    for format in ["jsonl", "csv"] {
        let (first, out) = fupin_first_line(&["eval", "examples/village.jsonl", "--format", format]);
        assert!(!first.is_empty(), "{format}: a first line is written");
        assert!(out.status.success(), "{format}: {:?} {}", out.status, text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{format}");
    }
    let (_, out) = fupin_first_line(&["gen", "--households", "20000"]);
    assert!(out.status.success(), "gen: {:?} {}", out.status, text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
}
