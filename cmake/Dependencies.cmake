# Third-party dependencies, all from Debian 12 packages (scripts/setup.sh installs them).
# A missing package fails here, at configure time, with the package name to install.

find_package(PkgConfig REQUIRED)

macro(wb_require_package name debian_package)
  find_package(${name} ${ARGN})
  if(NOT ${name}_FOUND)
    message(FATAL_ERROR "${name} not found: install the Debian package '${debian_package}' (scripts/setup.sh does this)")
  endif()
endmacro()

wb_require_package(Protobuf libprotobuf-dev)
wb_require_package(ONNX libonnx-dev CONFIG)
wb_require_package(Eigen3 libeigen3-dev CONFIG)
wb_require_package(yaml-cpp libyaml-cpp-dev CONFIG)
wb_require_package(fmt libfmt-dev CONFIG)
wb_require_package(CLI11 libcli11-dev CONFIG)
wb_require_package(nlohmann_json nlohmann-json3-dev CONFIG)
wb_require_package(SQLite3 libsqlite3-dev)
wb_require_package(OpenSSL libssl-dev)  # libcrypto: SHA-256 of models and configs in the run report
wb_require_package(OpenMP libgomp1)
wb_require_package(Threads libc6-dev)
# oneDNN runs the reference executor's float convolutions. Debian's dnnl config also asks for
# OpenCL (its GPU runtime, unused here); looking for it first names the package to install.
wb_require_package(OpenCL ocl-icd-opencl-dev)
wb_require_package(dnnl libdnnl-dev CONFIG)
if(WB_BUILD_TESTS)
  wb_require_package(GTest libgtest-dev CONFIG)
  wb_require_package(PNG libpng-dev)  # the report test reads Chromium's screenshots
endif()

pkg_check_modules(MUPARSER IMPORTED_TARGET muparser)
if(NOT MUPARSER_FOUND)
  message(FATAL_ERROR "muParser not found: install the Debian package 'libmuparser-dev' (scripts/setup.sh does this)")
endif()

pkg_check_modules(SYSTEMC IMPORTED_TARGET systemc)
if(NOT SYSTEMC_FOUND)
  message(FATAL_ERROR "SystemC not found: install the Debian package 'libsystemc-dev' (scripts/setup.sh does this)")
endif()
# Debian builds libsystemc for C++17; headers included from a C++20 build must agree,
# or the link fails on sc_api_version_2_3_4_cxx202002L.
add_library(wb_systemc INTERFACE)
if(WB_SANITIZE)
  # The sanitizer build links the same SystemC version with its stack-switch annotations for
  # AddressSanitizer completed (docs/testing.md); scripts/setup.sh --preset asan builds it from
  # Debian's source package into this folder.
  set(WB_SYSTEMC_SANITIZE_DIR "${WB_HOME_CACHE_DIR}/systemc/${SYSTEMC_VERSION}-asan" CACHE PATH
      "SystemC for WB_SANITIZE builds (scripts/setup.sh --preset asan builds it)")
  if(NOT EXISTS "${WB_SYSTEMC_SANITIZE_DIR}/recipe.txt" OR NOT EXISTS "${WB_SYSTEMC_SANITIZE_DIR}/lib/libsystemc.so")
    message(FATAL_ERROR "SystemC for the sanitizer build not found in ${WB_SYSTEMC_SANITIZE_DIR}: "
                        "run scripts/setup.sh --preset asan (it builds it from Debian's source package)")
  endif()
  target_include_directories(wb_systemc SYSTEM INTERFACE "${WB_SYSTEMC_SANITIZE_DIR}/include")
  target_link_libraries(wb_systemc INTERFACE "${WB_SYSTEMC_SANITIZE_DIR}/lib/libsystemc.so" Threads::Threads)
else()
  target_link_libraries(wb_systemc INTERFACE PkgConfig::SYSTEMC Threads::Threads)
endif()
target_compile_definitions(wb_systemc INTERFACE SC_CPLUSPLUS=201703L)
add_library(wb::systemc ALIAS wb_systemc)
