/**
 * Filters over a prompt's teacher samples before they become training targets. Checks look at the
 * answer (`content`, reasoning already split off), in this order: finish reason, emptiness, the
 * format regex, the verifier, then duplicates among the samples still kept.
 */

export type Verifier = 'exact' | 'contains' | 'regex';

export interface SampleFilterOptions {
  /** Drop samples cut at max_tokens (finishReason `length`). Default true. */
  dropLength?: boolean;
  /** Drop samples whose answer is blank. Default true. */
  dropEmpty?: boolean;
  /** Drop a sample whose answer (whitespace-normalised) equals an earlier kept one. Default true. */
  dropDuplicates?: boolean;
  /** Keep only answers matching this (a RegExp, a pattern, or `/pattern/flags`). */
  regex?: string | RegExp;
  /** The reference answer to verify against. */
  reference?: string;
  /**
   * How to compare with the reference (default `exact` when a reference is given):
   * exact    — the whitespace-normalised answer, or its last `\boxed{…}`, equals the reference;
   * contains — the answer contains the reference, ignoring case and whitespace runs;
   * regex    — the reference is a pattern (or `/pattern/flags`) the answer matches.
   */
  verifier?: Verifier;
}

export type DropReason = 'length' | 'empty' | 'regex' | 'verifier' | 'duplicate';

export interface DroppedSample<S> {
  sample: S;
  reason: DropReason;
  /** A human sentence, e.g. "duplicate of sample 0". */
  detail: string;
}

export interface FilterResult<S> {
  kept: S[];
  dropped: DroppedSample<S>[];
}

interface Filterable {
  index?: number;
  content: string;
  finishReason: string;
}

export function filterSamples<S extends Filterable>(samples: readonly S[], options: SampleFilterOptions = {}): FilterResult<S> {
  const { dropLength = true, dropEmpty = true, dropDuplicates = true } = options;
  const format = options.regex === undefined ? undefined : toRegExp(options.regex, 'regex');
  if (options.verifier && options.reference === undefined) throw new Error(`verifier '${options.verifier}' needs a reference answer`);
  const verify = options.reference === undefined ? undefined : verifierFor(options.verifier ?? 'exact', options.reference);

  const kept: S[] = [];
  const dropped: DroppedSample<S>[] = [];
  const seen = new Map<string, S>();
  samples.forEach((sample) => {
    const drop = (reason: DropReason, detail: string) => dropped.push({ sample, reason, detail });
    if (dropLength && sample.finishReason === 'length') return drop('length', 'cut at max_tokens (finish_reason=length)');
    if (dropEmpty && sample.content.trim() === '') return drop('empty', 'empty answer');
    if (format && !format.test(sample.content)) return drop('regex', `answer does not match ${format}`);
    if (verify && !verify.check(sample.content)) return drop('verifier', verify.describe);
    if (dropDuplicates) {
      const key = collapse(sample.content);
      const first = seen.get(key);
      if (first) return drop('duplicate', `duplicate of sample ${first.index ?? samples.indexOf(first)}`);
      seen.set(key, sample);
    }
    kept.push(sample);
  });
  return { kept, dropped };
}

function collapse(s: string): string {
  return s.trim().replace(/\s+/g, ' ');
}

function verifierFor(kind: Verifier, reference: string): { check: (answer: string) => boolean; describe: string } {
  switch (kind) {
    case 'exact': {
      const want = collapse(reference);
      return {
        check: (answer) => collapse(answer) === want || (lastBoxed(answer) !== undefined && collapse(lastBoxed(answer)!) === want),
        describe: `answer does not equal the reference ${JSON.stringify(truncate(reference))}`,
      };
    }
    case 'contains': {
      const want = collapse(reference).toLowerCase();
      return {
        check: (answer) => collapse(answer).toLowerCase().includes(want),
        describe: `answer does not contain the reference ${JSON.stringify(truncate(reference))}`,
      };
    }
    case 'regex': {
      const re = toRegExp(reference, 'reference');
      return { check: (answer) => re.test(answer), describe: `answer does not match the reference pattern ${re}` };
    }
    default:
      throw new Error(`unknown verifier '${String(kind)}' (exact, contains or regex)`);
  }
}

/** The argument of the last `\boxed{…}`, braces balanced (the usual final-answer marker of math teachers). */
function lastBoxed(text: string): string | undefined {
  const start = text.lastIndexOf('\\boxed{');
  if (start < 0) return undefined;
  let depth = 0;
  for (let i = start + '\\boxed'.length; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(start + '\\boxed{'.length, i);
  }
  return undefined;
}

function toRegExp(pattern: string | RegExp, what: string): RegExp {
  if (pattern instanceof RegExp) return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  const literal = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  try {
    return literal ? new RegExp(literal[1], literal[2].replace(/[gy]/g, '')) : new RegExp(pattern);
  } catch (err) {
    throw new Error(`invalid ${what} ${JSON.stringify(pattern)}: ${(err as Error).message}`);
  }
}

function truncate(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
