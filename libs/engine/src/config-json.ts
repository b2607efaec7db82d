/**
 * config.json with its floats kept as floats. JSON.parse turns `1.0` into 1, and writing that back as
 * `1` changes what transformers reads (it warns on `rope_scaling` factors given as integers, and
 * some fields are typed float). Keys known to be floats, and every key that held a float literal in
 * the file it was read from, are written with a fractional part.
 */
import * as fs from 'node:fs';

/** Float fields of transformers' Llama/Qwen2 configs and their rope_scaling. */
const FLOAT_KEYS = new Set([
  'rms_norm_eps',
  'rope_theta',
  'initializer_range',
  'attention_dropout',
  'factor',
  'low_freq_factor',
  'high_freq_factor',
  'attention_factor',
  'beta_fast',
  'beta_slow',
  'mscale',
  'mscale_all_dim',
]);

/** Set on a parsed config: the keys that held float literals in its file (a symbol: JSON.stringify skips it, spreads copy it). */
const FLOAT_LITERAL_KEYS = Symbol('floatLiteralKeys');

type Json = Record<string, unknown> & { [FLOAT_LITERAL_KEYS]?: string[] };

/** A JSON file's text and value; errors name the file. */
export function readJsonFile(file: string): { text: string; value: Record<string, unknown> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: not found`);
  }
  try {
    return { text, value: JSON.parse(text) as Record<string, unknown> };
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

export function readJsonKeepingFloats(file: string): Record<string, unknown> {
  const { text, value: parsed } = readJsonFile(file);
  const value = parsed as Json;
  const keys = new Set<string>();
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"\s*:\s*-?\d+(?:\.\d*|(?=[eE]))/g)) keys.add(m[1]);
  if (value && typeof value === 'object') value[FLOAT_LITERAL_KEYS] = [...keys];
  return value;
}

/** The config as config.json text (2-space indent, trailing newline), integral floats written as `N.0`. */
export function configText(config: Record<string, unknown>): string {
  const floats = new Set([...FLOAT_KEYS, ...((config as Json)[FLOAT_LITERAL_KEYS] ?? [])]);
  const marker = '@@retort-float@@';
  const text = JSON.stringify(
    config,
    (key, v) => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 1e21 && floats.has(key) ? `${marker}${v}` : v),
    2,
  );
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1.0') + '\n';
}
