// Jest reporter: appends one JSON line per jest run to $JEST_JSON_DIR/summary.jsonl so
// tooling/scripts/test.sh can print one grand total across every package's jest run
// (Jest's own summary is per run and has no "failed" count when all pass).
// Does nothing when JEST_JSON_DIR is unset, so plain `jest` runs are unaffected.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

function packageName(rootDir) {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(rootDir, "package.json"), "utf8"));
    if (pkg.name) return pkg.name;
  } catch {
    // no package.json next to the jest config: fall back to the directory name
  }
  return path.basename(rootDir);
}

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = (globalConfig && globalConfig.rootDir) || process.cwd();
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.JEST_JSON_DIR;
    if (!dir) return;
    const line = {
      pkg: packageName(this.rootDir),
      passed: results.numPassedTests,
      // A suite that fails to load (syntax error, throwing import) has no failed *tests*,
      // so count it, or a broken file would look like a pass.
      failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
      total: results.numTotalTests,
    };
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, "summary.jsonl"), JSON.stringify(line) + "\n");
  }
}

module.exports = SummaryReporter;
