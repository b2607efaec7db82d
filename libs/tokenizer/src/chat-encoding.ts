/**
 * A conversation as token sequences with loss masks on its assistant turns. Each turn's target is
 * derived from how the chat template renders it: the render of the conversation before the turn
 * with the generation prompt is what the model sees, the render through the turn continues it, and
 * the difference (up to the end-of-turn token) is what the model writes. So templates that rewrite
 * earlier turns (Qwen3 and DeepSeek-R1 drop their reasoning) train each turn as it is generated.
 */
import { opensThinkBlock, withThinkBlock } from './think';
import type { ChatMessage, ChatTokenizer } from './tokenizer';

export interface ChatEncoding {
  ids: number[];
  /** 1 where the token belongs to a trained assistant turn (its text and end-of-turn token), else 0. */
  assistantMask: number[];
}

/**
 * Which assistant turns train. `auto`: the last, and every earlier one the template keeps in the
 * conversation as the model wrote it (all of them with Llama 3 or ChatML; only the last where the
 * template rewrites earlier turns, as Qwen3 and DeepSeek-R1 do). `all`: every turn, each rewritten
 * one in a sequence of its own that ends with it. `last`: the last only.
 */
export type AssistantTurns = 'auto' | 'all' | 'last';

export interface EncodeChatOptions {
  turns?: AssistantTurns;
  /** Extra template variables (e.g. enable_thinking). */
  extra?: Record<string, unknown>;
}

interface Turn {
  /** The render of the conversation before the turn, with the generation prompt. */
  prompt: string;
  /** What the model writes after the prompt, through its end-of-turn token. */
  target: string;
}

// Stands for a turn's content, to find the template's frame around it.
const CONTENT_MARK = '\uE000retort:content\uE001';

function turnOf(tok: ChatTokenizer, messages: ChatMessage[], i: number, extra?: Record<string, unknown>): Turn {
  const before = messages.slice(0, i);
  const prompt = tok.applyChatTemplate(before, { addGenerationPrompt: true, extra });
  const message = opensThinkBlock(prompt) ? withThinkBlock(messages[i]) : messages[i];
  let written = tok.applyChatTemplate([...before, message], { extra });
  if (!written.startsWith(prompt)) {
    // The template rewrites even the newest turn (DeepSeek-R1 cuts every assistant turn after
    // `</think>`): the turn as written is the template's frame around the message's content.
    const framed = tok.applyChatTemplate([...before, { ...message, content: CONTENT_MARK }], { extra });
    const at = framed.indexOf(CONTENT_MARK);
    if (at >= 0) written = framed.slice(0, at) + message.content + framed.slice(at + CONTENT_MARK.length);
  }
  if (!written.startsWith(prompt)) throw new Error('the chat template renders this turn in a way that does not continue its generation prompt');
  let target = written.slice(prompt.length);
  // What follows the end-of-turn token (a newline in ChatML) is never generated.
  const eos = tok.eosToken ? target.lastIndexOf(tok.eosToken) : -1;
  if (eos >= 0) target = target.slice(0, eos + tok.eosToken!.length);
  return { prompt, target };
}

function encodeSpans(tok: ChatTokenizer, text: string, spans: [number, number][]): ChatEncoding {
  const ids: number[] = [];
  const assistantMask: number[] = [];
  const push = (part: string, flag: number) => {
    if (!part) return;
    const seg = tok.encode(part);
    ids.push(...seg);
    for (let j = 0; j < seg.length; j++) assistantMask.push(flag);
  };
  let pos = 0;
  for (const [a, b] of spans) {
    push(text.slice(pos, a), 0);
    push(text.slice(a, b), 1);
    pos = b;
  }
  push(text.slice(pos), 0);
  return { ids, assistantMask };
}

/**
 * The sequences to train on for a conversation: one, through its last assistant turn (messages
 * after it have nothing to train), plus one per rewritten earlier turn with `turns: 'all'`. Each
 * trained turn is tokenized apart from its prompt, as the model generates it. Errors name the turn.
 */
export function encodeChat(tok: ChatTokenizer, messages: ChatMessage[], opts: EncodeChatOptions = {}): ChatEncoding[] {
  const mode = opts.turns ?? 'auto';
  const indices = messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
  if (!indices.length) return [encodeSpans(tok, tok.applyChatTemplate(messages, { extra: opts.extra }), [])];
  const turns = indices.map((i, n) => {
    try {
      return turnOf(tok, messages, i, opts.extra);
    } catch (err) {
      throw new Error(`message ${i + 1} (assistant turn ${n + 1}): ${(err as Error).message}`);
    }
  });
  const last = turns[turns.length - 1];
  const main = last.prompt + last.target;
  const spans: [number, number][] = [];
  const alone: ChatEncoding[] = [];
  if (mode !== 'last') {
    for (const t of turns.slice(0, -1)) {
      const start = t.prompt.length;
      const end = start + t.target.length;
      const inPlace = main.startsWith(t.prompt + t.target) && start >= (spans[spans.length - 1]?.[1] ?? 0);
      if (inPlace) spans.push([start, end]);
      else if (mode === 'all') alone.push(encodeSpans(tok, t.prompt + t.target, [[start, end]]));
    }
  }
  spans.push([last.prompt.length, main.length]);
  return [...alone, encodeSpans(tok, main, spans)];
}
