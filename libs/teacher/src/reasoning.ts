/**
 * Reasoning traces. Teachers of the DeepSeek-R1 kind return their chain of thought either in a
 * separate field (`reasoning_content`: DeepSeek API, vLLM/SGLang with a reasoning parser;
 * `reasoning`: newer vLLM, Ollama, OpenRouter) or inline as `<think>…</think>` before the answer.
 * R1-style chat templates put the opening `<think>` into the prompt, so the completion then holds
 * only the closing tag; a completion cut at max_tokens holds an opening tag and no closing one.
 */

export interface ReasoningMessage {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
}

export interface SplitReasoning {
  /** The answer, trimmed, without any think block. */
  content: string;
  /** The reasoning, trimmed; blocks joined by a blank line; null when there is none (or it is blank). */
  reasoning: string | null;
}

/** What a training target holds: keep → `<think>\n…\n</think>\n\n` then the answer; strip → the answer only. */
export type ReasoningPolicy = 'keep' | 'strip';

const OPEN = '<think>';
const CLOSE = '</think>';

/**
 * Separates reasoning from the answer. An unterminated `<think>` is reasoning to the end of the text
 * when it opens the completion or the completion was cut (finishReason `length`); elsewhere in a
 * finished answer it is taken as literal text.
 */
export function splitReasoning(message: ReasoningMessage, finishReason?: string): SplitReasoning {
  const parts: string[] = [];
  const field = message.reasoning_content ?? message.reasoning;
  if (typeof field === 'string') parts.push(field);
  let text = message.content ?? '';

  // A closing tag with no opening one before it: the template opened the block in the prompt.
  const firstClose = text.indexOf(CLOSE);
  if (firstClose >= 0) {
    const firstOpen = text.indexOf(OPEN);
    if (firstOpen < 0 || firstOpen > firstClose) {
      parts.push(text.slice(0, firstClose));
      text = text.slice(firstClose + CLOSE.length);
    }
  }

  let answer = '';
  for (;;) {
    const open = text.indexOf(OPEN);
    if (open < 0) break;
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close >= 0) {
      answer += text.slice(0, open);
      parts.push(text.slice(open + OPEN.length, close));
      text = text.slice(close + CLOSE.length);
      continue;
    }
    const before = answer + text.slice(0, open);
    if (before.trim() === '' || finishReason === 'length') {
      answer = before;
      parts.push(text.slice(open + OPEN.length));
      text = '';
    }
    break;
  }
  answer += text;

  const reasoning = parts
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .join('\n\n');
  return { content: answer.trim(), reasoning: reasoning === '' ? null : reasoning };
}

/** The training target of a sample under a reasoning policy. */
export function buildTarget(sample: { content: string; reasoning: string | null }, policy: ReasoningPolicy): string {
  if (policy === 'strip' || sample.reasoning == null) return sample.content;
  return `${OPEN}\n${sample.reasoning}\n${CLOSE}\n\n${sample.content}`;
}
