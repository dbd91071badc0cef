#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into build/fuzz, seeds a
# corpus per protocol from ../shared/vectors at run time, and runs every
# target for a bounded time. Fails on any crash, leak, UB, timeout or broken
# contract. docs/fuzzing.md explains how to reproduce a failure.
# Usage: scripts/fuzz.sh [seconds-per-target]        (default 20)
# Env:   FLEETD_FUZZ_BUILD_DIR (build/fuzz), FLEETD_VECTORS_DIR (../shared/vectors),
#        FLEETD_FUZZ_RSS_MB (2048), FLEETD_FUZZ_ONLY (space-separated target names)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
dir="${FLEETD_FUZZ_BUILD_DIR:-build/fuzz}"
vectors="${FLEETD_VECTORS_DIR:-../shared/vectors}"
rss_mb="${FLEETD_FUZZ_RSS_MB:-2048}"

for tool in clang++ python3 cmake ninja; do
  command -v "$tool" >/dev/null || { echo "fuzz: $tool not found (scripts/install-deps.sh installs it)"; exit 1; }
done

# Symbolized stack traces (package llvm-14) when llvm-symbolizer is not on PATH.
if ! command -v llvm-symbolizer >/dev/null && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

# -O1 with assertions on (no NDEBUG): broken invariants must crash here.
if [ ! -f "$dir/build.ninja" ]; then
  CXX=clang++ cmake -S . -B "$dir" -G Ninja -DFLEETD_FUZZ=ON -DFLEETD_BENCHMARKS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" || exit 1
fi
cmake --build "$dir" -j "$(nproc)" --target protocol_fuzz can_fuzz json_fuzz mqtt_fuzz mqtt_packet_fuzz envelope_fuzz live_feed_fuzz ||
  { echo "fuzz: build failed (is test/fuzz wired into CMakeLists.txt under FLEETD_FUZZ? see docs/fuzzing.md)"; exit 1; }
bin="$dir/test/fuzz"

protocols=$(FLEETD_FUZZ_PROTOCOL=list "$bin/protocol_fuzz") || { echo "fuzz: cannot list protocols"; exit 1; }

# Seeds, made fresh from the shared vectors (never copied into the repo).
# Protocol seeds carry the harness's two header bytes (flags, chunking seed).
python3 - "$vectors" "$dir/corpus" "docs/schema.md" $protocols <<'PY' || exit 1
import hashlib, json, os, re, sys
vectors, out, schema_doc, protocols = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def save(name, data):
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

def packet(text, encoding):
    return bytes.fromhex(text) if encoding == "hex" else text.encode("utf-8")

def load(name):
    path = os.path.join(vectors, name + ".json")
    return json.load(open(path)) if os.path.exists(path) else {}

for proto in protocols:
    doc = load(proto)
    packets = [packet(c["packet"], c.get("encoding", "hex")) for c in doc.get("cases", [])]
    packets += [packet(f["input"], f.get("encoding", "hex")) for f in doc.get("frames", [])]
    for p in packets:
        save(proto, b"\x00\x00" + p)  # strict, one read
        save(proto, b"\x03\x2a" + p)  # lenient, identified, small reads
    if packets:
        save(proto, b"\x01\x07" + b"".join(packets[:20]))  # a whole session in one stream
    save(proto, b"\x00\x00")  # libFuzzer wants a non-empty corpus folder
    print(f"fuzz: corpus {proto}: {len(packets)} packets from {vectors}")

# CAN: every decoded PGN, the OBD helper cases (PID + data, and DTC pairs).
for i in range(8):
    save("can", bytes([0, i]) + bytes(range(1, 9)))
save("can", bytes([1, 0x00, 0x04, 0xF0, 0x0C]) + bytes(8))
for c in load("obd").get("cases", []):
    data = bytes.fromhex(c["packet"])
    save("can", (bytes([2]) if "mode" in c else bytes([4])) + data)
    save("can", bytes([3, 0x41]) + data)

# JSON: the schema document's example messages.
text = open(schema_doc).read()
for block in re.findall(r"```json\n(.*?)```", text, re.S):
    save("json", block.encode())
save("json", b'{"device_uid":"1","kind":"alarm","alarm":"sos","satellites":3,"attributes":{"mcc":1,"mnc":2,"lac":3,"cell_id":4}}')

# MQTT device payloads (issue 4's v1 form), with raw CAN frames.
save("mqtt", b'{"v":1,"ts":"2026-05-21T10:30:00Z","lat":23.8103,"lng":90.4125,"speed":45.2,"heading":180,"ignition":true,"odometer":123456.7,"battery_v":12.4}')
save("mqtt", b'{"v":1,"can":[{"id":"0CF00400","data":"FFFFFFE02EFFFFFF"},{"obd":"410C1AF8"}],"x":"y"}')

# Every numeric field at a huge value: the readers' range checks and casts.
fields = re.findall(r"^\| `([a-z0-9_]+)` \| (?:number|integer) \|", text, re.M)
for n in fields:
    save("json", f'{{"device_uid":"1","{n}":1e300}}'.encode())

# JSON dictionary: every field and attribute name the schema document lists,
# and numbers at the edges, so the fuzzer reaches each field's checks.
names = sorted(set(re.findall(r"^\| `([a-z0-9_]+)`", text, re.M)))
tokens = [f'"\\"{n}\\":"' for n in names]
tokens += [f'"{t}"' for t in ("1e10", "-1e308", "1e999", "9223372036854775808", "-0", "0.5", "null", "true", "Z", "+14:00")]
os.makedirs(os.path.join(out, "..", "dict"), exist_ok=True)
with open(os.path.join(out, "..", "dict", "json.dict"), "w") as f:
    f.write("\n".join(tokens) + "\n")
PY

run() {  # name binary corpus [env assignment]
  local name="$1" binary="$2" corpus="$3"
  shift 3
  local log="$dir/logs/$name.log"
  mkdir -p "$dir/logs" "$dir/artifacts"
  rm -f "$dir/artifacts/$name-"*
  local extra=()
  [ -f "$dir/dict/$name.dict" ] && extra+=(-dict="$dir/dict/$name.dict")
  env "$@" ASAN_OPTIONS="detect_leaks=1" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    "$binary" -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=10 -max_len=8192 \
    -artifact_prefix="$dir/artifacts/$name-" -print_final_stats=1 "${extra[@]}" "$corpus" >"$log" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then
    echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    passed=$((passed + 1))
  else
    echo "fuzz: $name FAILED (exit $rc), log $log"
    grep -E "ERROR|SUMMARY|contract violated|runtime error|terminate" "$log" | head -5 | sed 's/^/  /'
    for a in "$dir/artifacts/$name-"*; do
      [ -f "$a" ] && echo "  input $a: $(od -An -tx1 -v "$a" | tr -d ' \n' | head -c 2000)"
    done
    failed=$((failed + 1))
  fi
}

passed=0
failed=0
only="${FLEETD_FUZZ_ONLY:-}"
wanted() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
for p in $protocols; do
  wanted "$p" && run "$p" "$bin/protocol_fuzz" "$dir/corpus/$p" FLEETD_FUZZ_PROTOCOL="$p"
done
wanted can && run can "$bin/can_fuzz" "$dir/corpus/can"
wanted json && run json "$bin/json_fuzz" "$dir/corpus/json"
wanted mqtt && run mqtt "$bin/mqtt_fuzz" "$dir/corpus/mqtt"
mkdir -p "$dir/corpus/mqtt_packet"
wanted mqtt_packet && run mqtt_packet "$bin/mqtt_packet_fuzz" "$dir/corpus/mqtt_packet"
# Seeds: a minimal envelope, one with every field bit, and a list of the two;
# for the live feed the same as v2 payloads, and a v1 (JSON) payload.
mkdir -p "$dir/corpus/envelope" "$dir/corpus/live_feed"
python3 - "$dir/corpus/envelope" "$dir/corpus/live_feed" <<'PY'
import os, struct, sys
def s(b): return struct.pack(">H", len(b)) + b
def env(bits, fields=b"", attrs=b"\0\0"):
    return (b"\x01" + struct.pack(">qqq", 1780000000123, 1, 2) + s(b"359710040000001") + s(b"gt06") +
            b"\x00" + struct.pack(">I", bits) + fields + attrs)
minimal = env(0)
full = env(1, struct.pack(">q", 1780000000000), b"\x00\x02" + s(b"io1") + b"\x01" + struct.pack(">q", 7) +
           s(b"text") + b"\x03" + struct.pack(">I", 2) + b"hi")
lst = b"\x02" + struct.pack(">H", 2) + b"".join(struct.pack(">I", len(e)) + e for e in (minimal, full))
for name, data in (("minimal", minimal), ("full", full), ("list", lst)):
    open(os.path.join(sys.argv[1], name), "wb").write(data)
    open(os.path.join(sys.argv[2], name), "wb").write(b"fleetd-live v2 origin\n" + data)
open(os.path.join(sys.argv[2], "v1"), "wb").write(
    b'fleetd-live v1 origin\n[[1,2,{"device_uid":"359710040000001","protocol":"gt06","kind":"position",'
    b'"ts":"2026-05-21T10:30:00Z","received_at":"2026-05-21T10:30:01.204Z","lat":23.8103,"lng":90.4125,'
    b'"attributes":{"serial":42}}]]')
PY
wanted envelope && run envelope "$bin/envelope_fuzz" "$dir/corpus/envelope"
wanted live_feed && run live_feed "$bin/live_feed_fuzz" "$dir/corpus/live_feed"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
