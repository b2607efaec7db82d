import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('adapter')
export class Adapter {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ name: 'base_model_id', type: 'uuid' }) baseModelId: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** Immutable: a trained PEFT adapter with its lineage. At most one per training run. */
@Entity('adapter_version')
@Index(['adapterId', 'version'], { unique: true })
export class AdapterVersion {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ name: 'adapter_id', type: 'uuid' }) adapterId: string;
  @Column({ type: 'int' }) version: number;
  @Column({ name: 'artifact_prefix', type: 'text' }) artifactPrefix: string;
  /** sha256 of adapter_model.safetensors. */
  @Column({ type: 'text' }) sha256: string;
  @Column({ type: 'jsonb' }) config: Record<string, any>;
  @Column({ type: 'jsonb', default: {} }) metrics: Record<string, any>;
  @Column({ type: 'jsonb' }) lineage: Record<string, any>;
  @Column({ name: 'run_id', type: 'uuid', nullable: true, unique: true }) runId: string | null;
  /** The gate's verdict against production when this version was evaluated. */
  @Column({ type: 'jsonb', nullable: true }) gate: Record<string, any> | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
