import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A student or teacher base model in Hugging Face layout, at a path every worker can read. */
@Entity('base_model')
export class BaseModel {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'text', unique: true }) name: string;
  @Column({ type: 'text' }) path: string;
  @Column({ type: 'text' }) family: string;
  @Column({ type: 'jsonb' }) config: Record<string, any>;
  @Column({ name: 'has_tokenizer', type: 'boolean' }) hasTokenizer: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
