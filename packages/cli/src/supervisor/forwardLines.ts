import type { Readable } from "node:stream";

/** A line longer than this is passed on in pieces (memory stays bounded). */
const MAX_LINE = 1 << 20;

/**
 * Reads a child's output and hands `write` whole lines (newline included), so that
 * lines from several processes never mix mid-line.
 *
 * @example
 * forwardLines(child.stderr!, (line) => output.err(line));
 */
export function forwardLines(stream: Readable, write: (line: string) => void): void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const text = partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end < 0) {
      partial = text;
    } else {
      write(text.slice(0, end + 1));
      partial = text.slice(end + 1);
    }
    if (partial.length > MAX_LINE) {
      write(`${partial}\n`);
      partial = "";
    }
  });
  stream.on("end", () => {
    if (partial) write(`${partial}\n`);
    partial = "";
  });
}
