import type { QueueInspector } from "@q/core";

/** What every page is rendered with. */
export interface PageContext {
  /** The mount path, without a trailing slash ("" at the root). */
  prefix: string;
  inspector: QueueInspector;
  brokerName: string;
  readOnly: boolean;
  /** This browser's CSRF token, put in every form. */
  csrf: string;
  include: readonly string[];
  /** A result to show once, from the action that redirected here. */
  notice?: string;
  error?: string;
}
