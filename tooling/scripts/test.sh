#!/usr/bin/env bash
# test.sh - THE test command (`pnpm test` runs it; CI runs it via .ci/run). Works on a
# fresh clone before pnpm exists:
#   pnpm 10.34.9 -> pnpm install --frozen-lockfile -> services.sh (Redis, RabbitMQ, memcached)
#   -> python-env.sh (the interop tests' Dramatiq, in .venv-interop/) -> chromium.sh (the dashboard's
#   browser tests) -> turbo build typecheck lint -> release-check.sh -> turbo test, one package at a time
#   -> pack-check.sh (the published tarballs, installed with npm into a scratch project)
# and ends with the grand total of every jest run on its own line: `N passed, N failed`.
# Exit status is non-zero if any step failed, any test failed, or no test ran at all.
#
# Environment (all optional):
#   REDIS_URL=redis://127.0.0.1:6379  AMQP_URL=amqp://guest:guest@127.0.0.1:5672
#   MEMCACHED_SERVERS=127.0.0.1:11211 (defaults follow REDIS_PORT/AMQP_PORT/MEMCACHED_PORT)
#   CI                  passed through untouched; tests must not skip server tests because of it
#                       (and python-env.sh fails without a Python 3)
#   INTEROP_PYTHON      set to the interop environment's python (from python-env.sh)
#   plus everything services.sh reads (ports, SERVICE_TIMEOUT, SKIP_APT, ...).

set -uo pipefail   # no -e: every failure is recorded so the totals line is still printed

PNPM_VERSION=10.34.9
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '[test] %s\n' "$*" >&2; }

failed_steps=()
JEST_JSON_DIR="$(mktemp -d "${TMPDIR:-/tmp}/q-jest.XXXXXX")"
export JEST_JSON_DIR

# Sum the reporter's lines (tooling/jest/summary-reporter.js). Runs on every exit path so
# the totals line is always the last thing printed, even when setup fails early.
finish() {
  local totals passed failed rc=0
  totals="$(node -e '
    const fs = require("node:fs");
    const file = process.argv[1] + "/summary.jsonl";
    let passed = 0, failed = 0;
    const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    for (const l of lines) {
      const r = JSON.parse(l);
      console.error(`[test]   ${r.pkg}: ${r.passed} passed, ${r.failed} failed (${r.total} total)`);
      for (const f of r.failures || []) {
        console.error(`[test]     FAILED ${f.test}`);
        for (const l of f.why) console.error(`[test]       ${l}`);
      }
      passed += r.passed; failed += r.failed;
    }
    console.log(passed + " " + failed);
  ' "$JEST_JSON_DIR")" || { failed_steps+=("sum totals"); totals="0 0"; }
  read -r passed failed <<<"$totals"
  rm -rf "$JEST_JSON_DIR"

  if [ "${#failed_steps[@]}" -gt 0 ]; then log "FAILED steps: ${failed_steps[*]}"; rc=1; fi
  if [ "$failed" -gt 0 ]; then rc=1; fi
  if [ $((passed + failed)) -eq 0 ]; then log "no tests ran; that counts as a failure"; rc=1; fi
  printf '%s passed, %s failed\n' "$passed" "$failed"
  exit "$rc"
}
trap finish EXIT

step() { # step <name> <command...>: run, time and record failure without stopping
  local name="$1" t0=$SECONDS rc; shift
  log "==> $name"
  "$@"; rc=$?
  if [ "$rc" -ne 0 ]; then failed_steps+=("$name"); log "<== $name FAILED (exit $rc, $((SECONDS - t0))s)"; return "$rc"; fi
  log "<== $name ok ($((SECONDS - t0))s)"
}

# --- setup: without these nothing meaningful can run, so stop at the first failure ---
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  # packageManager in package.json pins this exact version; a different pnpm would refuse it
  step "install pnpm $PNPM_VERSION" npm install -g "pnpm@$PNPM_VERSION" || exit
  hash -r
fi

if [ -f pnpm-lock.yaml ]; then
  step "pnpm install" pnpm install --frozen-lockfile || exit
else
  step "pnpm install (no lockfile)" pnpm install || exit
fi

step "services" bash tooling/scripts/services.sh redis rabbitmq memcached || exit

# Python Dramatiq for apps/interop. Not fatal here: every other suite can still run, and the
# interop tests fail (never skip) without it, naming this script.
python_env() { local py; py="$(bash tooling/scripts/python-env.sh)" || return; [ -z "$py" ] || export INTEROP_PYTHON="$py"; }
step "python env" python_env

# Debian's Chromium for @q/dashboard's browser tests. Not fatal here either: those tests fail
# (never skip) without it, naming this script.
chromium() { local bin; bin="$(bash tooling/scripts/chromium.sh)" || return; export CHROMIUM="$bin"; }
step "chromium" chromium

# --- build and tests ---
export TURBO_TELEMETRY_DISABLED=1
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}}"
export AMQP_URL="${AMQP_URL:-amqp://guest:guest@127.0.0.1:${AMQP_PORT:-5672}}"
export MEMCACHED_SERVERS="${MEMCACHED_SERVERS:-127.0.0.1:${MEMCACHED_PORT:-11211}}"
if [ -n "${CI+set}" ]; then export CI; fi

# One CI log should show every problem: --continue keeps other packages' tasks going after
# a failure, and tests still run when typecheck/lint fail (the failure is recorded and fails
# the script in finish()). Tasks whose own dependencies failed are skipped.
step "build typecheck lint" pnpm turbo run build typecheck lint --continue=dependencies-successful
step "release plan" bash tooling/scripts/release-check.sh
# Sequential: 2 cores, and integration suites share the same Redis/RabbitMQ/memcached.
step "test" pnpm turbo run test --concurrency=1 --continue=dependencies-successful
# Its checks join the totals (one line in $JEST_JSON_DIR/summary.jsonl), and a failure fails the step.
step "pack check" bash tooling/scripts/pack-check.sh
