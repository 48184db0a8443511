#!/usr/bin/env bash
# The order flow with tracing at 100 %, 10 % and 0 % sampling, and with tracing off, in one run:
# for each setting, start the dev profile from the fat JAR on its own ports and data directory,
# warm it up, run PlaceOrderSimulation at RATE orders/s for SECONDS, stop it. Bounded (about
# 6 minutes with the defaults), loopback only; stops only the processes it started.
#   mvn -B -q -DskipTests package && load-tests/tracing-bench.sh      # RATE=250 SECONDS=20
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-250}
SECONDS_RUN=${SECONDS:-20}
WARMUP=${WARMUP:-15}
JAR=verticles/app/target/courier.jar
OUT=load-tests/target/tracing-bench
mkdir -p "$OUT"
rows=()
pid=""
cleanup() { if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi; }
trap cleanup EXIT

gatling() { # rate seconds
  mvn -B -q -pl load-tests gatling:test -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation \
    -Dcourier.baseUrl=http://127.0.0.1:18080 -Dcourier.rate="$1" -Dcourier.seconds="$2" \
    -Dcourier.p99Ms=100000 > "$OUT/gatling.log" 2>&1 || true
  ls -td load-tests/target/gatling/placeordersimulation-* | head -1
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
  gatling 100 "$WARMUP" > /dev/null
  report=$(gatling "$RATE" "$SECONDS_RUN")
  rss=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$pid/status)
  cpu=$(ps -o cputime= -p "$pid" | tr -d ' ')
  kill "$pid"; wait "$pid" || true; pid=""
  rm -rf "$data"
  rows+=("$(python3 - "$report/js/stats.json" "$setting" "$rss" "$cpu" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
n = s["numberOfRequests"]
label = "off" if sys.argv[2] == "off" else f"{float(sys.argv[2]) * 100:.0f} %"
print(f"| {label} | {n['total']} | {n['ko']} | {s['meanNumberOfRequestsPerSecond']['total']:.0f}/s "
      f"| {s['percentiles1']['total']} ms | {s['percentiles3']['total']} ms | {s['percentiles4']['total']} ms "
      f"| {sys.argv[3]} MB | {sys.argv[4]} |")
PY
)")
done

{
  echo "| sampling | requests | failed | mean throughput | p50 | p95 | p99 | RSS after | CPU time (whole run) |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"
