import { PassThrough, Readable } from 'node:stream';
import { computeStats, validateJsonl } from '../src';

const chat = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });

async function collect(stream: PassThrough): Promise<string> {
  let out = '';
  for await (const c of stream) out += c;
  return out;
}

describe('validateJsonl', () => {
  it('accepts chat and prompt-only lines, tolerating BOM, CRLF and blank lines', async () => {
    const text = '\ufeff' + chat('hi', 'hello') + '\r\n\r\n' + JSON.stringify({ prompt: 'where is my parcel?' }) + '\r\n';
    const out = new PassThrough();
    const [result, canonical] = await Promise.all([validateJsonl(Readable.from([Buffer.from(text)]), out), collect(out)]);
    expect(result).toEqual({ records: 2, errors: [], totalErrors: 0, format: 'chat' });
    expect(canonical.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] },
      { messages: [{ role: 'user', content: 'where is my parcel?' }] },
    ]);
  });

  it('names the line, path and problem of every bad line', async () => {
    const lines = [
      chat('a', 'b'),
      '{not json',
      JSON.stringify({ messages: [{ role: 'robot', content: 'x' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: '   ' }] }),
      JSON.stringify({ messages: [{ role: 'user' }] }),
      '[1,2]',
    ];
    const result = await validateJsonl(Readable.from([Buffer.from(lines.join('\n'))]), null);
    expect(result.records).toBe(1);
    expect(result.totalErrors).toBe(5);
    expect(result.errors[0]).toMatchObject({ line: 2, path: '', message: expect.stringMatching(/^invalid JSON/) });
    expect(result.errors[1]).toEqual({ line: 3, path: 'messages[0].role', message: 'role must be one of system, user, assistant' });
    expect(result.errors[2]).toEqual({ line: 4, path: 'messages[0].content', message: 'content is empty' });
    expect(result.errors[3]).toEqual({ line: 5, path: 'messages[0].content', message: 'content is required' });
    expect(result.errors[4]).toEqual({ line: 6, path: '', message: 'expected a JSON object' });
  });

  it('reports invalid UTF-8 and over-long lines, splits lines across chunks, and caps the listed errors', async () => {
    const bad = Buffer.concat([Buffer.from(chat('a', 'b') + '\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('x'.repeat(150) + '\n')]);
    const chunks = [...bad].map((b) => Buffer.from([b])); // one byte per chunk
    const result = await validateJsonl(Readable.from(chunks), null, { maxLineBytes: 100, maxErrors: 1 });
    expect(result.totalErrors).toBe(2);
    expect(result.errors).toEqual([{ line: 2, path: '', message: 'invalid UTF-8' }]);
    const longOnly = await validateJsonl(Readable.from([Buffer.from('x'.repeat(50))]), null, { maxLineBytes: 40, maxErrors: 5 });
    expect(longOnly.errors).toEqual([{ line: 1, path: '', message: 'line is longer than the limit of 40 bytes' }]);
  });

  it('refuses text Postgres cannot store (a lone surrogate, a NUL) with the line and field', async () => {
    const lines = [
      chat('fine', 'ok'),
      '{"messages":[{"role":"user","content":"half \\ud800 a pair"}]}',
      '{"messages":[{"role":"user","content":"nul \\u0000 here"}],"meta":{"k\\u0000":"v"}}',
      '{"messages":[{"role":"user","content":"a real pair \\ud83d\\ude00"}]}',
    ];
    const out = new PassThrough();
    const [result] = await Promise.all([validateJsonl(Readable.from([Buffer.from(lines.join('\n'))]), out), collect(out)]);
    expect(result.records).toBe(2);
    expect(result.errors).toEqual([
      { line: 2, path: 'messages[0].content', message: 'contains an unpaired UTF-16 surrogate at character 6, which cannot be stored' },
      { line: 3, path: 'messages[0].content', message: 'contains a NUL character at character 5, which cannot be stored' },
      { line: 3, path: 'meta.k\u0000', message: 'the field name contains a NUL character, which cannot be stored' },
    ]);
  });

  it('rejects an empty file', async () => {
    const result = await validateJsonl(Readable.from([Buffer.from('\n\n')]), null);
    expect(result.errors).toEqual([{ path: '', message: 'the file has no records' }]);
  });
});

describe('computeStats', () => {
  it('counts records, turns, roles and characters', async () => {
    const text = [chat('ab', 'cde'), JSON.stringify({ messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'q' }] })].join('\n');
    expect(await computeStats(Readable.from([Buffer.from(text)]))).toEqual({
      records: 2,
      turns: 2,
      messages: 4,
      roles: { user: 2, assistant: 1, system: 1 },
      chars: { min: 2, max: 5, mean: 3.5 },
      tags: {},
      duplicates: { exact: 0 },
    });
  });
});
