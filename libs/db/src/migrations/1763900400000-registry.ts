import { MigrationInterface, QueryRunner } from 'typeorm';

export class Registry1763900400000 implements MigrationInterface {
  name = 'Registry1763900400000';

  async up(q: QueryRunner): Promise<void> {
    // The gate's verdict on a candidate, against the version in production when it was evaluated.
    await q.query(`ALTER TABLE adapter_version ADD COLUMN gate jsonb`);
    await q.query(`
      CREATE TABLE adapter_stage (
        adapter_id uuid NOT NULL REFERENCES adapter(id) ON DELETE CASCADE,
        stage text NOT NULL CHECK (stage IN ('staging', 'production')),
        version_id uuid NOT NULL REFERENCES adapter_version(id),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (adapter_id, stage)
      )`);
    await q.query(`
      CREATE TABLE stage_history (
        id bigserial PRIMARY KEY,
        adapter_id uuid NOT NULL REFERENCES adapter(id) ON DELETE CASCADE,
        stage text NOT NULL,
        from_version_id uuid,
        to_version_id uuid,
        action text NOT NULL CHECK (action IN ('promote', 'rollback', 'failed')),
        actor text NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE deployment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        version_id uuid NOT NULL REFERENCES adapter_version(id) ON DELETE CASCADE,
        endpoint_id uuid NOT NULL REFERENCES endpoint(id) ON DELETE CASCADE,
        stage text NOT NULL,
        served_as text NOT NULL,
        status text NOT NULL CHECK (status IN ('loading', 'serving', 'failed', 'unloaded')),
        error text,
        log jsonb NOT NULL DEFAULT '[]',
        updated_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX deployment_version ON deployment (version_id)`);
    await q.query(`
      CREATE TABLE schedule (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        cron text NOT NULL,
        timezone text NOT NULL DEFAULT 'UTC',
        template jsonb NOT NULL,
        gate jsonb NOT NULL DEFAULT '{}',
        auto_promote boolean NOT NULL DEFAULT false,
        enabled boolean NOT NULL DEFAULT true,
        last_fired_at timestamptz,
        last_run_id uuid,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE schedule_fire (
        id bigserial PRIMARY KEY,
        schedule_id uuid NOT NULL REFERENCES schedule(id) ON DELETE CASCADE,
        tick timestamptz NOT NULL,
        run_id uuid,
        skipped text,
        at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (schedule_id, tick)
      )`);
    await q.query(`ALTER TABLE run ADD CONSTRAINT run_schedule_fk FOREIGN KEY (schedule_id) REFERENCES schedule(id) ON DELETE SET NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE run DROP CONSTRAINT run_schedule_fk`);
    for (const t of ['schedule_fire', 'schedule', 'deployment', 'stage_history', 'adapter_stage']) await q.query(`DROP TABLE ${t}`);
    await q.query(`ALTER TABLE adapter_version DROP COLUMN gate`);
  }
}
