/**
 * Seeded train/eval split. Each record is ranked by a hash of (seed, id), so the split depends
 * only on the seed and the ids: the same seed gives the same split whatever the input order, and
 * adding records does not move the others between sides. The lowest-ranked records of each
 * stratum go to eval. Without stratification the eval size is round(n · evalFraction); with
 * `stratifyBy: 'tag'` the strata are the records' first tags (untagged records form one stratum)
 * and the eval total, round(n · evalFraction), is shared out by largest remainder, so every
 * stratum gets the floor or the ceiling of its exact share.
 */
import { hashString } from './hash32';
import { withAll, type RecordSource } from './iter';

/** Only the id (and, to stratify, the tags) matter to a split. */
export interface SplitRecord {
  id: string;
  tags?: string[];
}

export interface SplitOptions {
  /** Share of records that go to eval, in [0, 1]. */
  evalFraction: number;
  seed: number;
  stratifyBy?: 'tag';
}

export interface Split<T> {
  train: T[];
  eval: T[];
}

export function splitRecords<T extends SplitRecord>(records: Iterable<T>, opts: SplitOptions): Split<T>;
export function splitRecords<T extends SplitRecord>(records: AsyncIterable<T>, opts: SplitOptions): Promise<Split<T>>;
export function splitRecords<T extends SplitRecord>(records: RecordSource<T>, opts: SplitOptions): Split<T> | Promise<Split<T>> {
  if (!(opts.evalFraction >= 0 && opts.evalFraction <= 1)) throw new RangeError('evalFraction must be between 0 and 1');
  return withAll(records, (all) => split(all, opts));
}

function split<T extends SplitRecord>(all: T[], opts: SplitOptions): Split<T> {
  const strata = new Map<string, number[]>();
  all.forEach((r, i) => {
    const key = opts.stratifyBy === 'tag' ? (r.tags?.[0] ?? '') : '';
    const members = strata.get(key);
    if (members) members.push(i);
    else strata.set(key, [i]);
  });
  const quotas = shareOut([...strata.values()].map((m) => m.length), Math.round(all.length * opts.evalFraction));
  const rank = all.map((r) => hashString(r.id, opts.seed | 0));
  const toEval = new Uint8Array(all.length);
  [...strata.values()].forEach((members, s) => {
    members.sort((a, b) => rank[a] - rank[b] || (all[a].id < all[b].id ? -1 : all[a].id > all[b].id ? 1 : 0));
    for (let k = 0; k < quotas[s]; k++) toEval[members[k]] = 1;
  });
  const out: Split<T> = { train: [], eval: [] };
  all.forEach((r, i) => (toEval[i] ? out.eval : out.train).push(r));
  return out;
}

/** Largest-remainder apportionment of `total` over groups in proportion to their sizes. */
function shareOut(sizes: number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  if (n === 0) return sizes.map(() => 0);
  const exact = sizes.map((s) => (s * total) / n);
  const quotas = exact.map(Math.floor);
  let left = total - quotas.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => i).sort((a, b) => exact[b] - quotas[b] - (exact[a] - quotas[a]) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    quotas[i] += 1;
    left -= 1;
  }
  return quotas;
}
