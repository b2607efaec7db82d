import type { EntityManager } from 'typeorm';

/** One teacher sample of a prompt, as kept or dropped by the run's filters. */
export interface GeneratedSample {
  sample: number;
  output: string;
  reasoning: string | null;
  finishReason: string | null;
  /** Why the filters dropped it ("reason: detail"), or null when kept. */
  dropped: string | null;
  /** Characters Postgres cannot store (NUL, unpaired surrogates) cleaned from its text. */
  cleaned: number;
}

/** What a generation run's teacher answered, prompt by prompt, so a restarted run asks only for the rest. */
export class GenerationResultRepository {
  constructor(private readonly m: EntityManager) {}

  /** The prompts (by index) the run has answers for. */
  async answeredPrompts(runId: string): Promise<Set<number>> {
    const rows: { prompt_idx: number }[] = await this.m.query('SELECT DISTINCT prompt_idx FROM generation_result WHERE run_id = $1', [runId]);
    return new Set(rows.map((r) => r.prompt_idx));
  }

  /** One prompt's samples in one statement (all or nothing); a prompt answered before is left as it was. */
  async insertPrompt(runId: string, promptIdx: number, usage: { promptTokens: number; completionTokensPerSample: number }, logprobsKey: string | null, samples: GeneratedSample[]): Promise<void> {
    await this.m.query(
      `INSERT INTO generation_result (run_id, prompt_idx, sample, output, reasoning, finish_reason, prompt_tokens, completion_tokens, logprobs_key, dropped, cleaned)
       SELECT $1, $2, s.sample, s.output, s.reasoning, s.finish, $3, $4, $5, s.dropped, s.cleaned
       FROM unnest($6::int[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int[]) AS s(sample, output, reasoning, finish, dropped, cleaned)
       ON CONFLICT (run_id, prompt_idx, sample) DO NOTHING`,
      [
        runId,
        promptIdx,
        usage.promptTokens,
        usage.completionTokensPerSample,
        logprobsKey,
        samples.map((s) => s.sample),
        samples.map((s) => s.output),
        samples.map((s) => s.reasoning),
        samples.map((s) => s.finishReason),
        samples.map((s) => s.dropped),
        samples.map((s) => s.cleaned),
      ],
    );
  }

  async keptCount(runId: string): Promise<number> {
    const [row] = await this.m.query(`SELECT count(*)::int AS n FROM generation_result WHERE run_id = $1 AND dropped IS NULL`, [runId]);
    return row.n;
  }

  /** Why samples were dropped, most frequent reason first. */
  dropReasons(runId: string): Promise<{ reason: string; n: number }[]> {
    return this.m.query(`SELECT split_part(dropped, ':', 1) AS reason, count(*)::int AS n FROM generation_result WHERE run_id = $1 GROUP BY 1 ORDER BY 2 DESC`, [runId]);
  }

  /** The kept samples in prompt and sample order. */
  keptSamples(runId: string): Promise<{ prompt_idx: number; sample: number; output: string; reasoning: string | null; cleaned: number }[]> {
    return this.m.query(`SELECT prompt_idx, sample, output, reasoning, cleaned FROM generation_result WHERE run_id = $1 AND dropped IS NULL ORDER BY prompt_idx, sample`, [runId]);
  }

  /** Where each prompt's teacher logprobs are stored, for the prompts that kept them. */
  logprobKeys(runId: string): Promise<{ prompt_idx: number; logprobs_key: string }[]> {
    return this.m.query('SELECT DISTINCT prompt_idx, logprobs_key FROM generation_result WHERE run_id = $1 AND logprobs_key IS NOT NULL', [runId]);
  }
}
