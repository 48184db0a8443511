#!/usr/bin/env bash
# Courier's public contracts, checked by tools nobody here wrote (docs/flow.md, "Public contracts"):
#
#   lint   Spectral's spectral:oas ruleset on the OpenAPI document: no error and no warning;
#          buf lint (STANDARD) on the .proto files; buf breaking (FILE) against the baseline.
#   test   the contract test: the fat JAR's dev profile on free loopback ports behind two Prism
#          validating proxies, and `node --test .ci/contracts/contract.test.mjs` sending the
#          walk-through of docs/flow.md, the bad-input table, auth and rate-limit refusals and a failing
#          dependency through them (.ci/contracts/README.md).
#
# Usage: .ci/contracts.sh [lint|test|all]   (default all)
# Needs: the tools, pinned in .ci/contracts/package.json (`npm ci --prefix .ci/contracts`; .ci/run
# does it), and for `test` the fat JAR (`mvn -B -DskipTests package`). Missing tools fail the run.
# The buf baseline: $COURIER_CONTRACTS_BASELINE if set, else the newest release tag (v*) before
# HEAD, else the merge base with main (or origin/main) when HEAD is not on it, else HEAD's parent
# (CI on main: the commit before the one under test), else HEAD itself.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
bin=.ci/contracts/node_modules/.bin
doc=verticles/gateway/src/main/resources/openapi/courier-api.yaml
proto=eventbus-codecs/src/main/proto
jar=verticles/app/target/courier.jar

tool() {
  if [ ! -x "$bin/$1" ]; then
    echo "contracts: $1 is not installed; run: npm ci --prefix .ci/contracts" >&2
    exit 1
  fi
  "$bin/$@"
}

baseline() {
  if [ -n "${COURIER_CONTRACTS_BASELINE:-}" ]; then
    git rev-parse --verify "$COURIER_CONTRACTS_BASELINE^{commit}"
    return
  fi
  local tag base
  tag=$(git describe --tags --abbrev=0 --match 'v*' HEAD 2>/dev/null || true)
  if [ -n "$tag" ]; then
    git rev-parse "$tag^{commit}"
    return
  fi
  local branch
  for branch in main origin/main; do
    base=$(git merge-base HEAD "$branch" 2>/dev/null || true)
    if [ -n "$base" ] && [ "$base" != "$(git rev-parse HEAD)" ]; then
      echo "$base"
      return
    fi
  done
  git rev-parse --verify -q 'HEAD^' || git rev-parse HEAD
}

lint() {
  echo "contracts: spectral $(tool spectral --version) (spectral:oas) on $doc"
  tool spectral lint --ruleset .ci/contracts/spectral.yaml --fail-severity warn "$doc"
  echo "contracts: buf $(tool buf --version) lint (STANDARD) on $proto"
  tool buf lint
  local against
  against=$(baseline)
  echo "contracts: buf breaking (FILE) against $(git log -1 --format='%h %s' "$against")"
  # The baseline's own tree, read from git: the same module directory, whatever its buf.yaml.
  tool buf breaking --against ".git#ref=$against,subdir=$proto"
  echo "contracts: lint passed"
}

pids=()
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids=()
}

free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits up to $2 seconds for $3 to appear in the file $1; fails naming the file otherwise.
await_line() {
  local file=$1 seconds=$2 marker=$3
  for _ in $(seq 1 $((seconds * 2))); do
    if grep -q "$marker" "$file" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "contracts: no '$marker' in $file after $seconds s:" >&2
  tail -40 "$file" >&2
  return 1
}

contract_test() {
  tool prism --version >/dev/null
  if [ ! -f "$jar" ]; then
    echo "contracts: $jar is missing; build it with mvn -B -DskipTests package" >&2
    exit 1
  fi
  local started=$SECONDS variable
  # Only the settings below: an inherited COURIER_* variable would change the profile under test.
  for variable in $(compgen -e | grep '^COURIER_' || true); do
    unset "$variable"
  done
  work=$(mktemp -d)
  trap 'stop_all; rm -rf "$work"' EXIT
  # The dev profile, on free loopback ports, with its state in a fresh directory (so the seed's
  # numbers are the examples'), fault points, and rate limits on: 5/s and a burst of 40 per client
  # and operation, more than any client of the cases sends but for the bursts, which then reach
  # 429 however fast or slow the machine is.
  export COURIER_KAFKA_EMBEDDED_PORT COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT COURIER_GATEWAY_PORT
  COURIER_KAFKA_EMBEDDED_PORT=$(free_port)
  COURIER_KAFKA_EMBEDDED_CONTROLLER_PORT=$(free_port)
  COURIER_GATEWAY_PORT=$(free_port)
  export COURIER_KAFKA_EMBEDDED_DATA_DIR=$work/kafka
  export COURIER_GATEWAY_AUTH_DEV_KEY_DIR=$work/keys
  export COURIER_GATEWAY_GRPC_PORT=0
  export COURIER_GATEWAY_RATE_LIMIT_ENABLED=true
  export COURIER_GATEWAY_RATE_LIMIT_REQUESTS_PER_SECOND=5 COURIER_GATEWAY_RATE_LIMIT_BURST=40
  export COURIER_ADMIN_FAULT_INJECTION=true
  java -Xmx512m -jar "$jar" run --config conf/dev.json >"$work/gateway.log" 2>&1 &
  pids+=($!)
  await_line "$work/gateway.log" 120 'Courier is ready'
  local gateway admin
  gateway=$(sed -nE 's#^  gateway +(http://127\.0\.0\.1:[0-9]+)$#\1#p' "$work/gateway.log" | head -1)
  admin=$(sed -nE 's#^  admin +(http://127\.0\.0\.1:[0-9]+)/admin$#\1#p' "$work/gateway.log" | head -1)
  if [ -z "$gateway" ] || [ -z "$admin" ]; then
    echo "contracts: no gateway or admin address in the banner" >&2
    sed -n '/Courier is ready/,+12p' "$work/gateway.log" >&2
    exit 1
  fi
  echo "contracts: gateway $gateway ready after $((SECONDS - started)) s"

  local strict_port report_port
  strict_port=$(free_port)
  report_port=$(free_port)
  "$bin/prism" proxy "$doc" "$gateway" --errors --host 127.0.0.1 --port "$strict_port" \
    >"$work/prism-strict.log" 2>&1 &
  pids+=($!)
  "$bin/prism" proxy "$doc" "$gateway" --host 127.0.0.1 --port "$report_port" \
    >"$work/prism-report.log" 2>&1 &
  pids+=($!)

  # Tokens signed with the dev profile's key (now created by the gateway), minted as a user would.
  local name sub scope pid minting=()
  while read -r name sub scope; do
    java -jar "$jar" token --sub "$sub" --scope "$scope" >"$work/token-$name" &
    minting+=($!)
  done <<'TOKENS'
u1 u1 orders:write,orders:read
u1-read u1 orders:read
u1-write u1 orders:write
u9 u9 orders:write,orders:read
u7 u7 orders:write,orders:read
admin admin-1 admin
TOKENS
  for pid in "${minting[@]}"; do
    wait "$pid"
  done
  await_line "$work/prism-strict.log" 60 'Prism is listening'
  await_line "$work/prism-report.log" 60 'Prism is listening'
  echo "contracts: proxies listening after $((SECONDS - started)) s"

  local tokens
  tokens=$(node -e '
    const fs = require("fs"), dir = process.argv[1], t = {};
    for (const n of ["u1", "u1-read", "u1-write", "u9", "u7", "admin"]) t[n] = fs.readFileSync(`${dir}/token-${n}`, "utf8").trim();
    const [h, p, s] = t.u1.split(".");
    t.garbage = "not-a-jwt";
    t.tampered = [h, p, (s[0] === "A" ? "B" : "A") + s.slice(1)].join(".");
    console.log(JSON.stringify(t));' "$work")
  local status=0
  CONTRACT_DOC=$doc PRISM_STRICT=http://127.0.0.1:$strict_port \
    PRISM_REPORT=http://127.0.0.1:$report_port GATEWAY_ADMIN=$admin TOKENS=$tokens \
    timeout 300 node --test --test-reporter=spec .ci/contracts/contract.test.mjs || status=$?
  if [ "$status" -ne 0 ]; then
    echo "contracts: the contract test failed ($status); Prism's violations (strict proxy):" >&2
    grep -E 'VALIDATOR|Violation' "$work/prism-strict.log" | tail -40 >&2 || true
    echo "contracts: gateway log (last lines):" >&2
    tail -30 "$work/gateway.log" >&2
  fi
  stop_all
  echo "contracts: contract test took $((SECONDS - started)) s"
  return "$status"
}

case "$what" in
  lint) lint ;;
  test) contract_test ;;
  all)
    lint
    contract_test
    ;;
  *)
    echo "usage: $0 [lint|test|all]" >&2
    exit 2
    ;;
esac
