/** Exact duplicates: records grouped by contentHash, the first seen as the representative. */
import type { ChatMessage } from './canonical';
import { contentHash } from './content-hash';
import { withAll, type RecordSource } from './iter';

export interface CurationRecord {
  id: string;
  messages: ChatMessage[];
  tags?: string[];
}

/** Clusters of two or more ids with the same content, in order of their first record. */
export function exactDuplicateClusters(records: Iterable<CurationRecord>): string[][];
export function exactDuplicateClusters(records: AsyncIterable<CurationRecord>): Promise<string[][]>;
export function exactDuplicateClusters(records: RecordSource<CurationRecord>): string[][] | Promise<string[][]> {
  return withAll(records, exactClusters);
}

function exactClusters(records: CurationRecord[]): string[][] {
  const byHash = new Map<string, string[]>();
  for (const r of records) {
    const key = contentHash(r);
    const ids = byHash.get(key);
    if (ids) ids.push(r.id);
    else byHash.set(key, [r.id]);
  }
  return [...byHash.values()].filter((ids) => ids.length > 1);
}
