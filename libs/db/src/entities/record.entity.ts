import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type RecordStatus = 'pending' | 'accepted' | 'rejected';

/**
 * One conversation of a dataset version, materialised from the version's artifact for curation.
 * The artifact never changes; status, tags and edits here are the curation state that a commit
 * turns into the next version.
 */
@Entity('record')
@Index(['versionId', 'idx'], { unique: true })
export class DatasetRecord {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column({ name: 'version_id', type: 'uuid' }) versionId: string;
  @Column({ type: 'int' }) idx: number;
  @Column({ type: 'jsonb' }) messages: { role: string; content: string; weight?: 0 | 1 }[];
  @Column({ type: 'jsonb', default: {} }) meta: Record<string, any>;
  @Column({ type: 'text', array: true, default: '{}' }) tags: string[];
  @Column({ type: 'text', default: 'pending' }) status: RecordStatus;
  @Column({ name: 'content_hash', type: 'text' }) contentHash: string;
  @Column({ type: 'int' }) chars: number;
  @Column({ name: 'token_count', type: 'int', nullable: true }) tokenCount: number | null;
  @Column({ type: 'boolean', default: false }) edited: boolean;
}
