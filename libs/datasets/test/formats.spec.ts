import { PassThrough, Readable } from 'node:stream';
import { detectFormat, parseRecord, validateJsonl, type ValidationLimits } from '../src';

const source = (lines: unknown[]) => Readable.from([Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'))]);

async function run(lines: unknown[], opts: Partial<ValidationLimits> = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => (text += c));
  const result = await validateJsonl(source(lines), out, opts);
  return { result, canonical: text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

describe('input formats', () => {
  it('normalises alpaca, joining instruction and input and keeping extra fields in meta', async () => {
    const { result, canonical } = await run([
      { instruction: 'Translate to French', input: 'good morning', output: 'bonjour', id: 'a1', tags: ['translate'] },
      { instruction: 'Say hi', input: '', output: 'hi', system: 'Be brief.' },
    ]);
    expect(result).toEqual({ records: 2, errors: [], totalErrors: 0, format: 'alpaca' });
    expect(canonical).toEqual([
      {
        messages: [
          { role: 'user', content: 'Translate to French\n\ngood morning' },
          { role: 'assistant', content: 'bonjour' },
        ],
        tags: ['translate'],
        meta: { id: 'a1' },
      },
      {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Say hi' },
          { role: 'assistant', content: 'hi' },
        ],
      },
    ]);
  });

  it('normalises sharegpt roles and weights, and names an unknown role', async () => {
    const { result, canonical } = await run([
      {
        conversations: [
          { from: 'system', value: 's' },
          { from: 'human', value: 'q1' },
          { from: 'gpt', value: 'a1', weight: 0 },
          { from: 'user', value: 'q2' },
          { from: 'ChatGPT', value: 'a2' },
        ],
        intent: 'x',
      },
    ]);
    expect(result.format).toBe('sharegpt');
    expect(canonical[0]).toEqual({
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'q1' },
        { role: 'assistant', content: 'a1', weight: 0 },
        { role: 'user', content: 'q2' },
        { role: 'assistant', content: 'a2' },
      ],
      meta: { intent: 'x' },
    });
    const bad = await run([{ conversations: [{ from: 'human', value: 'q' }, { from: 'tool', value: 'r' }] }], { format: 'sharegpt' });
    expect(bad.result.errors).toEqual([{ line: 1, path: 'conversations[1].from', message: 'from must be one of human, user, gpt, assistant, chatgpt, system (got "tool")' }]);
  });

  it('reads prompt-only records and messages that end with a user turn', async () => {
    const { result, canonical } = await run([{ prompt: 'where is order 1?', system: 'Triage.', reference: 'INTENT: track_parcel' }, { messages: [{ role: 'user', content: 'hi' }] }]);
    expect(result).toMatchObject({ records: 2, totalErrors: 0, format: 'prompt' });
    expect(canonical[0]).toEqual({
      messages: [
        { role: 'system', content: 'Triage.' },
        { role: 'user', content: 'where is order 1?' },
      ],
      meta: { reference: 'INTENT: track_parcel' },
    });
    const bad = await run([{ prompt: 'q' }, { messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }] }]);
    expect(bad.result.errors).toEqual([{ line: 2, path: 'messages[1].role', message: 'a prompt record must end with a user turn (found assistant)' }]);
  });

  it('takes the format from the first record and refuses lines of another format', async () => {
    const { result } = await run(['{oops', { messages: [{ role: 'user', content: 'q' }] }, { instruction: 'i', output: 'o' }, { conversations: [] }]);
    expect(result.format).toBe('chat');
    expect(result.errors.slice(1)).toEqual([
      { line: 3, path: '', message: 'an alpaca record in a chat file: expected "messages" (the format detected from line 2)' },
      { line: 4, path: '', message: 'a sharegpt record in a chat file: expected "messages" (the format detected from line 2)' },
    ]);
  });

  it('holds every line to a declared format', async () => {
    const { result } = await run([{ messages: [{ role: 'user', content: 'q' }] }], { format: 'alpaca' });
    expect(result).toMatchObject({ format: 'alpaca', records: 0 });
    expect(result.errors).toEqual([{ line: 1, path: '', message: 'a chat record in an alpaca file: expected "instruction" (the format declared)' }]);
  });

  it('reports a first record of no known format, and wrong types', async () => {
    const { result } = await run([
      { text: 'hello' },
      { messages: [{ role: 'user', content: 5 }], tags: 'x', meta: [] },
      { messages: { role: 'user' } },
      { messages: [], id: 1 },
      { messages: [{ role: 'assistant', content: 'a', weight: 0.5 }] },
    ]);
    expect(result.errors).toEqual([
      { line: 1, path: '', message: 'unknown record format: expected one of "messages" (chat), "instruction" (alpaca), "conversations" (sharegpt), "prompt" (prompt)' },
      { line: 2, path: 'messages[0].content', message: 'content must be a string' },
      { line: 2, path: 'tags', message: 'tags must be an array of non-empty strings' },
      { line: 2, path: 'meta', message: 'meta must be an object' },
      { line: 3, path: 'messages', message: 'messages must be an array' },
      { line: 4, path: 'messages', message: 'messages is empty' },
      { line: 5, path: 'messages[0].weight', message: 'weight must be 0 or 1' },
    ]);
  });

  it('merges top-level extras with an explicit meta object, which wins', () => {
    expect(parseRecord(JSON.stringify({ messages: [{ role: 'user', content: 'q' }], id: 'top', src: 'x', meta: { id: 'meta' } }))).toEqual({
      record: { messages: [{ role: 'user', content: 'q' }], meta: { id: 'meta', src: 'x' } },
    });
  });

  it('detects formats from their keys', () => {
    expect([{ messages: [] }, { conversations: [] }, { instruction: '' }, { prompt: '' }, { text: '' }, [1]].map(detectFormat)).toEqual(['chat', 'sharegpt', 'alpaca', 'prompt', null, null]);
  });
});
