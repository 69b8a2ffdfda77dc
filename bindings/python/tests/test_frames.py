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
