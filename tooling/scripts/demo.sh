#!/usr/bin/env bash
# demo.sh - build and start the demo app (apps/demo, package @q/demo) from a fresh clone.
# Extra arguments are passed on to the demo's `start` script.
#
# The demo runs on the in-memory StubBroker, so by default no server is started.
#
# Environment (all optional):
#   WITH_SERVICES=1   also run services.sh (Redis, RabbitMQ, memcached on 127.0.0.1) and export
#                     REDIS_URL, AMQP_URL, MEMCACHED_SERVERS (defaults as in test.sh), for a
#                     demo broker that needs a server; everything services.sh reads applies
set -euo pipefail

PNPM_VERSION=10.34.9
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '[demo] %s\n' "$*" >&2; }

if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  # packageManager in package.json pins this exact version; a different pnpm would refuse it
  log "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION"
  hash -r
fi

if [ -f pnpm-lock.yaml ]; then pnpm install --frozen-lockfile; else pnpm install; fi

if [ "${WITH_SERVICES:-0}" = 1 ]; then
  # services.sh is idempotent and ~0.05 s when all are up.
  bash tooling/scripts/services.sh
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}"
  export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:${AMQP_PORT:-5672}}"
  export MEMCACHED_SERVERS="${MEMCACHED_SERVERS:-127.0.0.1:${MEMCACHED_PORT:-11211}}"
fi

export TURBO_TELEMETRY_DISABLED=1

# "@q/demo..." = the demo and every workspace package it depends on.
pnpm turbo run build --filter=@q/demo...
exec pnpm --filter @q/demo start "$@"
