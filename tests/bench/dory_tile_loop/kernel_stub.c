#include "kernels.h"
// The kernels' bodies are PULP-NN's and the cluster model's kernel programs: here they only return.
void __attribute__((noinline)) pulp_nn_pointwise_HoWo_parallel(const uint8_t* a, const uint16_t b, const uint16_t c,
  const uint16_t d, const int8_t* e, const uint16_t f, const uint16_t g, const uint16_t h, const uint16_t i,
  const uint16_t j, const uint16_t k, const uint16_t l, const uint16_t m, const uint16_t n, const int8_t* o,
  const uint16_t p, const uint16_t q, const uint16_t r, uint8_t* s, const uint16_t t, const uint16_t u, int32_t* v,
  int32_t* w, uint8_t* x, int y, int z, unsigned int* aa) { __asm__ volatile("" ::: "memory"); }
void __attribute__((noinline)) pulp_nn_depthwise_generic(const uint8_t* a, const uint16_t b, const uint16_t c,
  const uint16_t d, const int8_t* e, const uint16_t f, const uint16_t g, const uint16_t h, const uint16_t i,
  const uint16_t j, const uint16_t k, const uint16_t l, const uint16_t m, const uint16_t n, const int8_t* o,
  const uint16_t p, const uint16_t q, const uint16_t r, uint8_t* s, const uint16_t t, const uint16_t u, int32_t* v,
  int32_t* w, uint8_t* x, uint8_t* y2, int y, int z, unsigned int* aa) { __asm__ volatile("" ::: "memory"); }
