import { contentHash, estimatedJaccard, exactDuplicateClusters, lshParameters, minhashSignature, nearDuplicateClusters, permutationSeeds, shingleSource, SUPPORT_SYSTEM_PROMPT, type CurationRecord } from '../src';

const rec = (id: string, user: string, assistant = 'ok', system?: string): CurationRecord => ({
  id,
  messages: [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user', content: user }, { role: 'assistant', content: assistant }],
});

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('contentHash', () => {
  it('ignores case and whitespace but not roles or words', () => {
    const base = contentHash(rec('a', 'Where is my parcel?'));
    expect(contentHash(rec('b', '  where   IS my\tparcel? '))).toBe(base);
    expect(contentHash(rec('c', 'Straße'))).toBe(contentHash(rec('d', 'STRASSE')));
    expect(contentHash(rec('e', 'Where is my parcel!'))).not.toBe(base);
    expect(contentHash({ messages: [{ role: 'assistant', content: 'Where is my parcel?' }, { role: 'assistant', content: 'ok' }] })).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('exactDuplicateClusters', () => {
  it('groups ids of the same content, first seen first, from arrays and async iterables', async () => {
    const records = [rec('1', 'a b'), rec('2', 'c'), rec('3', 'A  B'), rec('4', 'c'), rec('5', 'd'), rec('6', 'a b')];
    expect(exactDuplicateClusters(records)).toEqual([
      ['1', '3', '6'],
      ['2', '4'],
    ]);
    expect(await exactDuplicateClusters(stream(records))).toEqual(exactDuplicateClusters(records));
  });
});

describe('nearDuplicateClusters', () => {
  const base = 'Hello, I ordered a coffee machine last week and the parcel with order number 482135 has not arrived yet. Could you check?';
  const records = [
    rec('a', base),
    rec('b', 'Completely different: what are your opening hours in Lyon on Saturdays and public holidays?'),
    rec('c', base.replace('Could you check?', 'Could you check please?')),
    rec('d', base.toUpperCase()),
    rec('e', 'I want to return the blender from order 551234 because it does not fit in my kitchen at all.'),
    rec('f', base.replace('coffee machine', 'cofee machine')),
    rec('g', 'I want to return the blender from order 551234 because it does not fit in my kitchen at all!'),
  ];

  it('clusters near duplicates with the earliest record first and leaves the rest alone', async () => {
    expect(nearDuplicateClusters(records)).toEqual([
      ['a', 'c', 'd', 'f'],
      ['e', 'g'],
    ]);
    expect(await nearDuplicateClusters(stream(records))).toEqual(nearDuplicateClusters(records));
  });

  it('respects the threshold', () => {
    const edited = rec('x', base.replace('has not arrived yet', 'is still somewhere on its way to me'));
    const sig = (r: CurationRecord) => minhashSignature(shingleSource(r), permutationSeeds(128, 1));
    const similarity = estimatedJaccard(sig(records[0]), sig(edited));
    expect(similarity).toBeGreaterThan(0.5);
    expect(similarity).toBeLessThan(0.8);
    expect(nearDuplicateClusters([records[0], edited])).toEqual([]);
    expect(nearDuplicateClusters([records[0], edited], { threshold: 0.5 })).toEqual([['a', 'x']]);
  });

  it('ignores a system prompt shared by all records', () => {
    const system = SUPPORT_SYSTEM_PROMPT; // some 440 characters, which would outweigh the short requests
    expect(nearDuplicateClusters([rec('1', 'Where is order 4821?', 'ok', system), rec('2', 'Can I change my delivery address?', 'ok', system)])).toEqual([]);
  });

  it('chooses bands and rows that make pairs above the threshold likely candidates', () => {
    const { bands, rows } = lshParameters(0.8, 128);
    expect(bands * rows).toBeLessThanOrEqual(128);
    const candidate = (s: number) => 1 - (1 - s ** rows) ** bands;
    expect(candidate(0.85)).toBeGreaterThan(0.95);
    expect(candidate(0.5)).toBeLessThan(0.05);
    expect(lshParameters(0.5, 128).rows).toBeLessThan(rows);
    expect(() => nearDuplicateClusters([], { bands: 20, rows: 10 })).toThrow(/exceeds numPerm/);
  });
});
