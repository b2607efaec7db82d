import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type Stage = 'staging' | 'production';

/** Which version a stage of an adapter points at. */
@Entity('adapter_stage')
export class AdapterStage {
  @PrimaryColumn({ name: 'adapter_id', type: 'uuid' }) adapterId: string;
  @PrimaryColumn({ type: 'text' }) stage: Stage;
  @Column({ name: 'version_id', type: 'uuid' }) versionId: string;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

@Entity('stage_history')
export class StageHistory {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column({ name: 'adapter_id', type: 'uuid' }) adapterId: string;
  @Column({ type: 'text' }) stage: Stage;
  @Column({ name: 'from_version_id', type: 'uuid', nullable: true }) fromVersionId: string | null;
  @Column({ name: 'to_version_id', type: 'uuid', nullable: true }) toVersionId: string | null;
  @Column({ type: 'text' }) action: 'promote' | 'rollback' | 'failed';
  @Column({ type: 'text' }) actor: string;
  @Column({ type: 'jsonb', default: {} }) detail: Record<string, any>;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
}

/** A version loaded (or being loaded) on a serving endpoint under a name. */
@Entity('deployment')
export class Deployment {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'version_id', type: 'uuid' }) versionId: string;
  @Column({ name: 'endpoint_id', type: 'uuid' }) endpointId: string;
  @Column({ type: 'text' }) stage: Stage;
  @Column({ name: 'served_as', type: 'text' }) servedAs: string;
  @Column({ type: 'text' }) status: 'loading' | 'serving' | 'failed' | 'unloaded';
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'jsonb', default: [] }) log: Record<string, any>[];
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

@Entity('schedule')
export class Schedule {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ type: 'text' }) cron: string;
  @Column({ type: 'text', default: 'UTC' }) timezone: string;
  @Column({ type: 'jsonb' }) template: Record<string, any>;
  @Column({ type: 'jsonb', default: {} }) gate: Record<string, any>;
  @Column({ name: 'auto_promote', type: 'boolean', default: false }) autoPromote: boolean;
  @Column({ type: 'boolean', default: true }) enabled: boolean;
  @Column({ name: 'last_fired_at', type: 'timestamptz', nullable: true }) lastFiredAt: Date | null;
  @Column({ name: 'last_run_id', type: 'uuid', nullable: true }) lastRunId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** One tick of a schedule: the run it started, or why it was skipped. Unique per tick. */
@Entity('schedule_fire')
export class ScheduleFire {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column({ name: 'schedule_id', type: 'uuid' }) scheduleId: string;
  @Column({ type: 'timestamptz' }) tick: Date;
  @Column({ name: 'run_id', type: 'uuid', nullable: true }) runId: string | null;
  @Column({ type: 'text', nullable: true }) skipped: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
}
