/**
 * Pretraining corpora of the demo models (make.ts): fresh support requests from the demo data set's
 * generator, none of them a request of the committed files (train, eval, prompts), answered in the
 * task's structured format (the teacher) or in plain prose that names the same details (the
 * student base: it reads requests but does not know the format). Tokenized with the engine's own
 * chat template and loss mask, as JSONL of {ids, weights} for pretrain.py.
 */
import * as fs from 'node:fs';
import { supportDemoFiles, supportRecords } from '@retort/datasets';
import { Rng, tokenizeRecord } from '@retort/engine';
import { ChatTokenizer } from '@retort/tokenizer';

export interface Pair {
  user: string;
  answer: string;
}

/** `count` new requests with their reference answers, disjoint from every committed demo file. */
export function freshRequests(count: number, seed: number): { user: string; reference: string }[] {
  const avoid = new Set<string>();
  for (const { text } of supportDemoFiles()) {
    for (const line of text.split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { prompt?: string; messages?: { role: string; content: string }[] };
      avoid.add(key(r.prompt ?? r.messages!.find((m) => m.role === 'user')!.content));
    }
  }
  const out: { user: string; reference: string }[] = [];
  for (const r of supportRecords({ kind: 'eval', count, seed, avoid })) {
    out.push({ user: (r as { messages: { content: string }[] }).messages[0].content, reference: r.reference });
  }
  return out;
}

const key = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

const SLOT_WORDS: Record<string, string> = {
  ORDER: 'order',
  CITY: 'city',
  DATE: 'date',
  COUNTRY: 'country',
  ITEM: 'item',
  FROM: 'from',
  TO: 'to',
  KG: 'weight in kg',
};

/**
 * The same details as a reference answer, in prose:
 * `INTENT: change_address; ORDER: 482135; CITY: Lyon` → `This is a change address request (order 482135, city Lyon).`
 */
export function proseAnswer(reference: string): string {
  const fields = reference.split(';').map((part) => {
    const colon = part.indexOf(':');
    return [part.slice(0, colon).trim(), part.slice(colon + 1).trim()] as const;
  });
  const intent = fields.find(([k]) => k === 'INTENT')![1].replace(/_/g, ' ');
  const details = fields.filter(([k]) => k !== 'INTENT').map(([k, v]) => `${SLOT_WORDS[k] ?? k.toLowerCase()} ${v}`);
  return `This is a${/^[aeiou]/.test(intent) ? 'n' : ''} ${intent} request${details.length ? ` (${details.join(', ')})` : ''}.`;
}

/**
 * "Repeat after me: <request>" answered with the request verbatim. Mixed into both corpora: every
 * target is a copy, which forms the attention that copies order numbers and places far sooner than
 * the few copied tokens of the task's answers alone (measured: no copying after 700 steps without).
 */
export function echoPair(user: string): Pair {
  return { user: `Repeat after me: ${user}`, answer: user };
}

/**
 * Copy drills: "Repeat after me: 3924 kqz Bvelo 771204" (random digits and words) answered
 * verbatim. Nothing in them can be guessed, only copied, and they are short: a first, cheap stage
 * of pretraining that forms the copying attention both demo models build on.
 */
export function copyDrills(count: number, seed: number): Pair[] {
  const rng = new Rng(seed);
  const letter = (base: number) => String.fromCharCode(base + rng.int(26));
  const group = () => {
    const len = 2 + rng.int(7);
    const kind = rng.next();
    if (kind < 0.5) return Array.from({ length: len }, () => String(rng.int(10))).join('');
    // Lower-case and capitalised words: place names are copied from their first, capital letter.
    const first = kind < 0.75 ? letter(97) : letter(65);
    return first + Array.from({ length: len - 1 }, () => letter(97)).join('');
  };
  return Array.from({ length: count }, () => echoPair(Array.from({ length: 1 + rng.int(4) }, group).join(' ')));
}

/** Writes the pairs as JSONL of {ids, weights}: the chat template's tokens, assistant tokens as targets. */
export function writeCorpus(file: string, tokenizerDir: string, pairs: Pair[], maxLen: number): { examples: number; tokens: number } {
  const tok = ChatTokenizer.fromDir(tokenizerDir);
  const lines: string[] = [];
  let tokens = 0;
  for (const p of pairs) {
    const record = { messages: [{ role: 'user' as const, content: p.user }, { role: 'assistant' as const, content: p.answer }] };
    for (const e of tokenizeRecord(record, tok, { maxLen })) {
      lines.push(JSON.stringify({ ids: e.ids, weights: e.weights }));
      tokens += e.ids.length;
    }
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { examples: lines.length, tokens };
}
