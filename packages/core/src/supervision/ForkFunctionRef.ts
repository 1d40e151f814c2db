/**
 * A function that the `q` command runs in a process of its own (a "fork"), named so
 * that the supervisor can start it: `module` is an absolute file path or a package
 * specifier, `exportName` the export that holds the function. The function is called
 * once with a {@link ForkContext}; if it returns a function, that is called on stop.
 *
 * @example
 * class Metrics extends Middleware {
 *   override readonly forks = [{ module: require.resolve("./serveMetrics"), exportName: "serveMetrics" }];
 * }
 */
export interface ForkFunctionRef {
  readonly module: string;
  readonly exportName: string;
}
