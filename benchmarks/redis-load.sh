#!/usr/bin/env bash
# The redis variant of the load driver (dev.offpath.benchmarks.load.RedisQuotaLoad): starts, on
# free loopback ports under a temp dir, one redis-server and a 3-master / 3-replica Redis Cluster
# (redis-cli --cluster create ... --cluster-replicas 1), then measures Offpath with a per-user
# redisquota against each in one run: Check capacity and Redis calls per 1,000 checks, the single
# Redis as the baseline of the ratios. Writes benchmarks/results/redis-latest.txt. Stops every
# Redis it started on exit. Flags after the script name go to RedisQuotaLoad (--users,
# --concurrency, --duration 20s). Needs redis-server and redis-cli (Debian's redis-server,
# redis-tools). Builds the jars as benchmarks/load.sh does.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../.ci/find-jdk
. "$root/.ci/find-jdk"
java_home=$(offpath_find_jdk 21)
offpath_jar=$root/server/target/offpath.jar
bench_jar=$root/benchmarks/target/benchmarks.jar
if [[ ! -f $offpath_jar || ! -f $bench_jar ]]; then
  echo "redis-load: building server and benchmark jars…" >&2
  (cd "$root" && JAVA_HOME=$java_home ./mvnw -B -q -DskipTests -pl server,benchmarks -am package) >&2
fi

dir=$(mktemp -d -t offpath-redis-load.XXXXXX)
pids=()
cleanup() {
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A free loopback port p whose cluster bus port p+10000 is free too.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
      ! (echo >"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null &&
      [[ ! " ${used[*]-} " =~ " $p " ]]; then
      used+=("$p")
      echo "$p"
      return
    fi
  done
}
used=()

start_redis() { # port [extra args...]
  local port=$1
  shift
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --daemonize no --logfile "$dir/redis-$port.log" "$@" &
  pids+=($!)
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "redis-load: redis-server on $port did not start (see $dir/redis-$port.log)" >&2
  exit 1
}

single=$(free_port)
used+=("$single")
start_redis "$single"
nodes=()
for _ in 1 2 3 4 5 6; do
  p=$(free_port)
  used+=("$p")
  start_redis "$p" --cluster-enabled yes --cluster-config-file "$dir/nodes-$p.conf" \
    --cluster-node-timeout 1000
  nodes+=("127.0.0.1:$p")
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log"
for _ in $(seq 300); do
  ok=0
  for n in "${nodes[@]}"; do
    redis-cli -p "${n##*:}" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1))
  done
  ((ok == 6)) && break
  sleep 0.1
done
seeds=$(IFS=,; echo "${nodes[*]:0:3}")

java_opts=()
if (($(offpath_java_major "$java_home/bin/java") >= 23)); then
  java_opts=(--sun-misc-unsafe-memory-access=allow)
fi
"$java_home/bin/java" ${java_opts[@]+"${java_opts[@]}"} -cp "$bench_jar" \
  dev.offpath.benchmarks.load.RedisQuotaLoad --offpath-jar "$offpath_jar" \
  --results "$root/benchmarks/results" \
  --redis "single=127.0.0.1:$single" --redis "cluster=redis-cluster://$seeds" "$@"
