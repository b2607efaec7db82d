/**
 * The promotion gate: a pure decision over the evaluation metrics of a candidate adapter version and
 * of the version in production, as Retort's evaluation report stores them per subject. Every check
 * says what it compared, with the numbers, so the decision can be shown as is.
 *
 * Scores are fractions in 0..1 (means over the evaluation prompts). Percentages are relative to
 * production's value: "10% worse" on rougeL 0.80 means below 0.72.
 *
 * A rule that cannot be evaluated because a metric is missing fails: a gate someone configured
 * should not pass by accident.
 */

export interface EvalScores {
  exact: number;
  contains: number;
  rougeL: number;
  jsonValid: number;
  /** Present when the evaluation had a regex. */
  regex?: number;
}

/** One subject of an evaluation report (the base model, or an adapter version). */
export interface EvalMetrics {
  loss?: number;
  perplexity?: number;
  tokenAccuracy?: number;
  scores: EvalScores;
}

export type ScoreMetric = keyof EvalScores;
export const SCORE_METRICS: readonly ScoreMetric[] = ['exact', 'contains', 'rougeL', 'jsonValid', 'regex'];

export interface ScoreRule {
  metric: ScoreMetric;
  /** The candidate's score must be at least production's. */
  atLeastProduction: boolean;
  /** The candidate's score must be at least this (0..1). */
  min?: number;
}

export interface GateRules {
  /** The candidate's loss must be at least this many percent lower than production's. */
  minLossImprovementPct?: number;
  /** One rule or several (one per metric). */
  minScore?: ScoreRule | ScoreRule[];
  /**
   * No metric present in both may be worse than production's by more than this many percent:
   * higher is better for the scores and tokenAccuracy, lower for loss and perplexity.
   */
  maxRegressionPct?: number;
  /** Block when there is no production version to compare with (default: those comparisons pass). */
  requireProduction?: boolean;
}

export interface GateCheck {
  /** e.g. "minLossImprovementPct", "minScore.rougeL.min", "maxRegressionPct.loss", "requireProduction". */
  rule: string;
  passed: boolean;
  /** One sentence with the numbers. */
  detail: string;
}

export interface GateResult {
  passed: boolean;
  /** When blocked: the failed checks' sentences. When passed: every check's sentence. */
  reasons: string[];
  checks: GateCheck[];
}

export const NO_PRODUCTION = 'no production version to compare with';

type Direction = 'higher' | 'lower';
const REGRESSION_METRICS: { key: string; label: string; better: Direction; get: (m: EvalMetrics) => number | undefined }[] = [
  { key: 'loss', label: 'loss', better: 'lower', get: (m) => m.loss },
  { key: 'perplexity', label: 'perplexity', better: 'lower', get: (m) => m.perplexity },
  { key: 'tokenAccuracy', label: 'token accuracy', better: 'higher', get: (m) => m.tokenAccuracy },
  ...SCORE_METRICS.map((k) => ({ key: k, label: `${k} score`, better: 'higher' as Direction, get: (m: EvalMetrics) => m.scores?.[k] })),
];

/** Tolerance of the comparisons (floating-point means of the same data should compare equal). */
const EPS = 1e-9;

export function evaluateGate(rules: GateRules, candidate: EvalMetrics, production: EvalMetrics | undefined): GateResult {
  validateRules(rules);
  if (!candidate || typeof candidate !== 'object') throw new TypeError('evaluateGate needs the candidate metrics');
  const checks: GateCheck[] = [];
  const add = (rule: string, passed: boolean, detail: string) => checks.push({ rule, passed, detail });
  const requireProduction = rules.requireProduction === true;
  /** The check of a rule that compares with production when there is none. */
  const noProduction = (rule: string, what: string) =>
    add(rule, !requireProduction, requireProduction ? `cannot compare ${what} with production: there is no production version` : `${NO_PRODUCTION} (${what})`);

  if (requireProduction) {
    add('requireProduction', !!production, production ? 'a production version exists to compare with' : `${NO_PRODUCTION}, and the gate requires one`);
  }

  // Loss improvement.
  if (rules.minLossImprovementPct !== undefined) {
    const x = rules.minLossImprovementPct;
    const rule = 'minLossImprovementPct';
    const c = candidate.loss;
    if (!isNum(c)) add(rule, false, `the candidate has no evaluation loss, so a ${pct(x)} loss improvement cannot be checked`);
    else if (!production) noProduction(rule, `candidate loss ${num(c)}`);
    else if (!isNum(production.loss)) add(rule, false, `production has no evaluation loss to compare the candidate's ${num(c)} with`);
    else {
      const p = production.loss;
      if (p <= 0) add(rule, c <= p && x <= 0, `production loss is ${num(p)}: no relative improvement is possible (candidate ${num(c)}, at least ${pct(x)} lower required)`);
      else {
        const improvement = ((p - c) / p) * 100;
        const passed = improvement + EPS >= x;
        const how = improvement < 0 ? `${pct(-improvement)} higher than` : `${passed ? '' : 'only '}${pct(improvement)} lower than`;
        add(rule, passed, `candidate loss ${num(c)} is ${how} production's ${num(p)} (at least ${pct(x)} lower required)`);
      }
    }
  }

  // Score floors and "at least production".
  for (const r of rules.minScore === undefined ? [] : Array.isArray(rules.minScore) ? rules.minScore : [rules.minScore]) {
    const c = candidate.scores?.[r.metric];
    const missing = `the candidate has no ${r.metric} score${r.metric === 'regex' ? ' (its evaluation had no regex)' : ''}`;
    if (r.min !== undefined) {
      const rule = `minScore.${r.metric}.min`;
      if (!isNum(c)) add(rule, false, `${missing}, so the minimum ${num(r.min)} cannot be checked`);
      else add(rule, c + EPS >= r.min, `candidate ${r.metric} ${num(c)} is ${c + EPS >= r.min ? 'at least' : 'below'} the minimum ${num(r.min)}`);
    }
    if (r.atLeastProduction) {
      const rule = `minScore.${r.metric}.atLeastProduction`;
      const p = production?.scores?.[r.metric];
      if (!isNum(c)) add(rule, false, `${missing}, so it cannot be compared with production`);
      else if (!production) noProduction(rule, `candidate ${r.metric} ${num(c)}`);
      else if (!isNum(p)) add(rule, false, `production has no ${r.metric} score to compare the candidate's ${num(c)} with`);
      else {
        const passed = c + EPS >= p;
        add(rule, passed, `candidate ${r.metric} ${num(c)} is ${passed ? (Math.abs(c - p) <= EPS ? 'equal to' : 'above') : 'below'} production's ${num(p)}`);
      }
    }
  }

  // No regression beyond y% on any metric both have.
  if (rules.maxRegressionPct !== undefined) {
    const y = rules.maxRegressionPct;
    if (!production) noProduction('maxRegressionPct', `regressions of more than ${pct(y)}`);
    else {
      let compared = 0;
      for (const m of REGRESSION_METRICS) {
        const c = m.get(candidate);
        const p = m.get(production);
        if (!isNum(c) || !isNum(p)) continue;
        compared++;
        const rule = `maxRegressionPct.${m.key}`;
        const worse = m.better === 'higher' ? p - c : c - p; // > 0: the candidate is worse
        const regression = p !== 0 ? (worse / Math.abs(p)) * 100 : worse > EPS ? Infinity : 0;
        const passed = regression <= y + EPS;
        const moved = `${m.label} ${m.better === 'higher' ? (c < p ? 'fell' : 'rose') : c > p ? 'rose' : 'fell'} from ${num(p)} to ${num(c)}`;
        if (Math.abs(c - p) <= EPS) add(rule, true, `${m.label} is unchanged at ${num(c)}`);
        else if (regression <= 0) add(rule, true, `${moved} (${regression === -Infinity ? 'better' : `${pct(-regression)} better`})`);
        else add(rule, passed, `${moved} (${regression === Infinity ? 'worse than production\'s zero' : `${pct(regression)} worse`}; at most ${pct(y)} allowed)`);
      }
      if (compared === 0) add('maxRegressionPct', true, 'the candidate and production have no metric in common to compare');
    }
  }

  const failed = checks.filter((c) => !c.passed);
  const passed = failed.length === 0;
  const reasons = checks.length === 0 ? ['no gate rules are configured'] : dedupe((passed ? checks : failed).map((c) => c.detail));
  return { passed, reasons, checks };
}

function validateRules(rules: GateRules): void {
  if (!rules || typeof rules !== 'object') throw new TypeError('gate rules must be an object');
  const finite = (name: string, v: unknown) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${name} must be a finite number, got ${JSON.stringify(v)}`);
  };
  if (rules.minLossImprovementPct !== undefined) {
    finite('minLossImprovementPct', rules.minLossImprovementPct);
    if (rules.minLossImprovementPct >= 100) throw new RangeError(`minLossImprovementPct must be below 100 (a loss cannot fall by 100% or more), got ${rules.minLossImprovementPct}`);
  }
  if (rules.maxRegressionPct !== undefined) {
    finite('maxRegressionPct', rules.maxRegressionPct);
    if (rules.maxRegressionPct < 0) throw new RangeError(`maxRegressionPct must be >= 0, got ${rules.maxRegressionPct}`);
  }
  const scoreRules = rules.minScore === undefined ? [] : Array.isArray(rules.minScore) ? rules.minScore : [rules.minScore];
  for (const r of scoreRules) {
    if (!r || !SCORE_METRICS.includes(r.metric)) throw new RangeError(`minScore.metric must be one of ${SCORE_METRICS.join(', ')}, got ${JSON.stringify(r?.metric)}`);
    if (r.min !== undefined) {
      finite(`minScore.min (${r.metric})`, r.min);
      if (r.min < 0 || r.min > 1) throw new RangeError(`minScore.min (${r.metric}) is a fraction in 0..1 (scores are means of 0/1 or ROUGE-L values), got ${r.min}`);
    }
    if (r.atLeastProduction !== undefined && typeof r.atLeastProduction !== 'boolean') throw new RangeError(`minScore.atLeastProduction (${r.metric}) must be a boolean`);
  }
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** 4 decimals at most, trailing zeros dropped: 1.23456 → "1.2346", 0.8 → "0.8". */
function num(v: number): string {
  return String(Number(v.toFixed(4)));
}

function pct(v: number): string {
  return `${Number(v.toFixed(1))}%`;
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}
