/**
 * Rules a record must meet for what the data set is for, checked after normalisation.
 *
 * - train: at least one assistant turn, the last message is an assistant turn (a trailing user
 *   turn would never be learned from and usually means a truncated conversation), and at least
 *   one assistant turn has weight 1 (otherwise the record contributes nothing to the loss).
 * - prompts: the last message is a user turn, which the teacher is asked to answer.
 *
 * Token counts are the sum over messages of `countTokens(content)`; chat-template tokens are not
 * included. With no counter, ceil(characters / 4) per message stands in (about 4 characters per
 * token for English with the common BPE vocabularies), and the error says so.
 */
import type { ChatRecord, RecordIssue } from './canonical';
import type { Normalized } from './formats';

export type DatasetPurpose = 'train' | 'prompts';
export type TokenCounter = (text: string) => number;

export const approximateTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

export function recordTokens(record: ChatRecord, countTokens: TokenCounter = approximateTokens): number {
  let n = 0;
  for (const m of record.messages) n += countTokens(m.content);
  return n;
}

export function checkPurpose(n: Normalized, purpose: DatasetPurpose): RecordIssue[] {
  const { messages } = n.record;
  const last = messages.length - 1;
  const lastRole = messages[last].role;
  if (purpose === 'prompts') {
    return lastRole === 'user' ? [] : [{ path: n.rolePaths[last], message: `the last message must be a user turn in a prompt set (found ${lastRole})` }];
  }
  let assistants = 0;
  let weighted = 0;
  for (const m of messages) {
    if (m.role !== 'assistant') continue;
    assistants += 1;
    if (m.weight !== 0) weighted += 1;
  }
  if (assistants === 0) return [{ path: n.listPath, message: 'no assistant turn: a training record needs one' }];
  const issues: RecordIssue[] = [];
  if (lastRole !== 'assistant') issues.push({ path: n.rolePaths[last], message: `the last message must be an assistant turn in a training set (found ${lastRole})` });
  if (weighted === 0) issues.push({ path: n.listPath, message: 'every assistant turn has weight 0: nothing to train on' });
  return issues;
}

export function checkTokens(record: ChatRecord, maxTokens: number, countTokens?: TokenCounter): RecordIssue | null {
  const n = recordTokens(record, countTokens);
  if (n <= maxTokens) return null;
  const how = countTokens ? "counted with the base model's tokenizer" : 'estimated as characters/4 per message, rounded up: no tokenizer was given';
  return { path: '', message: `the record has ${n} tokens, over the limit of ${maxTokens} (${how})` };
}
