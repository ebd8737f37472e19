#!/bin/sh
# Counts what the cores execute in DORY 2021's layer loop and writes sim/pulp/programs/dory_tile_loop_ops.inc.
# Needs: a DORY clone (git dir) holding commit 6d01e9c, Debian's gcc-riscv64-unknown-elf,
# qemu-user and python3-mako. Usage: tests/bench/dory_tile_loop/run.sh DORY_GIT_DIR [OUT.inc]
# Not run by the tests: the table is data derived once, like REFERENCE.md's figures (README.md).
set -eu
dory=$1
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/../../../sim/pulp/programs/dory_tile_loop_ops.inc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/*.py "$here"/*.h "$here"/*.c "$work"/
cd "$work"
git -C "$dory" show 6d01e9c:templates/layer_templates/layer_template.c > layer_template.c
git -C "$dory" show 6d01e9c:templates/dory.c > dory.tmpl
git -C "$dory" show 6d01e9c:templates/dory.h > dory_h.tmpl
git -C "$dory" show 6d01e9c:templates/mchan_test.h > mchan_test.tmpl
py=/usr/bin/python3
$py -c "
from mako.template import Template
for src, dst in [('mchan_test.tmpl', 'mchan_test.h'), ('dory_h.tmpl', 'dory.h')]:
    open(dst, 'w').write(Template(filename=src).render(sdk='pulp_sdk', dma_parallelization='8-cores', chip='GAP8v3'))
"
# mchan_free's store goes beside the status word: qemu's memory keeps what is written, the
# hardware's status register clears itself (the same store, the same instruction count).
sed -i '/static void mchan_free(int id) {/{n;s/\*(volatile int\*) MCHAN_STATUS_REGISTER = 0x1 << id;/*(volatile int*) (MCHAN_STATUS_REGISTER + 8) = 0x1 << id;/}' mchan_test.h
$py render.py pointwise layer_template.c layer_pointwise.c
$py render.py depthwise layer_template.c layer_depthwise.c
$py -c "
from mako.template import Template
open('dory.c', 'w').write(Template(filename='dory.tmpl').render(sdk='pulp_sdk', dma_parallelization='8-cores', chip='GAP8v3'))
"
echo '#include "kernels.h"' > layer_pointwise.h
echo '#include "kernels.h"' > layer_depthwise.h
for kind in pointwise depthwise; do
  for core in 0 1; do
    riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 -O3 -w -fno-tree-loop-distribute-patterns -ffreestanding \
      -nostdlib -static -DCORE=$core -DLAYER=layer_$kind -I. -Wl,--section-start=.periph=0x10201000 \
      -o $kind$core.elf main.c layer_$kind.c dory.c kernel_stub.c -lgcc
  done
done
$py count.py pointwise0.elf pulp_nn_pointwise_HoWo_parallel > pw0.ops
$py count.py pointwise1.elf pulp_nn_pointwise_HoWo_parallel > pw1.ops
$py count.py depthwise0.elf pulp_nn_depthwise_generic > dw0.ops
$py count.py depthwise1.elf pulp_nn_depthwise_generic > dw1.ops
rm -f /tmp/trace.log
for f in pw0 pw1 dw0 dw1; do echo "== $f"; $py split.py $f.ops $f.stretches; done
$py gen_inc.py "$out"
echo "wrote $out"
