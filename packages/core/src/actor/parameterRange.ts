import { type Expression, type Pattern, parseExpressionAt } from "acorn";

/** How many arguments a function takes: at least `min`, at most `max` (`Infinity`: no upper bound). */
export interface ParameterRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The number of arguments `fn` takes, worked out once when an actor is declared. `min`
 * is `fn.length` (the parameters before the first one with a default or a rest
 * parameter). `max` needs the parameter list, which only the source shows: it is read
 * from `fn.toString()` with a real JavaScript parser (acorn), since parameter lists can
 * hold defaults with commas, parentheses, strings and nested functions, which a
 * hand-written scanner would easily get wrong. `max` is `Infinity` for a rest parameter,
 * a function that reads `arguments`, and whatever shows no parameter list (bound and
 * native functions, sources the parser cannot read).
 *
 * @example
 * parameterRange(function (a, b = 1) {})  // { min: 1, max: 2 }
 * parameterRange((a, ...rest) => {})      // { min: 1, max: Infinity }
 */
export function parameterRange(fn: (...args: any[]) => unknown): ParameterRange {
  const min = fn.length;
  const params = parameterList(fn);
  if (!params || params.some((p) => p.type === "RestElement")) return { min, max: Infinity };
  return { min, max: Math.max(min, params.length) };
}

function parameterList(fn: (...args: any[]) => unknown): Pattern[] | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  // Bound functions, natives and proxies show `{ [native code] }`, not their parameters.
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return undefined;
  // A function may take any number of arguments through `arguments`. The word anywhere
  // (a nested function, a string) only drops the upper bound, never rejects a call.
  if (/\barguments\b/.test(source)) return undefined;
  // A function, arrow or class is an expression; a method (`name(a) {}`, from an object or
  // a class) reads as one only inside an object literal.
  return functionParams(parse(`(${source})`)) ?? objectMethodParams(parse(`({${source}})`));
}

function parse(text: string): Expression | undefined {
  try {
    return parseExpressionAt(text, 0, { ecmaVersion: "latest" });
  } catch {
    return undefined;
  }
}

function functionParams(node: Expression | undefined): Pattern[] | undefined {
  return node && (node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression") ? node.params : undefined;
}

function objectMethodParams(node: Expression | undefined): Pattern[] | undefined {
  if (!node || node.type !== "ObjectExpression" || node.properties.length !== 1) return undefined;
  const property = node.properties[0]!;
  return property.type === "Property" ? functionParams(property.value as Expression) : undefined;
}
