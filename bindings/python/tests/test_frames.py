"""Columnar inputs and the flattened result frame."""

import json
import pathlib

import pyarrow as pa
import pytest

import fupin

ROOT = pathlib.Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def engine():
    return fupin.Engine()


@pytest.fixture(scope="module")
def village():
    lines = (ROOT / "examples" / "village.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_arrow_table_in_flat_frame_out(engine, village):
    table = pa.Table.from_pylist(village)
    frame = engine.evaluate_frame(table, decisions=True)
    assert frame.num_rows == len(village)
    assert tuple(frame.column_names) == fupin.FLAT_COLUMNS + ("decision",)
    expected = [engine.evaluate_json(h) for h in village]
    assert frame.column("decision").to_pylist() == expected
    assert frame.column("error_path").null_count == len(village)
    first = json.loads(expected[0])
    assert frame.column("level")[0].as_py() == first["monitor"]["level"]
    assert frame.column("per_capita_income")[0].as_py() == first["per_capita_income"]


def test_record_batch_and_pandas(engine, village):
    batch = pa.RecordBatch.from_pylist(village[:20])
    from_batch = engine.evaluate_many(batch)
    assert [d["household_id"] for d in from_batch.decisions] == [h["id"] for h in village[:20]]
    df = pa.Table.from_pylist(village[:20]).to_pandas()
    from_pandas = engine.evaluate_frame(df).to_pandas()
    assert list(from_pandas["household_id"]) == [h["id"] for h in village[:20]]
    assert list(from_pandas["identify"]) == [d["identify"]["outcome"] for d in from_batch.decisions]


def test_bad_rows_in_a_frame_are_reported_not_raised(engine, village):
    rows = [village[0], dict(village[1], members=[]), dict(village[2], year="2024")]
    frame = engine.evaluate_frame(rows).to_pylist()
    assert frame[0]["error_path"] is None and frame[0]["identify"] is not None
    assert (frame[1]["row"], frame[1]["error_path"], frame[1]["identify"]) == (1, "members", None)
    assert frame[2]["error_path"] == "year"


def test_a_null_in_a_plain_dict_is_refused_like_the_cli(engine, village):
    with pytest.raises(fupin.ValidationError) as info:
        engine.evaluate(dict(village[0], food_secure=None))
    assert info.value.path == "food_secure"


def test_household_and_member_tables(engine):
    import pandas as pd

    households = pd.DataFrame([
        {"户编号": "T1", "年度": 2024, "行政区划代码": "530102001001", "工资性收入": "3000", "不愁吃": "是", "不愁穿": "是"},
        {"户编号": "T2", "年度": 2024, "行政区划代码": "530102001001", "工资性收入": "30000", "不愁吃": "是", "不愁穿": "否"},
        {"户编号": "T3", "年度": 2024, "行政区划代码": "530102001001", "工资性收入": "abc"},
    ])
    members = pd.DataFrame([
        {"户编号": "T1", "与户主关系": "head", "年龄": 50, "参加基本医疗保险": "是", "姓名": "张三"},
        {"户编号": "T2", "与户主关系": "head", "年龄": 40, "参加基本医疗保险": "是", "姓名": "李四"},
        {"户编号": "T2", "与户主关系": "child", "年龄": 8, "是否在校": "是", "参加基本医疗保险": "是"},
        {"户编号": "T3", "与户主关系": "head", "年龄": 60},
        {"户编号": "T9", "与户主关系": "head", "年龄": 30},
    ])
    result = engine.evaluate_tables(households, members, decisions=True)
    rows = result.frame.to_pylist()
    assert [r["household_id"] for r in rows] == ["T1", "T2", None]
    assert rows[0]["identify"] == "eligible" and rows[0]["per_capita_income"] == "3000.00"
    assert rows[1]["exit"] == "not_met"
    assert rows[2]["error_path"] == "income.wage"
    assert [(e.row, e.path) for e in result.member_errors] == [(4, "members[4].household_id")]
    assert "张三" not in "".join(r["decision"] or "" for r in rows)


def test_large_frames_are_evaluated_in_chunks(engine, village, monkeypatch):
    monkeypatch.setattr(fupin, "CHUNK_ROWS", 7)
    table = pa.Table.from_pylist(village[:30])
    frame = engine.evaluate_frame(table).to_pylist()
    assert [r["row"] for r in frame] == list(range(30))
    assert [r["household_id"] for r in frame] == [h["id"] for h in village[:30]]
    listed = engine.evaluate_frame(village[:30]).to_pylist()
    assert listed == frame


def test_evaluate_many_takes_the_table_pair(engine):
    households = [{"id": "P1", "year": 2024, "wage": "3000"}, {"id": "P2", "year": 2024, "wage": "x"}]
    members = [{"household_id": "P1", "relation": "head", "age": 40}, {"household_id": "P2", "relation": "head"},
               {"household_id": "P7", "relation": "head"}]
    batch = engine.evaluate_many((households, members))
    assert batch.decisions[0]["identify"]["outcome"] == "eligible"
    assert batch.decisions[1] is None
    assert [(e.row, e.path) for e in batch.errors] == [(1, "income.wage"), (2, "members[2].household_id")]


def test_arrow_rows_written_natively_equal_rows_written_in_python(engine, village):
    """evaluate_frame hands Arrow slices to Rust (IPC) and writes their rows as JSON there; the
    results equal the row-by-row Python path, also for decimals, dates and null grades."""
    import datetime
    import decimal

    rows = [dict(h) for h in village[:40]]
    for i, h in enumerate(rows):
        h["members"] = [dict(m) for m in h["members"]]
        if i % 3 == 0:
            h["members"][0]["disability_grade"] = None  # stated: no disability
            h["members"][0].pop("age", None)
            h["members"][0]["birth_date"] = datetime.date(1970 + i, 1 + i % 12, 1 + i % 28)
    table = pa.Table.from_pylist(rows)
    money = pa.struct([("wage", pa.decimal128(12, 2))])
    wages = [None if h.get("income") is None else h["income"].get("wage") for h in rows]
    assert any(w is not None for w in wages)
    native = engine.evaluate_frame(table, decisions=True)
    texts = [json.dumps(r, ensure_ascii=False, default=fupin._json_default) for r in table.to_pylist()]
    by_rows = engine._native.evaluate_many_columns(texts, True, True)
    assert native.column("decision").to_pylist() == by_rows["decision"]
    assert native.column("error_path").to_pylist() == by_rows["error_path"]

    decimals = pa.table({"id": ["D1"], "year": [2024], "region": [{"code": "520121100201"}],
                         "members": [[{"relation": "head", "age": 40, "disability_grade": None}]],
                         "income": pa.array([{"wage": decimal.Decimal("2900.50")}], money)})
    assert fupin._ipc(decimals) is not None
    assert engine.evaluate_frame(decimals, decisions=True).column("per_capita_income").to_pylist() == ["2900.50"]

    # Nulls are removed from the rows Rust writes (not "disability_grade": null), but text
    # that looks like a null member inside a string stays: the village name below.
    tricky = [dict(rows[1], region=dict(rows[1]["region"], village='甲","food_secure":null,"乙\\":null}'))]
    tricky[0]["members"] = [dict(m, disability_grade=None) for m in tricky[0]["members"]]
    tricky_table = pa.Table.from_pylist(tricky + rows[2:4])
    assert fupin._ipc(tricky_table) is not None
    native = engine.evaluate_frame(tricky_table, decisions=True)
    texts = [json.dumps(r, ensure_ascii=False, default=fupin._json_default) for r in tricky_table.to_pylist()]
    assert native.column("decision").to_pylist() == engine._native.evaluate_many_columns(texts, True, True)["decision"]
    assert json.loads(native.column("decision")[0].as_py())["household_id"] == rows[1]["id"]

    stamped = pa.table({"id": ["T1"], "year": [2024], "region": [{"code": "520121"}],
                        "members": [[{"relation": "head", "birth_date": datetime.datetime(1980, 5, 1)}]]})
    assert fupin._ipc(stamped) is None, "timestamps keep the Python path (dates only, as before)"
    assert engine.evaluate_frame(stamped).column("error_path").to_pylist() == [None]


def _generated(village, n, seed):
    """n households derived from the sample village (incomes, sizes and years varied), every
    seventh one refused (no members, a negative amount or a year outside the rules)."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        h = json.loads(json.dumps(village[rng.randrange(len(village))]))
        h["id"] = f"G-{seed}-{i:05d}"
        if h.get("income"):
            h["income"] = {k: f"{rng.randrange(0, 40000)}.{rng.randrange(100):02d}" for k, v in h["income"].items() if v is not None}
        h["members"] = h["members"][: 1 + rng.randrange(len(h["members"]))]
        if i % 7 == 3:
            h["members"] = []
        elif i % 7 == 5 and h.get("income"):
            h["income"] = {k: "-12.00" for k in h["income"]}
        elif i % 7 == 6:
            h["year"] = 1900
        rows.append(h)
    return rows


@pytest.mark.parametrize("decisions", [False, True])
def test_arrow_result_columns_equal_evaluate_many(engine, village, monkeypatch, decisions):
    """evaluate_frame on Arrow input gets its result columns from Rust as an Arrow IPC stream;
    its schema equals the Python-built frame's, and every value equals evaluate_many's, also
    for refused rows and row numbers across chunks."""
    monkeypatch.setattr(fupin, "CHUNK_ROWS", 128)
    rows = _generated(village, 700, seed=5)
    table = pa.Table.from_pylist(rows)
    assert fupin._ipc(table) is not None, "this table takes the native IPC path"
    frame = engine.evaluate_frame(table, decisions=decisions)
    by_python = engine.evaluate_frame(rows, decisions=decisions)  # list of dicts: Python-built columns
    assert frame.schema == by_python.schema
    assert tuple(frame.column_names) == fupin.FLAT_COLUMNS + (("decision",) if decisions else ())
    assert frame.num_rows == len(rows)

    batch = engine.evaluate_many(table)
    errors = {e.row: e for e in batch.errors}
    assert 0 < len(errors) < len(rows)
    expected = []
    for row, d in enumerate(batch.decisions):
        if d is None:
            e = errors[row]
            flat = dict.fromkeys(fupin.FLAT_COLUMNS)
            flat.update(row=row, error_path=e.path, error=str(e))
        else:
            score = d["identify"].get("score")
            flat = {
                "row": row, "household_id": d["household_id"], "year": d["year"],
                "per_capita_income": d.get("per_capita_income"), "identify": d["identify"]["outcome"],
                "score": None if score is None else float(score), "causes": d["identify"]["causes"],
                "exit": d["exit"]["outcome"], "monitor": d["monitor"]["outcome"], "level": d["monitor"]["level"],
                "category": d["monitor"]["category"], "risks": d["monitor"]["risks"], "measures": d["monitor"]["measures"],
                "error_path": None, "error": None,
            }
        if decisions:
            flat["decision"] = None if d is None else d
        expected.append(flat)
    got = frame.to_pylist()
    if decisions:
        for r in got:
            r["decision"] = None if r["decision"] is None else json.loads(r["decision"])
    assert got == expected
    assert frame.equals(by_python)
