import { lossOf, pipelineSummary, stepProgress, type Run } from '../src/run-output';

const run = (over: Partial<Run>): Run => ({ id: 'r1', kind: 'pipeline', status: 'succeeded', progress: {}, error: null, worker: null, createdAt: '2026-12-01T00:00:00Z', config: {}, ...over });

describe('what retort run prints', () => {
  it("ends a pipeline with every subject's scores, loss, perplexity and token accuracy, and the promote command", () => {
    const out = pipelineSummary(
      run({
        progress: {
          candidate: 'bot@v3',
          gate: { passed: true },
          scores: { base: { exact: 0, contains: 0.1, rougeL: 0.2, loss: 3.5, perplexity: 33.1, tokenAccuracy: 0.25 }, candidate: { exact: 0.9, contains: 0.95, rougeL: 0.97, loss: 0.4, perplexity: 1.49, tokenAccuracy: 0.91 }, 'teacher (t)': { exact: 1, contains: 1, rougeL: 1 } },
        },
      }),
    );
    expect(out).toMatch(/^base\s+0\.000\s+0\.100\s+0\.200\s+3\.500\s+33\.100\s+0\.250$/m);
    expect(out).toMatch(/^candidate\s+0\.900\s+0\.950\s+0\.970\s+0\.400\s+1\.490\s+0\.910$/m);
    expect(out).toMatch(/^teacher \(t\)\s+1\.000\s+1\.000\s+1\.000\s+-\s+-\s+-$/m);
    expect(out).toContain('adapter bot@v3 (gate passed); promote it with: retort adapter promote bot@v3');
  });

  it('says how a pipeline without scores ended', () => {
    expect(pipelineSummary(run({ status: 'failed', error: 'the train step failed: boom' }))).toBe('run r1 (pipeline): failed (the train step failed: boom)');
  });

  it("shows a training run's latest loss while it runs and its final loss once done", () => {
    expect(lossOf(run({ kind: 'train', progress: { loss: 1.25 } }))).toBe(1.25);
    expect(lossOf(run({ kind: 'train', progress: { finalLoss: 0.5, steps: 6 } }))).toBe(0.5);
  });

  it("measures each step's bar in its own unit", () => {
    expect(stepProgress(run({ kind: 'generate', progress: { answered: 3, total: 10, failures: 1 } }))).toEqual({ done: 3, total: 10, detail: '1 failed' });
    expect(stepProgress(run({ kind: 'train', progress: { step: 4, totalSteps: 8, loss: 2 } }))).toEqual({ done: 4, total: 8, detail: 'loss 2.0000' });
  });
});
