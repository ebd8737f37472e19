#!/usr/bin/python3
"""Writes ONNX's own backend node test cases for the given op types into a folder, in the
layout of ../shared/onnx-conformance (node/<case>/model.onnx, test_data_set_0/*.pb).

The shared folder holds the cases of the ops the workbench supported when it was made;
op types added since (ConvTranspose, ...) get their cases here, from the same generators
(Debian's python3-onnx, onnx.backend.test.case.node), at build time. ONNX 1.12's generators
still name numpy's removed aliases (np.float, ...), which this script puts back first.

    generate_node_cases.py OUT_DIR OP_TYPE...   (writes OUT_DIR/node/<case>/, then OUT_DIR/stamp)
"""

import os
import shutil
import sys

import numpy as np

for alias, value in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    if alias not in np.__dict__:
        setattr(np, alias, value)

import onnx.backend.test.case.node as node_cases  # noqa: E402  (after the aliases)
from onnx import numpy_helper  # noqa: E402


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out, op_types = argv[1], set(argv[2:])
    node_dir = os.path.join(out, "node")
    shutil.rmtree(node_dir, ignore_errors=True)
    written = 0
    for case in node_cases.collect_testcases(None):
        if case.kind != "node" or {n.op_type for n in case.model.graph.node} - op_types:
            continue
        folder = os.path.join(node_dir, case.name)
        os.makedirs(folder)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        inputs, outputs = case.data_sets[0]
        data = os.path.join(folder, "test_data_set_0")
        os.makedirs(data)
        for prefix, values, infos in (("input", inputs, case.model.graph.input),
                                      ("output", outputs, case.model.graph.output)):
            for j, value in enumerate(values):
                with open(os.path.join(data, f"{prefix}_{j}.pb"), "wb") as f:
                    f.write(numpy_helper.from_array(value, infos[j].name).SerializeToString())
        written += 1
    found = {name.split("_expanded")[0] for name in os.listdir(node_dir)} if written else set()
    if written == 0:
        sys.exit(f"no ONNX node test case uses only {sorted(op_types)}")
    with open(os.path.join(out, "stamp"), "w") as f:
        f.write(f"{written} cases of {' '.join(sorted(op_types))}: {' '.join(sorted(found))}\n")


if __name__ == "__main__":
    main(sys.argv)
