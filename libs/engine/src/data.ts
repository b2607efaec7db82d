/** Training data: JSONL records to token ids with loss weights, and length-bucketed batches. */
import * as fs from 'node:fs';
import type { AssistantTurns, ChatMessage, ChatTokenizer } from '@retort/tokenizer';
import { Rng } from './rng';

/** A teacher's top-k next-token distribution at one position: student token ids and logprobs. */
export interface TeacherDist {
  ids: number[];
  logprobs: number[];
}

/** One tokenized sequence; weights[t] = 1 where token t is a training target. */
export interface Example {
  ids: number[];
  weights: number[];
  /** Token-level KD: teacher[t] is the teacher's distribution for the target at t (null: none). */
  teacher?: (TeacherDist | null)[];
  /** For records that came with teacher logprobs: whether they lined up with this tokenizer. */
  kd?: 'aligned' | 'mismatch';
}

export interface Batch {
  /** [B][T] token ids, right-padded. */
  ids: number[][];
  /** [B*T] next-token targets and their loss weights (0 at padding and masked positions). */
  targets: number[];
  weights: number[];
  /** Target tokens with weight > 0. */
  tokens: number;
  /** Rows (of the B*T targets) with a teacher distribution, and those distributions. */
  teacher?: { rows: number[]; dists: TeacherDist[] };
}

/** A teacher's logprobs for one generated token, as an OpenAI-compatible server reports them. */
export interface TeacherTokenLogprob {
  token: string;
  logprob: number;
  bytes?: number[];
  top: { token: string; logprob: number; bytes?: number[] }[];
}

export interface Record_ {
  messages?: ChatMessage[];
  prompt?: string;
  completion?: string;
  text?: string;
  /** The teacher's per-token logprobs of the last assistant message (token-level KD). */
  teacher?: TeacherTokenLogprob[];
  /** Where the record came from (`file:line`), for errors. */
  source?: string;
}

/** Reads JSONL records: `{messages}`, `{prompt, completion}` or `{text}`. Errors name the file and line. */
export function readJsonl(file: string): Record_[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: Record_[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let rec: Record_;
    try {
      rec = JSON.parse(line) as Record_;
    } catch (err) {
      throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(rec.messages) && typeof rec.text !== 'string' && typeof rec.completion !== 'string') {
      throw new Error(`${file}:${i + 1}: expected "messages", "prompt"/"completion" or "text"`);
    }
    out.push({ ...rec, source: `${file}:${i + 1}` });
  });
  return out;
}

export interface TokenizeOptions {
  trainOnInputs?: boolean;
  maxLen?: number;
  /** Which assistant turns of a chat record train (see AssistantTurns); default auto. */
  turns?: AssistantTurns;
}

/**
 * Tokenizes a record into its training sequences: one, or for a chat whose template rewrites
 * earlier turns and `turns: 'all'`, one more per rewritten turn. Chat records train on assistant
 * turns only unless trainOnInputs; plain text trains on every token. Sequences longer than maxLen
 * are truncated. A record with the teacher's logprobs gets the teacher's distributions at its
 * answer's targets when the tokenizers match. Errors name the record's source.
 */
export function tokenizeRecord(rec: Record_, tok: ChatTokenizer, opts: TokenizeOptions = {}): Example[] {
  try {
    return sequencesOf(rec, tok, opts).map((e) => truncated(e, opts.maxLen));
  } catch (err) {
    throw new Error(rec.source ? `${rec.source}: ${(err as Error).message}` : (err as Error).message);
  }
}

function sequencesOf(rec: Record_, tok: ChatTokenizer, opts: TokenizeOptions): Example[] {
  if (typeof rec.text === 'string' && !rec.messages) {
    const ids = tok.encode(rec.text);
    if (tok.eosTokenId !== undefined) ids.push(tok.eosTokenId);
    return [example(ids, ids.map(() => 1))];
  }
  const messages = rec.messages ?? [
    { role: 'user', content: rec.prompt ?? '' },
    { role: 'assistant', content: rec.completion ?? '' },
  ];
  const encodings = tok.encodeChat(messages, { turns: opts.turns });
  const out = encodings.map((enc) => example(enc.ids, opts.trainOnInputs ? enc.ids.map(() => 1) : enc.assistantMask));
  const answer = [...messages].reverse().find((m) => m.role === 'assistant')?.content;
  if (rec.teacher?.length && answer !== undefined) {
    // The last sequence holds the last assistant turn, the one the teacher's logprobs are of.
    const last = encodings[encodings.length - 1];
    const aligned = alignTeacher(last.ids, last.assistantMask, answer, rec.teacher, tok);
    out[out.length - 1] = aligned
      ? { ...example(aligned.ids, opts.trainOnInputs ? aligned.ids.map(() => 1) : aligned.mask), teacher: aligned.teacher, kd: 'aligned' }
      : { ...out[out.length - 1], kd: 'mismatch' };
  }
  return out;
}

// The target at position t is token t+1, trained where token t+1 is.
const example = (ids: number[], mask: number[]): Example => ({ ids, weights: mask.slice(1).concat([0]) });

function truncated(e: Example, maxLen?: number): Example {
  if (!maxLen || e.ids.length <= maxLen) return e;
  const weights = e.weights.slice(0, maxLen);
  // The last kept position's target was the first token cut.
  weights[maxLen - 1] = 0;
  return { ...e, ids: e.ids.slice(0, maxLen), weights, ...(e.teacher ? { teacher: e.teacher.slice(0, maxLen) } : {}) };
}

/**
 * Token-level KD needs the teacher's tokens to be the student's: each token the teacher reported
 * must be in the student's vocabulary, and together they must spell the record's answer. The answer
 * is then trained on the teacher's own token sequence (a sampled sequence need not be the canonical
 * encoding of its text), and the target at each of its positions gets the teacher's top-k (the
 * entries this vocabulary has). Null otherwise: the record trains on the teacher's text alone.
 */
function alignTeacher(
  ids: number[],
  assistantMask: number[],
  answer: string,
  logprobs: TeacherTokenLogprob[],
  tok: ChatTokenizer,
): { ids: number[]; mask: number[]; teacher: (TeacherDist | null)[] } | null {
  const mapped = logprobs.map((l) => tok.teacherTokenId(l));
  if (mapped.some((id) => id === undefined)) return null;
  const all = mapped as number[];
  // Some servers report the end-of-turn token too: special tokens at the end are not the answer's text.
  let n = all.length;
  while (n > 0 && tok.decode([all[n - 1]], { skipSpecialTokens: true }) === '' && tok.decode([all[n - 1]]) !== '') n--;
  const seq = all.slice(0, n);
  if (tok.decode(seq) !== answer) return null;
  // Where the answer's own encoding sits among the assistant tokens (the last occurrence: the last turn).
  const own = tok.encode(answer);
  let at = -1;
  for (let p = ids.length - own.length; p >= 0 && at < 0; p--) {
    if (own.every((id, i) => ids[p + i] === id && assistantMask[p + i] === 1)) at = p;
  }
  if (at < 0 || own.length === 0) return null;
  const spliced = [...ids.slice(0, at), ...seq, ...ids.slice(at + own.length)];
  const mask = [...assistantMask.slice(0, at), ...seq.map(() => 1), ...assistantMask.slice(at + own.length)];
  const teacher: (TeacherDist | null)[] = spliced.map(() => null);
  logprobs.forEach((l, i) => {
    // Position at + i - 1 predicts the teacher's token i; a trailing special token only where the template has it too.
    const t = at + i - 1;
    if (t < 0 || t + 1 >= spliced.length || spliced[t + 1] !== all[i] || mask[t + 1] !== 1) return;
    const top = l.top.map((e) => ({ id: tok.teacherTokenId(e), logprob: e.logprob })).filter((e) => e.id !== undefined && Number.isFinite(e.logprob));
    if (top.length > 1) teacher[t] = { ids: top.map((e) => e.id!), logprobs: top.map((e) => e.logprob) };
  });
  return { ids: spliced, mask, teacher };
}

/** Pads examples into one batch of shape [B][T] (T rounded up to a multiple of `multiple`). */
export function collate(examples: Example[], padId: number, multiple = 8): Batch {
  const maxLen = Math.max(...examples.map((e) => e.ids.length));
  const T = Math.ceil(maxLen / multiple) * multiple;
  const ids: number[][] = [];
  const targets: number[] = [];
  const weights: number[] = [];
  let tokens = 0;
  const teacher = { rows: [] as number[], dists: [] as TeacherDist[] };
  for (const e of examples) {
    const row = e.ids.concat(new Array(T - e.ids.length).fill(padId));
    ids.push(row);
    for (let t = 0; t < T; t++) {
      const w = t < e.ids.length ? e.weights[t] : 0;
      const dist = w > 0 ? e.teacher?.[t] : null;
      if (dist) {
        teacher.rows.push(targets.length);
        teacher.dists.push(dist);
      }
      targets.push(t + 1 < row.length && w ? row[t + 1] : 0);
      weights.push(w);
      tokens += w > 0 ? 1 : 0;
    }
  }
  return { ids, targets, weights, tokens, ...(teacher.rows.length ? { teacher } : {}) };
}

/**
 * Length bucketing: examples sorted by length within windows of `batchSize * 16` (after a seeded
 * shuffle), cut into batches; the batch order is shuffled per epoch. Deterministic in (seed, epoch).
 */
export function epochBatches(examples: Example[], batchSize: number, seed: number, epoch: number): number[][] {
  const rng = new Rng((seed * 1000003 + epoch * 7919) >>> 0);
  const order = rng.shuffle(examples.map((_, i) => i));
  const window = batchSize * 16;
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const chunk = order.slice(w, w + window).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return rng.shuffle(batches);
}

/** The micro-batch at global position `pos` (epochs follow each other), without materialising earlier ones. */
export class BatchStream {
  private cache = new Map<number, number[][]>();
  readonly perEpoch: number;

  constructor(
    private readonly examples: Example[],
    private readonly batchSize: number,
    private readonly seed: number,
    private readonly padId: number,
  ) {
    if (examples.length === 0) throw new Error('training data is empty');
    this.perEpoch = Math.ceil(examples.length / batchSize);
  }

  at(pos: number): Batch {
    const epoch = Math.floor(pos / this.perEpoch);
    if (!this.cache.has(epoch)) {
      this.cache.clear();
      this.cache.set(epoch, epochBatches(this.examples, this.batchSize, this.seed, epoch));
    }
    const idx = this.cache.get(epoch)![pos % this.perEpoch];
    return collate(idx.map((i) => this.examples[i]), this.padId);
  }
}
