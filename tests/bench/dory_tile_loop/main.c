// A bare start for qemu-riscv32: points the layer function of DORY 6d01e9c at buffers and runs it
// on the core numbered CORE, then exits (tests/bench/dory_tile_loop/README.md).
#include "kernels.h"
volatile int fake_mchan[4];
volatile int fake_eu[4];
int fake_core_id;
static unsigned char l1[65536], l2[1 << 18];
static unsigned int args[13];
void _start(void) {
  __asm__ volatile(".option push\n.option norelax\nla gp, __global_pointer$\n.option pop");
  fake_core_id = CORE;
  for (int i = 0; i < 13; ++i) args[i] = 0;
  args[3] = (unsigned)l2; args[5] = (unsigned)(l2 + 65536); args[6] = (unsigned)(l2 + 196608); args[7] = (unsigned)l1;
  LAYER(args);
  register int a0 __asm__("a0") = 0; register int a7 __asm__("a7") = 93;
  __asm__ volatile("ecall" :: "r"(a0), "r"(a7));
  for (;;) {}
}
// The cluster peripherals' page (mchan at 0x10204400, DORY's PE queue at 0x10201800), as memory.
__attribute__((section(".periph"), used)) volatile unsigned char cluster_peripherals[0x4000];
