#!/usr/bin/env bash
# Installs what is missing (Debian packages), then configures and builds the workbench.
#   scripts/setup.sh [--preset release|debug|asan|fuzz] [--no-build] [--target T]
# Idempotent and quick when everything is already there. --target builds T alone, not everything.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config git ccache lld
  libsystemc-dev libprotobuf-dev protobuf-compiler libonnx-dev libeigen3-dev libyaml-cpp-dev
  libfmt-dev libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libssl-dev libmuparser-dev
  libdnnl-dev ocl-icd-opencl-dev
  slurm-wlm munge chromium libpng-dev
  python3-numpy python3-torch python3-torchvision python3-onnx python3-matplotlib
  # Debian's torch and numpy call the BLAS the alternatives system names, the reference one
  # unless an optimised one is installed: OpenBLAS exports the battery about 20 times faster
  # (BENCHMARKS.md, "Exporting the battery").
  libopenblas0-pthread
  pybind11-dev python3-dev python3-pandas python3-pytest jupyter-nbconvert python3-ipykernel
)
# The fuzz preset (scripts/fuzz.sh) builds with clang and links libFuzzer.
[ "$preset" = fuzz ] && packages+=(clang-14 libclang-rt-14-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The asan preset links a SystemC of its own (docs/testing.md). Debian's libsystemc tells
# AddressSanitizer about its QuickThreads stack switches, but gives it no bounds when it
# switches back to the main stack (and nothing when a thread ends): ASan then ignores the
# unpoisoning an exception needs there and reports false stack-buffer-overflows later. The
# same version, from Debian's source package with the patch below, gets those right. Built
# once into the cache (about a minute of CPU), reused while the recipe line is unchanged.
systemc_for_asan() {
  local version upstream prefix recipe work codename source_dir
  version=$(dpkg-query -W -f='${source:Version}' libsystemc-dev)  # Debian's, e.g. 2.3.4-2
  upstream=$(pkg-config --modversion systemc)                      # what CMake keys on, e.g. 2.3.4
  prefix="${WB_CACHE_DIR:-$HOME/.cache/workbench}/systemc/$upstream-asan"
  recipe="systemc $version from Debian's source package, main-stack fiber annotations patch 1, C++17, Release"
  if [ -f "$prefix/recipe.txt" ] && [ "$(cat "$prefix/recipe.txt")" = "$recipe" ]; then
    return 0
  fi
  echo "setup: building SystemC $version for the asan preset into $prefix"
  work=$(mktemp -d)
  # shellcheck disable=SC2064  # $work is meant to be expanded now
  trap "rm -rf '$work'" EXIT
  # A private apt configuration: deb-src lines for the Debian suites this machine already
  # uses, its own package lists; the system's configuration is left alone, root not needed.
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?}")
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/src"
  apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Created-By: Packages' |
    awk -v c="$codename" '$2 == c || $2 == c "-updates" || $2 == c "-security" {print "deb-src", $1, $2, $3}' |
    sort -u > "$work/sources.list"
  local apt=(apt-get -qq -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts="$work/parts"
             -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o APT::Sandbox::User=root)
  if ! { "${apt[@]}" update && (cd "$work/src" && "${apt[@]}" source "systemc=$version"); } > "$work/log" 2>&1; then
    cat "$work/log" >&2
    echo "setup: could not fetch Debian's source package systemc=$version (from: $(tr '\n' ';' < "$work/sources.list"))" >&2
    exit 1
  fi
  source_dir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'systemc-*' | head -n 1)
  patch -d "$source_dir" -p1 --quiet <<'PATCH'
--- a/src/sysc/kernel/sc_cor_qt.cpp
+++ b/src/sysc/kernel/sc_cor_qt.cpp
@@ -66,14 +66,30 @@
     size_t* size) __attribute__((weakref("__sanitizer_finish_switch_fiber")));
 
+// The main coroutine runs on the thread's own stack, which SystemC did not
+// allocate (m_stack is 0): its bounds are taken from the sanitizer whenever it
+// is left, and given back when it is resumed.
+static void* main_stack = NULL;
+static size_t main_stack_size = 0;
+
 static void __sanitizer_start_switch_cor_qt( sc_cor_qt* next ) {
     if (&__sanitizer_start_switch_fiber != NULL) {
-        __sanitizer_start_switch_fiber( NULL, next->m_stack,
-                                        next->m_stack_size );
+        if ( next == &main_cor ) {
+            __sanitizer_start_switch_fiber( NULL, main_stack, main_stack_size );
+        } else {
+            __sanitizer_start_switch_fiber( NULL, next->m_stack,
+                                            next->m_stack_size );
+        }
     }
 }
 
-static void __sanitizer_finish_switch_cor_qt() {
+static void __sanitizer_finish_switch_cor_qt( sc_cor_qt* old ) {
     if (&__sanitizer_finish_switch_fiber != NULL) {
-        __sanitizer_finish_switch_fiber( NULL, NULL, NULL );
+        void* old_stack = NULL;
+        size_t old_stack_size = 0;
+        __sanitizer_finish_switch_fiber( NULL, &old_stack, &old_stack_size );
+        if ( old == &main_cor ) {
+            main_stack = old_stack;
+            main_stack_size = old_stack_size;
+        }
     }
 }
@@ -289,5 +305,5 @@
 {
     reinterpret_cast<sc_cor_qt*>( old_cor )->m_sp = sp;
-    __sanitizer_finish_switch_cor_qt();
+    __sanitizer_finish_switch_cor_qt( reinterpret_cast<sc_cor_qt*>( old_cor ) );
     return 0;
 }
@@ -308,6 +324,7 @@
 extern "C"
 void*
-sc_cor_qt_aborthelp( qt_t*, void*, void* )
+sc_cor_qt_aborthelp( qt_t*, void* old_cor, void* )
 {
+    __sanitizer_finish_switch_cor_qt( reinterpret_cast<sc_cor_qt*>( old_cor ) );
     return 0;
 }
@@ -319,4 +336,5 @@
     sc_cor_qt* old_cor = curr_cor;
     curr_cor = new_cor;
+    __sanitizer_start_switch_cor_qt( new_cor );
     QUICKTHREADS_ABORT( sc_cor_qt_aborthelp, old_cor, 0, new_cor->m_sp );
 }
PATCH
  if ! { cmake -S "$source_dir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_STANDARD=17 \
           -DCMAKE_INSTALL_PREFIX="$prefix.partial" -DCMAKE_INSTALL_LIBDIR=lib &&
         cmake --build "$work/build" && rm -rf "$prefix.partial" && cmake --install "$work/build"; } > "$work/log" 2>&1; then
    cat "$work/log" >&2
    echo "setup: building SystemC for the asan preset failed" >&2
    exit 1
  fi
  echo "$recipe" > "$prefix.partial/recipe.txt"
  rm -rf "$prefix"
  mv "$prefix.partial" "$prefix"
  rm -rf "$work"
  trap - EXIT
}
if [ "$preset" = asan ]; then
  systemc_for_asan
fi

if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
if [ "$build" -eq 1 ]; then
  cmake --build --preset "$preset" "${targets[@]}"
fi
