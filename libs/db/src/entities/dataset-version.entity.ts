import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { DatasetVersionStats, DatasetVersionStatus } from '@retort/contracts';

export type DatasetLineage =
  | { source: 'upload'; filename?: string }
  | { source: 'curation'; from: string; ops: any[] }
  | { source: 'generation'; runId: string };

/** Immutable once ready: the artifact, its sha256 and counts never change. */
@Entity('dataset_version')
@Index(['datasetId', 'version'], { unique: true })
export class DatasetVersion {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'dataset_id', type: 'uuid' }) datasetId: string;
  @Column({ type: 'int' }) version: number;
  @Column({ type: 'text' }) status: DatasetVersionStatus;
  @Column({ name: 'artifact_key', type: 'text' }) artifactKey: string;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) size: number;
  @Column({ type: 'text' }) sha256: string;
  @Column({ type: 'int', nullable: true }) records: number | null;
  @Column({ type: 'jsonb', nullable: true }) stats: DatasetVersionStats | null;
  @Column({ type: 'jsonb' }) lineage: DatasetLineage;
  @Column({ type: 'text', nullable: true }) format: string | null;
  @Column({ type: 'text', nullable: true }) purpose: 'train' | 'prompts' | null;
  @Column({ type: 'jsonb', default: {} }) analysis: Record<string, any>;
  @Column({ name: 'tokenizer_model_id', type: 'uuid', nullable: true }) tokenizerModelId: string | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true }) readyAt: Date | null;
}
