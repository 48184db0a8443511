#!/usr/bin/env bash
# Issue 19's measures in one command, each beside its baseline from the same run (see
# docs/benchmarks.md, "The order flow against its targets"): builds the fat JAR and the bench
# classes, then io.courier.bench.OrderFlowBench starts the platform from the JAR (dev profile, JWT
# on, loopback), drives it with 64 token-reusing clients from the moment it is ready, compares
# authenticated reads and the edge with a bare Vert.x hello server, sweeps an open model up to twice
# the maximum, and runs the resilience proxy against a direct event-bus call. It waits up to 5
# minutes for the 1-minute load average to fall under 1 and refuses to measure otherwise (exit 3):
# nothing else may run, no test suite, no build. About 8-10 minutes; killed after 25 at the latest.
# Writes load-tests/target/perf/perf.md, order-flow.csv, order-flow.png, warm-up.csv, courier.log.
#   load-tests/perf.sh
#   PERF_ARGS="-Dperf.allowLoad=true -Dperf.minWarmUpSeconds=20" load-tests/perf.sh   # a trial, not quotable
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load average at the start (before the build): $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # PERF_ARGS is a list of -D options
timeout --signal=TERM --kill-after=30 1500 \
  mvn -B -q -Pbench -DskipTests -pl verticles/app,load-tests -am verify \
  -Dbench.skipPublish=true -Dbench.skipJmh=true -Dbench.skipHotPath=true \
  -Dbench.skipBaselines=true -Dbench.skipPerf=false ${PERF_ARGS:-}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
