#!/usr/bin/env bash
# Local RabbitMQ for the distributed mode and its tests: installs Debian's rabbitmq-server when missing,
# starts it detached on loopback only (AMQP, Erlang distribution and epmd), waits until it answers and
# prints the AMQP URL. Idempotent: a running broker is left alone.
#
#   scripts/infra/rabbitmq.sh [start]   install if needed, start if not running, print the URL
#   scripts/infra/rabbitmq.sh stop      stop the broker (and nothing else)
#   scripts/infra/rabbitmq.sh status    exit 0 when the broker answers
#
# Needs root (apt-get, and the broker runs as the package's `rabbitmq` user). No systemd needed.
set -euo pipefail

PORT="${RABBITMQ_PORT:-5672}"
URL="amqp://guest:guest@127.0.0.1:${PORT}"
LOG_DIR="${RABBITMQ_LOG_BASE:-/var/log/rabbitmq}"
LOG_FILE="${LOG_DIR}/simplebank-start.log"
ENV_CONF=/etc/rabbitmq/rabbitmq-env.conf

# Loopback only: the AMQP listener, the Erlang distribution listener and epmd.
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT="$PORT"
export RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-rabbit@localhost}"
export RABBITMQ_SERVER_START_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1

say() { echo "rabbitmq.sh: $*" >&2; }

installed() { command -v rabbitmq-server >/dev/null 2>&1 && command -v rabbitmqctl >/dev/null 2>&1; }

running() { installed && timeout 20 rabbitmq-diagnostics -q ping >/dev/null 2>&1; }

write_env_conf() {
  # The same settings for anything that starts the broker or runs rabbitmqctl without this script's env.
  mkdir -p /etc/rabbitmq
  cat >"$ENV_CONF" <<CONF
# Written by scripts/infra/rabbitmq.sh (simplebank): loopback only.
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=${PORT}
NODENAME=${RABBITMQ_NODENAME}
SERVER_START_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1
CONF
}

RABBITMQ_CONF=/etc/rabbitmq/rabbitmq.conf
PROMETHEUS_PORT="${RABBITMQ_PROMETHEUS_PORT:-15692}"

write_conf() {
  # The rabbitmq_prometheus listener on loopback only (read at boot); added once, the rest of the file kept.
  mkdir -p /etc/rabbitmq
  touch "$RABBITMQ_CONF"
  grep -q '^prometheus\.tcp\.ip' "$RABBITMQ_CONF" || echo 'prometheus.tcp.ip = 127.0.0.1' >>"$RABBITMQ_CONF"
  grep -q '^prometheus\.tcp\.port' "$RABBITMQ_CONF" || echo "prometheus.tcp.port = ${PROMETHEUS_PORT}" >>"$RABBITMQ_CONF"
}

enable_prometheus() {
  # Queue depth per queue on :15692/metrics/detailed (scraped by deploy/prometheus/prometheus-distributed.yml).
  # Idempotent: nothing happens when the plugin is already enabled.
  local listed
  listed="$(rabbitmq-plugins list rabbitmq_prometheus 2>/dev/null || true)" # captured: grep -q under pipefail races
  if grep -q '\[E.*rabbitmq_prometheus' <<<"$listed"; then return; fi
  if ! grep -q 'rabbitmq_prometheus' <<<"$listed"; then
    say "rabbitmq_prometheus is not in this package; queue depth is exported by SimpleBank only"
    return
  fi
  # rabbitmq.conf is read at boot only: give the running node the loopback listener before enabling.
  rabbitmqctl eval "application:set_env(rabbitmq_prometheus, tcp_config, [{ip, \"127.0.0.1\"}, {port, ${PROMETHEUS_PORT}}])." >/dev/null
  say "enabling rabbitmq_prometheus (127.0.0.1:${PROMETHEUS_PORT})"
  rabbitmq-plugins enable rabbitmq_prometheus >/dev/null
}

install_broker() {
  if installed; then return; fi
  say "installing rabbitmq-server (Debian package)"
  # Write the loopback-only environment first and keep it (--force-confold), so that even a start by the
  # package scripts would listen on loopback only.
  write_env_conf
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o Dpkg::Options::=--force-confold rabbitmq-server >/dev/null
}

start() {
  install_broker
  write_env_conf
  write_conf
  if running; then
    say "already running"
    enable_prometheus
    echo "$URL"
    return
  fi
  mkdir -p "$LOG_DIR"
  chown rabbitmq:rabbitmq "$LOG_DIR" 2>/dev/null || true
  say "starting (log: $LOG_FILE)"
  # Detached in a session of its own (a signal to the caller's process group does not reach it); the
  # package's wrapper switches to the rabbitmq user. epmd is started by the broker, on ERL_EPMD_ADDRESS.
  setsid nohup rabbitmq-server >>"$LOG_FILE" 2>&1 </dev/null &
  # await_startup fails at once while the node is not registered yet: retry it until a deadline.
  local deadline=$((SECONDS + ${RABBITMQ_START_TIMEOUT:-120}))
  until timeout 30 rabbitmqctl await_startup >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      say "the broker did not start in time; last lines of $LOG_FILE:"
      tail -n 40 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 1
  done
  # Tests close connections from the broker side; nothing else to configure: guest is loopback-only by default.
  enable_prometheus
  echo "$URL"
}

stop() {
  if ! installed; then say "not installed"; return; fi
  if running; then
    say "stopping"
    # `shutdown` returns once the Erlang VM has exited (epmd stays, a harmless loopback-only daemon).
    rabbitmqctl shutdown >/dev/null 2>&1 || rabbitmqctl stop >/dev/null 2>&1 || true
  else
    say "not running"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) running ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 [start|stop|status|url]" >&2; exit 2 ;;
esac
