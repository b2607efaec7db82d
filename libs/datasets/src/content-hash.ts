/**
 * Content hashes for exact-duplicate detection: sha256 of a normalised form of the conversation,
 * one `role:text` line per message, where text is NFKC-normalised, case-folded (upper then lower
 * case, which folds ß to ss and final sigma like full Unicode case folding) and has its whitespace
 * collapsed. Weights, tags and meta are not part of the content.
 */
import { createHash } from 'node:crypto';
import type { ChatMessage } from './canonical';

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase().replace(/\s+/g, ' ').trim();
}

export function contentDigest(record: { messages: ChatMessage[] }): Buffer {
  const hash = createHash('sha256');
  for (const m of record.messages) hash.update(`${m.role}:${normalizeText(m.content)}\n`);
  return hash.digest();
}

export function contentHash(record: { messages: ChatMessage[] }): string {
  return contentDigest(record).toString('hex');
}
