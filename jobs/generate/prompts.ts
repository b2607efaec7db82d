import type { ChatMessage, ChatRecord } from '@retort/datasets';
import { LineError, parseRecord, readLines } from '@retort/datasets';
import type { Readable } from 'node:stream';

export interface Prompt {
  idx: number;
  /** The conversation up to and including its last user turn. */
  messages: ChatMessage[];
  /** The record's own answer (its last assistant turn after the prompt) or meta.reference. */
  reference?: string;
  tags?: string[];
  meta?: Record<string, unknown>;
}

/** The prompts of a canonical JSONL artifact, in order (the prompt index is the record's position). */
export async function* readPrompts(source: Readable): AsyncGenerator<Prompt> {
  let idx = 0;
  for await (const item of readLines(source, { maxLineBytes: 64 * 1024 * 1024 })) {
    if (item instanceof LineError) throw item;
    const parsed = parseRecord(item.text, { format: 'chat' });
    if ('issues' in parsed) throw new LineError(item.line, parsed.issues[0].message);
    yield toPrompt(idx++, parsed.record);
  }
}

function toPrompt(idx: number, record: ChatRecord): Prompt {
  const lastUser = record.messages.map((m) => m.role).lastIndexOf('user');
  if (lastUser < 0) throw new Error(`record ${idx + 1} has no user turn to send to the teacher`);
  const answer = record.messages.slice(lastUser + 1).find((m) => m.role === 'assistant')?.content;
  const metaRef = typeof record.meta?.reference === 'string' ? record.meta.reference : undefined;
  return { idx, messages: record.messages.slice(0, lastUser + 1), reference: answer ?? metaRef, tags: record.tags, meta: record.meta };
}
