import { MigrationInterface, QueryRunner } from 'typeorm';

export class Runs1763900300000 implements MigrationInterface {
  name = 'Runs1763900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoint (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        purpose text NOT NULL CHECK (purpose IN ('teacher', 'serving')),
        kind text NOT NULL CHECK (kind IN ('openai', 'vllm', 'retort')),
        base_url text NOT NULL,
        model text NOT NULL,
        secret_sealed text,
        max_concurrency int NOT NULL DEFAULT 4,
        requests_per_minute int,
        tokens_per_minute int,
        timeout_ms int NOT NULL DEFAULT 120000,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE generation_result (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        prompt_idx int NOT NULL,
        sample int NOT NULL,
        output text,
        reasoning text,
        finish_reason text,
        prompt_tokens int,
        completion_tokens int,
        logprobs_key text,
        dropped text,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, prompt_idx, sample)
      )`);
    await q.query(`
      CREATE TABLE checkpoint (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        step int NOT NULL,
        artifact_prefix text NOT NULL,
        metrics jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, step)
      )`);
    await q.query(`
      CREATE TABLE adapter (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        base_model_id uuid NOT NULL REFERENCES base_model(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE adapter_version (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        adapter_id uuid NOT NULL REFERENCES adapter(id) ON DELETE CASCADE,
        version int NOT NULL,
        artifact_prefix text NOT NULL,
        sha256 text NOT NULL,
        config jsonb NOT NULL,
        metrics jsonb NOT NULL DEFAULT '{}',
        lineage jsonb NOT NULL,
        run_id uuid UNIQUE REFERENCES run(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (adapter_id, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['adapter_version', 'adapter', 'checkpoint', 'generation_result', 'endpoint']) await q.query(`DROP TABLE ${t}`);
  }
}
