"""The Python binding: decisions, errors, batches, threads, explanations."""

import json
import pathlib
import shutil
import threading

import pytest

import fupin

ROOT = pathlib.Path(__file__).resolve().parents[3]
HOUSEHOLD = {
    "id": "PY-1",
    "year": 2019,
    "region": {"code": "530402001001"},
    "members": [{"relation": "head", "name": "张三", "id_number": "530402197001011234", "age": 50, "medical_insurance": True}],
    "income": {"wage": "3300"},
}


@pytest.fixture(scope="module")
def engine():
    return fupin.Engine()


def test_evaluate_returns_the_cli_decision(engine):
    decision = engine.evaluate(HOUSEHOLD)
    assert decision["household_id"] == "PY-1"
    assert decision["per_capita_income"] == "3300.00"
    assert decision["identify"]["outcome"] == "ineligible"
    assert {f["rule"] for f in decision["exit"]["findings"]} >= {"exit.income", "exit.water"}
    assert json.loads(engine.evaluate_json(json.dumps(HOUSEHOLD))) == decision


def test_validation_error_names_the_path_without_personal_data(engine):
    bad = dict(HOUSEHOLD, members=[dict(HOUSEHOLD["members"][0], age="张三")])
    with pytest.raises(fupin.ValidationError) as info:
        engine.evaluate(bad)
    assert info.value.path == "members[0].age"
    assert info.value.row is None
    assert "张三" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_batch_keeps_order_and_reports_rows(engine):
    rows = [HOUSEHOLD, dict(HOUSEHOLD, members=[]), dict(HOUSEHOLD, id="PY-3")]
    batch = engine.evaluate_many(rows)
    assert [d and d["household_id"] for d in batch.decisions] == ["PY-1", None, "PY-3"]
    assert [(e.row, e.path) for e in batch.errors] == [(1, "members")]


def test_threads_share_one_engine(engine):
    results = []

    def work():
        results.append(engine.evaluate(HOUSEHOLD)["identify"]["outcome"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ineligible"] * 8


def test_explain_is_chinese_and_free_of_personal_data(engine):
    text = engine.explain(HOUSEHOLD)
    assert "户编号 PY-1" in text and "一、识别" in text
    assert "张三" not in text and "530402197001011234" not in text


def test_edited_rules_and_reload(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    engine = fupin.Engine(rules_dir=str(rules))
    assert engine.evaluate(HOUSEHOLD)["identify"]["outcome"] == "ineligible"
    national = rules / "params" / "national.toml"
    national.write_text(national.read_text(encoding="utf-8").replace('{ from = 2019, value = "3218"', '{ from = 2019, value = "3400"'), encoding="utf-8")
    engine.reload()
    assert engine.evaluate(HOUSEHOLD)["identify"]["outcome"] == "eligible"
    (rules / "exit.rhai").write_text("fn rules( {", encoding="utf-8")
    with pytest.raises(fupin.RulesError) as info:
        engine.reload()
    assert "exit.rhai" in str(info.value)
    assert engine.evaluate(HOUSEHOLD)["identify"]["outcome"] == "eligible", "old rules stay in use"


def test_schema_and_ruleset(engine):
    assert fupin.schema()["additionalProperties"] is False
    assert engine.ruleset.name == "fupin-national"
    assert engine.ruleset.hash.startswith("sha256:")


def test_what_if_with_files_in_memory():
    override = """region = "53"
name = "云南省"
[poverty_line]
values = [{ from = 2019, value = "3400", source = "what-if" }]
"""
    what_if = fupin.Engine(files={"params/regions/53.toml": override})
    assert what_if.evaluate(HOUSEHOLD)["identify"]["outcome"] == "eligible"
    assert what_if.ruleset.hash != fupin.Engine().ruleset.hash


def test_rules_error_names_file_and_line():
    with pytest.raises(fupin.RulesError) as info:
        fupin.Engine(files={"monitor.rhai": "fn rules() {\n  [\n    let = 1\n}"})
    assert info.value.file == "monitor.rhai"
    assert info.value.line == 3
    assert info.value.errors[0]["type"] == "syntax"
