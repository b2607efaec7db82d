import { InvalidArtifactKeyError } from './errors';

/** S3's limit on an object key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Keys are relative, '/'-separated paths that mean the same thing on a filesystem and in a bucket:
 * no way to climb out of the store's root and no two spellings of one object.
 */
export function validateKey(key: string): void {
  const fail = (rule: string): never => {
    throw new InvalidArtifactKeyError(key, rule);
  };
  if (typeof key !== 'string') throw new InvalidArtifactKeyError(String(key), 'must be a string');
  if (key === '') fail('must not be empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) fail(`must be at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  if (CONTROL_CHARS.test(key)) fail('must not contain NUL or control characters');
  if (key.includes('\\')) fail('must not contain backslashes');
  if (key.startsWith('/')) fail('must be relative (no leading "/")');
  if (key.endsWith('/')) fail('must not end with "/"');
  for (const segment of key.split('/')) {
    if (segment === '') fail('must not contain empty segments ("//")');
    if (segment === '.' || segment === '..') fail(`must not contain "${segment}" segments`);
  }
}

/** A list() prefix: empty (everything), or a key with an optional trailing '/'. */
export function validatePrefix(prefix: string): void {
  if (prefix === '') return;
  validateKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

/** S3 lists keys in UTF-8 byte order; the filesystem store sorts the same way. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
