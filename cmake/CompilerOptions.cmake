# Project-wide compiler settings: applied through wb_add_library / wb_add_executable so
# third-party targets are not affected.

# The compiler cache (ccache; scripts/setup.sh installs it) kept in the home cache: a fresh
# clone, CI's above all, recompiles only what changed since the last build on the machine.
# CCACHE_BASEDIR turns the paths under the source tree into relative ones and NOHASHDIR leaves the
# working folder out of the hash, so that clones in other folders share the entries; the debug
# information then names the sources relative to the tree. Set WB_CCACHE=OFF to compile without it.
option(WB_CCACHE "Compile through ccache when it is installed, its cache in the home cache" ON)
if(WB_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  find_program(WB_CCACHE_PROGRAM ccache)
  if(WB_CCACHE_PROGRAM)
    set(CMAKE_CXX_COMPILER_LAUNCHER /usr/bin/env "CCACHE_DIR=${WB_HOME_CACHE_DIR}/ccache"
        "CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}" CCACHE_NOHASHDIR=true CCACHE_MAXSIZE=5G "${WB_CCACHE_PROGRAM}")
    add_compile_options("-fdebug-prefix-map=${PROJECT_SOURCE_DIR}/=")
  endif()
endif()

# lld links a sanitized test binary in 1.5 s where GNU ld takes 3.9 s (docs/testing.md); CI links
# some ninety of them.
include(CheckLinkerFlag)
check_linker_flag(CXX -fuse-ld=lld WB_HAVE_LLD)

add_library(wb_options INTERFACE)
if(WB_HAVE_LLD)
  target_link_options(wb_options INTERFACE -fuse-ld=lld)
endif()
target_compile_options(wb_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                            -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(WB_WERROR)
  target_compile_options(wb_options INTERFACE -Werror)
endif()
if(WB_NATIVE_ARCH)
  # AVX2 + FMA (x86-64-v3), not -march=native: GCC 12.2's SLP vectoriser miscompiles
  # plain code with AVX-512 enabled (a braced vector<int64_t>{1,1,0,0} came out as
  # {1,1,1,1} in a test), so AVX-512 stays off until the compiler is fixed.
  file(READ /proc/cpuinfo WB_CPUINFO LIMIT 8192)
  if(WB_CPUINFO MATCHES "avx2" AND WB_CPUINFO MATCHES "fma" AND WB_CPUINFO MATCHES "bmi2")
    target_compile_options(wb_options INTERFACE -march=x86-64-v3)
  else()
    message(STATUS "CPU without AVX2/FMA: building for baseline x86-64")
  endif()
endif()
if(CMAKE_POSITION_INDEPENDENT_CODE)
  # Position-independent code for the Python module (WB_PYTHON); our functions are never
  # interposed, so calls between them stay direct and inlinable as in the executables.
  target_compile_options(wb_options INTERFACE -fno-semantic-interposition)
endif()
if(WB_SANITIZE)
  # Test code (targets with WB_TEST_CODE set: tests/CMakeLists.txt) compiles with ASan alone. ASan
  # with UBSan took a test binary's unity file 98 s against 57 s with ASan alone, and the test
  # binaries are half of the sanitized build; the code under test, every library, keeps both
  # (docs/testing.md says what this gives up).
  target_compile_options(wb_options INTERFACE -fsanitize=address -fno-omit-frame-pointer
    $<$<NOT:$<BOOL:$<TARGET_PROPERTY:WB_TEST_CODE>>>:-fsanitize=undefined -fno-sanitize-recover=undefined>)
  target_link_options(wb_options INTERFACE -fsanitize=address,undefined)
  # Executables without position independence: a sanitized test binary (130-200 MB) spent 0.3 s
  # of each start applying its dynamic relocations (two thirds of its 18,000 page faults), and
  # ctest starts one per test; without them it starts in 0.13 s (docs/testing.md).
  target_compile_options(wb_options INTERFACE -fno-pie)
  target_link_options(wb_options INTERFACE -no-pie)
  # Test code compiles without optimisation: 40 % less compile time for a test binary's unity
  # file (36.6 s against 22.1 s for test_pulp_compiler's) and 13 % more run time for its tests;
  # the code under test keeps -O1.
  target_compile_options(wb_options INTERFACE $<$<BOOL:$<TARGET_PROPERTY:WB_TEST_CODE>>:-O0>)
  # GCC 12's flow analysis reports false "maybe-uninitialized" in libstdc++ headers
  # (std::function, std::regex) once the sanitizers instrument the code.
  target_compile_options(wb_options INTERFACE -Wno-maybe-uninitialized)
endif()

# One library target per folder, named after it (wb_ir, wb_frontend, ...).
# UNITY: its sources compile as one translation unit. For the libraries of many short files
# that each instantiate the same heavy headers (CLI11, nlohmann::json, protobuf messages): one
# file of the command line cost 6-9 s to compile however little it held. Their file-local
# names must then be distinct (the build fails otherwise). Not for the compilers' and
# simulators' arithmetic, where a file-local helper silently overloading another file's is
# not worth the build time.
function(wb_add_library name)
  cmake_parse_arguments(ARG "UNITY" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  if(ARG_UNITY)
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  endif()
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE wb_options ${ARG_PRIVATE_DEPS})
endfunction()
