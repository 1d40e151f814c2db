/**
 * Rows as aligned columns under a header, two spaces apart; the columns in `right` are
 * right-aligned (numbers). The last column is not padded.
 *
 * @example
 * formatTable(["QUEUE", "DEAD"], [["emails", "3"]], [1]) // "QUEUE   DEAD\nemails     3\n"
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => {
        if (right.includes(i)) return cell.padStart(widths[i]!);
        return i === row.length - 1 ? cell : cell.padEnd(widths[i]!);
      })
      .join("  ")
      .trimEnd();
  return `${all.map(line).join("\n")}\n`;
}
