import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** PEM files (paths) of a throwaway CA and a server certificate it signed. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA's certificate: what clients trust (NODE_EXTRA_CA_CERTS, `tls.ca`). */
  readonly ca: string;
  /** The server's certificate, for `localhost` and `127.0.0.1`. */
  readonly cert: string;
  /** The server's private key. */
  readonly key: string;
  /** Removes the files. */
  remove(): void;
}

/**
 * Makes a CA and a server certificate for localhost/127.0.0.1 (valid one day, EC P-256) in
 * a temporary directory with the `openssl` CLI: nothing outside the test is trusted or kept.
 *
 * @example
 * const certs = await makeCertificates();
 * const server = await RedisServer.start({ tls: certs });
 */
export async function makeCertificates(): Promise<TestCertificates> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "q-certs-"));
  const file = (name: string) => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", ["req", "-x509", ...ec, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=q test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  await run("openssl", ["req", ...ec, "-keyout", file("key.pem"), "-out", file("server.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(
    file("server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
  );
  await run("openssl", ["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial",
    "-out", file("cert.pem"), "-days", "1", "-extfile", file("server.ext")]);
  return { dir, ca: file("ca.pem"), cert: file("cert.pem"), key: file("key.pem"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
