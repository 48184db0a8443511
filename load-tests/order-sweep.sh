#!/usr/bin/env bash
# The order flow's latency percentiles against throughput, in one run: start the dev profile from
# the fat JAR on its own ports and a fresh data directory, warm it up, run PlaceOrderSimulation
# (POST /api/v1/orders, open model, connections shared) at each rate of RATES for DURATION seconds
# after a RAMP-second ramp, write order-flow.csv (p50, p90, p95, p99, max, throughput, errors, the
# platform's CPU and GC time per step) and metrics.prom (Courier's meters at the end), draw
# order-flow.png from the CSV, stop the platform. A step whose p99 passes 5 s or whose errors pass
# 50 % ends the sweep (the rates above it would only queue). Loopback only, stops only what it
# started; 3-8 minutes with the defaults, depending on where it saturates.
#   mvn -B -q -DskipTests -pl verticles/app,load-tests -am package && load-tests/order-sweep.sh
# (RAMP is read by gatling() when it runs, so the warm-up can ramp for longer than the steps.)
#   RATES="100 200 400" DURATION=15 WARMUP=20 OUT=load-tests/target/order-sweep load-tests/order-sweep.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${RATES:-"25 50 100 200 400 800 1200 1600 2000"}
DURATION=${DURATION:-15}
RAMP=${RAMP:-2}
WARMUP=${WARMUP:-20}
PAUSE=${PAUSE:-3}
OUT=${OUT:-load-tests/target/order-sweep}
JAR=verticles/app/target/courier.jar
HTTP_PORT=18180
mkdir -p "$OUT"
pid=""
data=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" || true; fi
  if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT # a signal exits through the EXIT trap, so the platform stops too

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average before: $(loadavg)" | tee "$OUT/load.txt"

data=$(mktemp -d)
: > "$OUT/courier.log" # emptied before the start, so a previous run's ready line cannot count
COURIER_KAFKA_EMBEDDED_DATA_DIR="$data/kafka" COURIER_KAFKA_EMBEDDED_PORT=19192 \
  COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT=19193 COURIER_GATEWAY_PORT=$HTTP_PORT \
  COURIER_GATEWAY_GRPC_PORT=0 COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$data/keys" \
  java -jar "$JAR" run --config conf/dev.json > "$OUT/courier.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  grep -q "Courier is ready" "$OUT/courier.log" && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
grep -q "Courier is ready" "$OUT/courier.log" || { echo "not ready" >&2; tail -5 "$OUT/courier.log" >&2; exit 1; }
TOKEN=$(COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$data/keys" java -jar "$JAR" token --config conf/dev.json \
  --roles gateway --sub load-test --scope admin --ttl 1800)

gatling() { # rate seconds log
  mvn -B -q -o -pl load-tests io.gatling:gatling-maven-plugin:test -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation \
    -Dcourier.baseUrl=http://127.0.0.1:$HTTP_PORT -Dcourier.token="$TOKEN" -Dcourier.rate="$1" \
    -Dcourier.seconds="$2" -Dcourier.rampSeconds="$RAMP" -Dcourier.shareConnections=true \
    -Dcourier.p99Ms=1000000 -Dcourier.maxErrorPercent=100 > "$3" 2>&1 || true
}
cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$pid/stat"; }
gc_seconds() { jstat -gcutil "$pid" | awk 'NR == 2 {print $NF}'; }

# Warm-up: a ramp from 1 to 50 orders/s over WARMUP seconds, then 5 s at 50/s, so the JIT has
# compiled the hot paths before the breakers judge slow calls.
RAMP_SAVED=$RAMP; RAMP=$WARMUP
gatling 50 5 "$OUT/warmup.log"
RAMP=$RAMP_SAVED
echo "offered_per_s,requests,ok,ko,throughput_ok_per_s,p50_ms,p90_ms,p95_ms,p99_ms,max_ms,courier_cpu_pct,courier_gc_ms,load_avg_1m" \
  > "$OUT/order-flow.csv"
for rate in $RATES; do
  sleep "$PAUSE"
  cpu0=$(cpu_seconds); gc0=$(gc_seconds); t0=$(date +%s.%N)
  gatling "$rate" "$DURATION" "$OUT/gatling-$rate.log"
  cpu1=$(cpu_seconds); gc1=$(gc_seconds); t1=$(date +%s.%N)
  row=$(python3 - "$OUT/gatling-$rate.log" "$rate" "$cpu0" "$cpu1" "$gc0" "$gc1" "$t0" "$t1" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
# Gatling's console summary: "> request count | total | OK | KO" and so on.
log, rate, cpu0, cpu1, gc0, gc1, t0, t1, load = sys.argv[1:]
text = open(log).read()
if "---- Global Information" not in text:
    sys.exit("no Gatling summary in " + log)
block = text.split("---- Global Information", 1)[1].split("---- Response", 1)[0]
stats = {}
for line in block.splitlines():
    if line.startswith(">"):
        cells = [c.strip() for c in line[1:].split("|")]
        stats[cells[0]] = cells[1:]
def cell(key, column=0):
    value = stats[key][column]
    return "0" if value == "-" else value.replace(",", "")
wall = float(t1) - float(t0)
print(",".join([rate, cell("request count"), cell("request count", 1), cell("request count", 2),
                cell("mean throughput (rps)", 1),
                cell("response time 50th percentile (ms)"), cell("response time 90th percentile (ms)"),
                cell("response time 95th percentile (ms)"), cell("response time 99th percentile (ms)"),
                cell("max response time (ms)"),
                f"{100 * (float(cpu1) - float(cpu0)) / wall:.0f}",
                f"{1000 * (float(gc1) - float(gc0)):.0f}", load]))
PY
)
  echo "$row" | tee -a "$OUT/order-flow.csv"
  p99=$(echo "$row" | cut -d, -f9); ko=$(echo "$row" | cut -d, -f4); requests=$(echo "$row" | cut -d, -f2)
  if [ "$p99" -gt 5000 ] || [ $((ko * 2)) -gt "$requests" ]; then
    echo "saturated at $rate orders/s (p99 $p99 ms, $ko of $requests failed): higher rates skipped"
    break
  fi
done
# Courier's own meters at the end (publish latency, gRPC client calls by status, breakers), to
# read what bounded the steps.
management=$(grep -o 'http://127.0.0.1:[0-9]*/health/ready' "$OUT/courier.log" | head -1 | sed 's#/health/ready##')
curl -s --max-time 10 "$management/metrics" > "$OUT/metrics.prom" || true
rss=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
kill "$pid"; wait "$pid" || true; pid=""
echo "load average after: $(loadavg); Courier RSS at the end: $rss MB" | tee -a "$OUT/load.txt"

mvn -B -q -o -pl load-tests org.codehaus.mojo:exec-maven-plugin:java -Dexec.classpathScope=test -Dexec.mainClass=io.courier.load.LatencyPlot \
  -Dexec.args="$OUT/order-flow.csv $OUT/order-flow.png" -Djava.awt.headless=true
column -s, -t "$OUT/order-flow.csv"
