// Keeps the documentation honest: every ```ts block in the READMEs and docs/ must compile
// against the current @q packages, the README's unit-test sample must be the code that
// test/quickstart.test.ts runs, and a block marked with RUN_MARKER (an HTML comment on the
// line before it, invisible on GitHub) must run and print the ```text block that follows it.
//
// Each block is compiled as its own module (so it needs its own imports), with the demo's
// test compiler options, as if it were a file in this directory. Blocks fenced as ```text,
// ```json, ```sh or anything other than ```ts are not checked.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";

const REPO = path.resolve(__dirname, "../../..");
const DEMO = path.resolve(__dirname, "..");
/** The comment that marks a sample to run; its output is the next ```text block. */
const RUN_MARKER = "<!-- This sample runs in CI (apps/demo/test/docs.test.ts) and must print the text block below it. -->";
const DOC_FILES = [
  "README.md",
  ...fs
    .readdirSync(path.join(REPO, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  // Every package's README: a new package must be a devDependency here for its samples to compile.
  ...fs
    .readdirSync(path.join(REPO, "packages"))
    .filter((d) => fs.existsSync(path.join(REPO, "packages", d, "README.md")))
    .map((d) => `packages/${d}/README.md`),
];

interface Snippet {
  /** Where it is, for error messages: `docs/actors.md:42`. */
  where: string;
  code: string;
}

function snippetsOf(file: string): Snippet[] {
  const text = fs.readFileSync(path.join(REPO, file), "utf8");
  const out: Snippet[] = [];
  const fence = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = fence.exec(text); m; m = fence.exec(text)) {
    const line = text.slice(0, m.index).split("\n").length + 1;
    out.push({ where: `${file}:${line}`, code: m[1]! });
  }
  return out;
}

test("every TypeScript sample in the docs compiles", () => {
  const snippets = DOC_FILES.flatMap(snippetsOf);
  expect(snippets.length).toBeGreaterThan(20);

  const configPath = path.join(__dirname, "..", "tsconfig.test.json");
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!config) throw new Error(`cannot read ${configPath}`);

  // Virtual files next to this test, so that `@q/core` resolves through the demo's node_modules.
  const virtual = new Map<string, Snippet>();
  snippets.forEach((s, i) => virtual.set(path.join(__dirname, `__doc_snippet_${i}__.ts`), s));

  const options: ts.CompilerOptions = { ...config.options, noEmit: true };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f)?.code ?? readFile.call(host, f);
  host.getSourceFile = (f, language, ...rest) => {
    const snippet = virtual.get(f);
    return snippet ? ts.createSourceFile(f, snippet.code, language) : getSourceFile.call(host, f, language, ...rest);
  };

  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const snippet = d.file && virtual.get(d.file.fileName);
    if (!d.file || d.start === undefined) return text;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    if (!snippet) return `${d.file.fileName}:${line + 1}: ${text}`;
    const [file, first] = snippet.where.split(":");
    return `${file}:${Number(first) + line}: ${text}`;
  });
  expect(problems).toEqual([]);
}, 60_000);

test("the README's unit test is what test/quickstart.test.ts runs", () => {
  const normalize = (code: string) => code.replace(/\s+/g, " ").trim();
  const tested = normalize(fs.readFileSync(path.join(__dirname, "quickstart.test.ts"), "utf8"));
  const readmeTests = snippetsOf("README.md").filter((s) => /^test\(/m.test(s.code));
  expect(readmeTests.length).toBeGreaterThan(0);
  for (const snippet of readmeTests) {
    // Imports may be merged in the test file; compare everything else.
    const body = snippet.code
      .split("\n")
      .filter((l) => !l.startsWith("import "))
      .join("\n");
    expect(tested).toContain(normalize(body));
  }
});

/** The samples marked to run, each with the output the docs show for it. */
function runnableSnippetsOf(file: string): (Snippet & { output: string })[] {
  const text = fs.readFileSync(path.join(REPO, file), "utf8");
  const out: (Snippet & { output: string })[] = [];
  for (let at = text.indexOf(RUN_MARKER); at !== -1; at = text.indexOf(RUN_MARKER, at + 1)) {
    const rest = text.slice(at + RUN_MARKER.length);
    const where = `${file}:${text.slice(0, at).split("\n").length}`;
    const m = /^\n```ts\n([\s\S]*?)^```\n(?:(?!^```)[\s\S])*?^```text\n([\s\S]*?)^```$/m.exec(rest);
    if (!m || m.index !== 0) throw new Error(`${where}: the run marker must be followed by a \`\`\`ts block, then a \`\`\`text block`);
    out.push({ where, code: m[1]!, output: m[2]! });
  }
  return out;
}

/** Runs a sample's JavaScript with node in the demo's folder (so `@q/*` resolve), no log variables set. */
function runSample(js: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.LOG_LEVEL;
  delete env.Q_LOG_FORMAT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", js], { cwd: DEMO, env, stdio: ["ignore", "pipe", "pipe"] });
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("the samples marked to run print what the docs show", async () => {
  const runnable = DOC_FILES.flatMap(runnableSnippetsOf);
  // docs/workers.md's "Handling time limits" at least; a marker lost in an edit fails here.
  expect(runnable.map((s) => s.where.split(":")[0])).toContain("docs/workers.md");
  for (const snippet of runnable) {
    const { outputText } = ts.transpileModule(snippet.code, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2023, esModuleInterop: true },
      fileName: "sample.ts",
    });
    const run = await runSample(outputText);
    expect({ where: snippet.where, code: run.code, stdout: run.stdout }).toEqual({ where: snippet.where, code: 0, stdout: snippet.output });
  }
}, 60_000);
