import http from "node:http";
import type { AddressInfo } from "node:net";

/** A started server and its base URL; closed with `close()`. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Listens on a free loopback port with this request listener. */
export async function serve(listener: http.RequestListener): Promise<Served> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser-like session: keeps the dashboard's cookie and reads the CSRF token from its forms. */
export class Session {
  cookie = "";
  token = "";

  constructor(readonly base: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Headers }> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookie, ...headers }, redirect: "manual" });
    const set = res.headers.get("set-cookie");
    if (set) this.cookie = set.split(";")[0]!;
    const text = await res.text();
    // Double submit: the forms carry the cookie's value (a page without forms: take the cookie's).
    const m = /name="csrf" value="([^"]+)"/.exec(text);
    this.token = m ? m[1]! : this.cookie.slice(this.cookie.indexOf("=") + 1);
    return { status: res.status, text, headers: res.headers };
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; text: string; location: string | null }> {
    const res = await fetch(this.base + path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.cookie, origin: this.base, ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    });
    return { status: res.status, text: await res.text(), location: res.headers.get("location") };
  }
}
