/** Scoring of answers to the demo data set (see datasets/README.md). */
export interface SupportScore {
  /** The answer's first line equals the reference (spaces and case aside). */
  exact: boolean;
  intent: boolean;
  /** Reference slots whose value the answer gives under the same key. */
  slotsCorrect: number;
  slotsTotal: number;
}

/**
 * Scores a model's answer against a record's reference: exact match of the first line, the intent,
 * and slot by slot. Keys and values compare case-insensitively with spaces collapsed; slot order
 * and extra slots in the answer do not matter to the slot score (they do to `exact`).
 */
export function scoreSupportAnswer(answer: string, reference: string): SupportScore {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  const fields = (line: string) => {
    const out = new Map<string, string>();
    for (const part of line.split(';')) {
      const colon = part.indexOf(':');
      if (colon > 0) out.set(norm(part.slice(0, colon)), norm(part.slice(colon + 1)));
    }
    return out;
  };
  const firstLine = answer.trim().split('\n')[0];
  const got = fields(firstLine);
  const want = fields(reference);
  let slotsCorrect = 0;
  let slotsTotal = 0;
  for (const [key, value] of want) {
    if (key === 'intent') continue;
    slotsTotal += 1;
    if (got.get(key) === value) slotsCorrect += 1;
  }
  return { exact: norm(firstLine) === norm(reference), intent: got.get('intent') === want.get('intent'), slotsCorrect, slotsTotal };
}
