"""wb.run, wb.compile, wb.simulate, wb.verify: the commands' results as Python data."""

import json
import os

import numpy as np
import pytest

import workbench as wb
from conftest import GAP8, TINY_RESNET, V3_96, cli_error, cli_report


def without_wall_clock(report):
    """A report's deterministic part (host timings and the paths' spelling aside)."""
    report = json.loads(json.dumps(report))
    report.pop("wall")
    for given in report["run"]["inputs"]:
        given.pop("data")  # the file an array went through, or the command line's own
    return report


@pytest.mark.parametrize("hw", [GAP8, V3_96], ids=["gap8", "v3_96"])
def test_run_is_bit_exact_and_equals_the_command_line(hw, folder):
    r = wb.run(TINY_RESNET, hw)
    assert r.verdict == "bit-exact"
    assert without_wall_clock(r.report) == without_wall_clock(cli_report(folder, "run", TINY_RESNET, "--hw", hw))


def test_layers_hold_every_statistic_of_the_report():
    r = wb.run(TINY_RESNET, GAP8)
    layers = r.layers
    assert list(layers["name"]) == [layer["name"] for layer in r.report["layers"]]
    assert layers["cycles"].sum() == r.totals["cycles"]
    for column in ["unit", "time.cores", "time.dma_wait", "bound.binding", "energy_pj", "energy.l1",
                   "predicted_cycles", "pulp.kernel", "pulp.core_instructions"]:
        assert column in layers.columns, column
    # Time causes add up to each layer's cycles.
    causes = layers[[c for c in layers.columns if c.startswith("time.")]].sum(axis=1)
    assert (causes == layers["cycles"]).all()
    assert set(r.units["name"]) >= {"core0", "core7"}


def test_outputs_are_the_simulated_integers_in_the_models_layout():
    r = wb.run(TINY_RESNET, V3_96)
    expected = np.load(TINY_RESNET.replace(".onnx", ".output.npy"))
    assert len(r.outputs) == 1 and r.outputs[0].shape == expected.shape
    assert r.outputs[0].dtype == np.int32
    # The dequantized output follows the float model's (seeded input: the same one as the CLI's).
    assert r.float_outputs[0].shape == expected.shape
    assert np.abs(r.float_outputs[0]).max() > 0


def test_given_inputs_are_used(folder):
    x = np.random.default_rng(3).standard_normal((1, 3, 32, 32)).astype(np.float32)
    r = wb.run(TINY_RESNET, GAP8, inputs=x)
    path = os.path.join(folder, "x.npy")
    np.save(path, x)
    cli = cli_report(folder, "run", TINY_RESNET, "--hw", GAP8, "--input", path)
    assert r.verdict == "bit-exact"
    assert without_wall_clock(r.report) == without_wall_clock(cli)
    assert not np.array_equal(r.outputs[0], wb.run(TINY_RESNET, GAP8).outputs[0])


def test_a_dynamic_export_takes_its_shape_from_shapes_or_its_input(folder):
    """tiny_resnet exported with dynamic batch, height and width: never run at a guessed size."""
    dynamic = TINY_RESNET.replace("tiny_resnet", "tiny_resnet_dynamic")
    with pytest.raises(wb.WorkbenchError, match="dimension 2 .'height'. is symbolic"):
        wb.run(dynamic, V3_96, data=False)
    static = wb.run(TINY_RESNET, V3_96, data=False)
    timing = wb.run(dynamic, V3_96, data=False, shapes={"input": (1, 3, 32, 32)})
    assert timing.totals["macs"] == static.totals["macs"]
    assert timing.report["run"]["inputs"][0]["shape"] == [1, 3, 32, 32]
    x = np.load(dynamic.replace(".onnx", ".input.npy"))
    by_name = wb.run(dynamic, GAP8, inputs={"input": x}, calib_count=2)
    assert by_name.verdict == "bit-exact"
    assert by_name.totals["macs"] == static.totals["macs"]


def test_set_and_compile_opt_reach_the_config_and_the_compiler():
    four = wb.run(TINY_RESNET, GAP8, set={"cores": 4}, compile_opt={"tiler": "dory"}, data=False)
    eight = wb.run(TINY_RESNET, GAP8, compile_opt=["tiler=dory"], data=False)
    assert four.hw["resolved"]["resolved"]["cores"] == 4
    assert four.report["run"]["compile_options"] == eight.report["run"]["compile_options"]
    assert "tiler=dory" in four.report["run"]["compile_options"]
    assert four.totals["cycles"] > eight.totals["cycles"]


def test_no_data_gives_the_same_cycles_and_energy():
    full = wb.run(TINY_RESNET, GAP8)
    timing = wb.run(TINY_RESNET, GAP8, data=False)
    assert timing.verdict == "not-verified" and timing.outputs == []
    assert timing.totals["cycles"] == full.totals["cycles"]
    assert timing.totals["energy_pj"] == full.totals["energy_pj"]


def test_compile_then_verify_and_simulate(folder):
    out = os.path.join(folder, "tiny")
    assert wb.compile(TINY_RESNET, GAP8, out, set={"cores": 4}) == out
    assert os.path.isfile(os.path.join(out, "program.pulp"))
    verified = wb.verify(out, GAP8, set={"cores": 4})
    simulated = wb.simulate(os.path.join(out, "program.pulp"), GAP8, set={"cores": 4})
    assert verified.verdict == "bit-exact"
    assert simulated.verdict == "not-verified"
    assert simulated.totals["cycles"] == verified.totals["cycles"]
    assert np.array_equal(simulated.outputs[0], verified.outputs[0])
    assert simulated.float_outputs == [None]


def test_a_hw_config_object_is_taken_where_a_path_is():
    cfg = wb.HwConfig.load(GAP8).set(cores=2)
    r = wb.run(TINY_RESNET, cfg, data=False)
    assert r.hw["resolved"]["resolved"]["cores"] == 2


def test_synthetic_calibration_warns():
    with pytest.warns(wb.WorkbenchWarning, match="calibrating on 16 seeded synthetic"):
        wb.run(TINY_RESNET, GAP8, cache=False)


def test_report_round_trips_to_json_and_plots(folder):
    r = wb.run(TINY_RESNET, GAP8, data=False)
    path = os.path.join(folder, "r.json")
    r.to_json(path)
    with open(path, encoding="utf-8") as f:
        assert json.load(f) == r.report
    r.plot(folder)
    assert os.path.isfile(os.path.join(folder, "energy.svg"))
    assert "cycles" in repr(r)


@pytest.mark.parametrize("call, args", [
    (lambda: wb.run("no_such_model.onnx", GAP8), ["run", "no_such_model.onnx", "--hw", GAP8]),
    (lambda: wb.run(TINY_RESNET, "no_such.yaml"), ["run", TINY_RESNET, "--hw", "no_such.yaml"]),
    (lambda: wb.run(TINY_RESNET, GAP8, set={"no_such_key": 1}), ["run", TINY_RESNET, "--hw", GAP8, "--set",
                                                                  "no_such_key=1"]),
    (lambda: wb.run(TINY_RESNET, GAP8, set={"cores": 0}), ["run", TINY_RESNET, "--hw", GAP8, "--set", "cores=0"]),
    (lambda: wb.run(TINY_RESNET, GAP8, compile_opt={"tiler": "best"}),
     ["run", TINY_RESNET, "--hw", GAP8, "--compile-opt", "tiler=best"]),
    (lambda: wb.verify("no_such_folder", GAP8), ["verify", "no_such_folder", "--hw", GAP8]),
    (lambda: wb.simulate(TINY_RESNET, GAP8), ["sim", TINY_RESNET, "--hw", GAP8]),
], ids=["model", "config", "key", "range", "compile_opt", "verify", "sim"])
def test_bad_input_raises_with_the_command_lines_message(call, args):
    with pytest.raises(wb.WorkbenchError) as raised:
        call()
    assert isinstance(raised.value, ValueError)
    # The command line's message, naming the package's arguments where it names an option.
    expected = cli_error(*args).replace("--set ", "set ").replace("--compile-opt ", "compile_opt ")
    assert str(raised.value) == expected
    assert "--set" not in str(raised.value) and "--compile-opt" not in str(raised.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed: give a non-negative integer, not -1"),
    ({"seed": 1.5}, "seed: give a non-negative integer, not 1.5"),
    ({"threads": -1}, "threads: give 0 (automatic) or a thread count, not -1"),
    ({"calib_count": 0}, "calib_count 0: need at least one input"),
    ({"set": {"cores": "x"}}, "(set cores=x): cores: expected an integer, got 'x'"),
], ids=["seed", "seed_float", "threads", "calib_count", "set_value"])
def test_a_bad_argument_is_a_workbench_error_naming_the_argument(kwargs, message):
    with pytest.raises(wb.WorkbenchError) as raised:
        wb.run(TINY_RESNET, GAP8, data=False, **kwargs)
    assert message in str(raised.value)
    assert "--" not in str(raised.value)


def test_warnings_point_at_the_callers_line(folder):
    for call in (lambda: wb.run(TINY_RESNET, GAP8, cache=False, calib_count=2),
                 lambda: wb.compile(TINY_RESNET, GAP8, os.path.join(folder, "c"), cache=False, calib_count=2)):
        with pytest.warns(wb.WorkbenchWarning) as caught:
            call()
        assert {w.filename for w in caught} == {__file__}, [w.filename for w in caught]


@pytest.mark.parametrize("function", [wb.run, wb.compile, wb.simulate, wb.verify, wb.sweep, wb.compare,
                                      wb.history], ids=lambda f: f.__name__)
def test_help_names_every_keyword(function):
    import inspect
    missing = [name for name in inspect.signature(function).parameters if name not in (function.__doc__ or "")]
    assert not missing, f"{function.__name__}'s help does not name {missing}"


def test_bad_inputs_argument():
    with pytest.raises(wb.WorkbenchError, match=r"graph input 'input' is \[1,3,32,32\] in the model"):
        wb.run(TINY_RESNET, GAP8, inputs=np.zeros((1, 3, 8, 8), np.float32))
    with pytest.raises(wb.WorkbenchError, match="no graph input 'inputs' .did you mean 'input'"):
        wb.run(TINY_RESNET, GAP8, inputs={"inputs": np.zeros((1, 3, 32, 32), np.float32)})
    with pytest.raises(wb.WorkbenchError, match="data=False runs no arithmetic"):
        wb.run(TINY_RESNET, GAP8, inputs=np.zeros((1, 3, 32, 32), np.float32), data=False)
    with pytest.raises(TypeError, match="key=value"):
        wb.run(TINY_RESNET, GAP8, set=["cores"])


def test_an_input_of_tokens_is_given_as_tokens(folder):
    """A BERT-like encoder's float embeddings [1, 16, 32]: the targets store them as the image
    [1, 32, 1, 16], but users give (and `simulate` takes) the model's own [1, 16, 32]."""
    bert = TINY_RESNET.replace("tiny_resnet", "tiny_bert")
    x = np.load(bert.replace(".onnx", ".input.npy"))
    assert x.shape == (1, 16, 32)
    r = wb.run(bert, GAP8, inputs=x, calib_count=2)
    assert r.verdict == "bit-exact"
    assert r.outputs[0].shape == (1, 10)
    out = os.path.join(folder, "bert")
    wb.compile(bert, GAP8, out, calib_count=2)
    simulated = wb.simulate(os.path.join(out, "program.pulp"), GAP8, inputs=x)
    assert wb.verify(out, GAP8, inputs=x).verdict == "bit-exact"
    assert simulated.outputs[0].shape == (1, 10)
    with pytest.raises(wb.WorkbenchError, match=r"has shape \[1,16,32\] .3 dimensions., not \[1,32,1,16\]"):
        wb.run(bert, GAP8, inputs=np.zeros((1, 32, 1, 16), np.float32), calib_count=2)


def detection_heads_model(path):
    """A detector's heads as torch exports them: two levels' 1x1 convs of 2 anchors x 3 values
    read as [1, H W A, 3] (Reshape -> Transpose(0, 3, 4, 1, 2) -> Reshape) and concatenated."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    inits, nodes = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))

    init("stem.w", rng.uniform(-1, 1, (8, 3, 3, 3)).astype(np.float32))
    nodes.append(helper.make_node("Conv", ["x", "stem.w"], ["level0"], pads=[1, 1, 1, 1]))
    init("down.w", rng.uniform(-1, 1, (8, 8, 3, 3)).astype(np.float32))
    nodes.append(helper.make_node("Conv", ["level0", "down.w"], ["level1"], pads=[1, 1, 1, 1], strides=[2, 2]))
    tokens = []
    for level, side in ((0, 8), (1, 4)):
        init(f"head{level}.w", rng.uniform(-1, 1, (6, 8, 1, 1)).astype(np.float32))
        init(f"split{level}", np.array([1, 2, 3, side, side], np.int64))
        init(f"rows{level}", np.array([1, side * side * 2, 3], np.int64))
        nodes += [helper.make_node("Conv", [f"level{level}", f"head{level}.w"], [f"conv{level}"]),
                  helper.make_node("Reshape", [f"conv{level}", f"split{level}"], [f"split_out{level}"]),
                  helper.make_node("Transpose", [f"split_out{level}"], [f"nhwc{level}"], perm=[0, 3, 4, 1, 2]),
                  helper.make_node("Reshape", [f"nhwc{level}", f"rows{level}"], [f"tokens{level}"])]
        tokens.append(f"tokens{level}")
    nodes.append(helper.make_node("Concat", tokens, ["boxes"], axis=1))
    graph = helper.make_graph(nodes, "heads", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                              [helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 160, 3])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


@pytest.mark.parametrize("hw", [GAP8, V3_96], ids=["gap8", "v3_96"])
def test_an_output_of_tokens_is_given_as_tokens(hw, folder):
    """A detector's boxes [1, 160, 3]: the targets store them as the image [1, 3, 1, 160]; a run
    gives users the model's own layout, `simulate` (no model) the program's."""
    model = os.path.join(folder, "heads.onnx")
    detection_heads_model(model)
    x = np.random.default_rng(5).standard_normal((1, 3, 8, 8)).astype(np.float32)
    r = wb.run(model, hw, inputs=x, calib_count=2)
    assert r.verdict == "bit-exact"
    assert r.outputs[0].shape == (1, 160, 3)
    out = os.path.join(folder, "compiled")
    wb.compile(model, hw, out, calib_count=2)
    program = [f for f in os.listdir(out) if f.startswith("program.") and f.split(".")[1] in ("pulp", "xdnn")][0]
    image = wb.simulate(os.path.join(out, program), hw, inputs=x).outputs[0]
    assert image.shape == (1, 3, 1, 160)
    np.testing.assert_array_equal(r.outputs[0], image.reshape(3, 160).T.reshape(1, 160, 3))
