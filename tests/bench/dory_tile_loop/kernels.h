#pragma once
#include "pmsis.h"
#include "dory.h"
void pulp_nn_pointwise_HoWo_parallel(const uint8_t*, const uint16_t, const uint16_t, const uint16_t, const int8_t*,
  const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t,
  const uint16_t, const uint16_t, const int8_t*, const uint16_t, const uint16_t, const uint16_t, uint8_t*,
  const uint16_t, const uint16_t, int32_t*, int32_t*, uint8_t*, int, int, unsigned int*);
void pulp_nn_depthwise_generic(const uint8_t*, const uint16_t, const uint16_t, const uint16_t, const int8_t*,
  const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t, const uint16_t,
  const uint16_t, const uint16_t, const int8_t*, const uint16_t, const uint16_t, const uint16_t, uint8_t*,
  const uint16_t, const uint16_t, int32_t*, int32_t*, uint8_t*, uint8_t*, int, int, unsigned int*);
void LAYER(void* args);
