#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of this kind (Debian 12, Node 20, root):
#   1. Debian packages (LLVM 14, libbpf, libelf, build tools, test tools)
#   2. npm packages (llvm-bindings builds against llvm-14-dev here, linked to the shared libLLVM-14)
#   3. the native addon (node-gyp)
#   4. the TypeScript build (incremental), then its bundle (dist/bundle/, what bin/tsbpf and bin/tsbpf.js run)
#   5. the man page (from the flag table), and it and the bash/zsh completions installed (as root)
# Each step runs only when something is missing or out of date; when all is done it prints nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

say() { printf 'tsbpf setup: %s\n' "$*" >&2; }

# 1. Debian packages ------------------------------------------------------------------------
PACKAGES=(llvm-14-dev libbpf-dev libelf-dev zlib1g-dev cmake g++ make python3 pkg-config systemtap-sdt-dev tmux
  # --export's end-to-end tests: a real Prometheus server scrapes tsbpf; curl reads /metrics.
  prometheus curl
  # --flamegraph's end-to-end test opens the SVG in headless Chromium; completion and man page.
  chromium bash-completion man-db zsh
  # e2e/cli-compat2 reads the kernel's link type of a uprobe_multi probe with bpftool.
  bpftool
  # e2e/config-show-debug-info checks stack frames' source lines against addr2line and nm.
  binutils)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]} (run as root to install them)"; exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # apt's and debconf's chatter goes to a log, shown only when the install fails.
  apt_log=$(mktemp)
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2; rm -f "$apt_log"; exit 1
  fi
  rm -f "$apt_log"
fi

# 2. npm packages ---------------------------------------------------------------------------
# llvm-bindings' own build links LLVM's static libraries: a 110 MB addon holding a second LLVM
# beside the shared libLLVM-14 that native/'s tsbpf_llvm maps in the same compile worker (about
# 10 ms more to load, 40 MB more memory). cmake-js (its install script) reads its configuration
# with rc("npm"), so `npm_cmake_<VAR>=value` in the environment becomes -D<VAR>=value (without
# patching the package, and unseen by npm, which would warn about a `cmake_*` key in .npmrc).
# libLLVM-14.so ahead of the objects defines every LLVM symbol before the static archives are
# searched, so no archive member is pulled in (--no-as-needed: gcc's default --as-needed would
# drop a library that nothing before it uses, and the archives would be linked again).
export npm_cmake_CMAKE_SHARED_LINKER_FLAGS='-Wl,--push-state,--no-as-needed -lLLVM-14 -Wl,--pop-state'
llvm_bindings=node_modules/llvm-bindings/build/Release/llvm-bindings.node
links_shared_llvm() { [[ "$(readelf -d "$llvm_bindings" 2>/dev/null)" == *'Shared library: [libLLVM-14.so'* ]]; }
# Re-install when node_modules is missing or older than the lock file.
if [ ! -f "$llvm_bindings" ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (llvm-bindings compiles against LLVM 14: about a minute)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
# A tree installed by a bare `npm ci` has the static build: link it again (its objects are kept,
# so reconfiguring and building only re-links, seconds; a full rebuild if that fails).
if ! links_shared_llvm; then
  say "linking llvm-bindings against the shared libLLVM-14"
  ( cd node_modules/llvm-bindings && rm -f build/Release/llvm-bindings.node
    { npx --no cmake-js configure && npx --no cmake-js build; } >/dev/null 2>&1 || npx --no cmake-js rebuild >/dev/null )
  links_shared_llvm || { say "llvm-bindings is still linked statically"; exit 1; }
fi

# 3. native addon ---------------------------------------------------------------------------
native_out=native/build/Release
stale=0
for target in tsbpf_bpf tsbpf_llvm tsbpf_proc; do
  [ -f "$native_out/$target.node" ] || stale=1
done
# The command's launcher (native/src/launcher.c; bin/tsbpf execs it).
[ -x "$native_out/tsbpf" ] || stale=1
# The child that closes released probes from parallel threads (native/src/release.c).
[ -x "$native_out/tsbpf-release" ] || stale=1
if [ "$stale" = 0 ] && [ -n "$(find native/src native/binding.gyp -newer "$native_out/tsbpf_bpf.node" -print -quit)" ]; then
  stale=1
fi
if [ "$stale" = 1 ]; then
  say "building the native addon"
  npm run --silent build:native >/dev/null
fi

# 4. TypeScript ------------------------------------------------------------------------------
if [ ! -f dist/.tsbuildinfo ] || [ -n "$(find grammar src runtime native scripts test tsconfig.json -name '*.ts' -newer dist/.tsbuildinfo -print -quit 2>/dev/null)" ] || [ tsconfig.json -nt dist/.tsbuildinfo ]; then
  npx tsc -p tsconfig.json
fi
# The bundle and the start-up snapshot are rebuilt when tsc wrote anything since (bin/tsbpf.js runs
# dist/ itself meanwhile), or when node is not the one that built the snapshot (bin/tsbpf then
# runs bin/tsbpf.js).
node_id=$(stat -L -c '%i:%Z:%s' "$(command -v node)")
if [ ! -f dist/bundle/stamp.json ] || [ dist/.tsbuildinfo -nt dist/bundle/stamp.json ] || [ "$node_id" != "$(cat dist/bundle/cli.snapshot.node 2>/dev/null)" ]; then
  node dist/scripts/dev/bundle.js
fi

# 5. man page and shell completion ----------------------------------------------------------
# man/tsbpf.8 is generated from runtime/cli-flags.ts, the table --help is printed from.
if [ ! -f man/tsbpf.8 ] || [ dist/runtime/cli-flags.js -nt man/tsbpf.8 ] || [ dist/runtime/man-page.js -nt man/tsbpf.8 ]; then
  node dist/scripts/dev/write-man.js
fi
# Linked, so they follow this checkout: `man tsbpf`, and Tab after tsbpf in bash and zsh; and the
# command itself, as its compiled launcher (no shell: bin/tsbpf would exec it anyway).
if [ "$(id -u)" = 0 ]; then
  link() { mkdir -p "$(dirname "$2")"; [ "$(readlink "$2" 2>/dev/null)" = "$1" ] || ln -sfn "$1" "$2"; }
  if [ -x "$native_out/tsbpf" ]; then link "$PWD/$native_out/tsbpf" /usr/local/bin/tsbpf; fi
  link "$PWD/man/tsbpf.8" /usr/local/share/man/man8/tsbpf.8
  link "$PWD/completion/tsbpf.bash" /usr/share/bash-completion/completions/tsbpf
  link "$PWD/completion/_tsbpf" /usr/local/share/zsh/site-functions/_tsbpf
fi
