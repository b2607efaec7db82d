import { Readable } from 'node:stream';
import { computeStats, Log2Histogram, tokenLengthHistogram } from '../src';

describe('tokenLengthHistogram', () => {
  it('has equal-width integer bins from the smallest to the largest length', () => {
    expect(tokenLengthHistogram([3, 4, 5, 12, 12, 7], { bins: 5 })).toEqual({ edges: [3, 5, 7, 9, 11, 13], counts: [2, 1, 1, 0, 2] });
    expect(tokenLengthHistogram([5, 5, 5], { bins: 3 })).toEqual({ edges: [5, 6, 7, 8], counts: [3, 0, 0] });
    expect(tokenLengthHistogram(new Set([1, 100]), { bins: 2 })).toEqual({ edges: [1, 51, 101], counts: [1, 1] });
    expect(tokenLengthHistogram([])).toEqual({ edges: [], counts: [] });
    expect(() => tokenLengthHistogram([1], { bins: 0 })).toThrow(RangeError);
  });

  it('streams power-of-two bins', () => {
    const h = new Log2Histogram();
    for (const n of [5, 6, 7, 8, 40]) h.add(n);
    expect(h.toJSON()).toEqual({ edges: [4, 8, 16, 32, 64], counts: [3, 1, 0, 1] });
  });
});

describe('computeStats', () => {
  const line = (user: string, assistant: string, tags?: string[]) => JSON.stringify({ messages: [{ role: 'user', content: user }, { role: 'assistant', content: assistant }], ...(tags ? { tags } : {}) });

  it('counts tags, exact duplicates and tokens', async () => {
    const text = [line('where is it', 'here', ['track']), line('Where  IS it', 'HERE', ['track', 'dup']), line('refund?', 'soon', ['refund']), line('x', 'y')].join('\n');
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const stats = await computeStats(Readable.from([Buffer.from(text)]), { countTokens: words });
    expect(stats.tags).toEqual({ track: 2, dup: 1, refund: 1 });
    expect(stats.duplicates).toEqual({ exact: 1 });
    expect(stats.tokens).toEqual({ min: 2, max: 4, mean: 3, total: 12, histogram: { edges: [2, 4, 8], counts: [2, 2] } });
    expect((await computeStats(Readable.from([Buffer.from(text)]))).tokens).toBeUndefined();
  });
});
