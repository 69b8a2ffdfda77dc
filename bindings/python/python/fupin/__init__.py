"""fupin (扶贫): rules engine for 建档立卡识别, 脱贫退出 and 防返贫监测预警.

    >>> import fupin
    >>> engine = fupin.Engine()
    >>> engine.evaluate({"id": "H-1", "year": 2024, "region": {}, "members": [{"relation": "head"}],
    ...                  "income": {"wage": "3000"}})["identify"]["outcome"]
    'eligible'

Decisions are the same JSON the ``fupin`` CLI writes (money as decimal strings), as dicts.
All rules run in Rust; this package only converts values and maps errors.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import gc as _gc
import json as _json
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Union

from ._fupin import NativeEngine as _NativeEngine
from ._fupin import RulesError, ValidationError, __version__
from ._fupin import schema_json as _schema_json

__all__ = ["Engine", "Batch", "Tables", "Ruleset", "ValidationError", "RulesError", "schema", "FLAT_COLUMNS", "__version__"]

#: Columns of :meth:`Engine.evaluate_frame`, in order.
FLAT_COLUMNS = (
    "row", "household_id", "year", "per_capita_income", "identify", "score", "causes",
    "exit", "monitor", "level", "category", "risks", "measures", "error_path", "error",
)

Household = Union[Mapping[str, Any], str]


def _json_default(value: Any) -> Any:
    if isinstance(value, _decimal.Decimal):
        return str(value)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    raise TypeError(f"cannot convert a {type(value).__name__} to JSON")


def _to_json(household: Household) -> str:
    if isinstance(household, str):
        return household
    return _json.dumps(household, ensure_ascii=False, default=_json_default)


def _arrow(households: Any) -> Any:
    """A pyarrow Table for columnar inputs (pyarrow Table / RecordBatch, polars or pandas
    DataFrame with one household per row, nested columns as structs and lists); else None."""
    if hasattr(households, "to_pylist") and hasattr(households, "num_rows"):  # pyarrow
        import pyarrow as pa

        return households if isinstance(households, pa.Table) else pa.Table.from_batches([households])
    if hasattr(households, "to_arrow"):  # polars.DataFrame
        return households.to_arrow()
    if hasattr(households, "to_dict") and hasattr(households, "columns"):  # pandas.DataFrame
        import pyarrow as pa

        return pa.Table.from_pandas(households, preserve_index=False)
    return None


def _columnar(households: Any) -> Optional[List[Dict[str, Any]]]:
    """Rows of a columnar input as plain Python values (nulls left for the native side)."""
    table = _arrow(households)
    return None if table is None else table.to_pylist()


def _texts(households: Any) -> "tuple[List[str], bool]":
    """JSON text per household, and whether it came from a columnar source."""
    gc_was_enabled = _gc.isenabled()
    _gc.disable()  # many short-lived row objects: the collector only slows this down
    try:
        rows = _columnar(households)
        if rows is not None:
            return [_json.dumps(r, ensure_ascii=False, default=_json_default) for r in rows], True
        return [_to_json(h) for h in households], False
    finally:
        if gc_was_enabled:
            _gc.enable()


def _chunks(households: Any) -> Iterator[Any]:
    """Slices of at most CHUNK_ROWS rows, so a large frame is converted a slice at a time."""
    table = _arrow(households)
    source = households if table is None else table
    total = len(source) if table is None else table.num_rows
    for offset in range(0, total, CHUNK_ROWS):
        yield source[offset : offset + CHUNK_ROWS] if table is None else table.slice(offset, CHUNK_ROWS)


def _json_ready(data_type: Any) -> bool:
    """Whether Arrow's own JSON writer gives the same values as ``json.dumps`` of
    ``to_pylist()`` for this column type (dates as ISO dates, no timestamps or binaries)."""
    import pyarrow.types as t

    if t.is_struct(data_type):
        return all(_json_ready(data_type.field(i).type) for i in range(data_type.num_fields))
    if t.is_list(data_type) or t.is_large_list(data_type):
        return _json_ready(data_type.value_type)
    return (
        t.is_null(data_type) or t.is_boolean(data_type) or t.is_integer(data_type) or t.is_floating(data_type)
        or t.is_decimal(data_type) or t.is_string(data_type) or t.is_large_string(data_type) or t.is_date32(data_type)
    )


def _ipc(chunk: Any) -> Optional[bytes]:
    """An Arrow slice as IPC stream bytes, when the native side can write its rows as JSON."""
    import pyarrow as pa

    if not isinstance(chunk, pa.Table) or not all(_json_ready(f.type) for f in chunk.schema):
        return None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, chunk.schema) as writer:
        writer.write_table(chunk)
    return sink.getvalue().to_pybytes()


def _rows(frame: Any) -> Any:
    """A table for :meth:`Engine.evaluate_tables` as plain row dicts."""
    rows = _columnar(frame)
    return frame if rows is None else rows


#: Rows evaluated per native call in frame methods (bounds memory for large populations).
CHUNK_ROWS = 16384


def _table_rows(frame: Any) -> str:
    """One table (户表 or 人表) as JSON text: a list of row objects."""
    if isinstance(frame, str):
        return frame
    return _json.dumps(_rows(frame), ensure_ascii=False, default=_json_default)


@dataclass
class Tables:
    """Results of :meth:`Engine.evaluate_tables`: a flat ``pyarrow.Table`` with one row per
    household-table row, and the member-table rows that could not be placed."""

    frame: Any
    member_errors: List[ValidationError]

    def errors(self) -> List[ValidationError]:
        """Household-row errors (as ValidationError with ``.row`` and ``.path``), then member-row errors."""
        rows = self.frame.to_pydict()
        out: List[ValidationError] = []
        for row, path, message in zip(rows["row"], rows["error_path"], rows["error"]):
            if path is not None:
                error = ValidationError(message)
                error.path, error.row, error.message = path, row, message
                out.append(error)
        return out + list(self.member_errors)


def _is_table_pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], (str, Mapping))


@dataclass(frozen=True)
class Ruleset:
    """Name, version and content hash of the rules in use."""

    name: str
    version: str
    hash: str


@dataclass
class Batch:
    """Results of :meth:`Engine.evaluate_many`, in input order.

    ``decisions[i]`` is the decision of row ``i`` or ``None`` when that row was refused; the
    refusal is in ``errors`` as a :class:`ValidationError` with ``.row`` and ``.path``.
    """

    decisions: List[Optional[Dict[str, Any]]]
    errors: List[ValidationError]


def _columns_table(columns: Dict[str, list], decisions: bool, offset: int = 0) -> Any:
    import pyarrow as pa

    types = {
        "row": pa.int64(), "year": pa.int32(), "score": pa.float64(),
        "causes": pa.list_(pa.string()), "risks": pa.list_(pa.string()), "measures": pa.list_(pa.string()),
    }
    names = list(FLAT_COLUMNS) + (["decision"] if decisions else [])
    if offset:
        columns = dict(columns, row=[r + offset for r in columns["row"]])
    return pa.Table.from_arrays([pa.array(columns[c], types.get(c, pa.string())) for c in names], names=names)


def _ipc_table(stream: bytes) -> Any:
    """Result columns handed back by the native side as one Arrow IPC stream (the schema of
    :func:`_columns_table`)."""
    import pyarrow as pa

    return pa.ipc.open_stream(stream).read_all()


def _with_details(error: RulesError) -> RulesError:
    """Adds ``.errors`` (a dict per problem: type, file, line, column or key, message) and the
    first problem's ``.file`` and ``.line``."""
    error.errors = [_json.loads(e) for e in getattr(error, "errors_json", [])]
    first = error.errors[0] if error.errors else {}
    error.file, error.line = first.get("file"), first.get("line")
    return error


class Engine:
    """The rules engine: embedded default rules, or ``Engine(rules_dir=...)`` for an edited copy.

    ``files`` replaces or adds rule files in memory, for what-if runs without a copy on disk::

        stricter = fupin.Engine(files={"params/regions/53.toml": yunnan_override_text})
    """

    def __init__(self, rules_dir: Optional[str] = None, files: Optional[Mapping[str, str]] = None) -> None:
        try:
            self._native = _NativeEngine(rules_dir, dict(files) if files else None)
        except RulesError as error:
            raise _with_details(error) from None

    @property
    def ruleset(self) -> Ruleset:
        return Ruleset(*self._native.ruleset())

    def evaluate(self, household: Household) -> Dict[str, Any]:
        """Evaluates one household (a dict or JSON text); raises :class:`ValidationError`."""
        return _json.loads(self._native.evaluate_json(_to_json(household)))

    def evaluate_json(self, household: Household) -> str:
        """Like :meth:`evaluate`, returning the decision as the CLI's exact JSON text."""
        return self._native.evaluate_json(_to_json(household))

    def evaluate_many(self, households: Any) -> Batch:
        """Evaluates many households in parallel (GIL released); bad rows do not raise.

        ``households``: a list of dicts or JSON strings, a ``pyarrow.Table`` / ``RecordBatch``
        or a pandas / polars DataFrame with one household per row — or a pair
        ``(households_table, members_table)`` of the 户表+人表 export (see
        :meth:`evaluate_tables`)."""
        if _is_table_pair(households):
            tables = self.evaluate_tables(*households, decisions=True)
            texts_out = tables.frame.column("decision").to_pylist()
            return Batch([None if d is None else _json.loads(d) for d in texts_out], tables.errors())
        texts, columnar = _texts(households)
        decisions: List[Optional[Dict[str, Any]]] = []
        errors: List[ValidationError] = []
        for decision, error in self._native.evaluate_many_json(texts, columnar):
            decisions.append(None if decision is None else _json.loads(decision))
            if error is not None:
                errors.append(error)
        return Batch(decisions, errors)

    def evaluate_frame(self, households: Any, decisions: bool = False) -> Any:
        """Evaluates like :meth:`evaluate_many` and returns a ``pyarrow.Table`` with one row per
        input row and the columns :data:`FLAT_COLUMNS` (refused rows carry ``error_path``);
        with ``decisions=True`` also a ``decision`` column holding the full decision JSON.
        Call ``.to_pandas()`` on it for a DataFrame. For the 户表+人表 pair use
        :meth:`evaluate_tables`, which also returns the member rows it could not place."""
        import pyarrow as pa

        tables = []
        for i, chunk in enumerate(_chunks(households)):
            ipc = _ipc(chunk)
            if ipc is not None:
                tables.append(_ipc_table(self._native.evaluate_ipc_columns(ipc, decisions, i * CHUNK_ROWS)))
            else:
                texts, columnar = _texts(chunk)
                columns = self._native.evaluate_many_columns(texts, decisions, columnar)
                tables.append(_columns_table(columns, decisions, offset=i * CHUNK_ROWS))
        return pa.concat_tables(tables) if tables else _columns_table({c: [] for c in FLAT_COLUMNS + ("decision",)}, decisions)

    def evaluate_tables(self, households: Any, members: Any, decisions: bool = False) -> Tables:
        """Evaluates the 户表 + 人表 export: a household table and a member table (pandas,
        polars, pyarrow or lists of row dicts) joined by 户编号. Column names and cell formats
        are those of ``fupin_core::tables`` (English or Chinese headers, 是/否 booleans). A bad
        row is reported, never raised: household rows in ``frame.error_path``, member rows in
        ``member_errors``."""
        columns, member_errors = self._native.evaluate_tables_columns(_table_rows(households), _table_rows(members), decisions)
        return Tables(_ipc_table(columns), member_errors)

    def explain(self, household: Household) -> str:
        """The Chinese explanation of the three decisions, as read out at a 公示."""
        return self._native.explain_json(_to_json(household))

    def reload(self) -> None:
        """Re-reads the rules directory; the old rules stay if the new ones fail (RulesError)."""
        try:
            self._native.reload()
        except RulesError as error:
            raise _with_details(error) from None


def schema() -> Dict[str, Any]:
    """The JSON Schema of one household, derived from the Rust model."""
    return _json.loads(_schema_json())
