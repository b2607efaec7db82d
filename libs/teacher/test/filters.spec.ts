import { filterSamples, type TeacherSample } from '../src';

const s = (index: number, content: string, finishReason = 'stop'): TeacherSample => ({ index, content, reasoning: null, finishReason });

describe('filterSamples', () => {
  it('drops cut, empty and duplicate samples by default, naming the reason for each', () => {
    const samples = [s(0, 'A  is 1'), s(1, 'partial', 'length'), s(2, '   '), s(3, 'A is 1\n'), s(4, 'B')];
    const { kept, dropped } = filterSamples(samples);
    expect(kept.map((x) => x.index)).toEqual([0, 4]);
    expect(dropped.map((d) => [d.sample.index, d.reason])).toEqual([
      [1, 'length'],
      [2, 'empty'],
      [3, 'duplicate'],
    ]);
    expect(dropped[2].detail).toBe('duplicate of sample 0');
  });

  it('each default filter can be turned off', () => {
    const samples = [s(0, 'x'), s(1, 'x'), s(2, '', 'length')];
    expect(filterSamples(samples, { dropLength: false, dropEmpty: false, dropDuplicates: false }).kept).toHaveLength(3);
  });

  it('a duplicate of a dropped sample is not a duplicate', () => {
    const { kept } = filterSamples([s(0, 'same', 'length'), s(1, 'same')]);
    expect(kept.map((x) => x.index)).toEqual([1]);
  });

  it('keeps only answers matching a format regex (pattern, /pattern/flags or RegExp)', () => {
    const samples = [s(0, 'ANSWER: 3'), s(1, 'no idea'), s(2, 'answer: 4')];
    expect(filterSamples(samples, { regex: '^ANSWER: \\d+$' }).kept.map((x) => x.index)).toEqual([0]);
    expect(filterSamples(samples, { regex: '/^answer: \\d+$/i' }).kept.map((x) => x.index)).toEqual([0, 2]);
    expect(filterSamples(samples, { regex: /answer/gi }).kept.map((x) => x.index)).toEqual([0, 2]);
    expect(filterSamples(samples, { regex: /answer/i }).dropped[0]).toMatchObject({ reason: 'regex', detail: 'answer does not match /answer/i' });
    expect(() => filterSamples(samples, { regex: '(' })).toThrow(/invalid regex "\("/);
  });

  it('verifies against a reference: exact (whole answer or last \\boxed{}), contains, regex', () => {
    const samples = [s(0, ' 42 '), s(1, 'So the result is \\boxed{42}.'), s(2, 'The answer is 42, I think'), s(3, '\\boxed{\\frac{1}{2}}'), s(4, '41')];
    expect(filterSamples(samples, { reference: '42' }).kept.map((x) => x.index)).toEqual([0, 1]);
    expect(filterSamples(samples, { reference: '42', verifier: 'contains' }).kept.map((x) => x.index)).toEqual([0, 1, 2]);
    expect(filterSamples(samples, { reference: 'the ANSWER is', verifier: 'contains' }).kept.map((x) => x.index)).toEqual([2]);
    expect(filterSamples(samples, { reference: '\\frac{1}{2}' }).kept.map((x) => x.index)).toEqual([3]);
    expect(filterSamples(samples, { reference: '^4[12]$', verifier: 'regex' }).kept.map((x) => x.index)).toEqual([4]);
    const dropped = filterSamples([s(0, '41')], { reference: '42' }).dropped[0];
    expect(dropped).toMatchObject({ reason: 'verifier', detail: 'answer does not equal the reference "42"' });
  });

  it('rejects a verifier without a reference', () => {
    expect(() => filterSamples([s(0, 'x')], { verifier: 'exact' })).toThrow(/needs a reference/);
  });
});
