/**
 * Generation metrics against a reference answer. Texts are compared after trimming and collapsing
 * whitespace; ROUGE-L is the F1 of the longest common subsequence of lower-cased word tokens.
 */
export interface AnswerScores {
  exact: number;
  contains: number;
  rougeL: number;
  jsonValid: number;
  regex?: number;
}

const norm = (s: string) => s.trim().replace(/\s+/g, ' ');
const words = (s: string) => s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

export function rougeL(candidate: string, reference: string): number {
  const a = words(candidate);
  const b = words(reference);
  if (!a.length || !b.length) return 0;
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) row[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], row[j - 1]);
    prev = row;
  }
  const lcs = prev[b.length];
  if (lcs === 0) return 0;
  const precision = lcs / a.length;
  const recall = lcs / b.length;
  return (2 * precision * recall) / (precision + recall);
}

export function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export function scoreAnswer(answer: string, reference: string, pattern?: RegExp): AnswerScores {
  return {
    exact: norm(answer) === norm(reference) ? 1 : 0,
    contains: norm(answer).toLowerCase().includes(norm(reference).toLowerCase()) ? 1 : 0,
    rougeL: rougeL(answer, reference),
    jsonValid: isJson(answer.trim()) ? 1 : 0,
    ...(pattern ? { regex: pattern.test(answer) ? 1 : 0 } : {}),
  };
}

/** Means of each score over answers. */
export function meanScores(all: AnswerScores[]): AnswerScores {
  const mean = (k: keyof AnswerScores) => (all.length ? all.reduce((n, s) => n + (s[k] ?? 0), 0) / all.length : 0);
  const out: AnswerScores = { exact: mean('exact'), contains: mean('contains'), rougeL: mean('rougeL'), jsonValid: mean('jsonValid') };
  if (all.some((s) => s.regex !== undefined)) out.regex = mean('regex');
  return out;
}
