/** The learning-rate schedule as a pure function of the optimizer step (nanoGPT style). */

export interface ScheduleConfig {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  schedule: 'cosine' | 'linear' | 'constant';
  /** The floor of cosine/linear decay as a fraction of lr. */
  minLrRatio: number;
}

/** Learning rate for 0-based optimizer step `step`: linear warmup to lr, then decay to lr * minLrRatio. */
export function learningRate(step: number, c: ScheduleConfig): number {
  if (step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  if (c.schedule === 'constant') return c.lr;
  const span = Math.max(1, c.totalSteps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / span);
  const minLr = c.lr * c.minLrRatio;
  const coeff = c.schedule === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return minLr + coeff * (c.lr - minLr);
}
