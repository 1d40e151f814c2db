#!/usr/bin/env bash
# pack.sh [DIR] - builds the public @q/* packages and packs each into DIR (default: ./packed at
# the repository root) as the tarball `pnpm publish` would upload, then prints the `file:`
# dependencies to put in an app's package.json. That is how to use @q from a clone before the
# first release is on the registry.
#
# Environment (optional):
#   SKIP_BUILD=1   pack what is in dist/ without running `turbo run build` first
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"
DIR="${1:-$ROOT/packed}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

log() { printf '[pack] %s\n' "$*" >&2; }

# Public packages: every packages/*/package.json without "private": true.
mapfile -t PKG_DIRS < <(node -e '
  const fs = require("node:fs");
  for (const d of fs.readdirSync("packages").sort()) {
    const f = `packages/${d}/package.json`;
    if (fs.existsSync(f) && !JSON.parse(fs.readFileSync(f, "utf8")).private) console.log(`packages/${d}`);
  }')

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  filters=()
  for d in "${PKG_DIRS[@]}"; do filters+=("--filter=./$d"); done
  log "building ${PKG_DIRS[*]}"
  TURBO_TELEMETRY_DISABLED=1 pnpm turbo run build "${filters[@]}" --output-logs=errors-only >&2
fi

# A tarball left from an earlier version of a package would be listed below as well.
rm -f "$DIR"/q-*.tgz
for d in "${PKG_DIRS[@]}"; do
  # pnpm (not npm) packs: it turns workspace:^ / workspace:* into real version ranges.
  (cd "$d" && pnpm pack --pack-destination "$DIR" >/dev/null)
done

log "packed into $DIR:"
node -e '
  const fs = require("node:fs");
  const path = require("node:path");
  const [dir, ...pkgDirs] = process.argv.slice(1);
  const deps = {};
  for (const d of pkgDirs) {
    const { name, version } = JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8"));
    const file = path.join(dir, `${name.replace(/^@/, "").replace("/", "-")}-${version}.tgz`);
    if (!fs.existsSync(file)) throw new Error(`pnpm pack wrote no ${file}`);
    console.error(`[pack]   ${path.basename(file)}  ${(fs.statSync(file).size / 1024).toFixed(1)} KiB`);
    deps[name] = `file:${file}`;
  }
  console.error("[pack] add to your app'"'"'s package.json (always @q/core: the other packages expect it beside them):");
  console.log(JSON.stringify({ dependencies: deps }, null, 2));
' "$DIR" "${PKG_DIRS[@]}"
