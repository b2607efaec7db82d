/**
 * Reasoning blocks for chat templates whose generation prompt opens one (DeepSeek-R1 ends it with
 * `<｜Assistant｜><think>\n`): every assistant turn then begins inside the block, so a turn is
 * written in the one form the model generates after that prompt.
 */
import type { ChatMessage } from './tokenizer';

const OPEN = '<think>';
const CLOSE = '</think>';

/** True when the prompt ends inside an opened think block (only whitespace after `<think>`). */
export function opensThinkBlock(prompt: string): boolean {
  const open = prompt.lastIndexOf(OPEN);
  return open >= 0 && prompt.slice(open + OPEN.length).trim() === '';
}

const trimNewlines = (s: string) => s.replace(/^\n+|\n+$/g, '');

/**
 * The message with its reasoning (a `reasoning_content` or `reasoning` field, or an inline block
 * with or without its opening tag) as `<think>\n{reasoning}\n</think>\n\n{answer}`, the layout
 * Qwen3's template also writes; a message without reasoning gets an empty block, so that the model
 * learns to close the block the prompt opened before it answers.
 */
export function withThinkBlock(message: ChatMessage): ChatMessage {
  const { reasoning_content, reasoning, ...rest } = message;
  const field = typeof reasoning_content === 'string' ? reasoning_content : typeof reasoning === 'string' ? reasoning : '';
  const thoughts = [field];
  let answer = message.content;
  const close = answer.indexOf(CLOSE);
  if (close >= 0) {
    thoughts.push(answer.slice(0, close).replace(OPEN, ''));
    answer = answer.slice(close + CLOSE.length);
  }
  const thought = thoughts.map(trimNewlines).filter((t) => t.trim() !== '').join('\n\n');
  return { ...rest, content: `${OPEN}\n${thought}\n${CLOSE}\n\n${answer.replace(/^\n+/, '')}` };
}
