/**
 * Text Postgres can store. It refuses NUL in text and jsonb ("invalid byte sequence for encoding
 * UTF8: 0x00"), and jsonb refuses an unpaired UTF-16 surrogate, which JSON.stringify writes as a
 * "\udXXX" escape. Uploads with either are refused at validation; teacher answers are cleaned.
 */
import type { RecordIssue } from './canonical';

type Flaw = 'a NUL character' | 'an unpaired UTF-16 surrogate';

const REPLACEMENT = '\ufffd';

/** The first character of `text` Postgres cannot store, with its position; null when there is none. */
function firstFlaw(text: string, from = 0): { at: number; flaw: Flaw } | null {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return { at: i, flaw: 'a NUL character' };
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    return { at: i, flaw: 'an unpaired UTF-16 surrogate' };
  }
  return null;
}

/** `text` with NUL characters removed and unpaired surrogates replaced by U+FFFD, and how many characters that changed. */
export function storableText(text: string): { text: string; cleaned: number } {
  let flaw = firstFlaw(text);
  if (!flaw) return { text, cleaned: 0 };
  let out = '';
  let copied = 0;
  let cleaned = 0;
  while (flaw) {
    out += text.slice(copied, flaw.at) + (flaw.flaw === 'a NUL character' ? '' : REPLACEMENT);
    copied = flaw.at + 1;
    cleaned += 1;
    flaw = firstFlaw(text, copied);
  }
  return { text: out + text.slice(copied), cleaned };
}

/** Every string (and key) of a parsed JSON value that Postgres cannot store, by its path. */
export function unstorableTextIssues(value: unknown, path = ''): RecordIssue[] {
  if (typeof value === 'string') {
    const flaw = firstFlaw(value);
    return flaw ? [{ path, message: `contains ${flaw.flaw} at character ${flaw.at + 1}, which cannot be stored` }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => unstorableTextIssues(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const issues: RecordIssue[] = [];
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const keyFlaw = firstFlaw(key);
    if (keyFlaw) issues.push({ path: at, message: `the field name contains ${keyFlaw.flaw}, which cannot be stored` });
    issues.push(...unstorableTextIssues(item, at));
  }
  return issues;
}
