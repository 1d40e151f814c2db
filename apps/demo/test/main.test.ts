// Runs the demo end to end (the same code `bash tooling/scripts/demo.sh` runs), so CI
// catches an example that no longer works.
import http from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { countWordsIn, readText } from "../src/countWords";
import { defaultPlan, formatSummary, main } from "../src/main";

const logger = pino({ level: "silent" });

test("the demo counts the shipped files, runs the delayed one and dead-letters the missing one", async () => {
  const [harbor, orchard, lighthouse, missing] = defaultPlan().map((p) => p.url);

  const summary = await main({ logger });

  expect(summary.counts).toEqual({ [harbor!]: 51, [orchard!]: 39, [lighthouse!]: 27 });
  expect(summary.deadLetters).toEqual([{ url: missing, attempts: 3, error: expect.stringContaining("ENOENT") }]);
  const text = formatSummary(summary);
  expect(text).toContain("Counted 3 document(s):");
  expect(text).toMatch(/^ +51 {2}harbor\.txt$/m);
  expect(text).toContain("missing.txt: gave up after 3 attempts (Error: ENOENT");
});

describe("http URLs", () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === "/words") res.end("one two  three\nfour");
      else res.writeHead(404, "Not Found").end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("are fetched; a 404 is an error that is retried, then dead-lettered", async () => {
    const summary = await main({ logger, urls: [`${base}/words`, `${base}/nope`] });

    expect(summary.counts).toEqual({ [`${base}/words`]: 4 });
    expect(summary.deadLetters).toEqual([{ url: `${base}/nope`, attempts: 3, error: expect.stringContaining("404") }]);
  });

  test("readText reads http and file URLs and rejects other schemes", async () => {
    await expect(readText(`${base}/words`)).resolves.toBe("one two  three\nfour");
    await expect(readText(defaultPlan()[0]!.url)).resolves.toMatch(/^The harbor wakes/);
    await expect(readText("ftp://example.com/x")).rejects.toThrow("Cannot read ftp: URLs");
    await expect(readText("foo")).rejects.toThrow("Invalid URL");
  });
});

test("countWordsIn splits on any whitespace", () => {
  expect(countWordsIn("")).toBe(0);
  expect(countWordsIn("  to be\tor\n\nnot  ")).toBe(4);
});
