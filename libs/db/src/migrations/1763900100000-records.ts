import { MigrationInterface, QueryRunner } from 'typeorm';

export class Records1763900100000 implements MigrationInterface {
  name = 'Records1763900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE record (
        id bigserial PRIMARY KEY,
        version_id uuid NOT NULL REFERENCES dataset_version(id) ON DELETE CASCADE,
        idx int NOT NULL,
        messages jsonb NOT NULL,
        meta jsonb NOT NULL DEFAULT '{}',
        tags text[] NOT NULL DEFAULT '{}',
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
        content_hash text NOT NULL,
        chars int NOT NULL,
        token_count int,
        edited boolean NOT NULL DEFAULT false,
        UNIQUE (version_id, idx)
      )`);
    await q.query(`CREATE INDEX record_version_status ON record (version_id, status)`);
    await q.query(`CREATE INDEX record_version_hash ON record (version_id, content_hash)`);
    await q.query(`CREATE INDEX record_tags ON record USING gin (tags)`);
    // What the version's artifact holds and what the analysis jobs found (dedup clusters, PII counts).
    await q.query(`ALTER TABLE dataset_version ADD COLUMN format text, ADD COLUMN purpose text, ADD COLUMN analysis jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dataset_version DROP COLUMN analysis, DROP COLUMN purpose, DROP COLUMN format`);
    await q.query(`DROP TABLE record`);
  }
}
