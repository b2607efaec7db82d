const WHITESPACE_SIGNS: [RegExp, string][] = [
  [/\n/g, '⏎'],
  [/ /g, '␣'],
  [/\t/g, '⇥'],
];

/**
 * A visible stand-in for a text with nothing to read: "(empty answer)" for "", "(blank: ⏎ ×64)"
 * for 64 newlines; null when the text has something to show. A model that answers only newlines
 * is a finding to see, not a blank panel.
 */
export function blankMarker(text: string | null | undefined): string | null {
  if (!text) return '(empty answer)';
  if (text.trim() !== '') return null;
  const counts = WHITESPACE_SIGNS.map(([re, sign]) => [sign, text.match(re)?.length ?? 0] as const).filter(([, n]) => n > 0);
  const other = text.length - counts.reduce((sum, [, n]) => sum + n, 0);
  const parts = counts.map(([sign, n]) => `${sign} ×${n}`);
  if (other > 0) parts.push(`other whitespace ×${other}`);
  return `(blank: ${parts.join(', ')})`;
}
