#!/usr/bin/env bash
# The end-to-end load driver (dev.offpath.benchmarks.load.LoadDriver): Offpath and a do-nothing
# ext_authz baseline, each in its own JVM, under the same open-loop gRPC load; writes
# benchmarks/results/latest.txt and latest.html. Builds server/target/offpath.jar and
# benchmarks/target/benchmarks.jar first when they are missing or older than any pom.xml or
# source under */src/main. Picks a JDK >= 21 like ./offpath. Flags: benchmarks/load.sh --help;
# rerun one phase with e.g. --phases ingest, or --phases fixed --fixed-rate 8000; TLS vs plaintext:
# benchmarks/load.sh --tls --phases capacity,fixed. The soak (steady
# memory: a full GC and a heap reading in Offpath every --soak-sample, 10 minutes by default) runs
# only when named: --phases soak --soak-rate 2000, or --phases capacity,closed,fixed,ingest,mixed,soak.
# It needs a full JDK here (jcmd beside java).
# Client JVM options: $LOAD_JAVA_OPTS; server JVM options: --server-jvm-opts "...".
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=../.ci/find-jdk
. "$root/.ci/find-jdk"
java_home=$(offpath_find_jdk 21)
offpath_jar=$root/server/target/offpath.jar
bench_jar=$root/benchmarks/target/benchmarks.jar

stale() {
  [[ -f $1 ]] || return 0
  local newer
  newer=$(find "$root" \( -name .git -o -name target -o -name node_modules \) -prune -o \
    -type f \( -name pom.xml -o -path '*/src/main/*' \) -newer "$1" -print -quit)
  [[ -n $newer ]]
}

if stale "$offpath_jar" || stale "$bench_jar"; then
  echo "load: building server and benchmark jars…" >&2
  if ! (cd "$root" && JAVA_HOME=$java_home ./mvnw -B -q -DskipTests -pl server,benchmarks -am package) >&2; then
    echo "load: build failed (see above)" >&2
    exit 1
  fi
fi

read -r -a java_opts <<<"${LOAD_JAVA_OPTS:-}"
# Netty (inside grpc-netty-shaded) still uses sun.misc.Unsafe; JDK 23+ warns about it at every start.
if (($(offpath_java_major "$java_home/bin/java") >= 23)); then
  java_opts=(--sun-misc-unsafe-memory-access=allow ${java_opts[@]+"${java_opts[@]}"})
fi
# ...and loads its native transport with System.loadLibrary, a restricted method since JDK 24.
if (($(offpath_java_major "$java_home/bin/java") >= 24)); then
  java_opts=(--enable-native-access=ALL-UNNAMED ${java_opts[@]+"${java_opts[@]}"})
fi
# --istio-ingest: the access-log ingest with Istio 1.0's whole default config (stdio access log to a
# file, to a named pipe and to /dev/null) against its metrics alone (dev.offpath.benchmarks.load.IstioConfigIngest).
# --check-compare: baseline, Offpath lazy, Offpath parsed and Offpath with 2,000 rules, alternating,
# with the Java client and h2load (dev.offpath.benchmarks.load.CheckComparison).
# --tls: the Check phases of Offpath over TLS against Offpath in plaintext, alternating, certificates
# made at run time with the openssl CLI (dev.offpath.benchmarks.load.TlsComparison).
# --oop: Check capacity and access-log ingest with out-of-process adapters (a do-little gRPC adapter
# in the driver's JVM) against the built-in ones (dev.offpath.benchmarks.load.OutOfProcessLoad);
# phases capacity, closed, ingest. Needs Mixer's reference data (-Doffpath.mixer.reference=DIR in
# $LOAD_JAVA_OPTS when it is not beside the checkout).
main=dev.offpath.benchmarks.load.LoadDriver
if [[ ${1:-} == --istio-ingest ]]; then
  main=dev.offpath.benchmarks.load.IstioConfigIngest
  shift
elif [[ ${1:-} == --check-compare ]]; then
  main=dev.offpath.benchmarks.load.CheckComparison
  shift
elif [[ ${1:-} == --tls ]]; then
  main=dev.offpath.benchmarks.load.TlsComparison
  shift
elif [[ ${1:-} == --oop ]]; then
  main=dev.offpath.benchmarks.load.OutOfProcessLoad
  shift
fi
cd "$root"
exec "$java_home/bin/java" ${java_opts[@]+"${java_opts[@]}"} -cp "$bench_jar" \
  "$main" --offpath-jar "$offpath_jar" "$@"
