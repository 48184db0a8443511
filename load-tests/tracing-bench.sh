#!/usr/bin/env bash
# The order flow with tracing at 100 %, 10 % and 0 % sampling, and with tracing off, in one run:
# for each setting, start the dev profile from the fat JAR on its own ports and data directory,
# warm it up, run PlaceOrderSimulation at RATE orders/s for SECONDS, stop it. Bounded (about
# 6 minutes with the defaults), loopback only; stops only the processes it started.
#   mvn -B -q -DskipTests package && load-tests/tracing-bench.sh      # RATE=150 DURATION=20 WARMUP=15
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-150}
SECONDS_RUN=${DURATION:-20}
WARMUP=${WARMUP:-15}
JAR=verticles/app/target/courier.jar
OUT=load-tests/target/tracing-bench
mkdir -p "$OUT"
rows=()
pid=""
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT

# The dev profile's gateway wants a bearer token: one with admin places orders for any user.
TOKEN=$(java -jar "$JAR" token --config conf/dev.json --roles gateway --sub load-test --scope admin --ttl 120)

gatling() { # rate seconds log
  mvn -B -q -pl load-tests gatling:test -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation \
    -Dcourier.baseUrl=http://127.0.0.1:18080 -Dcourier.token="$TOKEN" -Dcourier.rate="$1" -Dcourier.seconds="$2" \
    -Dcourier.p99Ms=100000 > "$3" 2>&1 || true
}

for setting in 1.0 0.1 0.0 off; do
  data=$(mktemp -d)
  env=(COURIER_KAFKA_EMBEDDED_DATA_DIR="$data" COURIER_KAFKA_EMBEDDED_PORT=19092
       COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT=19093 COURIER_GATEWAY_PORT=18080 COURIER_GATEWAY_GRPC_PORT=0)
  if [ "$setting" = off ]; then env+=(COURIER_TRACING_ENABLED=false); else env+=(COURIER_TRACING_SAMPLE_RATIO="$setting"); fi
  env "${env[@]}" java -jar "$JAR" run --config conf/dev.json > "$OUT/courier-$setting.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    grep -q "Courier is ready" "$OUT/courier-$setting.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  grep -q "Courier is ready" "$OUT/courier-$setting.log" || {
    echo "not ready: $setting" >&2; tail -5 "$OUT/courier-$setting.log" >&2; exit 1; }
  gatling 100 "$WARMUP" "$OUT/warmup-$setting.log"
  gatling "$RATE" "$SECONDS_RUN" "$OUT/gatling-$setting.log"
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  cpu=$(ps -o cputime= -p "$pid" | tr -d ' ')
  kill "$pid"; wait "$pid" || true; pid=""
  rm -rf "$data"
  rows+=("$(python3 - "$OUT/gatling-$setting.log" "$setting" "$rss" "$cpu" <<'PY'
import re, sys
# Gatling's console summary: "> request count | total | OK | KO" and so on.
stats = {}
block = open(sys.argv[1]).read().split("---- Global Information", 1)[1].split("---- Response", 1)[0]
for line in block.splitlines():
    if line.startswith(">"):
        cells = [c.strip() for c in line[1:].split("|")]
        stats[cells[0]] = cells[1:]
def total(key):
    return stats[key][0]
label = "off" if sys.argv[2] == "off" else f"{float(sys.argv[2]) * 100:.0f} %"
ko = stats["request count"][2]
print(f"| {label} | {total('request count')} | {0 if ko == '-' else ko} | {total('mean throughput (rps)')}/s "
      f"| {total('response time 50th percentile (ms)')} ms | {total('response time 95th percentile (ms)')} ms "
      f"| {total('response time 99th percentile (ms)')} ms | {sys.argv[3]} MB | {sys.argv[4]} |")
PY
)")
done

{
  echo "| sampling | requests | failed | mean throughput | p50 | p95 | p99 | RSS after | CPU time (whole run) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"
