import type { Readable } from 'node:stream';

export interface JsonlLine {
  line: number;
  text: string;
}

export class LineError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const NEWLINE = 0x0a;
const BOM = '\ufeff';

/**
 * Splits a byte stream into lines in constant memory (one line buffered at a time). Tolerates a
 * UTF-8 BOM, CRLF line ends and blank lines (skipped, but counted in line numbers). Invalid UTF-8
 * and lines longer than maxLineBytes are reported with their line number.
 */
export async function* readLines(source: Readable, opts: { maxLineBytes: number }): AsyncGenerator<JsonlLine | LineError> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNo = 0;
  let tooLong = false;

  const finish = (): JsonlLine | LineError | null => {
    lineNo += 1;
    if (tooLong) {
      tooLong = false;
      pending = [];
      pendingBytes = 0;
      return new LineError(lineNo, `line is longer than the limit of ${opts.maxLineBytes} bytes`);
    }
    const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return new LineError(lineNo, 'invalid UTF-8');
    }
    if (lineNo === 1 && text.startsWith(BOM)) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') return null;
    return { line: lineNo, text };
  };

  const append = (chunk: Buffer) => {
    if (tooLong || chunk.length === 0) return;
    if (pendingBytes + chunk.length > opts.maxLineBytes) {
      tooLong = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(chunk);
    pendingBytes += chunk.length;
  };

  for await (const raw of source) {
    const chunk: Buffer = typeof raw === 'string' ? Buffer.from(raw) : raw;
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl !== -1) {
      append(chunk.subarray(start, nl));
      const out = finish();
      if (out) yield out;
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    append(chunk.subarray(start));
  }
  if (pendingBytes > 0 || tooLong) {
    const out = finish();
    if (out) yield out;
  }
}
