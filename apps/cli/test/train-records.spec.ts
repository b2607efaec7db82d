/** What `retort train` makes of chat records with the DeepSeek-R1 template: the engine's readJsonl and tokenizeRecord. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatTokenizer } from '@retort/tokenizer';
import { readJsonl, tokenizeRecord } from '@retort/engine';
import { realTokenizerFiles } from '../../../libs/tokenizer/test/real-tokenizers';

const r1Files = realTokenizerFiles('deepseek-r1');
const r1 = new ChatTokenizer(r1Files.tokenizerJson, r1Files.tokenizerConfig);
const EOS = '<｜end▁of▁sentence｜>';
const trained = (e: { ids: number[]; weights: number[] }) => e.ids.filter((_, t) => t > 0 && e.weights[t - 1] > 0);

describe('chat records to training sequences with the DeepSeek-R1 template', () => {
  it('{prompt, completion}: the target continues the <think>\\n of the generation prompt', () => {
    const [kept] = tokenizeRecord({ prompt: 'What is 2+2?', completion: '<think>\nAdd them.\n</think>\n\n4' }, r1);
    expect(trained(kept)).toEqual(r1.encode(`Add them.\n</think>\n\n4${EOS}`));
    const [stripped] = tokenizeRecord({ prompt: 'What is 2+2?', completion: '4' }, r1);
    expect(trained(stripped)).toEqual(r1.encode(`\n</think>\n\n4${EOS}`));
  });

  it('multi-turn: the last turn by default, every turn in a sequence of its own with turns "all"', () => {
    const messages = [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: '<think>\nR1\n</think>\n\nA1' },
      { role: 'user', content: 'Q2' },
      { role: 'assistant', content: '<think>\nR2\n</think>\n\nA2' },
    ];
    const auto = tokenizeRecord({ messages }, r1);
    expect(auto.map(trained)).toEqual([r1.encode(`R2\n</think>\n\nA2${EOS}`)]);
    const all = tokenizeRecord({ messages }, r1, { turns: 'all' });
    expect(all.map(trained)).toEqual([r1.encode(`R1\n</think>\n\nA1${EOS}`), r1.encode(`R2\n</think>\n\nA2${EOS}`)]);
    expect(tokenizeRecord({ messages }, r1, { turns: 'last', maxLen: 8 })[0].ids).toHaveLength(8);
  });

  it('errors name the file, the line and the turn', () => {
    const odd = new ChatTokenizer(r1Files.tokenizerJson, { ...r1Files.tokenizerConfig, chat_template: "{% for m in messages %}{{ m.role + ': ' + m.content }}{% endfor %}{% if add_generation_prompt %}{{ 'A> ' }}{% endif %}" });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'retort-records-')), 'data.jsonl');
    fs.writeFileSync(file, ['{"prompt": "p", "completion": "c"}', '', '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}'].join('\n'));
    const [, third] = readJsonl(file);
    expect(() => tokenizeRecord(third, odd)).toThrow(`${file}:3: message 2 (assistant turn 1): the chat template renders this turn in a way that does not continue its generation prompt`);
  });
});
