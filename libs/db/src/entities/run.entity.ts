import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RunKind = 'generate' | 'train' | 'evaluate' | 'pipeline';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

@Entity('run')
export class Run {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text' }) kind: RunKind;
  @Column({ name: 'parent_id', type: 'uuid', nullable: true }) parentId: string | null;
  @Column({ type: 'text' }) status: RunStatus;
  @Column({ type: 'jsonb', default: {} }) config: Record<string, unknown>;
  @Column({ type: 'jsonb', default: {} }) progress: Record<string, unknown>;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'text', nullable: true }) worker: string | null;
  @Column({ name: 'schedule_id', type: 'uuid', nullable: true }) scheduleId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}
