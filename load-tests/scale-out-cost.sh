#!/usr/bin/env bash
# CPU per order of the whole cluster with one owner and with three (issue 18), in one run:
#
#   mvn -B -q -DskipTests package && load-tests/scale-out-cost.sh [one|three|both]
#
# For each mode: a Kafka broker of its own (`courier broker`, fresh data directory), then one or
# three members of conf/cluster.json started one after the other, each running every role of the
# reference flow (so one or three order-service and inventory-service owners share the state
# topics' partitions), every port picked free, everything on 127.0.0.1. Once every partition is
# served: WARMUP seconds of PlaceOrderSimulation at RATE orders/s against the first member's
# gateway (JIT), then two windows of MEASURE seconds, at RATE and at RATE2 (2 x RATE), each
# between snapshots of every thread's CPU time (members and broker, from /proc). For each window,
# CPU per order = CPU used / orders the owners recorded (courier_order_placed_total, summed over
# the members), by process and thread group (load-tests/proc-cpu.py); and the marginal CPU per
# order, (CPU at RATE2 - CPU at RATE) / (orders at RATE2 - orders at RATE), which leaves out what
# the processes spend whatever the load (polling, timers, heartbeats), and each owner's share.
#
# Refuses to start when the 1-minute load average is 1 or more (FORCE=1 overrides: figures taken
# so are not to be quoted). Prints the load average before and after. Bounded: each start waits at
# most 180 s, each Gatling run its duration + 180 s; stops only what it started (SIGTERM, then
# SIGKILL after 30 s). Output: load-tests/target/scale-out-cost/<time>/ (table.md, cost-*.json,
# logs). Environment: RATE (50), RATE2 (2 x RATE), WARMUP (300), MEASURE (90), PARTITIONS (6).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-both}
RATE=${RATE:-50}
RATE2=${RATE2:-$((RATE * 2))}
WARMUP=${WARMUP:-300}
MEASURE=${MEASURE:-90}
PARTITIONS=${PARTITIONS:-6}
JAR=verticles/app/target/courier.jar
case "$MODE" in
  one) modes=(1) ;;
  three) modes=(3) ;;
  both) modes=(1 3) ;;
  *) echo "usage: load-tests/scale-out-cost.sh [one|three|both]" >&2; exit 2 ;;
esac
for value in "$RATE" "$RATE2" "$WARMUP" "$MEASURE" "$PARTITIONS"; do
  [[ "$value" =~ ^[1-9][0-9]{0,4}$ ]] || { echo "RATE, RATE2, WARMUP, MEASURE and PARTITIONS are positive integers" >&2; exit 2; }
done
[ -f "$JAR" ] || { echo "no $JAR: run mvn -B -q -DskipTests package first" >&2; exit 2; }
[ -d load-tests/target/test-classes/io/courier/load ] ||
  { echo "load-tests not compiled: run mvn -B -q -DskipTests package first" >&2; exit 2; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
one_minute=$(cut -d' ' -f1 /proc/loadavg)
if [ "${FORCE:-0}" != 1 ] && awk -v l="$one_minute" 'BEGIN { exit !(l >= 1) }'; then
  echo "load average $(loadavg): the machine is not quiet; stop what runs (or FORCE=1, figures not to be quoted)" >&2
  exit 3
fi

OUT=load-tests/target/scale-out-cost/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
work=$(mktemp -d)
pids=()
stop_all() {
  local pid
  for pid in ${pids[@]+"${pids[@]}"}; do kill "$pid" 2>/dev/null || true; done
  for pid in ${pids[@]+"${pids[@]}"}; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
cleanup() { stop_all; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

await_line() { # file line pid seconds
  for _ in $(seq 1 "$4"); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || break
    sleep 1
  done
  echo "not ready: $1" >&2
  tail -20 "$1" >&2
  exit 1
}

metric_sum() { # name filter urls...
  local name=$1 filter=$2 total=0 url value
  shift 2
  for url in "$@"; do
    value=$(curl -s --max-time 5 "$url" | awk -v n="$name" -v f="$filter" \
      'index($0, n) == 1 && (f == "" || index($0, f) > 0) { s += $NF } END { printf "%.0f", s + 0 }')
    total=$((total + value))
  done
  echo "$total"
}

gatling() { # url token rate seconds log
  timeout $(($4 + 180)) mvn -B -q -o -pl load-tests io.gatling:gatling-maven-plugin:test \
    -Dgatling.simulationClass=io.courier.load.PlaceOrderSimulation -Dcourier.baseUrl="$1" \
    -Dcourier.token="$2" -Dcourier.rate="$3" -Dcourier.seconds="$4" -Dcourier.rampSeconds=5 \
    -Dcourier.shareConnections=true -Dcourier.p99Ms=1000000 -Dcourier.maxErrorPercent=100 \
    > "$5" 2>&1 || true
}

echo "load average before: $(loadavg)" | tee "$OUT/load.txt"
rows=()
for members in "${modes[@]}"; do
  run="cost$members-$$"
  dir="$work/$run"
  mkdir -p "$dir/keys"
  kafka_port=$(free_port)
  java -jar "$JAR" broker --port "$kafka_port" --data-dir "$dir/kafka" > "$OUT/broker-$members.log" 2>&1 &
  broker=$!
  pids+=("$broker")
  await_line "$OUT/broker-$members.log" "Kafka broker ready on" "$broker" 120
  hz=()
  for i in $(seq 1 "$members"); do hz+=("$(free_port)"); done
  member_list=$(printf '127.0.0.1:%s,' "${hz[@]}")
  gateways=()
  metrics=()
  named=("broker=$broker")
  for i in $(seq 1 "$members"); do
    gateway_port=$(free_port)
    management_port=$(free_port)
    log="$OUT/member-$members-$i.log"
    env COURIER_CLUSTER_NAME="$run" COURIER_CLUSTER_MEMBERS="${member_list%,}" \
      COURIER_CLUSTER_PORT="${hz[$((i - 1))]}" COURIER_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$kafka_port" \
      COURIER_KAFKA_TOPICS_PARTITIONS="$PARTITIONS" COURIER_GATEWAY_PORT="$gateway_port" \
      COURIER_MANAGEMENT_PORT="$management_port" COURIER_ADMIN_PORT="$(free_port)" \
      COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$dir/keys" \
      java -jar "$JAR" run --config conf/cluster.json > "$log" 2>&1 &
    pids+=("$!")
    named+=("m$i=$!")
    await_line "$log" "Courier is ready" "$!" 180
    gateways+=("http://127.0.0.1:$gateway_port")
    metrics+=("http://127.0.0.1:$management_port/metrics")
  done
  for _ in $(seq 1 120); do
    orders=$(metric_sum courier_ownership_partitions 'group="order-service.owners"' "${metrics[@]}")
    stock=$(metric_sum courier_ownership_partitions 'group="inventory-service.owners"' "${metrics[@]}")
    [ "$orders" = "$PARTITIONS" ] && [ "$stock" = "$PARTITIONS" ] && break
    sleep 1
  done
  [ "$orders" = "$PARTITIONS" ] && [ "$stock" = "$PARTITIONS" ] ||
    { echo "partitions not all served: orders $orders, stock $stock of $PARTITIONS" >&2; exit 1; }
  token=$(COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$dir/keys" java -jar "$JAR" token --config conf/cluster.json \
    --roles gateway --sub load-test --scope admin --ttl 3600)

  echo "$members member(s): warming up for $WARMUP s at $RATE orders/s"
  gatling "${gateways[0]}" "$token" "$RATE" "$WARMUP" "$OUT/warmup-$members.log"
  sleep 5
  placed() { # the orders each member recorded so far, space-separated
    local url out=()
    for url in "${metrics[@]}"; do out+=("$(metric_sum courier_order_placed_total '' "$url")"); done
    echo "${out[*]}"
  }
  at0=$(placed)
  python3 load-tests/proc-cpu.py snap "$OUT/s0-$members.json" "${named[@]}"
  echo "$members member(s): measuring for $MEASURE s at $RATE orders/s"
  gatling "${gateways[0]}" "$token" "$RATE" "$MEASURE" "$OUT/gatling-$members-$RATE.log"
  sleep 5 # let the last orders' events settle inside the window
  at1=$(placed)
  python3 load-tests/proc-cpu.py snap "$OUT/s1-$members.json" "${named[@]}"
  echo "$members member(s): measuring for $MEASURE s at $RATE2 orders/s"
  gatling "${gateways[0]}" "$token" "$RATE2" "$MEASURE" "$OUT/gatling-$members-$RATE2.log"
  sleep 5
  at2=$(placed)
  python3 load-tests/proc-cpu.py snap "$OUT/s2-$members.json" "${named[@]}"
  window() { # before after -> orders in the window (sum), and per member
    python3 -c 'import sys; a=[int(x) for x in sys.argv[1].split()]; b=[int(x) for x in sys.argv[2].split()]; d=[y-x for x,y in zip(a,b)]; print(sum(d), " ".join(map(str,d)))' "$1" "$2"
  }
  read -r orders_a shares_a <<<"$(window "$at0" "$at1")"
  read -r orders_b shares_b <<<"$(window "$at1" "$at2")"
  [ "$orders_a" -gt 0 ] && [ "$orders_b" -gt "$orders_a" ] ||
    { echo "no orders, or no more at $RATE2 than at $RATE: $orders_a, $orders_b" >&2; exit 1; }
  python3 load-tests/proc-cpu.py diff "$OUT/s0-$members.json" "$OUT/s1-$members.json" "$orders_a" \
    > "$OUT/cost-$members-$RATE.json"
  python3 load-tests/proc-cpu.py diff "$OUT/s1-$members.json" "$OUT/s2-$members.json" "$orders_b" \
    > "$OUT/cost-$members-$RATE2.json"
  rows+=("$(python3 - "$OUT/cost-$members-$RATE.json" "$OUT/cost-$members-$RATE2.json" "$members" \
    "$MEASURE" "$shares_a $shares_b" "$RATE" "$RATE2" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
members, seconds, rate, rate2 = int(sys.argv[3]), int(sys.argv[4]), sys.argv[6], sys.argv[7]
shares = [int(s) for s in sys.argv[5].split()]
per_member = [shares[i] + shares[i + members] for i in range(members)]
order = ["event loops", "workers", "kafka clients", "hazelcast", "jit", "gc", "other"]

def cpu_ms(cost, name=None, group=None):
    """Milliseconds of CPU in the window: per-order figure times orders."""
    total = 0.0
    for process, p in cost["processes"].items():
        if name == "broker" and process != "broker":
            continue
        if name == "members" and process == "broker":
            continue
        value = p["groups"].get(group, 0.0) if group else p["ms_per_op"]
        total += value * cost["operations"]
    return total

def marginal(name=None, group=None):
    return (cpu_ms(b, name, group) - cpu_ms(a, name, group)) / (b["operations"] - a["operations"])

def per_order(cost, name=None, group=None):
    return cpu_ms(cost, name, group) / cost["operations"]

groups = ", ".join(f"{g} {marginal('members', g):.2f}" for g in order)
total = sum(per_member)
share = " / ".join(f"{s * 100 / total:.0f} %" for s in per_member)
print(f"| {members} | {a['operations'] / seconds:.1f} / {b['operations'] / seconds:.1f} "
      f"| {per_order(a):.2f} / {per_order(b):.2f} "
      f"| {marginal():.2f} | {marginal('members'):.2f} | {marginal('broker'):.2f} "
      f"| {marginal('members') - marginal('members', 'jit'):.2f} | {groups} | {share} |")
PY
)")
  stop_all
done
echo "load average after: $(loadavg)" | tee -a "$OUT/load.txt"

{
  echo "RATE=$RATE RATE2=$RATE2 WARMUP=$WARMUP MEASURE=$MEASURE PARTITIONS=$PARTITIONS; $(paste -sd';' "$OUT/load.txt")"
  echo
  echo "| members (owners) | orders/s at RATE / RATE2 | CPU ms per order, all, at RATE / RATE2 | marginal CPU ms per order, all | members | broker | members without JIT | members by thread group, marginal ms | orders recorded per owner |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$OUT/table.md"
echo "output: $OUT"
