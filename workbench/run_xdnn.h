#pragma once
// run_xdnn(): `workbench/run.h`'s run_model for xdnn configs.
#include "workbench/run.h"
