import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1763900000000 implements MigrationInterface {
  name = 'Init1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_token (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
        token_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE dataset (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE dataset_version (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        dataset_id uuid NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,
        version int NOT NULL,
        status text NOT NULL CHECK (status IN ('processing', 'ready', 'failed')),
        artifact_key text NOT NULL,
        size bigint NOT NULL,
        sha256 text NOT NULL,
        records int,
        stats jsonb,
        lineage jsonb NOT NULL,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        ready_at timestamptz,
        UNIQUE (dataset_id, version)
      )`);
    await q.query(`
      CREATE TABLE run (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('generate', 'train', 'evaluate', 'pipeline')),
        parent_id uuid REFERENCES run(id) ON DELETE CASCADE,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        config jsonb NOT NULL DEFAULT '{}',
        progress jsonb NOT NULL DEFAULT '{}',
        error text,
        worker text,
        schedule_id uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE run_event (
        id bigserial PRIMARY KEY,
        run_id uuid NOT NULL REFERENCES run(id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        level text NOT NULL,
        type text NOT NULL CHECK (type IN ('message', 'metrics')),
        data jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX run_event_run_id_id ON run_event (run_id, id)`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        actor_token_id uuid,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text,
        data jsonb NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_log_at ON audit_log (at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_log', 'run_event', 'run', 'dataset_version', 'dataset', 'api_token']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
