import { storableText } from '../src';

describe('storableText', () => {
  it('removes NUL characters and replaces unpaired surrogates, counting each', () => {
    expect(storableText('a\u0000b\u0000')).toEqual({ text: 'ab', cleaned: 2 });
    expect(storableText('x\ud800y\udc00')).toEqual({ text: 'x\ufffdy\ufffd', cleaned: 2 });
    expect(storableText('end \ud83d')).toEqual({ text: 'end \ufffd', cleaned: 1 });
  });

  it('leaves clean text, including surrogate pairs, as it is', () => {
    const text = 'smile \ud83d\ude00 done';
    expect(storableText(text)).toEqual({ text, cleaned: 0 });
    expect(JSON.stringify(storableText('\u0000\ud800').text)).toBe('"\ufffd"');
  });
});
