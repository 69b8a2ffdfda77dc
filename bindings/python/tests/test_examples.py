"""The examples in bindings/python/examples run as written."""

import pathlib
import runpy

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_quickstart_runs(capsys):
    runpy.run_path(str(EXAMPLES / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "high-risk households" in out
    assert "户编号" in out


def test_docstring_examples_run():
    import doctest

    import fupin

    failures, tried = doctest.testmod(fupin)
    assert tried > 0 and failures == 0
