/** The canonical record every input format is normalised to, one per line of an artifact. */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** 0 excludes an assistant turn from the loss; absent means 1. */
  weight?: 0 | 1;
}

/** The canonical conversation every input format is normalised to (one per artifact line). */
export interface ChatRecord {
  messages: ChatMessage[];
  /** Curation labels (from a top-level `tags` string array); splits can stratify on the first. */
  tags?: string[];
  /** Every other top-level field of the source record (`id`, `intent`, `reference`, …). */
  meta?: Record<string, unknown>;
}

export interface RecordIssue {
  path: string;
  message: string;
}
