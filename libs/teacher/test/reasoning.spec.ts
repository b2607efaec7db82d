import { buildTarget, splitReasoning } from '../src';

describe('splitReasoning', () => {
  it('takes reasoning_content (DeepSeek API, vLLM reasoning parser) and the newer reasoning field', () => {
    expect(splitReasoning({ content: ' The answer is 4. ', reasoning_content: ' 2+2 … = 4 ' })).toEqual({ content: 'The answer is 4.', reasoning: '2+2 … = 4' });
    expect(splitReasoning({ content: '4', reasoning: 'add' })).toEqual({ content: '4', reasoning: 'add' });
    expect(splitReasoning({ content: '4', reasoning_content: null })).toEqual({ content: '4', reasoning: null });
  });

  it('splits an inline <think> block off the answer', () => {
    expect(splitReasoning({ content: '<think>\nstep 1\nstep 2\n</think>\n\nFinal: 7' })).toEqual({ content: 'Final: 7', reasoning: 'step 1\nstep 2' });
  });

  it('treats text before a lone </think> as reasoning (the template opened the block in the prompt)', () => {
    expect(splitReasoning({ content: 'hmm, so 3\n</think>\n3' })).toEqual({ content: '3', reasoning: 'hmm, so 3' });
  });

  it('takes an unterminated block cut by max_tokens as reasoning with an empty answer', () => {
    expect(splitReasoning({ content: '<think>\nlong thought that never ends' }, 'length')).toEqual({ content: '', reasoning: 'long thought that never ends' });
    expect(splitReasoning({ content: 'Answer so far <think> partial' }, 'length')).toEqual({ content: 'Answer so far', reasoning: 'partial' });
  });

  it('keeps a literal <think> inside a finished answer', () => {
    expect(splitReasoning({ content: 'Use the <think> tag to open reasoning.' }, 'stop')).toEqual({ content: 'Use the <think> tag to open reasoning.', reasoning: null });
  });

  it('joins the field and inline blocks, and drops blank reasoning (Qwen3 non-thinking mode)', () => {
    expect(splitReasoning({ content: '<think>\n\n</think>\n\nhi' })).toEqual({ content: 'hi', reasoning: null });
    expect(splitReasoning({ content: '<think>b</think>x<think>c</think>y', reasoning_content: 'a' })).toEqual({ content: 'xy', reasoning: 'a\n\nb\n\nc' });
    expect(splitReasoning({ content: null })).toEqual({ content: '', reasoning: null });
  });
});

describe('buildTarget', () => {
  const sample = { content: 'Paris.', reasoning: 'France → Paris' };

  it('keep: the think block, a blank line, then the answer', () => {
    expect(buildTarget(sample, 'keep')).toBe('<think>\nFrance → Paris\n</think>\n\nParis.');
  });

  it('strip: only the answer', () => {
    expect(buildTarget(sample, 'strip')).toBe('Paris.');
  });

  it('keep without reasoning is the answer alone', () => {
    expect(buildTarget({ content: 'Paris.', reasoning: null }, 'keep')).toBe('Paris.');
  });

  it('round-trips: splitting a kept target gives the sample back', () => {
    expect(splitReasoning({ content: buildTarget(sample, 'keep') })).toEqual(sample);
  });
});
