import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One teacher sample for one prompt of a generation run; (run, prompt, sample) is unique. */
@Entity('generation_result')
@Index(['runId', 'promptIdx', 'sample'], { unique: true })
export class GenerationResult {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId: string;
  @Column({ name: 'prompt_idx', type: 'int' }) promptIdx: number;
  @Column({ type: 'int' }) sample: number;
  @Column({ type: 'text', nullable: true }) output: string | null;
  @Column({ type: 'text', nullable: true }) reasoning: string | null;
  @Column({ name: 'finish_reason', type: 'text', nullable: true }) finishReason: string | null;
  @Column({ name: 'prompt_tokens', type: 'int', nullable: true }) promptTokens: number | null;
  @Column({ name: 'completion_tokens', type: 'int', nullable: true }) completionTokens: number | null;
  @Column({ name: 'logprobs_key', type: 'text', nullable: true }) logprobsKey: string | null;
  /** Why the sample was dropped by a filter, or null when kept. */
  @Column({ type: 'text', nullable: true }) dropped: string | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  /** Characters of output and reasoning removed or replaced so Postgres could store them (NUL, unpaired surrogates). */
  @Column({ type: 'int', default: 0 }) cleaned: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
