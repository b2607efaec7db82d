export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** `POST /playground/chat`. */
export interface ChatParams {
  /** Endpoint name or id. */
  endpoint: string;
  /** The base model or an adapter name loaded there (its production alias, or `<name>-v<n>`). */
  model?: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
}

export interface ChatReply {
  model: string;
  content: string;
  finishReason: string | null;
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  latencyMs: number;
}
