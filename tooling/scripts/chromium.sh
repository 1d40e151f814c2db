#!/usr/bin/env bash
# chromium.sh - make Debian's Chromium available at /usr/bin/chromium for the dashboard's
# browser tests (playwright-core drives it; it never downloads a browser). Idempotent:
# nothing happens when it is there. Prints its path on stdout.
#
# Environment: SKIP_APT=1 never runs apt-get (fails instead if Chromium is missing);
# CHROMIUM=/path uses that binary instead.
set -euo pipefail
BIN="${CHROMIUM:-/usr/bin/chromium}"
log() { printf '[chromium] %s\n' "$*" >&2; }

if [ ! -x "$BIN" ]; then
  if [ -n "${SKIP_APT:-}" ]; then log "$BIN is missing and SKIP_APT is set"; exit 1; fi
  [ "$(id -u)" = 0 ] || { log "$BIN is missing; apt-get needs root"; exit 1; }
  log "installing chromium with apt-get (~85 MB)"
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine: update once if the first try fails.
  apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends chromium >/dev/null; }
fi
[ -x "$BIN" ] || { log "$BIN is still missing"; exit 1; }
printf '%s\n' "$BIN"
