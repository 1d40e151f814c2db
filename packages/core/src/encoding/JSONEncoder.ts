import { isAscii } from "node:buffer";
import { DecodeError } from "../errors/DecodeError";
import { EncodeError } from "../errors/EncodeError";
import type { Encoder } from "./Encoder";
import { MAX_NESTING, nestsDeeperThan } from "./nestingDepth";
import { parsePythonJson } from "./parsePythonJson";
import { stringifyPython } from "./stringifyPython";

const NON_ASCII = /[\u007f-\uffff]/g;

function escapeNonAscii(char: string): string {
  return "\\u" + char.charCodeAt(0).toString(16).padStart(4, "0");
}

/**
 * The default encoder. Writes compact UTF-8 JSON with every non-ASCII character
 * escaped as `\uXXXX`, the bytes Python's `json.dumps` writes (Dramatiq's format).
 * Reads standard JSON plus the `NaN`/`Infinity`/`-Infinity` tokens Python writes, and
 * writes such values back as those tokens (not `null`, as `JSON.stringify` would).
 *
 * @example
 * new JSONEncoder().encode({ s: "é" }).toString() // '{"s":"\\u00e9"}'
 */
export class JSONEncoder implements Encoder {
  encode(data: unknown): Buffer {
    return Buffer.from(this.encodeText(data), "latin1");
  }

  /**
   * The encoded text; pure ASCII, so its UTF-8 and Latin-1 bytes are the same. Throws
   * EncodeError for what JSON cannot write at all (undefined, a function, a BigInt, a cycle).
   */
  encodeText(data: unknown): string {
    let text: string | undefined;
    try {
      text = stringifyPython(data);
    } catch (cause) {
      throw new EncodeError(`The value cannot be encoded as JSON: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    }
    if (text === undefined) throw new EncodeError(`The value cannot be encoded as JSON: JSON has no ${typeof data}.`);
    if (nestsDeeperThan(text)) throw new EncodeError(`The value nests deeper than ${MAX_NESTING} levels of arrays and objects, more than a worker decodes.`);
    // Python's ensure_ascii escapes everything outside space..tilde, DEL included.
    return text.replace(NON_ASCII, escapeNonAscii);
  }

  /**
   * Reads UTF-8 JSON (with Python's NaN/Infinity tokens); throws DecodeError on anything else,
   * and on values nested deeper than {@link MAX_NESTING} levels.
   */
  decode(data: Buffer): unknown {
    try {
      const text = decodeUtf8(data);
      if (nestsDeeperThan(text)) throw new Error(`nested deeper than ${MAX_NESTING} levels of arrays and objects`);
      return parsePythonJson(text);
    } catch (cause) {
      // The reason only: Message.decode and other callers add what was being decoded.
      throw new DecodeError((cause as Error)?.message ?? String(cause), data, { cause });
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Strict UTF-8: invalid bytes are an error, as in Python, not U+FFFD. Dramatiq writes
 * ASCII (`ensure_ascii`), which is valid UTF-8 read byte for byte: that common case skips
 * the validating decoder.
 */
function decodeUtf8(data: Buffer): string {
  return isAscii(data) ? data.toString("latin1") : utf8.decode(data);
}
