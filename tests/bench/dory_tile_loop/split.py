# The ops of one tile in the steady state: `before` (the loop's top, its next-tile copies, the
# pointers, the barrier, the kernel's arguments) and `after` (the barrier after the kernel, the
# DMA wait, the write-back's programming, the loop's end barrier); and `entry`, the layer's code up
# to its first kernel call.
import sys, collections
ops = open(sys.argv[1]).read().split()
ks = [i for i, o in enumerate(ops) if o == "K"]
entry = ops[:ks[0]]
mid = len(ks) // 2
tile = ops[ks[mid] + 1:ks[mid + 1]]
bars = [i for i, o in enumerate(tile) if o == "|"]
after, before = tile[:bars[1] + 1], tile[bars[1] + 1:]
def summary(name, seq):
    c = collections.Counter(o[0] if o not in ("|",) else "|" for o in seq)
    feeds = sum(1 for o in seq if o.endswith("+"))
    print(f"{name}: {len(seq)} ops: A {c['A']} L {c['L']} (feeding {feeds}) S {c['S']} B {c['B']} D {c['D']} barriers {c['|']}")
summary("entry", entry); summary("before", before); summary("after", after)
# tile-to-tile variation
lens = collections.Counter(ks[i + 1] - ks[i] for i in range(len(ks) - 1))
print("tile lengths:", sorted(lens.items()))
if len(sys.argv) > 2:
    open(sys.argv[2], "w").write("entry " + " ".join(entry) + "\nbefore " + " ".join(before) + "\nafter " + " ".join(after) + "\n")
