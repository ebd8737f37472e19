# Runs DORY's layer function for one core under qemu and writes, per tile, what the cores execute
# outside the kernel's body and outside the DMA functions' per-transfer loops, as the cluster
# model's core operations: A (an ALU op; a CSR read, a store to the DMA's command queue or a read
# of its status), Lo/So (a load/store of the core's stack at byte offset o below the layer's
# entry; Lo+ when the next instruction reads the result), B (a taken branch or jump), D (a
# division), | (a team barrier), K (the kernel's place).
import re, subprocess, sys, collections
elf, kernel_name = sys.argv[1], sys.argv[2]
dis = subprocess.run(["riscv64-unknown-elf-objdump", "-d", "-M", "no-aliases,numeric", elf], capture_output=True, text=True).stdout
syms = {}
for l in subprocess.run(["riscv64-unknown-elf-nm", "-S", "--size-sort", elf], capture_output=True, text=True).stdout.splitlines():
    p = l.split()
    if len(p) == 4: syms[p[3]] = (int(p[0], 16), int(p[0], 16) + int(p[1], 16))
def owner(pc):
    for name, (a, b) in syms.items():
        if a <= pc < b: return name
    return "?"
insn = {}
for line in dis.splitlines():
    m = re.match(r"\s+([0-9a-f]+):\s+([0-9a-f]+)\s+(\S+)\s*(.*)", line)
    if m: insn[int(m.group(1), 16)] = (len(m.group(2)) // 2, m.group(3), m.group(4).split("#")[0].strip())
# The DMA functions' loops: PCs inside a backward branch's range.
loop_pcs = set()
for pc, (size, op, args) in insn.items():
    f = owner(pc)
    if not f.startswith("dory_dma_memcpy"): continue
    if op.startswith("c.b") or op.startswith("b") or op in ("c.j", "jal"):
        t = re.search(r"([0-9a-f]+)\s*<", args) or re.search(r",\s*([0-9a-f]+)$", args)
        if t and int(t.group(1), 16) < pc: loop_pcs.update(p for p in insn if int(t.group(1), 16) <= p <= pc)
subprocess.run(["timeout", "120", "qemu-riscv32", "-singlestep", "-d", "nochain,exec", "-D", "/tmp/trace.log", elf], check=True)
pcs = [int(m.group(1), 16) for m in re.finditer(r"\[[0-9a-f]+/([0-9a-f]+)/", open("/tmp/trace.log").read())]
def regs(args): return re.findall(r"\bx(\d+)\b", args)
kernel_lo, kernel_hi = syms[kernel_name]
ops, sp, in_kernel_depth = [], 0, False
for i, pc in enumerate(pcs):
    size, op, args = insn[pc]
    nxt = pcs[i + 1] if i + 1 < len(pcs) else None
    if kernel_lo <= pc < kernel_hi:
        if pc == kernel_lo: ops.append("K")
        continue
    if owner(pc) in ("_start",): continue
    if op in ("addi", "c.addi", "c.addi16sp") and args.startswith("x2,") and args.count("x2") >= 1:
        imm = int(args.split(",")[-1]); sp += imm
    if pc in loop_pcs: continue
    m = re.match(r"x(\d+),(-?\d+)\(x(\d+)\)", args.replace(" ", ""))
    if op in ("lw", "lh", "lhu", "lb", "lbu", "c.lw", "c.lwsp"):
        rd = args.split(",")[0].strip("x ")
        if rd == "0": ops.append("|"); continue
        base = m.group(3) if m else "2"
        if base == "2":
            off = sp + int(m.group(2))
            feeds = nxt is not None and rd in regs(insn[nxt][2].split(",", 1)[-1] if insn[nxt][1] not in ("sw", "c.sw", "c.swsp", "sh", "sb") else insn[nxt][2])
            ops.append(f"L{off}{'+' if feeds else ''}")
        else:
            ops.append("A")  # a CSR-like or peripheral read (core id, DMA status)
        continue
    if op in ("sw", "sh", "sb", "c.sw", "c.swsp"):
        base = m.group(3) if m else "2"
        ops.append(f"S{sp + int(m.group(2))}" if base == "2" else "A")
        continue
    if op in ("div", "divu", "rem", "remu"): ops.append("D"); continue
    taken = nxt is not None and nxt != pc + size
    ops.append("B" if taken else "A")
print(" ".join(ops))
