import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('checkpoint')
@Index(['runId', 'step'], { unique: true })
export class Checkpoint {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId: string;
  @Column({ type: 'int' }) step: number;
  @Column({ name: 'artifact_prefix', type: 'text' }) artifactPrefix: string;
  @Column({ type: 'jsonb', default: {} }) metrics: Record<string, any>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
