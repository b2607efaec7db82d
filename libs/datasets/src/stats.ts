import type { Readable } from 'node:stream';
import type { DatasetVersionStats } from '@retort/contracts';
import { contentDigest } from './content-hash';
import { Log2Histogram, type Histogram } from './histogram';
import { LineError, readLines } from './lines';
import { parseRecord } from './record';
import { recordTokens, type TokenCounter } from './rules';

export interface DatasetStats extends DatasetVersionStats {
  /** Records per tag. */
  tags: Record<string, number>;
  /** `exact`: records whose content hash (see contentHash) was already seen earlier in the file. */
  duplicates: { exact: number };
  /** Per-record token counts (sum over messages), when a counter is given; power-of-two bins. */
  tokens?: { min: number; max: number; mean: number; total: number; histogram: Histogram };
}

/**
 * Stats of a canonical JSONL artifact, read in one streaming pass. Memory is constant but for the
 * set of content hashes (16 bytes of each record's sha256) that counts exact duplicates.
 */
export async function computeStats(source: Readable, opts: { countTokens?: TokenCounter } = {}): Promise<DatasetStats> {
  const stats: DatasetStats = { records: 0, turns: 0, messages: 0, roles: {}, chars: { min: 0, max: 0, mean: 0 }, tags: {}, duplicates: { exact: 0 } };
  const seen = new Set<string>();
  const tokenHistogram = new Log2Histogram();
  const tokens = { min: 0, max: 0, total: 0 };
  let totalChars = 0;
  for await (const item of readLines(source, { maxLineBytes: 64 * 1024 * 1024 })) {
    if (item instanceof LineError) throw item;
    const parsed = parseRecord(item.text, { format: 'chat' });
    if ('issues' in parsed) throw new LineError(item.line, parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    const { messages, tags } = parsed.record;
    const chars = messages.reduce((n, m) => n + m.content.length, 0);
    stats.records += 1;
    stats.messages += messages.length;
    stats.turns += messages.filter((m) => m.role === 'user').length;
    for (const m of messages) stats.roles[m.role] = (stats.roles[m.role] ?? 0) + 1;
    for (const tag of tags ?? []) stats.tags[tag] = (stats.tags[tag] ?? 0) + 1;
    stats.chars.min = stats.records === 1 ? chars : Math.min(stats.chars.min, chars);
    stats.chars.max = Math.max(stats.chars.max, chars);
    totalChars += chars;
    const digest = contentDigest(parsed.record).toString('base64', 0, 16);
    if (seen.has(digest)) stats.duplicates.exact += 1;
    else seen.add(digest);
    if (opts.countTokens) {
      const n = recordTokens(parsed.record, opts.countTokens);
      tokens.min = stats.records === 1 ? n : Math.min(tokens.min, n);
      tokens.max = Math.max(tokens.max, n);
      tokens.total += n;
      tokenHistogram.add(n);
    }
  }
  stats.chars.mean = round2(stats.records ? totalChars / stats.records : 0);
  if (opts.countTokens) stats.tokens = { ...tokens, mean: round2(stats.records ? tokens.total / stats.records : 0), histogram: tokenHistogram.toJSON() };
  return stats;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
