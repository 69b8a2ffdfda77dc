"""A partitioned population evaluated by PySpark in local mode with ``mapInArrow``: the
decisions equal the CLI's, row for row. This is how a province outgrows one machine."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is installed by tests/run-all.sh")

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bindings" / "python" / "examples"))


@pytest.fixture(scope="module")
def spark():
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("fupin-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.addPyFile(str(ROOT / "bindings" / "python" / "examples" / "spark_county.py"))
    yield session
    session.stop()


def test_spark_map_in_arrow_matches_the_cli(spark):
    from spark_county import evaluate_with_spark

    village = ROOT / "examples" / "village.jsonl"
    lines = [line for line in village.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = evaluate_with_spark(spark, lines, partitions=4)

    cli = subprocess.run(
        ["cargo", "run", "-q", "--release", "-p", "fupin-cli", "--", "eval", str(village)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    by_id = {json.loads(line)["household_id"]: line for line in cli}
    assert len(results) == len(lines) == len(by_id)
    for household_id, decision in results:
        assert decision == by_id[household_id]
