import { MigrationInterface, QueryRunner } from 'typeorm';

export class GenerationCleaned1763900500000 implements MigrationInterface {
  name = 'GenerationCleaned1763900500000';

  async up(q: QueryRunner): Promise<void> {
    // Characters removed from or replaced in a teacher's answer so that Postgres could store it.
    await q.query(`ALTER TABLE generation_result ADD COLUMN cleaned int NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generation_result DROP COLUMN cleaned`);
  }
}
