"""wb.sweep and wb.Sweep: a spec (file or dict) run, its points and layers as typed tables."""

import os

import pytest

import workbench as wb
from conftest import GAP8, SOURCE, TINY_RESNET, cli


def spec(name):
    return {"name": name, "configs": [GAP8], "models": [TINY_RESNET], "mode": "timing",
            "axes": {"cores": [2, 8], "l1_tile_budget_bytes": ["24KiB", "32KiB"]}}


def test_a_dict_spec_runs_and_its_tables_are_typed(folder):
    db = os.path.join(folder, "s.db")
    s = wb.sweep(spec("dict_spec"), jobs=2, db=db)
    assert s.exit_code == 0 and s.db == db
    points = s.points
    assert len(points) == 4 and set(points["status"]) == {"done"}
    assert points["cores"].dtype.kind == "i" and sorted(set(points["cores"])) == [2, 8]
    assert sorted(set(points["l1_tile_budget_bytes"])) == [24 * 1024, 32 * 1024]  # sizes in bytes
    assert points["cycles"].dtype.kind == "i" and points["energy_uj"].dtype.kind == "f"
    layers = s.layers
    assert len(layers) == 4 * len(wb.run(TINY_RESNET, GAP8, data=False).layers)
    assert (layers.groupby("key")["cycles"].sum().sort_index().values ==
            points.set_index("key")["cycles"].sort_index().values).all()
    # Energy in every table: a layer's energy_pj is the run's for that point.
    one = wb.run(TINY_RESNET, GAP8, set={"cores": 8, "l1_tile_budget_bytes": "32KiB"}, data=False).layers
    point = points[(points["cores"] == 8) & (points["l1_tile_budget_bytes"] == 32 * 1024)]["key"].iloc[0]
    assert layers[layers["key"] == point]["energy_pj"].tolist() == one["energy_pj"].tolist()
    # One naming: the columns the two tables share are the run's, with the run's values.
    shared = [c for c in layers.columns if c in one.columns]
    assert {"cycles", "bound.binding", "bound.cycles", "time.cores", "energy_pj"} <= set(shared), shared
    assert not [c for c in layers.columns if c.startswith("time_") or c in ("bound", "bound_cycles")]
    mine = layers[layers["key"] == point].reset_index(drop=True)
    for column in ("name", "cycles", "bound.binding", "bound.cycles", "time.cores"):
        assert mine[column].tolist() == one[column].tolist(), column
    # Utilization in one unit (a fraction of the peak) in every table.
    assert mine["utilization"].round(9).tolist() == one["utilization"].round(9).tolist()
    whole = wb.run(TINY_RESNET, GAP8, set={"cores": 8, "l1_tile_budget_bytes": "32KiB"}, data=False).totals
    assert abs(points[points["key"] == point]["utilization"].iloc[0] - whole["utilization"]) < 1e-9
    assert 0 < whole["utilization"] <= 1
    # The same figures as the command line's export of the database.
    cli("sweep", "export", db, "--csv", os.path.join(folder, "cli.csv"))
    import pandas as pd
    assert pd.read_csv(os.path.join(folder, "cli.csv"))["cycles"].tolist() == points["cycles"].tolist()
    assert not [f for f in os.listdir(folder) if f.startswith(".workbench-sweep-")]


def test_pareto_front_of_two_columns(folder):
    s = wb.sweep(spec("pareto_spec"), jobs=2, db=os.path.join(folder, "p.db"))
    front = s.pareto("cores", "latency_ms")
    points = s.points
    assert 1 <= len(front) <= len(points)
    assert list(front["cores"]) == sorted(front["cores"])
    # No point beats a frontier point on both.
    for f in front.itertuples():
        assert not ((points["cores"] <= f.cores) & (points["latency_ms"] < f.latency_ms)).any()
    with pytest.raises(wb.WorkbenchError, match="no such column"):
        s.pareto("nope", "latency_ms")


def test_open_and_a_spec_file(folder):
    db = os.path.join(folder, "two.db")
    path = os.path.join(SOURCE, "configs", "sweeps", "pulp_l1_cores.yaml")
    assert os.path.isfile(path)
    with pytest.raises(wb.WorkbenchError, match="no such sweep database"):
        wb.Sweep.open(db)
    wb.sweep(spec("open_spec"), jobs=2, db=db)
    assert len(wb.Sweep.open(db).points) == 4
    # What is not a results database is named so when opened, never in SQLite's words.
    notes = os.path.join(folder, "notes.db")
    with open(notes, "w") as f:
        f.write("my notes on the sweep, long enough to fill a database header\n")
    with pytest.raises(wb.WorkbenchError, match="notes.db: not a SQLite database, so not a sweep's results database"):
        wb.Sweep.open(notes)
    with pytest.raises(wb.WorkbenchError, match="a directory, not a sweep's results database"):
        wb.Sweep.open(folder)


def test_a_bad_spec_raises(folder):
    bad = spec("bad_spec")
    bad["axes"] = {"no_such_key": [1, 2]}
    with pytest.raises(wb.WorkbenchError, match="no_such_key"):
        wb.sweep(bad, db=os.path.join(folder, "b.db"))
    assert not [f for f in os.listdir(folder) if f.startswith(".workbench-sweep-")]
