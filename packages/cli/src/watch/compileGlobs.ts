import picomatch from "picomatch";

/**
 * Compiles a list of `--watch-include` or `--watch-exclude` globs (picomatch syntax) into one
 * test over `/`-separated paths relative to the watched directory.
 *
 * - A glob without a `/` matches a file's base name at any depth (`*.log` is `**\/*.log`), as
 *   in .gitignore.
 * - A glob starting with `!` takes the files it matches back out of the list (`**\/*.ts`
 *   and `!**\/*.test.ts`: TypeScript files but not tests); a list of only `!` globs starts
 *   from every file. An empty list matches nothing. `!(…)` is an extglob, not a negation.
 * - Names starting with a dot, and everything inside dot-directories, are matched only by
 *   globs that spell the dot out (`.env`, `.config/**`): `*.ts` leaves `.eslintrc.ts` alone.
 *
 * @throws TypeError for an empty glob (`""` or a lone `!`) and one picomatch rejects.
 * @example
 * const matches = compileGlobs(["**\/*.ts", "!**\/*.test.ts"]);
 * matches("src/a.ts"); // true
 * matches("src/a.test.ts"); // false
 */
export function compileGlobs(globs: readonly string[]): (file: string) => boolean {
  const positive: picomatch.Matcher[] = [];
  const negative: picomatch.Matcher[] = [];
  for (const glob of globs) {
    let body = glob;
    let negated = false;
    while (body.startsWith("!") && !body.startsWith("!(")) {
      negated = !negated;
      body = body.slice(1);
    }
    if (body === "") throw new TypeError(`${JSON.stringify(glob)} is an empty glob.`);
    const matcher = picomatch(body.includes("/") ? body : `**/${body}`);
    (negated ? negative : positive).push(matcher);
  }
  if (positive.length === 0 && negative.length === 0) return () => false;
  return (file) => (positive.length === 0 || positive.some((m) => m(file))) && !negative.some((m) => m(file));
}
