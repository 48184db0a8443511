#!/usr/bin/env bash
# Runs a Gatling simulation (or all of them) against Courier with one command:
#
#   load-tests/run.sh SIMULATION|all [RATE] [SECONDS] [-- -Dcourier.<property>=<value> ...]
#
# Without --url it starts the dev profile from the fat JAR (every port picked free, a fresh data
# and key directory, everything on 127.0.0.1), waits until its management server says ready, mints
# an admin token with the key directory that process trusts, warms it up (WARMUP_SECONDS of orders,
# no SLOs), runs the simulation(s) one after the other against it, prints each HTML report's path and a summary, and stops the process (SIGTERM,
# then SIGKILL after 30 s). With --url it targets a platform already running on this machine.
# Bounded: the start waits at most READY_TIMEOUT seconds, each simulation at most RAMP + SECONDS +
# 240 s (Gatling's own maxDuration stops it long before), then it is killed. Stops only what it
# started. Run `load-tests/run.sh --help` for the options and exit codes.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly EXIT_OK=0 EXIT_SLO=1 EXIT_USAGE=2 EXIT_PLATFORM=3 EXIT_GATLING=4
readonly JAR=verticles/app/target/courier.jar
readonly SIM_DIR=load-tests/src/test/java/io/courier/load
readonly CLASSES=load-tests/target/test-classes/io/courier/load
readonly PACKAGE=io.courier.load

simulations() { # every simulation of the module, by class name
  local file
  for file in "$SIM_DIR"/*Simulation.java; do basename "$file" .java; done
}

usage() {
  cat <<EOF
usage: load-tests/run.sh [--url URL] [--grpc-url URL] [--token TOKEN] SIMULATION|all [RATE] [SECONDS] [-- -Dcourier.KEY=VALUE ...]

Runs a Gatling simulation of load-tests/ (or all of them, one after the other) and exits
non-zero when one of its SLO assertions fails.

  SIMULATION   one of: $(simulations | paste -sd' ' -), or all
  RATE         arrivals per second after the ramp, a positive integer (default 20)
  SECONDS      seconds at RATE after the ramp, a positive integer up to 3600 (default 20)
  -- ...       further Gatling properties, e.g. -- -Dcourier.injection=spike -Dcourier.p99Ms=800
               (load-tests/README.md lists them)

Without --url a dev-profile platform is started from $JAR on free ports with a fresh data
directory, and stopped at the end.
  --url URL       target a platform already running here instead: its gateway's REST URL
                  (loopback only, e.g. http://127.0.0.1:8080)
  --grpc-url URL  with --url: its gateway's gRPC URL (default: the --url host, port 9090)
  --token TOKEN   with --url: a bearer token with scope admin (default: one minted with
                  'courier token' and the dev key in \$COURIER_GATEWAY_AUTH_DEV_KEY_DIR, else .courier/keys)
  --list          print the simulations and exit
  --dry-run       check the arguments, print what would run, and exit
  -h, --help      print this and exit

Environment: RAMP_SECONDS (5) seconds of each simulation's ramp from 1 arrival/s to RATE;
WARMUP_SECONDS (20, 0 for none) of PlaceOrderSimulation ramping to RATE before the first
simulation, without SLOs or report, then WARMUP_PAUSE (5) seconds of rest, when the script started
the platform; READY_TIMEOUT (180) seconds to wait for it to be ready; COURIER_JAVA_OPTS, JVM
options of the platform; MAVEN_OPTS is passed to Maven as usual.
Output: load-tests/target/load/<time>/ (summary.txt, courier.log, one Gatling log per
simulation); HTML reports in load-tests/target/gatling/<simulation>-<time>/index.html.

Exit codes: 0 every simulation ran and met its SLOs; 1 an SLO assertion failed (the report is
written); 2 bad arguments; 3 the platform did not start or become ready in time, or refused the
token; 4 Gatling did not complete (build missing, crash, time limit).
EOF
}

die_usage() {
  echo "load-tests/run.sh: $1" >&2
  echo "run 'load-tests/run.sh --help' for usage" >&2
  exit "$EXIT_USAGE"
}

is_loopback_url() { [[ "$1" =~ ^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?/?$ ]]; }

dry_run=0
url=""
grpc_url=""
token=""
positional=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit "$EXIT_OK" ;;
    --list) simulations; exit "$EXIT_OK" ;;
    --dry-run) dry_run=1; shift ;;
    --url | --grpc-url | --token)
      [ $# -ge 2 ] || die_usage "$1 needs a value"
      case "$1" in
        --url) url=${2%/} ;;
        --grpc-url) grpc_url=${2%/} ;;
        --token) token=$2 ;;
      esac
      shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -[0-9]*) positional+=("$1"); shift ;; # a negative RATE or SECONDS, refused below
    -*) die_usage "unknown option '$1'" ;;
    *) positional+=("$1"); shift ;;
  esac
done

[ ${#positional[@]} -ge 1 ] || die_usage "name a simulation: $(simulations | paste -sd' ' -), or all"
[ ${#positional[@]} -le 3 ] || die_usage "too many arguments: ${positional[*]}"
simulation=${positional[0]}
rate=${positional[1]:-20}
seconds=${positional[2]:-20}
ramp=${RAMP_SECONDS:-5}
ready_timeout=${READY_TIMEOUT:-180}
warmup=${WARMUP_SECONDS:-20}

mapfile -t known < <(simulations)
chosen=()
for sim in "${known[@]}"; do
  if [ "$simulation" = all ] || [ "$simulation" = "$sim" ]; then chosen+=("$sim"); fi
done
[ ${#chosen[@]} -gt 0 ] ||
  die_usage "unknown simulation '$simulation'; valid: ${known[*]}, or all"
positive() { [[ "$2" =~ ^[1-9][0-9]{0,5}$ ]] || die_usage "$1 must be a positive integer, was '$2'"; }
positive RATE "$rate"
positive SECONDS "$seconds"
[ "$seconds" -le 3600 ] || die_usage "SECONDS must be at most 3600, was '$seconds'"
[[ "$ramp" =~ ^[0-9]{1,4}$ ]] || die_usage "RAMP_SECONDS must be a whole number of seconds, was '$ramp'"
positive READY_TIMEOUT "$ready_timeout"
[[ "$warmup" =~ ^[0-9]{1,4}$ ]] || die_usage "WARMUP_SECONDS must be a whole number of seconds, was '$warmup'"
[[ "${WARMUP_PAUSE:-5}" =~ ^[0-9]{1,3}$ ]] || die_usage "WARMUP_PAUSE must be a whole number of seconds, was '$WARMUP_PAUSE'"
for property in ${extra[@]+"${extra[@]}"}; do
  [[ "$property" =~ ^-Dcourier\.[A-Za-z0-9.]+=.*$ ]] ||
    die_usage "after -- only -Dcourier.<property>=<value> is passed on, was '$property'"
done
if [ -n "$url" ]; then
  is_loopback_url "$url" || die_usage "--url must be http(s)://127.0.0.1|localhost|[::1][:port], was '$url'"
  if [ -z "$grpc_url" ]; then
    grpc_url=$(sed -E 's#^(https?://[^/:]+|https?://\[::1\])(:[0-9]+)?$#\1:9090#' <<<"$url")
  fi
  is_loopback_url "$grpc_url" || die_usage "--grpc-url must be a loopback URL, was '$grpc_url'"
elif [ -n "$grpc_url" ] || [ -n "$token" ]; then
  die_usage "--grpc-url and --token go with --url (a started platform gets its own)"
fi

if [ "$dry_run" = 1 ]; then
  echo "would run ${chosen[*]}, each ${ramp} s ramp to $rate/s then $rate/s for $seconds s (at most $((ramp + seconds + 240)) s each)"
  if [ -n "$url" ]; then
    echo "against the running platform at $url (gRPC $grpc_url)"
  else
    echo "against a dev-profile platform started from $JAR on free ports (ready within $ready_timeout s), warmed up for $warmup s"
  fi
  exit "$EXIT_OK"
fi

for tool in java mvn curl timeout; do
  command -v "$tool" >/dev/null || { echo "load-tests/run.sh: needs $tool on the PATH" >&2; exit "$EXIT_GATLING"; }
done
for sim in "${chosen[@]}"; do
  [ -f "$CLASSES/$sim.class" ] || {
    echo "load-tests/run.sh: $CLASSES/$sim.class is missing; build first: mvn -B -q -DskipTests package" >&2
    exit "$EXIT_GATLING"
  }
done
if [ -z "$url" ] || [ -z "$token" ]; then
  [ -f "$JAR" ] || {
    echo "load-tests/run.sh: $JAR is missing; build first: mvn -B -q -DskipTests package" >&2
    exit "$EXIT_GATLING"
  }
fi

run_dir=load-tests/target/load/$(date -u +%Y%m%dT%H%M%SZ)-$$
mkdir -p "$run_dir"
log() { echo "load: $*"; }

pid=""          # the platform this script started
gatling_pid=""  # the timeout(1) wrapping the running Gatling, which passes a signal on to its group
data=""
stop_platform() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "stopping the platform (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do sleep 1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      echo "load-tests/run.sh: the platform did not stop within 30 s; killing pid $pid" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  fi
  pid=""
}
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  if [ -n "$gatling_pid" ] && kill -0 "$gatling_pid" 2>/dev/null; then
    kill -TERM "$gatling_pid" 2>/dev/null || true
    wait "$gatling_pid" 2>/dev/null || true
  fi
  stop_platform
  if [ -n "$data" ]; then rm -rf "$data"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail_platform() { # message
  echo "load-tests/run.sh: $1" >&2
  if [ -n "$pid" ] && [ -s "$run_dir/courier.log" ]; then
    echo "---- last lines of $run_dir/courier.log ----" >&2
    tail -n 30 "$run_dir/courier.log" >&2
  fi
  exit "$EXIT_PLATFORM"
}

http_status() { # url [token]
  local auth=()
  if [ -n "${2:-}" ]; then auth=(-H "Authorization: Bearer $2"); fi
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${auth[@]+"${auth[@]}"} "$1" || true)
  if [ "$code" = 000 ] || [ -z "$code" ]; then echo "no answer"; else echo "$code"; fi
}

# The total of every simulation's time, for the token's lifetime.
minutes=$(( (${#chosen[@]} * (ramp + seconds + 240) + warmup + 250 + ready_timeout) / 60 + 10 ))

if [ -z "$url" ]; then
  data=$(mktemp -d "${TMPDIR:-/tmp}/courier-load.XXXXXX")
  platform_env=(
    COURIER_KAFKA_EMBEDDED_ENABLED=true COURIER_KAFKA_EMBEDDED_PORT=0
    COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT=0 COURIER_KAFKA_EMBEDDED_DATA_DIR="$data/kafka"
    COURIER_GATEWAY_HOST=127.0.0.1 COURIER_GATEWAY_PORT=0 COURIER_GATEWAY_GRPC_PORT=0
    COURIER_MANAGEMENT_HOST=127.0.0.1 COURIER_MANAGEMENT_PORT=0
    COURIER_ADMIN_HOST=127.0.0.1 COURIER_ADMIN_PORT=0
    COURIER_SERVICES_HOST=127.0.0.1 COURIER_SERVICES_ADVERTISED_HOST=127.0.0.1
    COURIER_SERVICES_USER_GRPC_PORT=0 COURIER_SERVICES_INVENTORY_GRPC_PORT=0
    COURIER_SERVICES_PAYMENT_PROVIDER_PORT=0
    COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$data/keys"
  )
  log "starting the dev profile from $JAR (data in $data, log in $run_dir/courier.log)"
  # shellcheck disable=SC2086 # COURIER_JAVA_OPTS holds JVM options, split on purpose
  env "${platform_env[@]}" java ${COURIER_JAVA_OPTS:-} -jar "$JAR" run --config conf/dev.json \
    > "$run_dir/courier.log" 2>&1 &
  pid=$!
  began=$SECONDS
  health=""
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" && code=0 || code=$?
      pid_was=$pid
      fail_platform "the platform (pid $pid_was) exited with code $code before it was ready"
    fi
    if [ -z "$health" ]; then
      health=$(sed -nE 's#^  health +(http://127\.0\.0\.1:[0-9]+/health/ready)$#\1#p' "$run_dir/courier.log" | head -n 1)
    fi
    if [ -n "$health" ] && [ "$(http_status "$health")" = 200 ]; then break; fi
    if [ $((SECONDS - began)) -ge "$ready_timeout" ]; then
      fail_platform "the platform (pid $pid) was not ready within $ready_timeout s (${health:-no health URL printed yet})"
    fi
    sleep 1
  done
  url=$(sed -nE 's#^  gateway +(http://127\.0\.0\.1:[0-9]+)$#\1#p' "$run_dir/courier.log" | head -n 1)
  grpc_url=http://$(sed -nE 's#^  gateway \(gRPC\) +(127\.0\.0\.1:[0-9]+)$#\1#p' "$run_dir/courier.log" | head -n 1)
  if [ -z "$url" ] || [ "$grpc_url" = http:// ]; then
    fail_platform "the platform's banner names no gateway (REST and gRPC) endpoint"
  fi
  target="the dev profile started for this run ($url)"
  log "platform ready in $((SECONDS - began)) s: REST $url, gRPC $grpc_url, health $health"
  token=$(COURIER_GATEWAY_AUTH_DEV_KEY_DIR="$data/keys" java -jar "$JAR" token --config conf/dev.json \
    --roles gateway --sub load-test --scope admin --ttl "$minutes") ||
    fail_platform "could not mint a token with the platform's key directory $data/keys"
else
  status=$(http_status "$url/health/ready")
  [ "$status" = 200 ] ||
    fail_platform "no ready platform at $url (GET $url/health/ready answered ${status}); start one, or leave out --url"
  target="the running platform at $url"
  log "targeting the running platform at $url (gRPC $grpc_url)"
  if [ -z "$token" ]; then
    token=$(java -jar "$JAR" token --config conf/dev.json --roles gateway --sub load-test --scope admin \
      --ttl "$minutes") || fail_platform "could not mint a token; pass one with --token"
  fi
fi

# The load acts for many users: the token must be admin's. Two users' profiles tell (a user's own
# token gets 403 for the other's), before a run full of 403s does.
for user in u1 u2; do
  status=$(http_status "$url/api/v1/users/$user" "$token")
  case "$status" in
    200) ;;
    401) fail_platform "the platform at $url refused the token (401): it was not signed with the key that platform trusts; pass --token, or set COURIER_GATEWAY_AUTH_DEV_KEY_DIR to its gateway.auth.devKeyDir" ;;
    403) fail_platform "the token cannot act for every user (GET /api/v1/users/$user: 403): the simulations need scope admin, e.g. --token \$(java -jar $JAR token --sub load-test --scope admin)" ;;
    *) fail_platform "GET $url/api/v1/users/$user answered ${status}; is $url a Courier gateway with the dev seed?" ;;
  esac
done

# Runs one simulation under its time limit: sim, log, show (1: stream its console here), ramp,
# seconds, then further -D properties. Sets code to Maven's exit code (124/137: timed out).
gatling() {
  local sim=$1 sim_log=$2 show=$3 sim_ramp=$4 sim_seconds=$5
  shift 5
  local budget=$((sim_ramp + sim_seconds + 240)) tail_pid=""
  timeout --kill-after=30 "$budget" mvn -B -q -Dstyle.color=never -pl load-tests \
    io.gatling:gatling-maven-plugin:test \
    -Dgatling.simulationClass="$PACKAGE.$sim" \
    -Dgatling.runDescription="load-tests/run.sh $sim $rate $sim_seconds (ramp $sim_ramp s)" \
    -Dcourier.baseUrl="$url" -Dcourier.grpcUrl="$grpc_url" -Dcourier.token="$token" \
    -Dcourier.rate="$rate" -Dcourier.seconds="$sim_seconds" -Dcourier.rampSeconds="$sim_ramp" \
    "$@" > "$sim_log" 2>&1 &
  gatling_pid=$!
  if [ "$show" = 1 ]; then
    # Gatling's console as it runs, without Maven's colour resets and the status lines Logback
    # prints about the plugin's own configuration.
    tail -n +1 -F --pid="$gatling_pid" "$sim_log" 2>/dev/null |
      sed -u 's/\x1b\[[0-9;]*m//g' | grep -v --line-buffered -E '^[0-9:,]+ \|-' &
    tail_pid=$!
  fi
  wait "$gatling_pid" && code=0 || code=$?
  gatling_pid=""
  if [ -n "$tail_pid" ]; then wait "$tail_pid" 2>/dev/null || true; fi
}

# Gatling's global figures from its console: "total OK KO p99" ("-" where it printed none).
global_figures() {
  awk -F'|' '
    /^---- Global Information/ { global = 1; next }
    /^---- / { global = 0 }
    global && /^> request count/ { gsub(/[ ,]/, ""); total = $2; ok = $3; ko = ($4 == "-" ? 0 : $4) }
    global && /^> response time 99th percentile/ { gsub(/[ ,]/, ""); p99 = $2 }
    END { printf "%s %s %s %s", (total == "" ? "-" : total), (ok == "" ? "-" : ok), (ko == "" ? "-" : ko), (p99 == "" ? "-" : p99) }
  ' "$1"
}

# A platform this script started is cold: its first seconds of load are the JIT compiling and the
# connection pools filling, and slow calls then can open a breaker that the measured run would
# meet. So it first takes WARMUP_SECONDS of orders ramping up to the rate, no SLOs and no report,
# and a pause for the breakers' windows to move on.
if [ -n "$pid" ] && [ "$warmup" -gt 0 ]; then
  log "warm-up: PlaceOrderSimulation ramping to $rate/s over $warmup s (no SLOs, no report), then ${WARMUP_PAUSE:-5} s of rest"
  gatling PlaceOrderSimulation "$run_dir/warmup.log" 0 "$warmup" 1 -Dgatling.noReports=true \
    -Dcourier.p99Ms=1000000000 -Dcourier.maxErrorPercent=100
  # No report, so no summary: the console's last progress line counts the requests.
  read -r total ko <<<"$(awk -F'|' '/^> Global / { gsub(/[ ,]/, ""); total = $2; ko = $4 }
    END { printf "%s %s", (total == "" ? "-" : total), (ko == "" ? "-" : ko) }' "$run_dir/warmup.log")"
  if [ "$code" != 0 ]; then
    echo "load-tests/run.sh: the warm-up did not complete (exit $code); its log: $run_dir/warmup.log" >&2
    tail -n 20 "$run_dir/warmup.log" >&2
    exit "$EXIT_GATLING"
  fi
  log "warm-up: $total requests, $ko failed"
  sleep "${WARMUP_PAUSE:-5}"
fi

profile="${ramp} s ramp to $rate/s, then $rate/s for $seconds s"
for property in ${extra[@]+"${extra[@]}"}; do
  case "$property" in
    -Dcourier.injection=*) profile="profile ${property#-Dcourier.injection=} at $rate/s for $seconds s (load-tests/README.md)" ;;
  esac
done
worst=$EXIT_OK
rows=()
failed_assertions=()
for sim in "${chosen[@]}"; do
  sim_log=$run_dir/$sim.log
  log "$sim: $profile (at most $((ramp + seconds + 240)) s)"
  gatling "$sim" "$sim_log" 1 "$ramp" "$seconds" ${extra[@]+"${extra[@]}"}

  report=$(sed -nE 's#^Reports generated, please open the following file: file://(.*)$#\1#p' "$sim_log" | tail -n 1)
  report=${report#"$PWD"/}
  if [ "$code" = 0 ] && [ -f "$report" ]; then
    verdict=passed
  elif [ "$code" = 0 ]; then
    verdict="NO REPORT"
    worst=$EXIT_GATLING
    echo "load-tests/run.sh: $sim passed but Gatling named no report that exists; its log: $sim_log" >&2
  elif grep -q 'Gatling simulation assertions failed' "$sim_log"; then
    verdict="SLO FAILED"
    [ "$worst" = "$EXIT_GATLING" ] || worst=$EXIT_SLO
  else
    if [ "$code" = 124 ] || [ "$code" = 137 ]; then verdict="TIMED OUT"; else verdict="DID NOT RUN (exit $code)"; fi
    worst=$EXIT_GATLING
    echo "load-tests/run.sh: $sim did not complete; its log: $sim_log" >&2
  fi
  if [ "$verdict" != passed ] && [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    echo "load-tests/run.sh: the platform exited during $sim; its log: $run_dir/courier.log" >&2
    worst=$EXIT_GATLING
  fi
  read -r total ok ko p99 <<<"$(global_figures "$sim_log")"
  while IFS= read -r line; do
    failed_assertions+=("$sim: $line")
  done < <(grep -E ' : false \(actual : ' "$sim_log" | sort -u)
  rows+=("$(printf '%-26s %9s %9s %7s %8s  %-10s %s' "$sim" "$total" "$ok" "$ko" "$p99" "$verdict" "${report:-no report}")")
  if [ -n "$report" ]; then log "$sim: $verdict; report: $report"; else log "$sim: $verdict"; fi
done

stop_platform
{
  echo "load-tests/run.sh ${positional[*]}${extra[*]+ -- ${extra[*]}}: $profile, against $target; $(date -u +%FT%TZ)"
  printf '%-26s %9s %9s %7s %8s  %-10s %s\n' simulation requests OK KO "p99 ms" SLOs report
  printf '%s\n' "${rows[@]}"
  if [ ${#failed_assertions[@]} -gt 0 ]; then
    echo "failed SLO assertions:"
    printf '  %s\n' "${failed_assertions[@]}"
  fi
} > "$run_dir/summary.txt"
echo
cat "$run_dir/summary.txt"
echo "logs and this summary: $run_dir/"
exit "$worst"
