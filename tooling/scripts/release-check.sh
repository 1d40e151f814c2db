#!/usr/bin/env bash
# release-check.sh - checks the pending release and the release settings of the public @q/*
# packages (every packages/*/package.json without "private": true):
#   - every public package has the same version, and `changeset status --output` releases them
#     together at one version; before the first release (versions FIRST_RELEASE-0) it must
#     release every one of them as exactly FIRST_RELEASE;
#   - .changeset/config.json has exactly the public packages in one `fixed` group;
#   - no public package depends on another @q/* package except as a peer (`workspace:^`), with
#     @q/core as a dev dependency for the workspace, so an app always has one @q/core;
#   - repository (the root's URL, with the package's directory), homepage and bugs are set.
# Changesets compares with the local `main` branch (baseBranch); a clone without one gets it
# from origin/main. Exit status 1 on any problem, each named on its own line.
set -euo pipefail

FIRST_RELEASE=0.1.0
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '[release-check] %s\n' "$*" >&2; }

if ! git rev-parse --verify -q refs/heads/main >/dev/null; then
  if git rev-parse --verify -q refs/remotes/origin/main >/dev/null; then
    log "no local main branch; creating it from origin/main (changesets compares with it)"
    git branch main origin/main >/dev/null
  else
    log "changesets needs a main branch (its baseBranch) and there is neither main nor origin/main"
    exit 1
  fi
fi

plan="$(mktemp "${TMPDIR:-/tmp}/q-release-plan.XXXXXX.json")"
trap 'rm -f "$plan"' EXIT
# --output writes the plan as JSON (the releases with old and new versions).
pnpm exec changeset status --output "$plan" >/dev/null

node - "$plan" "$FIRST_RELEASE" <<'EOF'
const fs = require("node:fs");
const [planFile, firstRelease] = process.argv.slice(2);
const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
const read = (f) => JSON.parse(fs.readFileSync(f, "utf8"));
const root = read("package.json");
const config = read(".changeset/config.json");
const problems = [];

const pkgs = fs
  .readdirSync("packages")
  .filter((d) => fs.existsSync(`packages/${d}/package.json`))
  .map((d) => ({ dir: `packages/${d}`, json: read(`packages/${d}/package.json`) }))
  .filter((p) => !p.json.private);
const names = pkgs.map((p) => p.json.name).sort();

// The release plan. Before the first release every package is a prerelease of it
// (FIRST_RELEASE-0) and the pending changesets must take them all to exactly FIRST_RELEASE;
// after it, whatever is pending must move all of them to one version.
const current = new Set(pkgs.map((p) => p.json.version));
if (current.size > 1) problems.push(`the packages have different versions (a fixed group shares one): ${pkgs.map((p) => `${p.json.name}@${p.json.version}`).join(", ")}`);
const unreleased = pkgs.every((p) => p.json.version.startsWith(`${firstRelease}-`));
const releases = new Map(plan.releases.filter((r) => names.includes(r.name) && r.type !== "none").map((r) => [r.name, r]));
const versions = new Set([...releases.values()].map((r) => r.newVersion));
if (unreleased) {
  for (const name of names) {
    const r = releases.get(name);
    if (!r) problems.push(`${name}: no release pending; the first release (${firstRelease}) must include every package`);
    else if (r.newVersion !== firstRelease) problems.push(`${name} would release as ${r.newVersion}; the first release is ${firstRelease}`);
  }
} else if (releases.size > 0 && (releases.size !== names.length || versions.size !== 1)) {
  problems.push(`the pending release must move every package to one version: ${[...releases.values()].map((r) => `${r.name}@${r.newVersion}`).join(", ")}`);
}

// Changesets bumps a peer dependent to major when its peer leaves the range: on 0.x a minor
// changeset for @q/core (0.1 -> 0.2 leaves ^0.1.0) would make every package 1.0.0.
const declaredMajor = plan.changesets.some((c) => c.releases.some((r) => r.type === "major"));
const computedMajor = [...releases.values()].filter((r) => r.type === "major");
if (computedMajor.length && !declaredMajor) {
  problems.push(`the release would be a major (${computedMajor.map((r) => `${r.name}@${r.newVersion}`).join(", ")}) though no changeset asks for one: a "minor" of a peer on 0.x leaves the peer range; use "patch" until 1.0`);
}

// One fixed group holding exactly the public packages.
const groups = (config.fixed ?? []).map((g) => [...g].sort());
const group = groups.find((g) => g.some((n) => names.includes(n)));
if (groups.length !== 1 || !group || group.join() !== names.join()) {
  problems.push(`.changeset/config.json "fixed" must be one group of exactly ${JSON.stringify(names)}; it is ${JSON.stringify(config.fixed)}`);
}

// Dependencies on other @q packages are peers, never direct (a direct one can install a second copy).
const repo = root.repository?.url;
if (!repo) problems.push("package.json (root): no repository.url");
const web = repo?.replace(/^git\+/, "").replace(/\.git$/, "");
for (const { dir, json } of pkgs) {
  for (const type of ["dependencies", "optionalDependencies"]) {
    for (const dep of Object.keys(json[type] ?? {})) {
      if (names.includes(dep)) problems.push(`${json.name}: ${dep} is in ${type}; make it a peerDependency ("workspace:^") and a devDependency ("workspace:*")`);
    }
  }
  for (const [dep, range] of Object.entries(json.peerDependencies ?? {})) {
    if (!names.includes(dep)) continue;
    if (range !== "workspace:^") problems.push(`${json.name}: peerDependencies.${dep} is ${range}; use "workspace:^"`);
    if (json.devDependencies?.[dep] !== "workspace:*") problems.push(`${json.name}: ${dep} needs devDependencies "workspace:*" beside its peer range`);
  }
  if (json.repository?.url !== repo || json.repository?.directory !== dir) {
    problems.push(`${json.name}: repository must be ${JSON.stringify({ type: "git", url: repo, directory: dir })}`);
  }
  if (web && json.homepage !== `${web}/tree/main/${dir}#readme`) problems.push(`${json.name}: homepage must be ${web}/tree/main/${dir}#readme`);
  if (web && json.bugs?.url !== `${web}/issues`) problems.push(`${json.name}: bugs.url must be ${web}/issues`);
}

if (problems.length) {
  for (const p of problems) console.error(`[release-check] ${p}`);
  process.exit(1);
}
const [version] = versions;
console.error(`[release-check] ok: ${names.join(", ")} ${version ? `release together as ${version}` : "have no release pending"}`);
EOF
