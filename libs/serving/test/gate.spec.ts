import { evaluateGate, type EvalMetrics, type GateRules } from '../src';

const production: EvalMetrics = { loss: 1.5, perplexity: Math.exp(1.5), tokenAccuracy: 0.6, scores: { exact: 0.4, contains: 0.6, rougeL: 0.7, jsonValid: 1 } };
const better: EvalMetrics = { loss: 1.2, perplexity: Math.exp(1.2), tokenAccuracy: 0.66, scores: { exact: 0.5, contains: 0.7, rougeL: 0.75, jsonValid: 1 } };
const worse: EvalMetrics = { loss: 1.6, perplexity: Math.exp(1.6), tokenAccuracy: 0.58, scores: { exact: 0.3, contains: 0.6, rougeL: 0.6, jsonValid: 0.9 } };

const rules: GateRules = {
  minLossImprovementPct: 5,
  minScore: { metric: 'rougeL', atLeastProduction: true, min: 0.65 },
  maxRegressionPct: 10,
};

describe('evaluateGate', () => {
  it('passes a better candidate and says why', () => {
    const r = evaluateGate(rules, better, production);
    expect(r.passed).toBe(true);
    expect(r.checks.every((c) => c.passed)).toBe(true);
    expect(r.checks.map((c) => c.rule)).toEqual([
      'minLossImprovementPct',
      'minScore.rougeL.min',
      'minScore.rougeL.atLeastProduction',
      'maxRegressionPct.loss',
      'maxRegressionPct.perplexity',
      'maxRegressionPct.tokenAccuracy',
      'maxRegressionPct.exact',
      'maxRegressionPct.contains',
      'maxRegressionPct.rougeL',
      'maxRegressionPct.jsonValid',
    ]);
    expect(r.reasons).toEqual(r.checks.map((c) => c.detail));
    expect(r.reasons.slice(0, 4)).toEqual([
      "candidate loss 1.2 is 20% lower than production's 1.5 (at least 5% lower required)",
      'candidate rougeL 0.75 is at least the minimum 0.65',
      "candidate rougeL 0.75 is above production's 0.7",
      'loss fell from 1.5 to 1.2 (20% better)',
    ]);
    expect(r.reasons).toContain('jsonValid score is unchanged at 1');
    expect(r.reasons).toContain('token accuracy rose from 0.6 to 0.66 (10% better)');
  });

  it('blocks a worse candidate with the reasons and the numbers', () => {
    const r = evaluateGate(rules, worse, production);
    expect(r.passed).toBe(false);
    expect(r.reasons).toEqual([
      "candidate loss 1.6 is 6.7% higher than production's 1.5 (at least 5% lower required)",
      'candidate rougeL 0.6 is below the minimum 0.65',
      "candidate rougeL 0.6 is below production's 0.7",
      'perplexity rose from 4.4817 to 4.953 (10.5% worse; at most 10% allowed)',
      'exact score fell from 0.4 to 0.3 (25% worse; at most 10% allowed)',
      'rougeL score fell from 0.7 to 0.6 (14.3% worse; at most 10% allowed)',
    ]);
    // Within the 10% allowance: recorded as passed checks.
    expect(r.checks.find((c) => c.rule === 'maxRegressionPct.loss')).toEqual({ rule: 'maxRegressionPct.loss', passed: true, detail: 'loss rose from 1.5 to 1.6 (6.7% worse; at most 10% allowed)' });
    expect(r.checks.find((c) => c.rule === 'maxRegressionPct.jsonValid')).toEqual({ rule: 'maxRegressionPct.jsonValid', passed: true, detail: 'jsonValid score fell from 1 to 0.9 (10% worse; at most 10% allowed)' });
  });

  it('says "only" when the loss improved by less than required', () => {
    const r = evaluateGate({ minLossImprovementPct: 5 }, { ...better, loss: 1.47 }, production);
    expect(r).toEqual({
      passed: false,
      reasons: ["candidate loss 1.47 is only 2% lower than production's 1.5 (at least 5% lower required)"],
      checks: [{ rule: 'minLossImprovementPct', passed: false, detail: "candidate loss 1.47 is only 2% lower than production's 1.5 (at least 5% lower required)" }],
    });
  });

  it('passes the comparisons when there is no production version', () => {
    const r = evaluateGate(rules, worse, undefined);
    expect(r.checks).toEqual([
      { rule: 'minLossImprovementPct', passed: true, detail: 'no production version to compare with (candidate loss 1.6)' },
      { rule: 'minScore.rougeL.min', passed: false, detail: 'candidate rougeL 0.6 is below the minimum 0.65' },
      { rule: 'minScore.rougeL.atLeastProduction', passed: true, detail: 'no production version to compare with (candidate rougeL 0.6)' },
      { rule: 'maxRegressionPct', passed: true, detail: 'no production version to compare with (regressions of more than 10%)' },
    ]);
    expect(r.passed).toBe(false); // the absolute floor still applies
    const ok = evaluateGate(rules, better, undefined);
    expect(ok.passed).toBe(true);
    expect(ok.reasons).toContain('no production version to compare with (candidate loss 1.2)');
  });

  it('blocks without a production version when requireProduction is set', () => {
    const r = evaluateGate({ ...rules, requireProduction: true }, better, undefined);
    expect(r.passed).toBe(false);
    expect(r.reasons).toEqual([
      'no production version to compare with, and the gate requires one',
      'cannot compare candidate loss 1.2 with production: there is no production version',
      'cannot compare candidate rougeL 0.75 with production: there is no production version',
      'cannot compare regressions of more than 10% with production: there is no production version',
    ]);
    const withProduction = evaluateGate({ ...rules, requireProduction: true }, better, production);
    expect(withProduction.passed).toBe(true);
    expect(withProduction.checks[0]).toEqual({ rule: 'requireProduction', passed: true, detail: 'a production version exists to compare with' });
  });

  it('fails a rule whose metric is missing', () => {
    const r = evaluateGate({ minScore: [{ metric: 'regex', atLeastProduction: true, min: 0.5 }], minLossImprovementPct: 1 }, { scores: better.scores }, production);
    expect(r.passed).toBe(false);
    expect(r.reasons).toEqual([
      'the candidate has no evaluation loss, so a 1% loss improvement cannot be checked',
      'the candidate has no regex score (its evaluation had no regex), so the minimum 0.5 cannot be checked',
      'the candidate has no regex score (its evaluation had no regex), so it cannot be compared with production',
    ]);
    const noProdLoss = evaluateGate({ minLossImprovementPct: 1 }, better, { scores: production.scores });
    expect(noProdLoss.reasons).toEqual(["production has no evaluation loss to compare the candidate's 1.2 with"]);
  });

  it('compares only the metrics both sides have, and treats equal scores as not worse', () => {
    const r = evaluateGate({ maxRegressionPct: 0, minScore: { metric: 'exact', atLeastProduction: true } }, { scores: production.scores }, production);
    expect(r.passed).toBe(true);
    expect(r.checks.map((c) => c.rule)).toEqual([
      'minScore.exact.atLeastProduction',
      'maxRegressionPct.exact',
      'maxRegressionPct.contains',
      'maxRegressionPct.rougeL',
      'maxRegressionPct.jsonValid',
    ]);
    expect(r.checks[0].detail).toBe("candidate exact 0.4 is equal to production's 0.4");
    // A score that was 0 in production: any fall is an infinite regression, no fall is fine.
    const zero = { ...production, scores: { ...production.scores, exact: 0 } };
    expect(evaluateGate({ maxRegressionPct: 50 }, zero, zero).passed).toBe(true);
  });

  it('passes with no rules', () => {
    expect(evaluateGate({}, worse, production)).toEqual({ passed: true, reasons: ['no gate rules are configured'], checks: [] });
  });

  it('rejects rules that make no sense', () => {
    expect(() => evaluateGate({ maxRegressionPct: -1 }, better, production)).toThrow('maxRegressionPct must be >= 0, got -1');
    expect(() => evaluateGate({ minLossImprovementPct: 100 }, better, production)).toThrow(/below 100/);
    expect(() => evaluateGate({ minScore: { metric: 'rougeL', atLeastProduction: false, min: 70 } }, better, production)).toThrow(/fraction in 0..1/);
    expect(() => evaluateGate({ minScore: { metric: 'bleu' as never, atLeastProduction: true } }, better, production)).toThrow(/one of exact, contains, rougeL, jsonValid, regex/);
    expect(() => evaluateGate({ maxRegressionPct: Number.NaN }, better, production)).toThrow(/finite/);
  });
});
