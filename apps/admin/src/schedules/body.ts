import { formHyperparameters, PIPELINE_FORM_HYPERPARAMETERS } from '../runs/hyperparameter-defaults';
/** Drops null / '' / undefined recursively, and objects left empty: the API's strict schemas refuse nulls. */
export function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined || v === '') continue;
      const p = prune(v);
      if (p && typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0 && k !== 'gate' && k !== 'generate' && k !== 'evaluate') continue;
      out[k] = p;
    }
    return out;
  }
  return value;
}

const WRITABLE = ['name', 'cron', 'timezone', 'template', 'gate', 'autoPromote', 'enabled'] as const;

/**
 * The `POST /schedules` (or PATCH) body from the form: only the writable fields, empty values
 * dropped; a gate "minimum score" without a metric is no rule at all.
 */
export function scheduleBody(values: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of WRITABLE) if (key in values) out[key] = values[key];
  const gate = (prune(out.gate ?? {}) ?? {}) as Record<string, any>;
  if (gate.minScore && !gate.minScore.metric) delete gate.minScore;
  if (gate.requireProduction === false) delete gate.requireProduction;
  out.gate = gate;
  if (out.template) out.template = prune(out.template);
  return prune(out) as Record<string, unknown>;
}

/** Under an empty teacher max tokens: the api then chooses it (teacherMaxTokensDefault). */
export const TEACHER_MAX_TOKENS_HELP = "Empty: 1024, or half the teacher's context";

export const SCHEDULE_DEFAULTS = {
  cron: '0 3 1 * *',
  timezone: 'UTC',
  autoPromote: false,
  enabled: true,
  template: {
    generate: { samples: 1, temperature: 0.7 },
    hyperparameters: formHyperparameters(PIPELINE_FORM_HYPERPARAMETERS),
    evaluate: { maxTokens: 64 },
  },
  gate: { minLossImprovementPct: undefined, minScore: { metric: undefined, atLeastProduction: true }, requireProduction: false },
};
