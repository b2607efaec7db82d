/**
 * Request bodies of /v1/chat/completions and /v1/completions, checked field by field into typed
 * requests. Unknown fields are ignored (clients send many); fields whose feature this server does not
 * have are refused when they would change the output, so that nothing is silently different from
 * what was asked.
 */
import type { ChatMessage } from '@retort/tokenizer';
import { badField } from './errors';

/** The largest top_logprobs / logprobs a request may ask for (OpenAI's and vLLM's default cap). */
export const MAX_TOP_LOGPROBS = 20;
/** The most choices one request may ask for. */
export const MAX_N = 16;

export interface SamplingRequest {
  model: string;
  /** Unset: as many as the context leaves. */
  maxTokens?: number;
  /** Unset: the model's generation_config.json, else OpenAI's defaults (1, 1, off). */
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Unset: a random seed per request. */
  seed?: number;
  stop: string[];
  stopTokenIds: number[];
  ignoreEos: boolean;
  n: number;
  stream: boolean;
  includeUsage: boolean;
  skipSpecialTokens: boolean;
  /** vLLM's `return_tokens_as_token_ids`: logprob tokens are written `token_id:<id>`. */
  tokensAsIds: boolean;
}

export interface ChatRequest extends SamplingRequest {
  messages: ChatMessage[];
  logprobs: boolean;
  topLogprobs: number;
  addGenerationPrompt: boolean;
  templateKwargs: Record<string, unknown>;
}

export interface CompletionRequest extends SamplingRequest {
  /** Text prompts, or token ids. */
  prompts: (string | number[])[];
  /** Legacy `logprobs: N`: undefined when not asked. */
  logprobs?: number;
}

type Body = Record<string, unknown>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function optNumber(b: Body, key: string, min: number, max: number, opts: { integer?: boolean; exclusiveMin?: boolean } = {}): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw badField(key, `expected ${opts.integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`);
  }
  if (opts.exclusiveMin ? v <= min : v < min) throw badField(key, `must be ${opts.exclusiveMin ? '>' : '>='} ${min}, got ${v}`);
  if (v > max) throw badField(key, `must be <= ${max}, got ${v}`);
  return v;
}

function optBool(b: Body, key: string, fallback: boolean): boolean {
  const v = b[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw badField(key, `expected a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** Sampling controls this server does not implement: accepted only at their neutral value. */
function refuseUnsupported(b: Body): void {
  const neutral: [string, unknown][] = [
    ['presence_penalty', 0],
    ['frequency_penalty', 0],
    ['repetition_penalty', 1],
  ];
  for (const [key, value] of neutral) {
    const v = b[key];
    if (v !== undefined && v !== null && v !== value) throw badField(key, `is not supported by retort serve (only ${value})`);
  }
  if (b.logit_bias && typeof b.logit_bias === 'object' && Object.keys(b.logit_bias).length) throw badField('logit_bias', 'is not supported by retort serve');
  if (Array.isArray(b.tools) && b.tools.length) throw badField('tools', 'tool calling is not supported by retort serve');
  if (Array.isArray(b.functions) && b.functions.length) throw badField('functions', 'function calling is not supported by retort serve');
  const rf = b.response_format as { type?: unknown } | undefined;
  if (rf && rf.type !== undefined && rf.type !== 'text') throw badField('response_format', `type ${JSON.stringify(rf.type)} is not supported by retort serve (only "text")`);
  if (b.best_of !== undefined && b.best_of !== null && b.best_of !== (b.n ?? 1)) throw badField('best_of', 'is not supported by retort serve (only equal to n)');
}

function sampling(b: Body): SamplingRequest {
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw badField('body', 'expected a JSON object');
  if (typeof b.model !== 'string' || !b.model) throw badField('model', 'required: the name of a model or adapter from /v1/models');
  refuseUnsupported(b);
  const maxTokens = optNumber(b, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER, { integer: true }) ?? optNumber(b, 'max_tokens', 1, Number.MAX_SAFE_INTEGER, { integer: true });
  const temperature = optNumber(b, 'temperature', 0, 2);
  const topP = optNumber(b, 'top_p', 0, 1, { exclusiveMin: true });
  let topK = optNumber(b, 'top_k', -1, Number.MAX_SAFE_INTEGER, { integer: true });
  if (topK === -1) topK = 0; // vLLM's "off"
  const seed = optNumber(b, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, { integer: true });
  let stop: string[] = [];
  if (typeof b.stop === 'string') stop = [b.stop];
  else if (Array.isArray(b.stop)) {
    b.stop.forEach((s, i) => {
      if (typeof s !== 'string') throw badField(`stop[${i}]`, `expected a string, got ${JSON.stringify(s)}`);
    });
    stop = b.stop as string[];
  } else if (b.stop !== undefined && b.stop !== null) throw badField('stop', 'expected a string or an array of strings');
  stop = stop.filter((s) => s.length > 0);
  let stopTokenIds: number[] = [];
  if (b.stop_token_ids !== undefined && b.stop_token_ids !== null) {
    if (!Array.isArray(b.stop_token_ids) || !b.stop_token_ids.every((x) => isInt(x) && x >= 0)) throw badField('stop_token_ids', 'expected an array of token ids');
    stopTokenIds = b.stop_token_ids as number[];
  }
  const n = optNumber(b, 'n', 1, MAX_N, { integer: true }) ?? 1;
  const stream = optBool(b, 'stream', false);
  let includeUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    if (typeof b.stream_options !== 'object' || Array.isArray(b.stream_options)) throw badField('stream_options', 'expected an object');
    if (!stream) throw badField('stream_options', 'is only allowed when stream is true');
    includeUsage = optBool(b.stream_options as Body, 'include_usage', false);
  }
  return {
    model: b.model,
    maxTokens,
    temperature,
    topP,
    topK,
    seed,
    stop,
    stopTokenIds,
    ignoreEos: optBool(b, 'ignore_eos', false),
    n,
    stream,
    includeUsage,
    skipSpecialTokens: optBool(b, 'skip_special_tokens', true),
    tokensAsIds: optBool(b, 'return_tokens_as_token_ids', false),
  };
}

/** Message content: a string, null (assistant turns with tool calls), or an array of text parts. */
function messageContent(v: unknown, at: string): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) {
    return v
      .map((part, j) => {
        if (typeof part === 'string') return part;
        const p = part as { type?: unknown; text?: unknown };
        if (p && p.type === 'text' && typeof p.text === 'string') return p.text;
        throw badField(`${at}[${j}]`, `content part of type ${JSON.stringify(p?.type)} is not supported (only text)`);
      })
      .join('');
  }
  throw badField(at, 'expected a string or an array of text parts');
}

export function parseChatRequest(b: Body): ChatRequest {
  const common = sampling(b);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw badField('messages', 'required: a non-empty array of {role, content}');
  const messages = b.messages.map((m, i): ChatMessage => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) throw badField(`messages[${i}]`, 'expected an object {role, content}');
    const { role, content, ...rest } = m as Body;
    if (typeof role !== 'string' || !role) throw badField(`messages[${i}].role`, 'required: a string');
    // OpenAI's newer clients send "developer" where chat templates know "system".
    return { ...rest, role: role === 'developer' ? 'system' : role, content: messageContent(content, `messages[${i}].content`) };
  });
  const logprobs = optBool(b, 'logprobs', false);
  const topLogprobs = optNumber(b, 'top_logprobs', 0, MAX_TOP_LOGPROBS, { integer: true });
  if (topLogprobs !== undefined && topLogprobs > 0 && !logprobs) throw badField('top_logprobs', 'requires logprobs: true');
  let templateKwargs: Record<string, unknown> = {};
  if (b.chat_template_kwargs !== undefined && b.chat_template_kwargs !== null) {
    if (typeof b.chat_template_kwargs !== 'object' || Array.isArray(b.chat_template_kwargs)) throw badField('chat_template_kwargs', 'expected an object');
    templateKwargs = b.chat_template_kwargs as Record<string, unknown>;
  }
  return {
    ...common,
    messages,
    logprobs,
    topLogprobs: topLogprobs ?? 0,
    addGenerationPrompt: optBool(b, 'add_generation_prompt', true),
    templateKwargs,
  };
}

export function parseCompletionRequest(b: Body): CompletionRequest {
  const common = sampling(b);
  const p = b.prompt;
  let prompts: (string | number[])[];
  const tokenList = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((x) => isInt(x) && x >= 0);
  if (typeof p === 'string') prompts = [p];
  else if (tokenList(p)) prompts = [p];
  else if (Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === 'string' || tokenList(x))) prompts = p as (string | number[])[];
  else throw badField('prompt', 'required: a string, an array of strings, or token ids (an array of integers, or an array of such arrays)');
  if (b.echo === true) throw badField('echo', 'is not supported by retort serve');
  if (typeof b.suffix === 'string' && b.suffix) throw badField('suffix', 'is not supported by retort serve');
  // Legacy logprobs is a count; `true` is read as 0 alternatives (tokens and their logprobs only).
  let logprobs: number | undefined;
  if (b.logprobs === true) logprobs = 0;
  else if (b.logprobs !== false) logprobs = optNumber(b, 'logprobs', 0, MAX_TOP_LOGPROBS, { integer: true });
  return { ...common, prompts, logprobs };
}
