#!/usr/bin/env bash
# The main job: the plugin inside Fluent Bit on the bundled sample audit log, printing the
# normalized events on stdout (or shipping them when K8SAUDIT_URL is set). Standard output
# carries the events only; everything this script and the host say goes to stderr, so that
# `make run | jq` works.
#
#   build/run.sh [PLUGIN.so [HARNESS]]      (make run passes the ones it just built)
#
# Settings, from the environment, the same in every mode below:
#   K8SAUDIT_INTAKE       stdout when empty and no URL, ndjson when empty with a URL
#   K8SAUDIT_URL          the intake endpoint
#   K8SAUDIT_API_KEY      the intake credential
#   K8SAUDIT_CLUSTER      orchestrator.cluster.name (default: sample)
#   K8SAUDIT_POLICY_FILE  an audit Policy applied before shipping (policy_file)
#   K8SAUDIT_FORMAT       ecs (default) or raw
#   K8SAUDIT_INDEX        the elasticsearch index (index)
#   K8SAUDIT_LOG          the audit log to read (default: conf/sample/audit.log)
#
# Fluent Bit is, in this order: the binary named by FLUENT_BIT; fluent-bit on PATH;
# ../shared/tools/fluent-bit/ensure when present (the team's pinned build); the
# fluent/fluent-bit image when a docker engine answers; else the project's proxy harness,
# which plays Fluent Bit's Go proxy and replays the file. RUN_WITH=fluent-bit|docker|harness
# picks one. It says which one it used.
set -euo pipefail
cd "$(dirname "$0")/.."

so=$(realpath "${1:-build/out/out_k8saudit.so}")
harness=$(realpath "${2:-build/out/harness}")
say() { echo "make run: $*" >&2; }

export K8SAUDIT_LOG=$(realpath "${K8SAUDIT_LOG:-conf/sample/audit.log}")
export K8SAUDIT_URL=${K8SAUDIT_URL:-}
export K8SAUDIT_CLUSTER=${K8SAUDIT_CLUSTER:-sample}
if [ -z "${K8SAUDIT_INTAKE:-}" ]; then
  K8SAUDIT_INTAKE=stdout
  [ -n "$K8SAUDIT_URL" ] && K8SAUDIT_INTAKE=ndjson
fi
export K8SAUDIT_INTAKE
[ -n "${K8SAUDIT_POLICY_FILE:-}" ] && export K8SAUDIT_POLICY_FILE=$(realpath "$K8SAUDIT_POLICY_FILE")

# The plugin's keys and the variables that set them. A key whose variable is empty is left
# out of the configuration: Fluent Bit warns about unset variables and refuses empty values.
keys=(intake:K8SAUDIT_INTAKE url:K8SAUDIT_URL api_key:K8SAUDIT_API_KEY cluster_name:K8SAUDIT_CLUSTER
  policy_file:K8SAUDIT_POLICY_FILE format:K8SAUDIT_FORMAT index:K8SAUDIT_INDEX)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The keys whose variable is set, for the harness: -p key=${VAR}, expanded by the harness
# as Fluent Bit expands it (so the credential is never on a command line); and
# conf/sample/fluent-bit.conf with the other keys taken out, for Fluent Bit.
props=() drop=(-e '^$x')
for kv in "${keys[@]}"; do
  var=${kv#*:}
  if [ -n "${!var:-}" ]; then
    props+=(-p "${kv%%:*}=\${$var}")
  else
    drop+=(-e "^ *${kv%%:*} ")
  fi
done
grep -v "${drop[@]}" conf/sample/fluent-bit.conf >"$tmp/fluent-bit.conf"

with=${RUN_WITH:-}
fb=${FLUENT_BIT:-$(command -v fluent-bit || true)}
if [ -z "$fb" ] && [ -z "$with" ] && [ -x ../shared/tools/fluent-bit/ensure ]; then
  fb=$(../shared/tools/fluent-bit/ensure || true)
fi
if [ -z "$with" ]; then
  if [ -n "$fb" ]; then
    with=fluent-bit
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    with=docker
  else
    with=harness
  fi
fi

case $with in
fluent-bit)
  if [ -z "$fb" ] && [ -x ../shared/tools/fluent-bit/ensure ]; then fb=$(../shared/tools/fluent-bit/ensure); fi
  [ -n "$fb" ] || { say "RUN_WITH=fluent-bit but no binary: set FLUENT_BIT"; exit 2; }
  say "using Fluent Bit at $fb"
  "$fb" -e "$so" -c "$tmp/fluent-bit.conf"
  ;;
docker)
  say "using the fluent/fluent-bit image through docker"
  mounts=(-v "$so:/fluent-bit/plugins/out_k8saudit.so:ro" -v "$tmp/fluent-bit.conf:/k8saudit/fluent-bit.conf:ro"
    -v "$K8SAUDIT_LOG:/k8saudit/audit.log:ro")
  [ -n "${K8SAUDIT_POLICY_FILE:-}" ] && mounts+=(-v "$K8SAUDIT_POLICY_FILE:/k8saudit/policy.yaml:ro")
  # The host's network, so that an intake on localhost is reachable from the container.
  docker run --rm --network host "${mounts[@]}" \
    -e K8SAUDIT_INTAKE -e K8SAUDIT_URL -e K8SAUDIT_API_KEY -e K8SAUDIT_CLUSTER -e K8SAUDIT_FORMAT -e K8SAUDIT_INDEX \
    -e K8SAUDIT_LOG=/k8saudit/audit.log -e K8SAUDIT_POLICY_FILE=${K8SAUDIT_POLICY_FILE:+/k8saudit/policy.yaml} \
    fluent/fluent-bit:4.2.8 /fluent-bit/bin/fluent-bit -e /fluent-bit/plugins/out_k8saudit.so -c /k8saudit/fluent-bit.conf
  ;;
harness)
  [ -n "${RUN_WITH:-}" ] || say "no fluent-bit binary (set FLUENT_BIT) and no docker engine"
  say "replaying $K8SAUDIT_LOG through the proxy harness"
  "$harness" "${props[@]}" -l "$K8SAUDIT_LOG" "$so"
  ;;
*)
  say "RUN_WITH=$with: want fluent-bit, docker or harness"
  exit 2
  ;;
esac
