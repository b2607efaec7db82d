import { MigrationInterface, QueryRunner } from 'typeorm';

export class BaseModels1763900200000 implements MigrationInterface {
  name = 'BaseModels1763900200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE base_model (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        path text NOT NULL,
        family text NOT NULL,
        config jsonb NOT NULL,
        has_tokenizer boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The tokenizer that counted a version's tokens (stats and the maxTokens rule).
    await q.query(`ALTER TABLE dataset_version ADD COLUMN tokenizer_model_id uuid REFERENCES base_model(id) ON DELETE SET NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dataset_version DROP COLUMN tokenizer_model_id`);
    await q.query(`DROP TABLE base_model`);
  }
}
