/**
 * The demo data set: customer-support requests to Larkway Logistics (a fictional parcel company),
 * each labelled with its intent and a one-line reference answer naming the intent and the
 * request's key details in a fixed format (`INTENT: track_parcel; ORDER: 482135`), so a student's
 * answer can be scored by exact match or slot by slot. Seeded and deterministic. The committed
 * files and the command that writes them are in datasets/ (see datasets/README.md).
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CITIES, CLOSINGS, COUNTRIES, GREETINGS, ITEMS, MONTHS, NAMES, SUPPORT_INTENTS, SUPPORT_SLOT_ORDER, SUPPORT_SYSTEM_PROMPT, type Intent, type SupportSlot } from './demo-support-data';
import { mulberry32 } from './hash32';

export type SupportKind = 'train' | 'eval' | 'prompts';

export interface SupportOptions {
  kind: SupportKind;
  count: number;
  seed: number;
  /** Adds SUPPORT_SYSTEM_PROMPT to every record (for teachers that must be told the answer format). */
  system?: boolean;
  /**
   * Requests already used (lower-cased, spaces collapsed): one drawn again is replaced by a new
   * draw, and each new request is added, so files generated with one set share no request.
   */
  avoid?: Set<string>;
}

/** train and eval records are chat records; prompts records are prompt-only records. */
export type SupportRecord = { id: string } & (
  | { messages: { role: 'system' | 'user' | 'assistant'; content: string }[] }
  | { system?: string; prompt: string }
) & { intent: string; tags: string[]; reference: string };

/** The committed demo files (datasets/demo-support/), each from its own seed. */
export const SUPPORT_DEMO_FILES: (SupportOptions & { file: string })[] = [
  { file: 'train.jsonl', kind: 'train', count: 600, seed: 1 },
  { file: 'eval.jsonl', kind: 'eval', count: 150, seed: 2 },
  { file: 'prompts.jsonl', kind: 'prompts', count: 300, seed: 3 },
];

/** In a train set, record i is a planted near duplicate when i % 25 == 24, and has fake contact details when i % 50 == 17. */
export const SUPPORT_NEAR_DUPLICATE_EVERY = 25;
export const SUPPORT_PII_EVERY = 50;
export const SUPPORT_PII_OFFSET = 17;

interface Request {
  intent: Intent;
  text: string;
  reference: string;
}

export function* supportRecords(opts: SupportOptions): Generator<SupportRecord> {
  const rand = mulberry32(opts.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  const prefix = opts.kind === 'prompts' ? 'prompt' : opts.kind;
  const width = Math.max(5, String(opts.count).length);
  const recent: Request[] = []; // the last clean requests, sources of near duplicates
  for (let i = 0; i < opts.count; i++) {
    let request: Request;
    const sources = recent.filter((r) => r.text.length >= 80); // long enough that a small edit stays similar
    if (opts.kind === 'train' && i % SUPPORT_NEAR_DUPLICATE_EVERY === SUPPORT_NEAR_DUPLICATE_EVERY - 1 && sources.length) {
      const source = pick(sources);
      request = { ...source, text: nearDuplicate(source.text, Math.floor(i / SUPPORT_NEAR_DUPLICATE_EVERY) % 3, pick) };
    } else {
      const pii = opts.kind === 'train' && i % SUPPORT_PII_EVERY === SUPPORT_PII_OFFSET;
      do request = newRequest(rand, pick, pii ? contactDetails(Math.floor(i / SUPPORT_PII_EVERY) % 4, pick) : '');
      while (opts.avoid?.has(requestKey(request.text)));
      opts.avoid?.add(requestKey(request.text));
      if (!pii) {
        recent.push(request);
        if (recent.length > 20) recent.shift();
      }
    }
    const id = `${prefix}-${String(i + 1).padStart(width, '0')}`;
    const labels = { intent: request.intent.name, tags: [request.intent.name], reference: request.reference };
    if (opts.kind === 'prompts') {
      yield { id, ...(opts.system ? { system: SUPPORT_SYSTEM_PROMPT } : {}), prompt: request.text, ...labels };
      continue;
    }
    const messages = [
      ...(opts.system ? [{ role: 'system' as const, content: SUPPORT_SYSTEM_PROMPT }] : []),
      { role: 'user' as const, content: request.text },
      { role: 'assistant' as const, content: request.reference },
    ];
    yield { id, messages, ...labels };
  }
}

function newRequest(rand: () => number, pick: <T>(list: readonly T[]) => T, extra: string): Request {
  const intent = pick(SUPPORT_INTENTS);
  const values: Partial<Record<SupportSlot, string>> = {};
  const surface: Partial<Record<SupportSlot, string>> = {};
  for (const slot of intent.slots) {
    const [value, text] = slotValue(slot, rand, pick, values);
    values[slot] = value;
    surface[slot] = text;
  }
  let text = pick(intent.templates).replace(/\{([A-Z]+)\}/g, (_, k: SupportSlot) => surface[k]!);
  if (rand() < 0.5) text = `${pick(GREETINGS)} ${/^I\b/.test(text) ? text : text[0].toLowerCase() + text.slice(1)}`;
  if (extra) text = `${text} ${extra}`;
  if (rand() < 0.5) text = `${text} ${pick(CLOSINGS).replace('{NAME}', pick(NAMES))}`;
  const reference = [`INTENT: ${intent.name}`, ...SUPPORT_SLOT_ORDER.filter((k) => values[k] !== undefined).map((k) => `${k}: ${values[k]}`)].join('; ');
  return { intent, text, reference };
}

/** [reference value, how the customer writes it]. */
function slotValue(slot: SupportSlot, rand: () => number, pick: <T>(list: readonly T[]) => T, taken: Partial<Record<SupportSlot, string>>): [string, string] {
  switch (slot) {
    case 'ORDER': {
      const n = String(100000 + Math.floor(rand() * 900000));
      return [n, pick(['order {}', 'order #{}', 'order number {}', 'order no. {}']).replace('{}', n)];
    }
    case 'CITY':
    case 'FROM':
    case 'TO': {
      let city = pick(CITIES);
      while (slot === 'TO' && city === taken.FROM) city = pick(CITIES);
      return [city, city];
    }
    case 'COUNTRY': {
      const country = pick(COUNTRIES);
      return [country, country];
    }
    case 'ITEM': {
      const item = pick(ITEMS);
      return [item, item];
    }
    case 'KG': {
      const kg = String(1 + Math.floor(rand() * 30));
      return [kg, pick(['{} kg', '{}kg', '{} kilo'].map((f) => f.replace('{}', kg)))];
    }
    case 'DATE': {
      const day = new Date(Date.UTC(2025, 0, 1) + Math.floor(rand() * 730) * 86400000);
      const [y, m, d] = [day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()];
      const iso = `${y}-${pad(m)}-${pad(d)}`;
      const forms = [iso, `${d} ${MONTHS[m - 1]} ${y}`, `${MONTHS[m - 1]} ${d}, ${y}`, `${pad(d)}.${pad(m)}.${y}`];
      return [iso, pick(forms)];
    }
  }
}

/** 0: only case and spacing differ (an exact duplicate once normalised); 1: a word added; 2: a typo. */
function nearDuplicate(text: string, variant: number, pick: <T>(list: readonly T[]) => T): string {
  if (variant === 0) return text.toLowerCase().replace(/ /g, '  ');
  if (variant === 1) return `${text} ${pick(['Urgent.', 'Please.', 'Thanks!'])}`;
  const words = text.split(' ');
  const longest = words.reduce((best, w, i) => (w[1] !== w[2] && w.length > words[best].length ? i : best), 0);
  const w = words[longest];
  words[longest] = w.slice(0, 1) + w.slice(2, 3) + w.slice(1, 2) + w.slice(3); // swap two letters
  return words.join(' ');
}

/** Fake contact details: example.com addresses, fictional phone ranges, public test card numbers. */
function contactDetails(variant: number, pick: <T>(list: readonly T[]) => T): string {
  const name = pick(NAMES).toLowerCase();
  switch (variant) {
    case 0:
      return `You can reach me at ${name}.${pick(['berg', 'silva', 'novak', 'moreau'])}@example.com.`;
    case 1:
      return `Call me on +44 20 7946 0${pick(['123', '456', '789', '321'])}.`;
    case 2:
      return `My number is (${pick(['312', '415', '646'])}) 555-01${pick(['23', '42', '77', '98'])}.`;
    default:
      return `I paid with card ${pick(['4111 1111 1111 1111', '5555 5555 5555 4444', '4012 8888 8888 1881'])}.`;
  }
}

const requestKey = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();
const pad = (n: number) => String(n).padStart(2, '0');

/** JSONL text in chunks of up to 1000 lines. */
export function* supportJsonl(opts: SupportOptions): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const record of supportRecords(opts)) {
    chunk += JSON.stringify(record) + '\n';
    if (++n % 1000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** The demo files' contents, generated in order with one `avoid` set so that they share no request. */
export function* supportDemoFiles(): Generator<{ file: string; text: string }> {
  const avoid = new Set<string>();
  for (const { file, ...opts } of SUPPORT_DEMO_FILES) yield { file, text: [...supportJsonl({ ...opts, avoid })].join('') };
}

export async function writeSupportFile(file: string, opts: SupportOptions): Promise<void> {
  await pipeline(Readable.from(supportJsonl(opts)), createWriteStream(file));
}
