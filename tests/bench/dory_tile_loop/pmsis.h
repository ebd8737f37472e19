// Stand-ins for the pulp-sdk's pmsis calls DORY's layer code makes, for counting its instructions
// under qemu: each is the access the real one makes (a CSR read, an event-unit load, a store to
// the DMA's command queue) against an ordinary array, which qemu's user mode can reach.
#pragma once
#include <stdint.h>
#include <stddef.h>
#define log2(x) __builtin_log2(x)
#define NUM_CORES 8
#define __PLATFORM__ 1
#define ARCHI_PLATFORM_FPGA 2
extern volatile int fake_mchan[4];
extern volatile int fake_eu[4];
extern int fake_core_id;
#define ARCHI_MCHAN_DEMUX_ADDR ((unsigned int)&fake_mchan[0])
#define MCHAN_VERSION 7
#define MCHAN_STATUS_OFFSET 4
#define MCHAN_CMD_CMD_TYPE_BIT 17
#define MCHAN_CMD_CMD_INC_BIT 18
#define MCHAN_CMD_CMD__2D_EXT_BIT 19
#define MCHAN_CMD_CMD_ELE_BIT 20
#define MCHAN_CMD_CMD_ILE_BIT 21
#define MCHAN_CMD_CMD_BLE_BIT 22
#define MCHAN_CMD_CMD__2D_TCDM_BIT 23
static inline int pi_core_id(void) { return fake_core_id; }
// The event unit barrier: one load (p.elw) that the unit holds until every core has arrived; rd = zero marks it in the trace.
static inline void pi_cl_team_barrier(int id) { (void)id; __asm__ volatile("lw zero, 0(%0)" :: "r"(&fake_eu[0]) : "memory"); }
static inline void eu_evt_maskWaitAndClr(int mask) { (void)mask; (void)fake_eu[1]; }
static inline int hal_is_fc(void) { return 0; }
#define PULP_CHIP 1
#define CHIP_GAP 1
typedef struct { int dir, merge, size, id; unsigned int ext, loc; } pi_cl_dma_copy_t;
#define PI_CL_DMA_DIR_EXT2LOC 1
static inline void pi_cl_dma_memcpy(pi_cl_dma_copy_t* c) { fake_mchan[0] = c->size; fake_mchan[0] = c->loc; fake_mchan[0] = c->ext; }
static inline void pi_cl_dma_wait(pi_cl_dma_copy_t* c) { (void)c; (void)fake_eu[1]; }
