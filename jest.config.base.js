/** Shared Jest preset: swc transform, tests beside the code (src/) or in test/. */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/src", "<rootDir>/test"].filter((p) =>
    require("node:fs").existsSync(p.replace("<rootDir>", process.cwd())),
  ),
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.(t|j)sx?$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2023" },
        module: { type: "commonjs" },
        sourceMaps: "inline",
      },
    ],
  },
  moduleFileExtensions: ["ts", "js", "json"],
  // summary-reporter feeds the "N passed, N failed" total printed by tooling/scripts/test.sh.
  reporters: ["default", require.resolve("./tooling/jest/summary-reporter.js")],
};
