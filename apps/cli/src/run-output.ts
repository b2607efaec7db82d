/** How `retort run` shows runs: list lines, evaluation tables, a pipeline's summary. */
import { table } from './output';

export interface Run { id: string; kind: string; status: string; progress: Record<string, any>; error: string | null; worker: string | null; createdAt: string; config: Record<string, any> }

export interface Subject { label: string; n: number; scores: Record<string, number>; loss?: number; perplexity?: number; tokenAccuracy?: number }

export function reportTable(subjects: Subject[]): string {
  const f = (x?: number) => (x === undefined ? '-' : x.toFixed(3));
  return table(['subject', 'exact', 'contains', 'rougeL', 'loss', 'ppl', 'tok acc'], subjects.map((s) => [s.label, f(s.scores.exact), f(s.scores.contains), f(s.scores.rougeL), f(s.loss), f(s.perplexity), f(s.tokenAccuracy)]));
}

export function pipelineSummary(r: Run): string {
  const scores = r.progress.scores as Record<string, Record<string, number>> | undefined;
  if (!scores) return `run ${r.id} (pipeline): ${r.status}${r.error ? ` (${r.error})` : ''}`;
  const subjects = Object.entries(scores).map(([label, s]) => ({ label, n: 0, scores: s, loss: s.loss, perplexity: s.perplexity, tokenAccuracy: s.tokenAccuracy }));
  const candidate = r.progress.candidate as string | undefined;
  const gate = r.progress.gate as { passed?: boolean } | undefined;
  const next = candidate ? `\nadapter ${candidate}${gate ? ` (gate ${gate.passed ? 'passed' : 'not passed'})` : ''}; promote it with: retort adapter promote ${candidate}` : '';
  return `run ${r.id} (pipeline): ${r.status}\n` + reportTable(subjects) + next;
}

/** The loss a run's list line shows: the latest step's while training, the final one after. */
export function lossOf(r: Run): unknown {
  return r.progress.loss ?? r.progress.finalLoss;
}

/** A pipeline step's progress as done / total, with what to show beside the bar. */
export function stepProgress(s: Run): { done: number; total: number; detail: string } {
  const p = s.progress;
  if (s.kind === 'generate') return { done: p.answered ?? 0, total: p.total ?? 0, detail: p.failures ? `${p.failures} failed` : '' };
  if (s.kind === 'train') return { done: p.step ?? 0, total: p.totalSteps ?? 0, detail: `loss ${fmt(lossOf(s))}` };
  return { done: p.evaluated ?? 0, total: p.evaluated ?? 0, detail: p.label ? `scored ${p.label}` : '' };
}

export function fmt(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(4) : '-';
}
