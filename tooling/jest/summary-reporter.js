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

const MAX_FAILURES = 20;
const MAX_LINES = 6;

function failuresOf(results, rootDir) {
  const out = [];
  for (const file of results.testResults || []) {
    const where = path.relative(rootDir, file.testFilePath || "");
    if (file.testExecError || (file.failureMessage && file.numFailingTests === 0)) {
      out.push({ test: `${where} (the file failed to run)`, why: firstLines(file.testExecError?.message || file.failureMessage) });
    }
    for (const t of file.testResults || []) {
      if (t.status !== "failed") continue;
      out.push({ test: `${where} > ${t.fullName}`, why: firstLines((t.failureMessages || []).join("\n")) });
    }
  }
  return out.slice(0, MAX_FAILURES);
}

function firstLines(text) {
  return String(text || "")
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "")
    .slice(0, MAX_LINES);
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
      // The failures' names and first lines, so the end of a CI log (often all that is kept)
      // says which test failed and why.
      failures: failuresOf(results, this.rootDir),
    };
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, "summary.jsonl"), JSON.stringify(line) + "\n");
  }
}

module.exports = SummaryReporter;
