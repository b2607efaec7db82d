import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('run_event')
@Index(['runId', 'id'])
export class RunEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId: string;
  @CreateDateColumn({ type: 'timestamptz' }) at: Date;
  @Column({ type: 'text' }) level: 'debug' | 'info' | 'warn' | 'error';
  @Column({ type: 'text' }) type: 'message' | 'metrics';
  @Column({ type: 'jsonb', default: {} }) data: Record<string, any>;
}
