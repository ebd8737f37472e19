"""wb.HwConfig: a config with overrides, and its key table."""

import pytest

import workbench as wb
from conftest import GAP8, V3_96, cli, cli_error


def test_load_and_set_resolve_as_hw_show_does():
    cfg = wb.HwConfig.load(GAP8)
    assert cfg.target == "pulp" and cfg["cores"] == 8
    four = cfg.set(cores=4, l1_bytes="128KiB")
    assert four["cores"] == 4 and four["l1_bytes"] == 128 * 1024
    assert cfg["cores"] == 8  # set returns a new config
    assert four.overrides == ["cores=4", "l1_bytes=128KiB"]
    _, shown, _ = cli("hw", "show", GAP8, "--set", "cores=4", "--set", "l1_bytes=128KiB")
    for row in four.keys.itertuples():
        assert row.key in shown


def test_key_table_has_units_ranges_and_sources():
    keys = wb.HwConfig.load(V3_96).keys.set_index("key")
    assert {"value", "text", "unit", "range", "meaning", "provenance", "source", "default"} <= set(keys.columns)
    assert keys.loc["clock_mhz", "unit"] == "MHz"
    assert keys.loc["am_bytes", "range"] != ""
    energy = [k for k in keys.index if k.startswith("energy.")]
    assert len(energy) == 7 and all(keys.loc[k, "provenance"] in ("published", "chosen") for k in energy)
    pulp = wb.HwConfig.load(GAP8).keys.set_index("key")
    assert len([k for k in pulp.index if k.startswith("energy.")]) == 8


def test_derived_figures():
    assert wb.HwConfig.load(V3_96).derived["peak_mac_per_cycle_int8"] > 0


def test_bad_keys_raise_with_the_command_lines_message():
    with pytest.raises(wb.WorkbenchError) as raised:
        wb.HwConfig.load(GAP8).set({"array.rows": 4})
    # The command line's message, naming the package's argument (set) where it names --set.
    assert str(raised.value) == cli_error("hw", "show", GAP8, "--set", "array.rows=4").replace("--set ", "set ")
    with pytest.raises(KeyError, match="no such key"):
        wb.HwConfig.load(GAP8)["nope"]


def test_a_binary_file_as_a_config_raises_with_the_message(tmp_path):
    binary = tmp_path / "model.onnx"
    binary.write_bytes(b"\x08\x07\x12\x07pytorch\xe4\x9c\xff\x00rest")
    with pytest.raises(wb.WorkbenchError) as raised:
        wb.HwConfig.load(str(binary))
    message = str(raised.value)
    assert "not a text file" in message and "\\x" in message
    assert message == cli_error("hw", "show", str(binary))
