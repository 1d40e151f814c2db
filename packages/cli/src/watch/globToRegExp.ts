/**
 * A glob as a RegExp over `/`-separated relative paths: `**` any number of directories,
 * `*` and `?` within one name, `{a,b}` alternatives. A pattern without a `/` matches a
 * file's base name at any depth (as in .gitignore).
 *
 * @example
 * globToRegExp("**\/*.{js,ts}").test("src/a/b.ts") // true
 * globToRegExp("*.test.ts").test("src/a.test.ts") // true (base name)
 */
export function globToRegExp(glob: string): RegExp {
  const anywhere = !glob.includes("/");
  let re = "";
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const slashAfter = glob[i + 2] === "/";
        re += slashAfter ? "(?:.*/)?" : ".*";
        i += slashAfter ? 2 : 1;
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") re += "[^/]";
    else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(anywhere ? `(?:^|/)${re}$` : `^${re}$`);
}
