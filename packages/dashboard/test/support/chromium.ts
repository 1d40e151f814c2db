import fs from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (tooling/scripts/chromium.sh installs it), or the one `CHROMIUM` names. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium; fails (never skips) when it is missing. The flags keep it from
 * reaching out to the network and let it run as root.
 */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: run bash tooling/scripts/chromium.sh`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}
