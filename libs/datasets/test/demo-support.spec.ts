import { createReadStream, readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  contentHash,
  exactDuplicateClusters,
  nearDuplicateClusters,
  parseRecord,
  scrubRecord,
  SUPPORT_DEMO_FILES,
  SUPPORT_INTENTS,
  SUPPORT_NEAR_DUPLICATE_EVERY,
  SUPPORT_PII_EVERY,
  SUPPORT_PII_OFFSET,
  supportDemoFiles,
  scoreSupportAnswer,
  supportRecords,
  validateJsonl,
  type ChatRecord,
} from '../src';

const DEMO_DIR = path.resolve(__dirname, '../../../datasets/demo-support');

const read = (file: string) => readFileSync(path.join(DEMO_DIR, file), 'utf8');
const records = (file: string) =>
  read(file)
    .trimEnd()
    .split('\n')
    .map((line) => {
      const parsed = parseRecord(line) as { record: ChatRecord };
      return { id: parsed.record.meta!.id as string, ...parsed.record };
    });

describe('the demo support data set', () => {
  it('regenerating the files with their seeds reproduces them byte for byte', () => {
    const files = [...supportDemoFiles()];
    expect(files.map((f) => f.file)).toEqual(['train.jsonl', 'eval.jsonl', 'prompts.jsonl']);
    for (const { file, text } of files) expect(text).toBe(read(file));
  });

  it('validates: train and eval as training sets, prompts as a prompt set', async () => {
    for (const { file, kind, count } of SUPPORT_DEMO_FILES) {
      const result = await validateJsonl(createReadStream(path.join(DEMO_DIR, file)), null, { purpose: kind === 'prompts' ? 'prompts' : 'train', maxTokens: 256 });
      expect(result).toEqual({ records: count, errors: [], totalErrors: 0, format: kind === 'prompts' ? 'prompt' : 'chat' });
    }
  });

  it('has every intent, and a reference that names the intent first', () => {
    const train = records('train.jsonl');
    const intents = new Set(train.map((r) => r.meta!.intent));
    expect([...intents].sort()).toEqual(SUPPORT_INTENTS.map((i) => i.name).sort());
    for (const r of train) {
      expect(r.tags).toEqual([r.meta!.intent]);
      expect(r.messages.at(-1)!.content).toBe(r.meta!.reference);
      expect(r.meta!.reference).toMatch(new RegExp(`^INTENT: ${r.meta!.intent}(; [A-Z]+: [^;]+)*$`));
    }
  });

  it('plants near duplicates (a third of them exact once normalised) that curation finds', () => {
    const train = records('train.jsonl');
    const planted = train.filter((_, i) => i % SUPPORT_NEAR_DUPLICATE_EVERY === SUPPORT_NEAR_DUPLICATE_EVERY - 1).map((r) => r.id);
    expect(planted).toHaveLength(24);
    const inNear = new Set(nearDuplicateClusters(train).flatMap((c) => c.slice(1)));
    expect(planted.filter((id) => !inNear.has(id))).toEqual([]);
    const exactDuplicates = exactDuplicateClusters(train).flatMap((c) => c.slice(1));
    expect(exactDuplicates).toHaveLength(8);
    expect(exactDuplicates.every((id) => planted.includes(id))).toBe(true);
  });

  it('has fake contact details only where planted, which scrubbing finds without false positives', () => {
    const found: Record<string, { email: number; phone: number; card: number }> = {};
    for (const file of ['train.jsonl', 'eval.jsonl', 'prompts.jsonl']) {
      for (const r of records(file)) {
        const { counts } = scrubRecord(r);
        if (counts.email + counts.phone + counts.card) found[r.id] = counts;
      }
    }
    const planted = records('train.jsonl')
      .filter((_, i) => i % SUPPORT_PII_EVERY === SUPPORT_PII_OFFSET)
      .map((r) => r.id);
    expect(Object.keys(found)).toEqual(planted);
    const total = Object.values(found).reduce((a, c) => ({ email: a.email + c.email, phone: a.phone + c.phone, card: a.card + c.card }));
    expect(total).toEqual({ email: 3, phone: 6, card: 3 });
  });

  it('keeps eval and prompts apart from train', () => {
    const user = (r: ChatRecord) => contentHash({ messages: r.messages.filter((m) => m.role === 'user') });
    const train = new Set(records('train.jsonl').map(user));
    expect(records('eval.jsonl').filter((r) => train.has(user(r)))).toEqual([]);
    expect(records('prompts.jsonl').filter((r) => train.has(user(r)))).toEqual([]);
  });

  it('adds the system prompt on request', () => {
    const [first] = supportRecords({ kind: 'prompts', count: 1, seed: 3, system: true });
    expect(first).toMatchObject({ system: expect.stringContaining('INTENT: <intent>'), prompt: expect.any(String) });
  });

  it('scores answers exactly, by intent and slot by slot', () => {
    const ref = 'INTENT: shipping_quote; FROM: Lyon; TO: Porto; KG: 12';
    expect(scoreSupportAnswer(' intent: shipping_quote;  from: lyon; TO: Porto; KG: 12\nmore text', ref)).toEqual({ exact: true, intent: true, slotsCorrect: 3, slotsTotal: 3 });
    expect(scoreSupportAnswer('INTENT: shipping_quote; TO: Porto; FROM: Lyon; KG: 21', ref)).toEqual({ exact: false, intent: true, slotsCorrect: 2, slotsTotal: 3 });
    expect(scoreSupportAnswer('Sure! Your parcel costs 12 EUR.', ref)).toEqual({ exact: false, intent: false, slotsCorrect: 0, slotsTotal: 3 });
  });
});
