import type { GateRulesDto } from '@retort/contracts';

/** The gate rules in words. */
export function describeGate(gate: GateRulesDto | undefined): string[] {
  const g = gate ?? {};
  const out: string[] = [];
  if (typeof g.minLossImprovementPct === 'number') out.push(`eval loss at least ${g.minLossImprovementPct}% below production's`);
  if (g.minScore) {
    const parts = [g.minScore.atLeastProduction !== false ? "at least production's" : '', typeof g.minScore.min === 'number' ? `at least ${g.minScore.min}` : ''].filter(Boolean);
    out.push(`${g.minScore.metric} score ${parts.join(' and ') || 'reported'}`);
  }
  if (typeof g.maxRegressionPct === 'number') out.push(`no score drops by more than ${g.maxRegressionPct}%`);
  if (g.requireProduction) out.push('a production version must exist to compare with');
  return out;
}
