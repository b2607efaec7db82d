import type { ChatMessage } from '../datasets/types';

/** The first `max` characters of a text on one line, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** A record in one line: its first user turn and its last assistant turn. */
export function recordPreview(messages: ChatMessage[], max = 160): { prompt: string; answer: string; rawAnswer: string } {
  const user = messages.find((m) => m.role === 'user');
  const assistant = [...messages].reverse().find((m) => m.role === 'assistant');
  return { prompt: clip(user?.content ?? '', max), answer: clip(assistant?.content ?? '', max), rawAnswer: assistant?.content ?? '' };
}
