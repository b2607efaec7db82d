import type { RecordIssue, ChatRecord } from './canonical';
import { normalizeRecord, type FormatOption } from './formats';

export { CHAT_ROLES, type ChatRole, type ChatMessage, type ChatRecord, type RecordIssue } from './canonical';

export type ParsedRecord = { record: ChatRecord } | { issues: RecordIssue[] };

/**
 * Parses one JSONL line into a canonical conversation, or says what is wrong and where. With the
 * default format 'auto' the line's own keys decide its format (see detectFormat).
 */
export function parseRecord(text: string, opts: { format?: FormatOption } = {}): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { issues: [{ path: '', message: `invalid JSON: ${(err as Error).message}` }] };
  }
  const result = normalizeRecord(value, opts.format ?? 'auto');
  return 'issues' in result ? { issues: result.issues } : { record: result.record };
}
