const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, keywords, label
 * names (in matchers and in by/without/on/ignoring lists) or durations.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = bare.slice(m.index! + m[0].length);
    const before = bare[m.index! - 1];
    if (/^\s*\(/.test(rest) || KEYWORDS.has(m[0].toLowerCase()) || (before && /[0-9.]/.test(before))) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** The series names a prom-client registry exports: a histogram's _bucket, _sum and _count, a summary's quantiles, _sum and _count. */
export function exportedSeries(metrics: { name: string; type: unknown }[]): Set<string> {
  const out = new Set<string>();
  for (const m of metrics) {
    // Typed as an enum by prom-client, but getMetricsAsJSON() gives the name: 'histogram', 'summary', …
    const type = String(m.type);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => out.add(m.name + s));
    else if (type === 'summary') ['', '_sum', '_count'].forEach((s) => out.add(m.name + s));
    else out.add(m.name);
  }
  return out;
}
