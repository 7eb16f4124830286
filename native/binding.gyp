{
  # Two add-ons so that the main process never maps libLLVM:
  #   tsbpf_bpf.node  - bpf(2), perf_event_open(2), libbpf ring buffer, mount(2), and the compile
  #                     cache's HMAC-SHA256 (node's own OpenSSL, src/hmac.cc)
  #   tsbpf_llvm.node - LLVM C API: IR text -> optimised BPF ELF object
  #   tsbpf_proc.node - prctl(2) for the compile worker, loaded first thing there (no libraries)
  # and one executable:
  #   tsbpf           - the command (native/src/launcher.c): bin/tsbpf's start-up snapshot checks
  #                     without a shell, then exec node (bin/tsbpf execs it when it is built)
  #   tsbpf-release   - closes the probes' descriptors tsbpf hands it from parallel threads
  #                     (native/src/release.c; runtime/session/detach.ts spawns it when built)
  "target_defaults": {
    # node-addon-api with C++ exceptions (what its node_addon_api_except target sets, inlined
    # so that gyp writes no makefiles outside build/).
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=gnu++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
  },
  "targets": [
    {
      "target_name": "tsbpf_bpf",
      "sources": [
        "src/addon_bpf.cc",
        "src/errors.cc",
        "src/args.cc",
        "src/map.cc",
        "src/prog.cc",
        "src/perf.cc",
        "src/link.cc",
        "src/info.cc",
        "src/sys.cc",
        "src/ringbuf.cc",
        "src/tc.cc",
        "src/hmac.cc"
      ],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    },
    {
      "target_name": "tsbpf_llvm",
      "sources": ["src/addon_llvm.cc", "src/args.cc", "src/llvm_emit.cc"],
      "include_dirs": ["<!(llvm-config-14 --includedir)"],
      "libraries": ["-L<!(llvm-config-14 --libdir)", "-lLLVM-14"]
    },
    {
      "target_name": "tsbpf_proc",
      "sources": ["src/addon_proc.cc"]
    },
    {
      "target_name": "tsbpf",
      "type": "executable",
      "sources": ["src/launcher.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "tsbpf-release",
      "type": "executable",
      "sources": ["src/release.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
