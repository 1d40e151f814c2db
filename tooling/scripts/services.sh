#!/usr/bin/env bash
# services.sh - make Redis, RabbitMQ and memcached answer on 127.0.0.1 so the
# integration tests can run (Debian 12, as root, no systemd). Based on
# /work/shared/tooling-notes/start-services.sh.
#
# Idempotent: a service that already answers its protocol is left alone; missing
# Debian packages are installed (apt-get update + install, once); anything not
# running is started in the background; then each is polled until it answers
# (Redis PING, memcached "version", AMQP handshake). Exits 1 if one never does.
#
# Usage:  bash tooling/scripts/services.sh [redis] [rabbitmq] [memcached]   (default: all three)
#
# Environment (all optional):
#   REDIS_PORT=6379  AMQP_PORT=5672  MEMCACHED_PORT=11211
#   RABBITMQ_NODENAME=rabbit@localhost
#   RABBITMQ_MNESIA_BASE, RABBITMQ_LOG_BASE  RabbitMQ data/log dirs (default: Debian's; if only
#                                            MNESIA_BASE is set, logs go to $MNESIA_BASE/log)
#   SERVICES_RUN_DIR=/tmp/ci-services        pid/log/data dirs of Redis and memcached started here
#   SERVICE_TIMEOUT=90                       seconds to wait for each service to answer
#   SKIP_APT=1                               never run apt-get (fail instead if something is missing)
#
# Stop what this script started with: kill <pid> (pids are printed in the summary).

set -euo pipefail

REDIS_PORT="${REDIS_PORT:-6379}"
AMQP_PORT="${AMQP_PORT:-5672}"
MEMCACHED_PORT="${MEMCACHED_PORT:-11211}"
RABBITMQ_NODENAME="${RABBITMQ_NODENAME:-rabbit@localhost}"
SERVICES_RUN_DIR="${SERVICES_RUN_DIR:-/tmp/ci-services}"
SERVICE_TIMEOUT="${SERVICE_TIMEOUT:-90}"
HOST=127.0.0.1

if [ "$#" -gt 0 ]; then WANT=("$@"); else WANT=(redis rabbitmq memcached); fi
for s in "${WANT[@]}"; do
  case "$s" in redis|rabbitmq|memcached) ;; *) echo "unknown service: $s (expected redis, rabbitmq, memcached)" >&2; exit 2 ;; esac
done

log() { printf '[services] %s\n' "$*"; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((d / 1000)) $(((d % 1000) / 100)); }
wants() { local s; for s in "${WANT[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
have() { local p; p="$(command -v "$1" 2>/dev/null)" && [ -f "$p" ] && [ -x "$p" ]; }
port_listening() { [ -n "$(ss -Hltn "( sport = :$1 )" 2>/dev/null)" ]; }
listener_pid() { ss -Hltnp "( sport = :$1 )" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; }

# --- readiness probes (speak each protocol, so a random process on the port does not count) ---
redis_ready() {
  local out
  if have redis-cli; then
    out="$(timeout 2 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null)" || return 1
  else
    out="$(timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$REDIS_PORT; printf 'PING\r\n' >&3; IFS= read -r l <&3; printf '%s' \"\${l%\$'\r'}\"" 2>/dev/null)" || return 1
    out="${out#+}"
  fi
  [ "$out" = "PONG" ]
}
memcached_ready() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$MEMCACHED_PORT; printf 'version\r\n' >&3; IFS= read -r l <&3; [[ \$l == VERSION* ]]" 2>/dev/null
}
amqp_ready() {
  # AMQP 0-9-1 protocol header; a broker answers with a connection.start frame: type 01, channel 0000.
  local hex
  hex="$(timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$AMQP_PORT; printf 'AMQP\x00\x00\x09\x01' >&3; head -c 7 <&3" 2>/dev/null | od -An -tx1 | tr -d ' \n')" || true
  [[ "$hex" == 010000* ]]
}

wait_until() { # wait_until <probe> <name>: poll every 0.2s until SERVICE_TIMEOUT
  local deadline=$(( $(date +%s) + SERVICE_TIMEOUT ))
  until "$1"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$2: NOT READY after ${SERVICE_TIMEOUT}s"
      return 1
    fi
    sleep 0.2
  done
}

# --- 1. what is already up ---
declare -A STATE=() PIDS=() T0=()
probe_of() { case "$1" in redis) echo redis_ready ;; rabbitmq) echo amqp_ready ;; memcached) echo memcached_ready ;; esac; }
port_of() { case "$1" in redis) echo "$REDIS_PORT" ;; rabbitmq) echo "$AMQP_PORT" ;; memcached) echo "$MEMCACHED_PORT" ;; esac; }

for s in "${WANT[@]}"; do
  if "$(probe_of "$s")"; then
    STATE[$s]="already running"
    PIDS[$s]="$(listener_pid "$(port_of "$s")")"
    log "$s: already running on $HOST:$(port_of "$s") (pid ${PIDS[$s]:-?}); nothing to do"
  fi
done

# --- 2. install what is missing ---
missing=()
if wants redis && [ -z "${STATE[redis]:-}" ] && ! have redis-server; then missing+=(redis-server redis-tools); fi
if wants rabbitmq && [ -z "${STATE[rabbitmq]:-}" ] && ! { [ -f /usr/sbin/rabbitmq-server ] && [ -x /usr/sbin/rabbitmq-server ]; }; then missing+=(rabbitmq-server); fi
if wants memcached && [ -z "${STATE[memcached]:-}" ] && ! have memcached; then missing+=(memcached); fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${SKIP_APT:-0}" = 1 ]; then log "missing packages ${missing[*]} and SKIP_APT=1"; exit 1; fi
  [ "$(id -u)" = 0 ] || { log "missing packages ${missing[*]}; apt-get needs root"; exit 1; }
  t=$(now_ms)
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  log "installed in $(secs_since "$t")"
  # Without systemd the packages normally do not start their service (invoke-rc.d is denied),
  # but if one did, use it.
  for s in "${WANT[@]}"; do
    if [ -z "${STATE[$s]:-}" ] && "$(probe_of "$s")"; then
      STATE[$s]="started by apt"; PIDS[$s]="$(listener_pid "$(port_of "$s")")"
      log "$s: answering after install (pid ${PIDS[$s]:-?})"
    fi
  done
fi

# --- 3. start what is not running ---
mkdir -p "$SERVICES_RUN_DIR"

start_redis() {
  local dir="$SERVICES_RUN_DIR/redis-$REDIS_PORT"
  log "redis: starting on $HOST:$REDIS_PORT (data/log in $dir)"
  mkdir -p "$dir"
  redis-server --bind "$HOST" --port "$REDIS_PORT" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
    --save '' --appendonly no >/dev/null
}

start_memcached() {
  local dir="$SERVICES_RUN_DIR/memcached-$MEMCACHED_PORT" user=root
  mkdir -p "$dir"
  id memcache >/dev/null 2>&1 && user=memcache
  log "memcached: starting on $HOST:$MEMCACHED_PORT"
  memcached -d -u "$user" -l "$HOST" -p "$MEMCACHED_PORT" -U 0 -m 64 -P "$dir/memcached.pid"
}

rabbit_pidfile() { echo "${RABBITMQ_PID_FILE:-${RABBITMQ_MNESIA_BASE:-/var/lib/rabbitmq/mnesia}/$RABBITMQ_NODENAME.pid}"; }

start_rabbitmq() {
  local short="${RABBITMQ_NODENAME%%@*}"
  if epmd -names 2>/dev/null | grep -q "^name $short at port"; then
    log "rabbitmq: node $RABBITMQ_NODENAME is already registered with epmd (booting?); waiting for it instead of starting another"
    STATE[rabbitmq]="found starting"
    return 0
  fi
  log "rabbitmq: starting node $RABBITMQ_NODENAME on $HOST:$AMQP_PORT"
  export RABBITMQ_NODENAME RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_NODE_IP_ADDRESS="$HOST"
  # Keep Erlang distribution (port AMQP_PORT+20000) and a freshly started epmd on loopback too.
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="${RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:--kernel inet_dist_use_interface {127,0,0,1}}"
  export ERL_EPMD_ADDRESS="${ERL_EPMD_ADDRESS:-127.0.0.1}"
  if [ -n "${RABBITMQ_MNESIA_BASE:-}" ]; then
    export RABBITMQ_MNESIA_BASE RABBITMQ_LOG_BASE="${RABBITMQ_LOG_BASE:-${RABBITMQ_MNESIA_BASE%/}/log}"
  fi
  local d
  for d in "${RABBITMQ_MNESIA_BASE:-}" "${RABBITMQ_LOG_BASE:-}"; do
    [ -n "$d" ] || continue
    mkdir -p "$d"
    chown rabbitmq:rabbitmq "$d"
  done
  mkdir -p "$SERVICES_RUN_DIR"
  # Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user (su keeps RABBITMQ_* vars).
  # -detached returns at once; the broker needs a few seconds before port $AMQP_PORT answers.
  /usr/sbin/rabbitmq-server -detached >"$SERVICES_RUN_DIR/rabbitmq-$AMQP_PORT.start.log" 2>&1
}

START_ORDER=() WAIT_ORDER=()
for s in rabbitmq redis memcached; do wants "$s" && START_ORDER+=("$s"); done   # RabbitMQ boots slowest: start it first
for s in redis memcached rabbitmq; do wants "$s" && WAIT_ORDER+=("$s"); done    # ... and wait for it last

for s in "${START_ORDER[@]}"; do
  [ -z "${STATE[$s]:-}" ] || continue
  T0[$s]=$(now_ms)
  if [ "$s" != rabbitmq ] && port_listening "$(port_of "$s")"; then
    log "$s: port $(port_of "$s") is taken but does not answer yet; waiting for it"
    STATE[$s]="found starting"
    continue
  fi
  if "start_$s"; then
    STATE[$s]="${STATE[$s]:-started}"
  else
    log "$s: start command failed"
    STATE[$s]="failed"
  fi
done

# --- 4. wait for readiness ---
rc=0
for s in "${WAIT_ORDER[@]}"; do
  case "${STATE[$s]}" in "already running"|"started by apt") continue ;; failed) rc=1; continue ;; esac
  if wait_until "$(probe_of "$s")" "$s"; then
    PIDS[$s]="$(listener_pid "$(port_of "$s")")"
    if [ -z "${PIDS[$s]}" ]; then
      case "$s" in
        redis) PIDS[$s]="$(cat "$SERVICES_RUN_DIR/redis-$REDIS_PORT/redis.pid" 2>/dev/null || true)" ;;
        memcached) PIDS[$s]="$(cat "$SERVICES_RUN_DIR/memcached-$MEMCACHED_PORT/memcached.pid" 2>/dev/null || true)" ;;
        rabbitmq) PIDS[$s]="$(cat "$(rabbit_pidfile)" 2>/dev/null || true)" ;;
      esac
    fi
    log "$s: ready on $HOST:$(port_of "$s") after $(secs_since "${T0[$s]}") (${STATE[$s]}, pid ${PIDS[$s]:-?})"
  else
    rc=1
    case "$s" in
      redis) tail -n 20 "$SERVICES_RUN_DIR/redis-$REDIS_PORT/redis.log" 2>/dev/null || true ;;
      rabbitmq) tail -n 20 "$SERVICES_RUN_DIR/rabbitmq-$AMQP_PORT.start.log" 2>/dev/null || true
                tail -n 20 "${RABBITMQ_LOG_BASE:-/var/log/rabbitmq}/$RABBITMQ_NODENAME.log" 2>/dev/null || true ;;
    esac
  fi
done

for s in "${WAIT_ORDER[@]}"; do
  printf '[services] summary: %-9s %-15s port=%-5s pid=%s\n' "$s" "${STATE[$s]}" "$(port_of "$s")" "${PIDS[$s]:-?}"
done
exit "$rc"
