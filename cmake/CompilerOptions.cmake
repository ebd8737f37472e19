# Project-wide compiler settings: applied through wb_add_library / wb_add_executable so
# third-party targets are not affected.

add_library(wb_options INTERFACE)
target_compile_options(wb_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                            -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(WB_WERROR)
  target_compile_options(wb_options INTERFACE -Werror)
endif()
if(WB_NATIVE_ARCH)
  target_compile_options(wb_options INTERFACE -march=native)
endif()
if(WB_SANITIZE)
  target_compile_options(wb_options INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=undefined
                                              -fno-omit-frame-pointer)
  target_link_options(wb_options INTERFACE -fsanitize=address,undefined)
endif()

# One library target per folder, named after it (wb_ir, wb_frontend, ...).
function(wb_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE wb_options ${ARG_PRIVATE_DEPS})
endfunction()
