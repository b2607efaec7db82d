import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A teacher (OpenAI-compatible chat endpoint) or a serving target (vLLM or retort serve). */
@Entity('endpoint')
export class Endpoint {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ type: 'text' }) purpose: 'teacher' | 'serving';
  @Column({ type: 'text' }) kind: 'openai' | 'vllm' | 'retort';
  @Column({ name: 'base_url', type: 'text' }) baseUrl: string;
  @Column({ type: 'text' }) model: string;
  /** Sealed with SecretBox; never returned by any route. */
  @Column({ name: 'secret_sealed', type: 'text', nullable: true, select: false }) secretSealed: string | null;
  @Column({ name: 'max_concurrency', type: 'int' }) maxConcurrency: number;
  @Column({ name: 'requests_per_minute', type: 'int', nullable: true }) requestsPerMinute: number | null;
  @Column({ name: 'tokens_per_minute', type: 'int', nullable: true }) tokensPerMinute: number | null;
  @Column({ name: 'timeout_ms', type: 'int' }) timeoutMs: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
