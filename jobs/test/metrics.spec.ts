import { meanScores, rougeL, scoreAnswer } from '../evaluate/metrics';

describe('evaluation metrics', () => {
  it('ROUGE-L is the LCS F1 over word tokens', () => {
    expect(rougeL('the cat sat on the mat', 'the cat sat on the mat')).toBe(1);
    // LCS of "the cat was on the mat" and "the cat sat on the mat" is 5 words: P = R = 5/6.
    expect(rougeL('the cat was on the mat', 'the cat sat on the mat')).toBeCloseTo(5 / 6, 10);
    expect(rougeL('completely different', 'the cat')).toBe(0);
    expect(rougeL('', 'x')).toBe(0);
  });

  it('scores exact, contains, JSON validity and a regex', () => {
    expect(scoreAnswer('  INTENT: track;  ORDER: 7 ', 'INTENT: track; ORDER: 7', /ORDER: \d+/)).toEqual({ exact: 1, contains: 1, rougeL: 1, jsonValid: 0, regex: 1 });
    expect(scoreAnswer('Sure! intent: TRACK; order: 7.', 'INTENT: track; ORDER: 7')).toMatchObject({ exact: 0, contains: 1 }); // contains ignores case
    expect(scoreAnswer('order 7', 'INTENT: track; ORDER: 7')).toMatchObject({ exact: 0, contains: 0 });
    expect(scoreAnswer('{"a": 1}', 'x').jsonValid).toBe(1);
    expect(meanScores([scoreAnswer('a', 'a'), scoreAnswer('b', 'a')])).toMatchObject({ exact: 0.5, contains: 0.5 });
  });
});
