"""Evaluating a county (or a province) with PySpark: households as JSON text in a DataFrame,
partitioned across executors, each partition evaluated by ``fupin`` with ``mapInArrow``.

    from pyspark.sql import SparkSession
    spark = SparkSession.builder.master("local[2]").getOrCreate()
    lines = open("examples/village.jsonl", encoding="utf-8").read().splitlines()
    for household_id, decision_json in evaluate_with_spark(spark, lines):
        ...

On a cluster, install the ``fupin`` wheel on every executor (it is an abi3 wheel: one build
serves Python 3.9+). Each executor process builds its ``fupin.Engine`` once and reuses it.
"""

from typing import Iterator, List, Tuple

_ENGINE = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        import fupin

        _ENGINE = fupin.Engine()
    return _ENGINE


def _evaluate_partition(batches: Iterator) -> Iterator:
    import pyarrow as pa

    for batch in batches:
        texts = batch.column("household").to_pylist()
        frame = _engine().evaluate_frame(texts, decisions=True)
        yield pa.RecordBatch.from_arrays(
            [frame.column("household_id").combine_chunks(), frame.column("decision").combine_chunks(),
             frame.column("error_path").combine_chunks()],
            names=["household_id", "decision", "error_path"],
        )


def evaluate_with_spark(spark, households_json: List[str], partitions: int = 4) -> List[Tuple[str, str]]:
    """Evaluates JSON households on Spark; returns ``(household_id, decision_json)`` pairs.
    Refused rows come back with a null decision and their ``error_path``."""
    df = spark.createDataFrame([(h,) for h in households_json], "household string").repartition(partitions)
    out = df.mapInArrow(_evaluate_partition, "household_id string, decision string, error_path string")
    return [(r["household_id"], r["decision"]) for r in out.collect()]
