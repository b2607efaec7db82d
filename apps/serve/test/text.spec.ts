import { topK } from '../src/generation';
import type { Step } from '../src/generation';
import { TextTracker } from '../src/text';

/** A tokenizer whose ids are character codes; 0 is the stop token. */
const decode = (ids: number[]) => String.fromCharCode(...ids);
const step = (ch: string): Step => ({ id: ch === '' ? 0 : ch.charCodeAt(0), logprob: 0, stopToken: ch === '' });

function run(chars: string[], stops: string[]) {
  const t = new TextTracker(decode, stops);
  const deltas: string[] = [];
  let stopped = false;
  for (const ch of chars) {
    const r = t.push(step(ch));
    deltas.push(r.delta);
    if (r.stopped) {
      stopped = true;
      break;
    }
  }
  if (!stopped) deltas.push(t.finish());
  return { deltas, text: t.text, stopped };
}

describe('TextTracker', () => {
  it('holds back what may start a stop string and cuts before it', () => {
    const r = run([...'hello END there'], ['END']);
    expect(r.text).toBe('hello ');
    expect(r.stopped).toBe(true);
    expect(r.deltas.join('')).toBe('hello ');
    expect(r.deltas.slice(0, 6)).toEqual(['h', 'e', 'l', 'l', 'o', ' ']);
  });

  it('releases a held-back prefix that turns out not to be a stop string', () => {
    const r = run([...'an ENtry'], ['END']);
    expect(r.stopped).toBe(false);
    expect(r.deltas).toEqual(['a', 'n', ' ', '', '', 'ENt', 'r', 'y', '']);
    expect(r.text).toBe('an ENtry');
  });

  it('takes the earliest of several stop strings, and ends on a stop token', () => {
    expect(run([...'xyzabc'], ['bc', 'za']).text).toBe('xy');
    const eos = run(['a', 'b', ''], []);
    expect(eos).toMatchObject({ text: 'ab', stopped: true });
  });

  it('holds back a trailing U+FFFD (an incomplete character)', () => {
    const r = run(['a', '\ufffd', 'b'], []);
    expect(r.deltas).toEqual(['a', '', '\ufffdb', '']);
  });
});

describe('topK', () => {
  it('matches a stable descending sort', () => {
    const values = Float32Array.from([0.5, 2, -1, 2, 7, 0.5, 3, -Infinity, 2]);
    const sorted = Array.from(values.keys()).sort((a, b) => values[b] - values[a]);
    for (const k of [1, 2, 3, 5, 9]) expect(topK(values, k)).toEqual(sorted.slice(0, k));
  });
});
