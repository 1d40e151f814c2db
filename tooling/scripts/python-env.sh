#!/usr/bin/env bash
# python-env.sh - the Python side of the interop tests (apps/interop): a virtual environment
# at .venv-interop/ (git-ignored) with exactly apps/interop/python/requirements.txt installed
# (Dramatiq 2.2.1 with its Redis, RabbitMQ, memcached and Prometheus clients).
#
# Cached: the environment holds a stamp (sha256 of the requirements file and the interpreter's
# version); when the stamp matches, nothing is done (~0.1 s). Otherwise the environment is made
# again from scratch, so a removed requirement does not linger. Never installs into the system
# Python: pip runs only from inside the new environment (--require-virtualenv).
#
# pylibmc builds against libmemcached: Debian's libmemcached-dev (and zlib1g-dev) are installed
# with apt-get when missing, like services.sh does for the servers.
#
# No Python 3: with CI set this fails (exit 1); otherwise it says so and exits 0, and the interop
# tests then fail with a message naming this script.
#
# Usage:  bash tooling/scripts/python-env.sh        prints the environment's python on stdout
# Environment (all optional):
#   PYTHON=python3              interpreter the environment is made from (3.9 or newer)
#   INTEROP_VENV=<repo>/.venv-interop
#   SKIP_APT=1                  never run apt-get (fail instead if a library is missing)

set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"
REQUIREMENTS="$ROOT/apps/interop/python/requirements.txt"
VENV="${INTEROP_VENV:-$ROOT/.venv-interop}"
PYTHON="${PYTHON:-python3}"

log() { printf '[python-env] %s\n' "$*" >&2; }

if ! command -v "$PYTHON" >/dev/null 2>&1 || ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
  if [ -n "${CI:-}" ]; then log "no Python 3.9+ ($PYTHON) and CI is set: the interop tests need it"; exit 1; fi
  log "no Python 3.9+ ($PYTHON); skipping the environment (the interop tests will fail until there is one)"
  exit 0
fi

py_version="$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
stamp="$( { sha256sum "$REQUIREMENTS" | cut -d' ' -f1; echo "python $py_version"; } )"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null)" = "$stamp" ]; then
  log "up to date ($VENV, Python $py_version)"
  echo "$VENV/bin/python"
  exit 0
fi

# --- system libraries pylibmc compiles against ---
missing=()
[ -f /usr/include/libmemcached/memcached.h ] || missing+=(libmemcached-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "${SKIP_APT:-0}" = 1 ]; then log "missing ${missing[*]} and SKIP_APT=1"; exit 1; fi
  [ "$(id -u)" = 0 ] || { log "missing ${missing[*]}; apt-get needs root"; exit 1; }
  log "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

t0=$SECONDS
log "making $VENV from $REQUIREMENTS with Python $py_version"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$VENV/bin/python" -m pip install --require-virtualenv -q -r "$REQUIREMENTS"
"$VENV/bin/python" -m pip check >&2
"$VENV/bin/python" -c 'import dramatiq, pika, redis, pylibmc, prometheus_client; print("dramatiq", dramatiq.__version__)' >&2
# The stamp is written last, so an interrupted install is redone next time.
printf '%s\n' "$stamp" >"$VENV/.stamp"
log "ready in $((SECONDS - t0))s"
echo "$VENV/bin/python"
