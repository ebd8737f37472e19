#pragma once
// What the two program targets share: the checked-in hardware configs a program can name, and
// the one flow both run on an input (fuzz_program).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"
#include "isa/hw_config.h"
#include "tests/fuzz/fuzz_support.h"

namespace wb::fuzz {

// configs/*.yaml, loaded once.
inline const std::vector<HwConfig>& shipped_configs() {
  static const std::vector<HwConfig> configs = [] {
    std::vector<HwConfig> loaded;
    for (const char* name : {"v3_96", "v2_28", "v2_56", "gap8", "pulp_open"}) {
      loaded.push_back(load_hw_config(source_dir() / "configs" / (std::string(name) + ".yaml")));
    }
    return loaded;
  }();
  return configs;
}

// The config a program names in its header, else the first of its target: a mutated name
// still gets a config to be checked against.
inline const HwConfig& config_named(const std::string& name, Target target) {
  const HwConfig* fallback = nullptr;
  for (const HwConfig& config : shipped_configs()) {
    if (config.target() != target) continue;
    if (config.name == name) return config;
    if (fallback == nullptr) fallback = &config;
  }
  return *fallback;
}

// The flow of both program targets, as `workbench sim` reads a program: `parse` (protobuf,
// header, format version, payload digest), then the check against the config the header names
// and the simulator's pre-run validator, never the SystemC run itself. A mutated program almost
// never keeps its digest, so the bytes are also parsed as a plain message, sealed with a fresh
// digest and parsed again: the header check and the validator then see every mutation of the
// fields. `Ops` names the target's functions: parse, seal, check_matches, validate.
template <class Message, class Ops>
int fuzz_program(const std::uint8_t* data, std::size_t size, Target target, const char* file_name) {
  try {
    (void)Ops::parse(as_text(data, size), file_name);
  } catch (const UserError& e) {
    ignore(e);
  }
  Message raw;
  if (!raw.ParseFromArray(data, static_cast<int>(size))) return 0;
  Ops::seal(raw);
  Message program;
  try {
    program = Ops::parse(raw.SerializeAsString(), file_name);
  } catch (const UserError& e) {
    ignore(e);
    return 0;  // another target or format version: refused before any check, as for a user
  }
  const HwConfig& config = config_named(program.header().hw_name(), target);
  try {
    Ops::check_matches(program, config, file_name);
  } catch (const UserError& e) {
    // A program for another config, fingerprint included, is still one a user can write:
    // the validator must hold for any program, so it runs regardless.
    ignore(e);
  }
  try {
    Ops::validate(program, config);
  } catch (const UserError& e) {
    ignore(e);
  }
  return 0;
}

}  // namespace wb::fuzz
