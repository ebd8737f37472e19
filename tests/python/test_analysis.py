"""wb.compare and wb.history: runs joined per layer, and recorded figures over commits."""

import os

import pytest

import workbench as wb
from conftest import GAP8, TINY_RESNET, V3_96, cli


def test_compare_joins_runs_as_the_command_line_does(folder):
    a = wb.run(TINY_RESNET, GAP8, data=False)
    b = wb.run(TINY_RESNET, GAP8, set={"cores": 4}, data=False)
    table = wb.compare(a, b)
    a.to_json(os.path.join(folder, "a.json"))
    b.to_json(os.path.join(folder, "b.json"))
    cli("compare", os.path.join(folder, "a.json"), os.path.join(folder, "b.json"), "--csv",
        os.path.join(folder, "c.csv"))
    import pandas as pd
    expected = pd.read_csv(os.path.join(folder, "c.csv"), keep_default_na=False, na_values=[""])
    assert list(table.columns) == list(expected.columns)
    assert len(table) == len(expected)
    assert table["A_cycles"].sum() == a.totals["cycles"]
    assert table["B_cycles"].sum() == b.totals["cycles"]


def test_compare_adds_the_statistics_asked_for(folder):
    a = wb.run(TINY_RESNET, GAP8, data=False)
    b = wb.run(TINY_RESNET, GAP8, set={"l1_tile_budget_bytes": 16384}, data=False)
    table = wb.compare(a, b, stats=["l1_bytes_in"])
    for side, run in (("A", a), ("B", b)):
        assert table[f"{side}_l1_bytes_in"].sum() == run.totals["pulp"]["l1_dma_bytes_in"]
        assert table[f"{side}_energy_delay"].notna().all()
    assert list(wb.compare(a, b, stats="tiles").columns).count("A_tiles") == 1
    with pytest.raises(wb.WorkbenchError, match="--stat latency_ms"):
        wb.compare(a, b, stats=["latency_ms"])


def test_compare_across_targets_takes_report_files(folder):
    a = wb.run(TINY_RESNET, V3_96, data=False)
    b = wb.run(TINY_RESNET, GAP8, data=False)
    path = os.path.join(folder, "b.json")
    b.to_json(path)
    table = wb.compare([a, path])
    assert table["A_macs"].sum() == a.totals["macs"] and table["B_macs"].sum() == b.totals["macs"]
    with pytest.raises(wb.WorkbenchError, match="at least two"):
        wb.compare(a)
    with pytest.raises(wb.WorkbenchError, match="no such file"):
        wb.compare(a, os.path.join(folder, "missing.json"))


def test_history_holds_what_regress_recorded(folder):
    r = wb.run(TINY_RESNET, GAP8, data=False)
    report = os.path.join(folder, "r.json")
    r.to_json(report)
    db = os.path.join(folder, "history.db")
    cli("regress", "record", "--db", db, report)
    h = wb.history(db, metric="cycles")
    totals = h[h["layer"] == ""]
    assert len(totals) == 1 and totals["value"].iloc[0] == r.totals["cycles"]
    assert set(h[h["layer"] != ""]["layer"]) == set(r.layers["name"])
    with pytest.raises(wb.WorkbenchError):
        wb.history(os.path.join(folder, "not_a.db"))
