"""Replays tests/conformance: the same decisions, byte for byte, as the Rust engine."""

import json
import pathlib

import pytest

import fupin

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "tests" / "conformance"
NAMES = sorted(p.name[: -len(".input.json")] for p in VECTORS.glob("*.input.json"))


@pytest.fixture(scope="module")
def engine():
    return fupin.Engine()


def test_there_are_vectors():
    assert len(NAMES) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_vector(engine, name):
    text = (VECTORS / f"{name}.input.json").read_text(encoding="utf-8")
    expected = VECTORS / f"{name}.expected.json"
    if expected.exists():
        assert engine.evaluate_json(text) == expected.read_text(encoding="utf-8")
        decision = engine.evaluate(json.loads(text))
        assert json.dumps(decision, ensure_ascii=False, separators=(",", ":")) == expected.read_text(encoding="utf-8")
    else:
        error = json.loads((VECTORS / f"{name}.error.json").read_text(encoding="utf-8"))
        with pytest.raises(fupin.ValidationError) as info:
            engine.evaluate_json(text)
        assert info.value.path == error["path"]


def test_batch_matches_single_evaluation(engine):
    texts = [(VECTORS / f"{n}.input.json").read_text(encoding="utf-8") for n in NAMES]
    batch = engine.evaluate_many(texts)
    for name, decision in zip(NAMES, batch.decisions):
        expected = VECTORS / f"{name}.expected.json"
        if expected.exists():
            assert json.dumps(decision, ensure_ascii=False, separators=(",", ":")) == expected.read_text(encoding="utf-8")
        else:
            assert decision is None
