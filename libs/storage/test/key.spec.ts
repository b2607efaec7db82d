import { InvalidArtifactKeyError, MAX_KEY_BYTES, validateKey } from '../src';

describe('validateKey', () => {
  it.each(['a', 'datasets/12/versions/3/data.jsonl', '.hidden', 'a/..b/c..', 'spaces are fine', 'ünïcödé/名前', 'x'.repeat(MAX_KEY_BYTES)])(
    'accepts %j',
    (key) => {
      expect(() => validateKey(key)).not.toThrow();
    },
  );

  it.each([
    ['', 'must not be empty'],
    ['/abs/path', 'must be relative (no leading "/")'],
    ['..', 'must not contain ".." segments'],
    ['a/../b', 'must not contain ".." segments'],
    ['./a', 'must not contain "." segments'],
    ['a/./b', 'must not contain "." segments'],
    ['a//b', 'must not contain empty segments ("//")'],
    ['a/b/', 'must not end with "/"'],
    ['a\\b', 'must not contain backslashes'],
    ['..\\..\\windows', 'must not contain backslashes'],
    ['a\u0000b', 'must not contain NUL or control characters'],
    ['line\nbreak', 'must not contain NUL or control characters'],
    ['del\u007f', 'must not contain NUL or control characters'],
    ['x'.repeat(MAX_KEY_BYTES + 1), 'must be at most 1024 bytes of UTF-8'],
    ['é'.repeat(513), 'must be at most 1024 bytes of UTF-8'],
  ])('refuses %j: %s', (key, rule) => {
    const err = (() => {
      try {
        validateKey(key);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArtifactKeyError);
    expect(err).toMatchObject({ key, rule, name: 'InvalidArtifactKeyError' });
    expect((err as Error).message).toContain(rule);
  });

  it('names the key in the message, shortened when long', () => {
    expect(() => validateKey('a//b')).toThrow('invalid artifact key "a//b": must not contain empty segments ("//")');
    expect(() => validateKey('y'.repeat(5000))).toThrow(/^invalid artifact key "y{120}…": must be at most/);
  });

  it('refuses a key that is not a string', () => {
    expect(() => validateKey(42 as unknown as string)).toThrow(InvalidArtifactKeyError);
  });
});
