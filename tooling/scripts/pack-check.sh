#!/usr/bin/env bash
# pack-check.sh - checks what would be published, as a user would get it. For every public
# package: `pnpm pack` (tooling/scripts/pack.sh), publint and are-the-types-wrong on the tarball.
# Then a scratch project (tooling/pack-check/) installs all tarballs with npm and
#   - requires each package from CommonJS and imports it from an ES module, and sends and
#     processes messages on the stub broker in both;
#   - type-checks a TypeScript app under node16, bundler and node10 module resolution, and runs
#     the node16 build;
#   - checks that a stack trace names only installed files, with and without source maps;
#   - checks that npm installed one @q/core, and runs the `q` binary.
# Each of these is one check. The last line is `[pack-check] N passed, N failed`; under test.sh
# (JEST_JSON_DIR set) the counts also go into the grand total. Exit status 1 if any check failed.
#
# Environment (optional):
#   SKIP_BUILD=1            do not build first (pack what is in dist/)
#   PACK_CHECK_KEEP=1       keep the scratch directory (its path is printed)
#   npm_config_*            passed to npm as usual (registry, cache, ...)
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$PWD"
BIN="$ROOT/node_modules/.bin"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/q-pack-check.XXXXXX")"
TARBALLS="$WORK/tarballs"
APP="$WORK/app"

log() { printf '[pack-check] %s\n' "$*" >&2; }

passed=0
failed=0
failures=()
cleanup() {
  if [ "${PACK_CHECK_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
report() {
  cleanup
  if [ -n "${JEST_JSON_DIR:-}" ] && [ -d "$JEST_JSON_DIR" ]; then
    printf '{"pkg":"pack-check","passed":%d,"failed":%d,"total":%d}\n' "$passed" "$failed" $((passed + failed)) >>"$JEST_JSON_DIR/summary.jsonl"
  fi
  if [ "$failed" -gt 0 ]; then log "FAILED: ${failures[*]}"; fi
  printf '[pack-check] %d passed, %d failed\n' "$passed" "$failed"
  [ "$failed" -eq 0 ]
}

check() { # check <name> <command...>: one check; its output is shown only when it fails
  local name="$1" out rc t0=$SECONDS; shift
  out="$("$@" 2>&1)"; rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    local last; last="$(printf '%s\n' "$out" | grep '[[:alnum:]]' | tail -n 1)"
    log "ok   $name ($((SECONDS - t0))s)${last:+ - $last}"
  else
    failed=$((failed + 1))
    failures+=("$name")
    log "FAIL $name (exit $rc)"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
  fi
  return 0
}

# Setup failures count as one failed check, so a broken pack can never pass silently.
fatal() { failed=$((failed + 1)); failures+=("$1"); log "FAIL $1"; report; exit 1; }

t0=$SECONDS
bash tooling/scripts/pack.sh "$TARBALLS" >"$WORK/deps.json" || fatal "pack"
mapfile -t TGZ < <(ls "$TARBALLS"/*.tgz)
[ "${#TGZ[@]}" -gt 0 ] || fatal "pack (no tarballs)"

for tgz in "${TGZ[@]}"; do
  name="$(basename "$tgz" .tgz)"
  check "publint $name" "$BIN/publint" run "$tgz" --strict
  # --no-definitely-typed: our packages ship their own types; nothing to fetch.
  check "attw $name" "$BIN/attw" "$tgz" --no-definitely-typed --no-color --format ascii
  check "no build info in $name" bash -c '! tar tzf "$1" | grep -q "\.tsbuildinfo$"' _ "$tgz"
  # Every compiled file has its source beside it (what the source maps point at) and vice versa,
  # which also catches stale files left in dist/ by a source that no longer exists.
  check "sources match dist in $name" node -e '
    const { execFileSync } = require("node:child_process");
    const files = execFileSync("tar", ["tzf", process.argv[1]], { encoding: "utf8" }).split("\n");
    const js = files.filter((f) => /^package\/dist\/.*\.js$/.test(f)).map((f) => f.slice(13, -3));
    const ts = files.filter((f) => /^package\/src\/.*\.ts$/.test(f)).map((f) => f.slice(12, -3));
    const noSource = js.filter((f) => !ts.includes(f));
    const noBuild = ts.filter((f) => !js.includes(f));
    if (noSource.length || noBuild.length || js.length === 0) {
      console.error(`dist without src: ${noSource.join(", ") || "-"}; src without dist: ${noBuild.join(", ") || "-"}`);
      process.exit(1);
    }
    console.log(`${js.length} modules`);
  ' "$tgz"
  # On npm a README's relative link leads nowhere: links are absolute, into this repository.
  check "README links in $name" node -e '
    const { execFileSync } = require("node:child_process");
    const fs = require("node:fs");
    const [tgz, root] = process.argv.slice(1);
    const repo = JSON.parse(fs.readFileSync(`${root}/package.json`, "utf8")).repository.url.replace(/^git\+/, "").replace(/\.git$/, "");
    const readme = execFileSync("tar", ["xzf", tgz, "-O", "package/README.md"], { encoding: "utf8" });
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    const bad = [];
    for (const link of links) {
      if (link.startsWith("#")) continue;
      if (!/^[a-z]+:/.test(link)) { bad.push(`${link} is relative`); continue; }
      const inRepo = link.startsWith(`${repo}/`) && /^\/(?:blob|tree)\/main\/([^#?]+)/.exec(link.slice(repo.length));
      if (inRepo && !fs.existsSync(`${root}/${inRepo[1]}`)) bad.push(`${link} names ${inRepo[1]}, which is not in the repository`);
    }
    if (bad.length) { console.error(bad.join("\n")); process.exit(1); }
    console.log(`${links.length} links`);
  ' "$tgz" "$ROOT"
done

# The scratch project: the fixture plus a package.json naming every tarball.
mkdir -p "$APP"
cp tooling/pack-check/* "$APP/"
# Third-party packages are pinned (npm overrides) to the versions the workspace tested, so this
# check is about what we publish and not about whatever an upstream released this morning (ioredis
# 6.1.0's declarations import the untyped `redis-errors`, which fails here without skipLibCheck).
node -e '
  const fs = require("node:fs");
  const path = require("node:path");
  const [depsFile, out, root] = process.argv.slice(1);
  const { dependencies } = JSON.parse(fs.readFileSync(depsFile, "utf8"));
  const overrides = {};
  for (const dir of fs.readdirSync(`${root}/packages`).map((d) => `${root}/packages/${d}`)) {
    const pkgFile = `${dir}/package.json`;
    if (!fs.existsSync(pkgFile)) continue;
    const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
    if (pkg.private) continue;
    const names = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });
    for (const name of names.filter((n) => !n.startsWith("@q/"))) {
      let found;
      for (let d = dir; !found && d !== path.dirname(d); d = path.dirname(d)) {
        const f = `${d}/node_modules/${name}/package.json`;
        if (fs.existsSync(f)) found = JSON.parse(fs.readFileSync(f, "utf8")).version;
      }
      if (found) overrides[name] = found;
    }
  }
  fs.writeFileSync(out, JSON.stringify({ name: "q-pack-check", private: true, type: "commonjs", dependencies, overrides }, null, 2));
' "$WORK/deps.json" "$APP/package.json" "$ROOT" || fatal "scratch package.json"
log "npm install of ${#TGZ[@]} tarballs and their dependencies"
(cd "$APP" && npm install --no-audit --no-fund --prefer-offline --loglevel=error >"$WORK/npm.log" 2>&1) || { cat "$WORK/npm.log" >&2; fatal "npm install"; }

cd "$APP"
export LOG_LEVEL=warn # the workers' info lines would hide each check's own last line
check "one @q/core installed" bash -c 'n=$(find node_modules -path "*/@q/core/package.json" | wc -l); echo "$n copies"; [ "$n" -eq 1 ]'
check "CommonJS require + stub broker" node smoke.cjs
check "ESM import + stub broker" node smoke.mjs
# TypeScript from the workspace (typescript 5.9.3), @types/node from the workspace too: the
# scratch project installs only what a user of @q installs.
TSC=("$BIN/tsc" --typeRoots "$ROOT/node_modules/@types")
check "TypeScript node16 resolution" "${TSC[@]}" -p tsconfig.node16.json
check "TypeScript bundler resolution" "${TSC[@]}" -p tsconfig.bundler.json
check "TypeScript node10 resolution" "${TSC[@]}" -p tsconfig.node10.json
check "TypeScript node16 build runs" node out/app.js
check "stack trace names installed files" node stack.cjs
check "stack trace with source maps names shipped sources" node --enable-source-maps stack.cjs
check "q binary runs" bash -c 'node_modules/.bin/q --version'
cd "$ROOT"

# Version skew: an app on another minor of @q/core. Its broker must refuse to install (a peer
# conflict) rather than bring a second @q/core of its own, as an exact dependency would.
skew_check() {
  local skew="$WORK/skew" core stub
  core="$(ls "$TARBALLS"/q-core-*.tgz)"
  stub="$(ls "$TARBALLS"/q-broker-stub-*.tgz)"
  mkdir -p "$skew/core" "$skew/app"
  tar xzf "$core" -C "$skew/core" --strip-components=1
  node -e '
    const fs = require("node:fs");
    const [file, app, stub] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
    const [major, minor] = pkg.version.split(".").map(Number);
    pkg.version = `${major}.${minor + 1}.0`;
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2));
    const deps = { "@q/core": "file:../core", "@q/broker-stub": `file:${stub}` };
    fs.writeFileSync(`${app}/package.json`, JSON.stringify({ name: "q-pack-check-skew", private: true, dependencies: deps }));
    console.log(`@q/core ${pkg.version} with @q/broker-stub`);
  ' "$skew/core/package.json" "$skew/app" "$stub"
  local out rc
  out="$(cd "$skew/app" && npm install --no-audit --no-fund --prefer-offline --install-links 2>&1)"; rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "npm installed it:"; find "$skew/app/node_modules" -path "*/@q/core/package.json"; return 1
  fi
  if ! grep -q ERESOLVE <<<"$out"; then echo "npm failed, but not on the peer range:"; echo "$out"; return 1; fi
  echo "npm refused: $(grep -m1 'peer @q/core' <<<"$out")"
}
check "a mismatched @q/core is refused, not installed twice" skew_check

log "done in $((SECONDS - t0))s"
report
