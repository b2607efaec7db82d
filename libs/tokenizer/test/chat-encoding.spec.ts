import { ChatTokenizer, type ChatMessage } from '../src';
import { realTokenizerFiles, type RealTokenizerName } from './real-tokenizers';

const load = (name: RealTokenizerName) => {
  const f = realTokenizerFiles(name);
  return new ChatTokenizer(f.tokenizerJson, f.tokenizerConfig);
};
const TOK = { qwen3: load('qwen3'), 'llama3.1': load('llama3.1'), 'deepseek-r1': load('deepseek-r1') };
const EOT = { qwen3: '<|im_end|>', 'llama3.1': '<|eot_id|>', 'deepseek-r1': '<｜end▁of▁sentence｜>' };

const trained = (e: { ids: number[]; assistantMask: number[] }) => e.ids.filter((_, i) => e.assistantMask[i] === 1);
const kept = (reasoning: string, answer: string) => `<think>\n${reasoning}\n</think>\n\n${answer}`;
const single = (content: string): ChatMessage[] => [
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content },
];
const multi: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: kept('Two and two make four.', 'Four.') },
  { role: 'user', content: 'And 3+3?' },
  { role: 'assistant', content: kept('Three and three make six.', 'Six.') },
];

/** What the model writes after the generation prompt, for a template, with reasoning kept or stripped. */
const TARGETS: Record<RealTokenizerName, { keep: string; strip: string }> = {
  // Qwen3's prompt ends at `assistant\n`: the model opens the block itself, an empty one when there is no reasoning.
  qwen3: { keep: kept('Two and two make four.', 'Four.') + EOT.qwen3, strip: kept('', 'Four.') + EOT.qwen3 },
  // R1's prompt ends with `<think>\n`: the target continues inside the block, never repeats its opening.
  'deepseek-r1': { keep: 'Two and two make four.\n</think>\n\nFour.' + EOT['deepseek-r1'], strip: '\n</think>\n\nFour.' + EOT['deepseek-r1'] },
  // No reasoning handling: the content as it is.
  'llama3.1': { keep: kept('Two and two make four.', 'Four.') + EOT['llama3.1'], strip: 'Four.' + EOT['llama3.1'] },
};

describe.each(Object.keys(TOK) as RealTokenizerName[])('encodeChat on the real %s template', (name) => {
  const tok = TOK[name];
  const prompt = (messages: ChatMessage[]) => tok.encode(tok.applyChatTemplate(messages, { addGenerationPrompt: true }));

  it.each(['keep', 'strip'] as const)('trains on exactly the tokens of what the model writes, reasoning %s', (policy) => {
    const content = policy === 'keep' ? kept('Two and two make four.', 'Four.') : 'Four.';
    const [enc, ...more] = tok.encodeChat(single(content));
    expect(more).toEqual([]);
    expect(trained(enc)).toEqual(tok.encode(TARGETS[name][policy]));
    // The rest is the prompt the model sees when it generates: the target is its continuation.
    expect(enc.ids).toEqual([...prompt(single(content).slice(0, 1)), ...tok.encode(TARGETS[name][policy])]);
    expect(enc.assistantMask.indexOf(1)).toBe(prompt(single(content).slice(0, 1)).length);
  });

  it('reads reasoning from a reasoning_content field as from an inline block', () => {
    if (name === 'llama3.1') return; // its template has no reasoning: the field is not rendered
    const [enc] = tok.encodeChat([single('')[0], { role: 'assistant', content: 'Four.', reasoning_content: 'Two and two make four.' }]);
    expect(trained(enc)).toEqual(tok.encode(TARGETS[name].keep));
  });

  it('multi-turn: each turn trains as generated; by default the turns the template keeps', () => {
    const last = tok.encodeChat(multi, { turns: 'last' });
    expect(last).toHaveLength(1);
    const lastPrompt = prompt(multi.slice(0, 4));
    expect(last[0].ids.slice(0, lastPrompt.length)).toEqual(lastPrompt);
    const secondTarget = trained(last[0]);
    expect(tok.decode(secondTarget)).toMatch(/Six\.(<\|im_end\|>|<\|eot_id\|>|<｜end▁of▁sentence｜>)$/);

    const auto = tok.encodeChat(multi);
    const all = tok.encodeChat(multi, { turns: 'all' });
    const firstTarget = trained(tok.encodeChat(multi.slice(0, 3))[0]);
    if (name === 'llama3.1') {
      // Earlier turns are rendered as written: one sequence trains both.
      expect(auto).toHaveLength(1);
      expect(trained(auto[0])).toEqual([...firstTarget, ...secondTarget]);
      expect(all).toEqual(auto);
    } else {
      // Earlier turns lose their reasoning in the conversation: in place they are not what the model wrote.
      expect(tok.decode(last[0].ids)).not.toContain('Two and two make four.');
      expect(auto).toEqual(last);
      expect(all).toHaveLength(2);
      expect(all[0].ids).toEqual([...prompt(multi.slice(0, 2)), ...firstTarget]);
      expect(trained(all[0])).toEqual(firstTarget);
      expect(all[1]).toEqual(last[0]);
    }
  });
});

describe('encodeChat errors', () => {
  it('names the turn a template cannot render as a continuation of its generation prompt', () => {
    const base = realTokenizerFiles('qwen3');
    const odd = new ChatTokenizer(base.tokenizerJson, {
      ...base.tokenizerConfig,
      chat_template: "{% for m in messages %}{{ m.role + ': ' + m.content + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ 'ASSISTANT> ' }}{% endif %}",
    });
    expect(() => odd.encodeChat(multi)).toThrow(/^message 3 \(assistant turn 1\): the chat template renders this turn/);
  });
});
