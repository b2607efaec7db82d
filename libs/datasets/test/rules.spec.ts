import { Readable } from 'node:stream';
import { approximateTokens, validateJsonl } from '../src';

const source = (lines: unknown[]) => Readable.from([Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n'))]);
const msg = (role: string, content: string, weight?: number) => ({ role, content, ...(weight === undefined ? {} : { weight }) });

describe('purpose rules', () => {
  it('a training set needs an assistant turn last, and something to learn', async () => {
    const result = await validateJsonl(
      source([
        { messages: [msg('user', 'q'), msg('assistant', 'a')] },
        { messages: [msg('system', 's'), msg('user', 'q')] },
        { messages: [msg('user', 'q'), msg('assistant', 'a'), msg('user', 'more?')] },
        { messages: [msg('user', 'q'), msg('assistant', 'a', 0)] },
        { instruction: 'no output' },
      ]),
      null,
      { purpose: 'train' },
    );
    expect(result.records).toBe(1);
    expect(result.errors).toEqual([
      { line: 2, path: 'messages', message: 'no assistant turn: a training record needs one' },
      { line: 3, path: 'messages[2].role', message: 'the last message must be an assistant turn in a training set (found user)' },
      { line: 4, path: 'messages', message: 'every assistant turn has weight 0: nothing to train on' },
      { line: 5, path: '', message: 'an alpaca record in a chat file: expected "messages" (the format detected from line 1)' },
    ]);
    const alpaca = await validateJsonl(source([{ instruction: 'no output' }]), null, { purpose: 'train' });
    expect(alpaca.errors).toEqual([{ line: 1, path: 'output', message: 'no assistant turn: a training record needs one' }]);
  });

  it('a prompt set needs a user turn last', async () => {
    const result = await validateJsonl(
      source([{ messages: [msg('user', 'q')] }, { messages: [msg('user', 'q'), msg('assistant', 'a')] }, { prompt: 'p' }]),
      null,
      { purpose: 'prompts' },
    );
    expect(result.records).toBe(2);
    expect(result.errors).toEqual([{ line: 2, path: 'messages[1].role', message: 'the last message must be a user turn in a prompt set (found assistant)' }]);
  });

  it('counts tokens with the given tokenizer, or estimates them and says so', async () => {
    const lines = [{ messages: [msg('user', 'a b c d e'), msg('assistant', 'f g h')] }];
    const words = (t: string) => t.split(' ').length;
    expect((await validateJsonl(source(lines), null, { maxTokens: 8, countTokens: words })).errors).toEqual([]);
    expect((await validateJsonl(source(lines), null, { maxTokens: 7, countTokens: words })).errors).toEqual([
      { line: 1, path: '', message: "the record has 8 tokens, over the limit of 7 (counted with the base model's tokenizer)" },
    ]);
    // 'a b c d e' is 9 characters → 3 tokens, 'f g h' is 5 → 2.
    expect(approximateTokens('a b c d e')).toBe(3);
    expect((await validateJsonl(source(lines), null, { maxTokens: 4 })).errors).toEqual([
      { line: 1, path: '', message: 'the record has 5 tokens, over the limit of 4 (estimated as characters/4 per message, rounded up: no tokenizer was given)' },
    ]);
  });

  it('writes no canonical output after the first error', async () => {
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const result = await validateJsonl(source([{ messages: [msg('user', 'q'), msg('assistant', 'a')] }, { messages: [msg('user', 'q')] }, { messages: [msg('user', 'q'), msg('assistant', 'b')] }]), out, { purpose: 'train' });
    expect(result).toMatchObject({ records: 2, totalErrors: 1 });
    expect(text.trim().split('\n')).toHaveLength(1);
  });
});
