#!/usr/bin/env bash
# Side-by-side baselines in one run, loopback only, bounded (killed after 15 minutes at the latest):
# builds what the load-tests module needs and runs io.courier.bench.Baselines, which measures with
# the same client, in the same JVM and the same run:
#   raw Vert.x HTTP hello        vs the gateway of a CourierRuntime (dev profile, auth none)
#   grpc-java Netty server       vs Vert.x gRPC (bare, and the runtime's user service), GetUser
#   ProducerPerformance and      vs Courier's KafkaEventPublisher, one embedded KRaft broker
#     kafka-clients (same records)
#   direct event-bus request     vs the same call through ResilienceProxyVerticle
# and writes load-tests/target/bench/baselines.md and baselines.csv (figures and ratios). About
# 6 minutes on 2 cores, build included.
#   load-tests/baselines.sh
#   BENCH_ARGS="-Dbench.pairs=http,grpc -Dbench.windowSeconds=15" load-tests/baselines.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of -D options
timeout --signal=TERM --kill-after=30 900 \
  mvn -B -q -Pbench -DskipTests -pl load-tests -am verify \
  -Dbench.skipPublish=true -Dbench.skipJmh=true -Dbench.skipHotPath=true ${BENCH_ARGS:-}
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
