#!/bin/bash
# Packet-path cost of xdp: probes on a veth pair between two namespaces this script makes (and
# deletes): packets/s the sender gets through with no program and with each script, and the
# kernel's ns per packet of the program (bpf_stats, read by `tsbpf top -f json` during the flood).
# Traffic stays between the two namespaces.   Usage (root): scripts/dev/packet-bench.sh [COUNT]
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
count=${1:-2000000}
tag=$$
a=tsbpf-pba-$tag b=tsbpf-pbb-$tag ia=pba$tag ib=pbb$tag
flood=$(mktemp -d)/udp-flood
cc -O2 -o "$flood" "$here/scripts/dev/udp-flood.c"
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$(dirname "$flood")"; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add "$ia" netns "$a" type veth peer name "$ib" netns "$b"
ip -n "$a" addr add 10.250.0.1/24 dev "$ia"; ip -n "$b" addr add 10.250.0.2/24 dev "$ib"
ip -n "$a" link set "$ia" up; ip -n "$b" link set "$ib" up; ip -n "$a" link set lo up
ip netns exec "$b" "$flood" 10.250.0.1 9 1000 >/dev/null   # resolve the neighbour first

run() { ip netns exec "$b" "$flood" 10.250.0.1 9 "$count"; }
echo "no program: $(run)"
for script in \
  "xdp:$ia { }" \
  "xdp:$ia /pkt.udp.dport == 9/ { drop }" \
  "xdp:$ia { @[pkt.ip.saddr, pkt.udp.dport] = count(); }" \
  "xdp:$ia { @[pkt.ip.saddr, pkt.udp.dport] = count(); drop }"; do
  ip netns exec "$a" node "$here/bin/tsbpf.js" --no-cache --unsafe -e "$script" >/dev/null 2>"$flood.err" &
  pid=$!
  until grep -q 'Attached' "$flood.err" 2>/dev/null; do sleep 0.2; done
  ip netns exec "$a" node "$here/bin/tsbpf.js" top -f json -i 3 >"$flood.top" &
  top=$!
  sleep 0.5
  line=$(run)
  wait $top
  kill -INT $pid; wait $pid || true
  ns=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const p = s.programs.filter((p) => p.type === "xdp" && p.events > 0).sort((x, y) => y.events - x.events)[0]; console.log(p ? `${p.nsPerEvent.toFixed(1)} ns/packet` : "no runs")' "$flood.top")
  echo "$script: $line; $ns"
done
