#pragma once
// run_pulp(): `workbench/run.h`'s run_model for pulp configs.
#include "workbench/run.h"
