/**
 * Token-length histograms. tokenLengthHistogram has `bins` equal-width integer bins from the
 * smallest to the largest length: bin i counts lengths in [edges[i], edges[i+1]). The streaming
 * Log2Histogram, used by computeStats in constant memory, has power-of-two bins instead:
 * [0, 1), [1, 2), [2, 4), [4, 8), …, reported from the first to the last non-empty bin.
 */
export interface Histogram {
  edges: number[];
  counts: number[];
}

export function tokenLengthHistogram(lengths: Iterable<number>, opts: { bins?: number } = {}): Histogram {
  const bins = opts.bins ?? 20;
  if (!(Number.isInteger(bins) && bins > 0)) throw new RangeError('bins must be a positive integer');
  const values = Array.isArray(lengths) ? (lengths as number[]) : [...lengths];
  if (values.length === 0) return { edges: [], counts: [] };
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  min = Math.floor(min);
  const width = Math.max(1, Math.ceil((Math.floor(max) - min + 1) / bins));
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - min) / width))] += 1;
  return { edges, counts };
}

export class Log2Histogram {
  private readonly counts: number[] = [];

  add(value: number): void {
    const bin = value < 1 ? 0 : Math.floor(Math.log2(value)) + 1;
    while (this.counts.length <= bin) this.counts.push(0);
    this.counts[bin] += 1;
  }

  toJSON(): Histogram {
    const first = this.counts.findIndex((c) => c > 0);
    if (first === -1) return { edges: [], counts: [] };
    const last = this.counts.length - 1;
    const edge = (bin: number) => (bin === 0 ? 0 : 2 ** (bin - 1));
    return { edges: Array.from({ length: last - first + 2 }, (_, i) => edge(first + i)), counts: this.counts.slice(first) };
  }
}
