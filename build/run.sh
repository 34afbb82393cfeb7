#!/usr/bin/env bash
# The main job: the plugin inside Fluent Bit on the bundled sample audit log, printing the
# normalized events (or shipping them when K8SAUDIT_URL is set). Uses, in this order:
#   1. the binary named by FLUENT_BIT, or fluent-bit on PATH;
#   2. the fluent/fluent-bit image, when a docker engine answers;
#   3. the project's proxy harness, which plays Fluent Bit's Go proxy and replays the file.
# It says which one it used.
set -euo pipefail
cd "$(dirname "$0")/.."

so=$PWD/build/out/out_k8saudit.so
log=${K8SAUDIT_LOG:-$PWD/conf/sample/audit.log}
export K8SAUDIT_INTAKE=stdout K8SAUDIT_URL=${K8SAUDIT_URL:-}
[ -n "$K8SAUDIT_URL" ] && K8SAUDIT_INTAKE=ndjson
export K8SAUDIT_LOG=$log K8SAUDIT_CLUSTER=${K8SAUDIT_CLUSTER:-sample}

fb=${FLUENT_BIT:-$(command -v fluent-bit || true)}
if [ -n "$fb" ]; then
  echo "make run: using Fluent Bit at $fb" >&2
  conf=conf/sample/fluent-bit.conf
  if [ -z "$K8SAUDIT_URL" ]; then
    # Printing: leave the url key out rather than hand Fluent Bit an unset variable.
    conf=$(mktemp --suffix=.conf)
    trap 'rm -f "$conf"' EXIT
    grep -v '^ *url ' conf/sample/fluent-bit.conf >"$conf"
  fi
  "$fb" -e "$so" -c "$conf"
  exit $?
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "make run: using the fluent/fluent-bit image through docker" >&2
  exec docker run --rm -v "$so:/fluent-bit/plugins/out_k8saudit.so:ro" -v "$PWD/conf/sample:/sample:ro" \
    -e K8SAUDIT_INTAKE -e K8SAUDIT_URL -e K8SAUDIT_CLUSTER -e K8SAUDIT_LOG=/sample/audit.log \
    fluent/fluent-bit:4.2.8 /fluent-bit/bin/fluent-bit -e /fluent-bit/plugins/out_k8saudit.so -c /sample/fluent-bit.conf
fi

echo "make run: no fluent-bit binary (set FLUENT_BIT) and no docker engine: replaying $log through the proxy harness" >&2
props=(-p intake="$K8SAUDIT_INTAKE" -p cluster_name="$K8SAUDIT_CLUSTER")
[ -n "$K8SAUDIT_URL" ] && props+=(-p url="$K8SAUDIT_URL")
exec build/out/harness "${props[@]}" -l "$log" "$so"
