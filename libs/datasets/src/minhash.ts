/**
 * Near duplicates with MinHash and LSH banding.
 *
 * 1. Text: the non-system messages as `u:`/`a:` lines of normalizeText (a system prompt shared by
 *    the whole set would otherwise make every record look alike), cut into overlapping character
 *    shingles (5 characters by default: word shingles are too coarse for short requests).
 * 2. Signature: for each of numPerm hash functions h_i(x) = fmix32(x XOR seed_i) (each a
 *    permutation of the 32-bit shingle hashes, seeds from a seeded PRNG), the minimum over the
 *    record's shingles. The share of equal positions of two signatures estimates their Jaccard.
 * 3. Candidates: the signature is cut into `bands` bands of `rows` rows; records sharing any band
 *    are candidates. bands/rows default to the pair with bands·rows ≤ numPerm that minimises
 *    0.1·(false-positive area) + 0.9·(false-negative area) under the S-curve 1-(1-s^r)^b on either
 *    side of the threshold (datasketch's MinHashLSH method, with its weights tilted: a false
 *    positive only costs a verification, a false negative is a missed duplicate). For threshold
 *    0.8 and 128 permutations that is 14 bands × 9 rows, which makes a pair of similarity 0.85 a
 *    candidate with probability 0.97.
 * 4. Verification: a candidate pair is kept when its estimated Jaccard ≥ threshold; kept pairs
 *    are joined with union-find into clusters, listed with the earliest record first.
 */
import type { CurationRecord } from './dedup';
import { normalizeText } from './content-hash';
import { fmix32, hashString, mul32, mulberry32 } from './hash32';
import { withAll, type RecordSource } from './iter';

export interface NearDuplicateOptions {
  /** Estimated Jaccard similarity from which two records are near duplicates (default 0.8). */
  threshold?: number;
  /** Signature length (default 128). */
  numPerm?: number;
  bands?: number;
  rows?: number;
  /** Characters per shingle (default 5). */
  shingleSize?: number;
  /** Seed of the hash functions (default 1). */
  seed?: number;
}

export function nearDuplicateClusters(records: Iterable<CurationRecord>, opts?: NearDuplicateOptions): string[][];
export function nearDuplicateClusters(records: AsyncIterable<CurationRecord>, opts?: NearDuplicateOptions): Promise<string[][]>;
export function nearDuplicateClusters(records: RecordSource<CurationRecord>, opts: NearDuplicateOptions = {}): string[][] | Promise<string[][]> {
  return withAll(records, (all) => nearClusters(all, opts));
}

function nearClusters(all: CurationRecord[], opts: NearDuplicateOptions): string[][] {
  const { threshold = 0.8, numPerm = 128, shingleSize = 5, seed = 1 } = opts;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError('threshold must be in (0, 1]');
  const { bands, rows } = opts.bands && opts.rows ? { bands: opts.bands, rows: opts.rows } : lshParameters(threshold, numPerm);
  if (bands * rows > numPerm) throw new RangeError(`bands × rows (${bands} × ${rows}) exceeds numPerm (${numPerm})`);
  const seeds = permutationSeeds(numPerm, seed);
  const sigs = all.map((r) => minhashSignature(shingleSource(r), seeds, shingleSize));

  const parent = Int32Array.from(all, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let band = 0; band < bands; band++) {
    const buckets = new Map<number, number[]>();
    for (let i = 0; i < sigs.length; i++) {
      const key = bandKey(sigs[i], band * rows, rows);
      const bucket = buckets.get(key);
      if (bucket) bucket.push(i);
      else buckets.set(key, [i]);
    }
    for (const bucket of buckets.values()) {
      for (let x = 0; x < bucket.length; x++) {
        for (let y = x + 1; y < bucket.length; y++) {
          const a = find(bucket[x]);
          const b = find(bucket[y]);
          if (a === b || estimatedJaccard(sigs[bucket[x]], sigs[bucket[y]]) < threshold) continue;
          parent[Math.max(a, b)] = Math.min(a, b); // the root stays the earliest record
        }
      }
    }
  }
  const clusters = new Map<number, string[]>();
  for (let i = 0; i < all.length; i++) {
    const root = find(i);
    const ids = clusters.get(root);
    if (ids) ids.push(all[i].id);
    else clusters.set(root, [all[i].id]);
  }
  return [...clusters.values()].filter((ids) => ids.length > 1);
}

export function shingleSource(record: CurationRecord): string {
  let text = '';
  for (const m of record.messages) if (m.role !== 'system') text += `${m.role[0]}:${normalizeText(m.content)}\n`;
  return text;
}

export function permutationSeeds(numPerm: number, seed: number): Uint32Array {
  const rand = mulberry32(seed);
  return Uint32Array.from({ length: numPerm }, () => Math.floor(rand() * 4294967296));
}

export function minhashSignature(text: string, seeds: Uint32Array, shingleSize = 5): Uint32Array {
  const sig = new Uint32Array(seeds.length).fill(0xffffffff);
  const last = Math.max(0, text.length - shingleSize);
  for (let start = 0; start <= last; start++) {
    const h = hashString(text, 0, start, Math.min(text.length, start + shingleSize));
    for (let i = 0; i < seeds.length; i++) {
      const v = fmix32(h ^ seeds[i]);
      if (v < sig[i]) sig[i] = v;
    }
  }
  return sig;
}

export function estimatedJaccard(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same += 1;
  return same / a.length;
}

/** A 53-bit key of one band; a collision only adds a candidate, which verification drops. */
function bandKey(sig: Uint32Array, start: number, rows: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = start; i < start + rows; i++) {
    h1 = mul32(h1 ^ sig[i], 0x01000193);
    h2 = mul32(h2 ^ sig[i], 0x5bd1e995);
  }
  return fmix32(h1) * 2097152 + (fmix32(h2) >>> 11);
}

const lshCache = new Map<string, { bands: number; rows: number }>();

export function lshParameters(threshold: number, numPerm: number): { bands: number; rows: number } {
  const cacheKey = `${threshold}/${numPerm}`;
  const cached = lshCache.get(cacheKey);
  if (cached) return cached;
  let best = { bands: 1, rows: numPerm };
  let bestError = Infinity;
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r <= Math.floor(numPerm / b); r++) {
      const falsePositive = integrate((s) => 1 - (1 - s ** r) ** b, 0, threshold);
      const falseNegative = integrate((s) => (1 - s ** r) ** b, threshold, 1);
      const error = 0.1 * falsePositive + 0.9 * falseNegative;
      if (error < bestError) {
        bestError = error;
        best = { bands: b, rows: r };
      }
    }
  }
  lshCache.set(cacheKey, best);
  return best;
}

/** Simpson's rule over 64 intervals: ample for these smooth curves. */
function integrate(f: (x: number) => number, a: number, b: number): number {
  const n = 64;
  const h = (b - a) / n;
  let sum = f(a) + f(b);
  for (let i = 1; i < n; i++) sum += f(a + i * h) * (i % 2 ? 4 : 2);
  return (sum * h) / 3;
}
