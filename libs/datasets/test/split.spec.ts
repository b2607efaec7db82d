import { splitRecords } from '../src';

const records = Array.from({ length: 1000 }, (_, i) => ({ id: `r${i}`, tags: [['a', 'b', 'c', 'd'][i % 10 < 5 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3]] }));
const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

describe('splitRecords', () => {
  it('is deterministic for a seed, independent of input order, and differs between seeds', () => {
    const one = splitRecords(records, { evalFraction: 0.2, seed: 7 });
    expect(one.eval).toHaveLength(200);
    expect(one.train).toHaveLength(800);
    expect(ids(splitRecords(records, { evalFraction: 0.2, seed: 7 }).eval)).toEqual(ids(one.eval));
    expect(new Set(ids(splitRecords([...records].reverse(), { evalFraction: 0.2, seed: 7 }).eval))).toEqual(new Set(ids(one.eval)));
    const other = new Set(ids(splitRecords(records, { evalFraction: 0.2, seed: 8 }).eval));
    const shared = ids(one.eval).filter((id) => other.has(id)).length;
    expect(shared).toBeLessThan(100); // two random 20% samples share about 40
    expect(new Set([...ids(one.train), ...ids(one.eval)]).size).toBe(1000);
    expect(ids(one.train)).toEqual(ids(records).filter((id) => !new Set(ids(one.eval)).has(id))); // input order kept
  });

  it("keeps each tag's share within rounding when stratified", () => {
    const counts = (rs: typeof records) => rs.reduce<Record<string, number>>((c, r) => ({ ...c, [r.tags[0]]: (c[r.tags[0]] ?? 0) + 1 }), {});
    const skewed = records.slice(0, 333);
    const { eval: ev } = splitRecords(skewed, { evalFraction: 0.15, seed: 3, stratifyBy: 'tag' });
    const total = counts(skewed);
    const got = counts(ev);
    expect(ev).toHaveLength(Math.round(333 * 0.15));
    for (const tag of Object.keys(total)) {
      expect(Math.abs((got[tag] ?? 0) - total[tag] * 0.15)).toBeLessThan(1);
    }
    // Four strata of three at one half: each gets 1 or 2, and the total stays round(12 / 2).
    const small = Array.from({ length: 12 }, (_, i) => ({ id: `s${i}`, tags: [`t${i % 4}`] }));
    const half = splitRecords(small, { evalFraction: 0.5, seed: 1, stratifyBy: 'tag' }).eval;
    expect(half).toHaveLength(6);
    expect(Object.values(counts(half)).sort()).toEqual([1, 1, 2, 2]);
  });

  it('accepts async iterables and refuses a fraction outside [0, 1]', async () => {
    async function* gen() {
      yield* records.slice(0, 10);
    }
    const split = await splitRecords(gen(), { evalFraction: 0.5, seed: 1 });
    expect(ids(split.eval)).toEqual(ids(splitRecords(records.slice(0, 10), { evalFraction: 0.5, seed: 1 }).eval));
    expect(() => splitRecords(records, { evalFraction: 1.5, seed: 1 })).toThrow(RangeError);
    expect(splitRecords(records, { evalFraction: 0, seed: 1 }).eval).toEqual([]);
  });
});
