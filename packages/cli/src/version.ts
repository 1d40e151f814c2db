/** This package's version (`q --version`). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- JSON outside rootDir: read at run time
export const version: string = (require("../package.json") as { version: string }).version;
