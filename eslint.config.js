// Shared lint config: recommended JS + typescript-eslint rules for every package.
const js = require("@eslint/js");
const fs = require("node:fs");
const tseslint = require("typescript-eslint");

// Each package is linted from its own folder: its test config covers sources and tests.
const project = fs.existsSync("tsconfig.test.json") ? "./tsconfig.test.json" : "./tsconfig.json";

module.exports = tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  // Type-aware rules for TypeScript: a promise nobody awaits or handles is how a task queue
  // loses errors (and messages), so every one must be awaited, returned, or marked `void`.
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project, tsconfigRootDir: process.cwd() },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  // Fixture apps the tests run as separate programs (with tsx): in no tsconfig of the package.
  { files: ["**/test/fixtures/**/*.ts"], ...tseslint.configs.disableTypeChecked },
);
