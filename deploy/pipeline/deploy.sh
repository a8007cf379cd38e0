#!/usr/bin/env bash
# The delivery pipeline's deploy steps (.github/workflows/delivery.yml), one command per stage, so
# that what the pipeline does can be run, read and rehearsed by hand. Needs kubectl (with Kustomize)
# and a context on the target cluster; the canary check needs curl, jq and PROMETHEUS_URL.
#
#   deploy.sh staging  <image@digest>   set the staging overlay's image, apply, wait; undo on failure
#   deploy.sh canary   <image@digest>   production: the canary track runs the image (1 pod per
#                                        service in CANARY_SERVICES), then its health is watched for
#                                        CANARY_MINUTES; unhealthy → canary back to 0, exit 1
#   deploy.sh promote  <image@digest>   production: the stable track runs the image, then the canary
#                                        goes back to 0; a failed rollout is undone
#   deploy.sh rollback                   production: canary to 0 and the stable Deployments undone
#
# Health of the canary (docs/deploy.md, "The canary track"): every canary pod ready, and its ratio
# of server errors and timeouts over RPC and HTTP (Prometheus, by `track`) at most CANARY_MAX_ERROR_RATIO,
# checked every 30 s.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
overlays="$here/../k8s/overlays"
# Every service with a canary Deployment (the generated canary.yaml), unless a list is given.
all_canaries() { sed -n 's/^  name: \(.*\)-canary$/\1/p' "$overlays/production/canary.yaml" | tr '\n' ' '; }
CANARY_SERVICES="${CANARY_SERVICES:-$(all_canaries)}"
CANARY_MINUTES="${CANARY_MINUTES:-10}"
CANARY_MAX_ERROR_RATIO="${CANARY_MAX_ERROR_RATIO:-0.01}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-10m}"

say() { echo "deploy.sh: $*" >&2; }
usage() { sed -n '2,16p' "$0" >&2; exit 2; }

# `kustomize edit` on the overlay, in place (the pipeline's checkout; by hand, commit what it changed).
# kubectl embeds `kustomize build` only, so editing needs the kustomize binary.
kustomize_edit() { command -v kustomize >/dev/null 2>&1 || { say "the kustomize binary is needed for 'edit'"; exit 1; }; kustomize edit "$@"; }
set_image() { (cd "$overlays/$1" && kustomize_edit set image "$2=$3"); }
apply() { kubectl kustomize "$overlays/$1" | kubectl apply --server-side --force-conflicts -f -; }

# Waits for every Deployment of a track in a namespace; returns 1 when one does not roll out in time.
wait_track() {
  local ns="$1" track="$2" failed=0
  for d in $(kubectl -n "$ns" get deployment -l "track=$track" -o name); do
    kubectl -n "$ns" rollout status "$d" --timeout="$ROLLOUT_TIMEOUT" || failed=1
  done
  return "$failed"
}

undo_track() {
  local ns="$1" track="$2"
  for d in $(kubectl -n "$ns" get deployment -l "track=$track" -o name); do kubectl -n "$ns" rollout undo "$d" || true; done
}

canary_replicas() {
  local count="$1"
  for s in $CANARY_SERVICES; do (cd "$overlays/production" && kustomize_edit set replicas "$s-canary=$count"); done
}

# The canary's error ratio over the last 5 minutes (0 when it served nothing yet).
canary_error_ratio() {
  local q='(sum(rate(simplebank_rpc_server_duration_seconds_count{track="canary",outcome=~"server_error|timeout"}[5m])) or vector(0)) / clamp_min(sum(rate(simplebank_rpc_server_duration_seconds_count{track="canary"}[5m])), 1e-9)'
  curl -fsS --get "${PROMETHEUS_URL:?PROMETHEUS_URL is needed for the canary check}/api/v1/query" --data-urlencode "query=$q" | jq -r '.data.result[0].value[1] // "0"'
}

# A check every 30 s for CANARY_MINUTES (counted, not timed: a slow check does not shorten the watch).
watch_canary() {
  local ns=simplebank check
  for (( check = 0; check < CANARY_MINUTES * 2; check++ )); do
    local unready
    unready=$(kubectl -n "$ns" get pods -l track=canary -o json | jq '[.items[] | select(([.status.conditions[]? | select(.type=="Ready" and .status=="True")] | length) == 0)] | length')
    local ratio
    ratio=$(canary_error_ratio)
    say "canary: $unready pod(s) not ready, error ratio $ratio (at most $CANARY_MAX_ERROR_RATIO)"
    if [ "$unready" != "0" ] || awk -v r="$ratio" -v m="$CANARY_MAX_ERROR_RATIO" 'BEGIN { exit !(r > m) }'; then return 1; fi
    sleep 30
  done
}

rollback() {
  say "rolling back: canary to 0, stable Deployments undone"
  canary_replicas 0
  apply production || true
  undo_track simplebank stable
}

cmd="${1:-}"; image="${2:-}"
case "$cmd" in
  staging)
    [ -n "$image" ] || usage
    set_image staging simplebank "$image"
    apply staging
    if ! wait_track simplebank-staging stable; then say "staging did not roll out: undoing"; undo_track simplebank-staging stable; exit 1; fi
    ;;
  canary)
    [ -n "$image" ] || usage
    set_image production simplebank-canary "$image"
    canary_replicas 1
    apply production
    if ! wait_track simplebank canary || ! watch_canary; then say "canary unhealthy"; canary_replicas 0; apply production; exit 1; fi
    say "canary healthy for $CANARY_MINUTES min"
    ;;
  promote)
    [ -n "$image" ] || usage
    set_image production simplebank "$image"
    apply production
    if ! wait_track simplebank stable; then rollback; exit 1; fi
    canary_replicas 0
    apply production
    ;;
  rollback) rollback ;;
  *) usage ;;
esac
