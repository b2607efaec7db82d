import type { PassThrough, Readable } from 'node:stream';
import type { FieldError } from '@retort/contracts';
import type { ChatRecord } from './canonical';
import { detectFormat, normalizeRecord, type FormatOption, type RecordFormat } from './formats';
import { LineError, readLines } from './lines';
import { checkPurpose, checkTokens, type DatasetPurpose, type TokenCounter } from './rules';
import { unstorableTextIssues } from './storable-text';

export interface ValidationLimits {
  maxLineBytes: number;
  /** How many errors are listed; the total is always counted. */
  maxErrors: number;
  /** 'auto' (the default) takes the format of the first record, and every line must then match it. */
  format?: FormatOption;
  /** What the records must be fit for (see rules.ts); without it only their structure is checked. */
  purpose?: DatasetPurpose;
  /** Records with more tokens than this are errors. */
  maxTokens?: number;
  /** The base model's tokenizer; without one, tokens are estimated (see rules.ts). */
  countTokens?: TokenCounter;
}

export const DEFAULT_LIMITS: ValidationLimits = { maxLineBytes: 1024 * 1024, maxErrors: 100 };

export interface ValidationResult {
  records: number;
  errors: FieldError[];
  totalErrors: number;
  /** The declared format, or the one detected from the first record (null when none was found). */
  format: RecordFormat | null;
}

/**
 * Streams a JSONL source once: validates every line and emits the canonical records (one JSON
 * object per line) to `canonical`, which is ended when the source is. Memory stays constant.
 * Canonical output stops at the first error, as such an upload is refused as a whole.
 */
export async function validateJsonl(source: Readable, canonical: PassThrough | null, options: Partial<ValidationLimits> = DEFAULT_LIMITS): Promise<ValidationResult> {
  const limits = { ...DEFAULT_LIMITS, ...options };
  const declared = limits.format && limits.format !== 'auto' ? limits.format : null;
  const result: ValidationResult = { records: 0, errors: [], totalErrors: 0, format: declared };
  let expectedFrom = 'declared';
  const fail = (e: FieldError) => {
    result.totalErrors += 1;
    if (result.errors.length < limits.maxErrors) result.errors.push(e);
  };
  try {
    for await (const item of readLines(source, { maxLineBytes: limits.maxLineBytes })) {
      if (item instanceof LineError) {
        fail({ line: item.line, path: '', message: item.message.replace(/^line \d+: /, '') });
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(item.text);
      } catch (err) {
        fail({ line: item.line, path: '', message: `invalid JSON: ${(err as Error).message}` });
        continue;
      }
      const unstorable = unstorableTextIssues(value);
      if (unstorable.length) {
        for (const issue of unstorable) fail({ line: item.line, ...issue });
        continue;
      }
      if (result.format === null) {
        result.format = detectFormat(value);
        if (result.format) expectedFrom = `detected from line ${item.line}`;
      }
      const normalized = normalizeRecord(value, result.format ?? 'auto', expectedFrom);
      if ('issues' in normalized) {
        for (const issue of normalized.issues) fail({ line: item.line, ...issue });
        continue;
      }
      const issues = limits.purpose ? checkPurpose(normalized, limits.purpose) : [];
      if (limits.maxTokens !== undefined) {
        const tooLong = checkTokens(normalized.record, limits.maxTokens, limits.countTokens);
        if (tooLong) issues.push(tooLong);
      }
      if (issues.length) {
        for (const issue of issues) fail({ line: item.line, ...issue });
        continue;
      }
      result.records += 1;
      if (canonical && result.totalErrors === 0) await write(canonical, canonicalLine(normalized.record));
    }
  } finally {
    canonical?.end();
  }
  if (result.records === 0 && result.totalErrors === 0) fail({ path: '', message: 'the file has no records' });
  return result;
}

export function canonicalLine(record: ChatRecord): string {
  return JSON.stringify(record) + '\n';
}

function write(stream: PassThrough, text: string): Promise<void> {
  return stream.write(text) ? Promise.resolve() : new Promise((resolve) => stream.once('drain', resolve));
}
