/**
 * /v1/chat/completions and /v1/completions: from a checked request to generated choices, in OpenAI's
 * response shapes, whole or streamed as server-sent events.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { LoraAdapter } from '@retort/engine';
import { badField } from './errors';
import { generateSteps, Step } from './generation';
import type { BaseModel, Registry, Target } from './registry';
import { TextTracker } from './text';
import type { ChatRequest, CompletionRequest, SamplingRequest } from './validate';

/** Where a response goes: whole (json) or as server-sent events, and whether the client went away. */
export interface Sink {
  json(status: number, body: unknown): void;
  /** Starts an event stream (status 200); `event` writes one `data:` line. */
  startStream(): void;
  event(data: unknown): void;
  endStream(): void;
  aborted(): boolean;
}

export type FinishReason = 'stop' | 'length';

interface Params {
  maxTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  stop: string[];
  stopTokenIds: number[];
  topLogprobs: number;
  skipSpecialTokens: boolean;
  /** Seed of choice i is seed + i. */
  seed: number;
}

interface ChoiceResult {
  text: string;
  finishReason: FinishReason;
  steps: Step[];
  /** Offset of each token in `text` (clamped to its end). */
  offsets: number[];
}

interface TokenEvent {
  step: Step;
  delta: string;
  offset: number;
}

const unixTime = () => Math.floor(Date.now() / 1000);
const requestId = (prefix: string) => `${prefix}-${randomBytes(16).toString('hex')}`;
/** JSON has no -Infinity: vLLM's floor for a token of probability zero. */
const finiteLogprob = (lp: number) => (Number.isFinite(lp) ? lp : -9999);

function resolveParams(base: BaseModel, req: SamplingRequest, promptLength: number, topLogprobs: number, param: string): Params {
  const room = base.maxModelLen - promptLength;
  if (room < 1) {
    throw badField(param, `the prompt is ${promptLength} tokens, and this model's maximum context length is ${base.maxModelLen} tokens`);
  }
  if (req.maxTokens !== undefined && req.maxTokens > room) {
    throw badField(
      'max_tokens',
      `this model's maximum context length is ${base.maxModelLen} tokens; you requested ${promptLength + req.maxTokens} (${promptLength} in the prompt, ${req.maxTokens} for the completion)`,
    );
  }
  return {
    maxTokens: req.maxTokens ?? room,
    temperature: req.temperature ?? base.defaults.temperature ?? 1,
    topP: req.topP ?? base.defaults.topP ?? 1,
    topK: req.topK ?? base.defaults.topK ?? 0,
    stop: req.stop,
    stopTokenIds: [...(req.ignoreEos ? [] : base.eosIds), ...req.stopTokenIds],
    topLogprobs,
    skipSpecialTokens: req.skipSpecialTokens,
    seed: req.seed ?? randomInt(0, 2 ** 32 - 1),
  };
}

/** Generates one choice; `onToken` sees each token with the text it made final. */
async function runChoice(
  base: BaseModel,
  lora: LoraAdapter | undefined,
  promptIds: number[],
  p: Params,
  index: number,
  sink: Sink,
  onToken?: (ev: TokenEvent) => void,
): Promise<ChoiceResult & { tail: string }> {
  const tracker = new TextTracker((ids) => base.tok.decode(ids, { skipSpecialTokens: p.skipSpecialTokens }), p.stop);
  const steps: Step[] = [];
  let finishReason: FinishReason = 'length';
  const gen = generateSteps(base.model, promptIds, {
    maxNewTokens: p.maxTokens,
    temperature: p.temperature,
    topP: p.topP,
    topK: p.topK,
    seed: p.seed + index,
    topLogprobs: p.topLogprobs,
    stopTokenIds: p.stopTokenIds,
    lora,
    cancelled: sink.aborted,
  });
  for await (const step of gen) {
    if (sink.aborted()) break;
    steps.push(step);
    const { delta, stopped } = tracker.push(step);
    onToken?.({ step, delta, offset: tracker.offsets[tracker.offsets.length - 1] });
    if (stopped) {
      finishReason = 'stop';
      break;
    }
  }
  const tail = finishReason === 'stop' ? '' : tracker.finish();
  const offsets = tracker.offsets.map((o) => Math.min(o, tracker.text.length));
  return { text: tracker.text, finishReason, steps, offsets, tail };
}

/** Runs `work` holding the model's lock and the adapter; both are released however it ends. */
async function withModel<T>(target: Target, sink: Sink, work: () => Promise<T>): Promise<T | undefined> {
  try {
    const release = await target.base.lock.acquire();
    try {
      if (sink.aborted()) return undefined;
      return await work();
    } finally {
      release();
    }
  } finally {
    target.release();
  }
}

export class OpenAIService {
  constructor(private readonly registry: Registry) {}

  // ---- chat -------------------------------------------------------------------------------------

  async chat(req: ChatRequest, sink: Sink): Promise<void> {
    const target = this.registry.resolve(req.model);
    let promptIds: number[];
    let p: Params;
    try {
      const { base } = target;
      if (!base.tok.hasChatTemplate) throw badField('messages', `model ${base.name} has no chat template (tokenizer_config.json); use /v1/completions`);
      let prompt: string;
      try {
        prompt = base.tok.applyChatTemplate(req.messages, { addGenerationPrompt: req.addGenerationPrompt, extra: req.templateKwargs });
      } catch (err) {
        throw badField('messages', `the chat template failed: ${(err as Error).message}`);
      }
      promptIds = base.tok.encode(prompt);
      if (!promptIds.length) throw badField('messages', 'the rendered prompt is empty');
      p = resolveParams(base, req, promptIds.length, req.logprobs ? req.topLogprobs : 0, 'messages');
    } catch (err) {
      target.release();
      throw err;
    }
    await withModel(target, sink, () => (req.stream ? this.chatStream(req, target, promptIds, p, sink) : this.chatWhole(req, target, promptIds, p, sink)));
  }

  private chatLogprob(base: BaseModel, step: Step, asIds: boolean): Record<string, unknown> {
    const entry = (id: number, logprob: number) => {
      const { token, bytes } = base.text.describe(id);
      return { token: asIds ? `token_id:${id}` : token, logprob: finiteLogprob(logprob), bytes };
    };
    return { ...entry(step.id, step.logprob), top_logprobs: (step.top ?? []).map((t) => entry(t.id, t.logprob)) };
  }

  private async chatWhole(req: ChatRequest, target: Target, promptIds: number[], p: Params, sink: Sink): Promise<void> {
    const { base } = target;
    const choices: Record<string, unknown>[] = [];
    let completionTokens = 0;
    for (let i = 0; i < req.n; i++) {
      const r = await runChoice(base, target.adapter?.lora, promptIds, p, i, sink);
      if (sink.aborted()) return;
      completionTokens += r.steps.length;
      choices.push({
        index: i,
        message: { role: 'assistant', content: r.text },
        logprobs: req.logprobs ? { content: r.steps.map((s) => this.chatLogprob(base, s, req.tokensAsIds)) } : null,
        finish_reason: r.finishReason,
      });
    }
    sink.json(200, {
      id: requestId('chatcmpl'),
      object: 'chat.completion',
      created: unixTime(),
      model: req.model,
      choices,
      usage: { prompt_tokens: promptIds.length, completion_tokens: completionTokens, total_tokens: promptIds.length + completionTokens },
    });
  }

  private async chatStream(req: ChatRequest, target: Target, promptIds: number[], p: Params, sink: Sink): Promise<void> {
    const { base } = target;
    const id = requestId('chatcmpl');
    const created = unixTime();
    const chunk = (choices: unknown[], usage?: unknown) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: req.model,
      choices,
      ...(req.includeUsage ? { usage: usage ?? null } : {}),
    });
    sink.startStream();
    let completionTokens = 0;
    for (let i = 0; i < req.n; i++) {
      sink.event(chunk([{ index: i, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
      const r = await runChoice(base, target.adapter?.lora, promptIds, p, i, sink, ({ step, delta }) => {
        if (!delta && !req.logprobs) return;
        const logprobs = req.logprobs ? { content: [this.chatLogprob(base, step, req.tokensAsIds)] } : null;
        sink.event(chunk([{ index: i, delta: { content: delta }, logprobs, finish_reason: null }]));
      });
      if (sink.aborted()) return;
      completionTokens += r.steps.length;
      sink.event(chunk([{ index: i, delta: r.tail ? { content: r.tail } : {}, logprobs: null, finish_reason: r.finishReason }]));
    }
    if (req.includeUsage) {
      sink.event(chunk([], { prompt_tokens: promptIds.length, completion_tokens: completionTokens, total_tokens: promptIds.length + completionTokens }));
    }
    sink.endStream();
  }

  // ---- legacy completions -----------------------------------------------------------------------

  async complete(req: CompletionRequest, sink: Sink): Promise<void> {
    const target = this.registry.resolve(req.model);
    let prompts: number[][];
    let params: Params[];
    try {
      const { base } = target;
      prompts = req.prompts.map((pr, i) => {
        const param = req.prompts.length > 1 ? `prompt[${i}]` : 'prompt';
        const ids = typeof pr === 'string' ? base.tok.encode(pr, { addSpecialTokens: true }) : pr;
        if (!ids.length) throw badField(param, 'the prompt is empty');
        const bad = ids.find((t) => t >= base.model.config.vocabSize);
        if (bad !== undefined) throw badField(param, `token id ${bad} is outside the vocabulary (${base.model.config.vocabSize})`);
        return ids;
      });
      params = prompts.map((ids, i) => resolveParams(base, req, ids.length, req.logprobs ?? 0, req.prompts.length > 1 ? `prompt[${i}]` : 'prompt'));
      // One seed for the request: choices differ by their index.
      params.forEach((p) => (p.seed = params[0].seed));
    } catch (err) {
      target.release();
      throw err;
    }
    await withModel(target, sink, () => this.completeRun(req, target, prompts, params, sink));
  }

  private legacyLogprobs(base: BaseModel, steps: Step[], offsets: number[], n: number, asIds: boolean) {
    const name = (id: number) => (asIds ? `token_id:${id}` : base.text.describe(id).token);
    return {
      tokens: steps.map((s) => name(s.id)),
      token_logprobs: steps.map((s) => finiteLogprob(s.logprob)),
      // vLLM's dialect: the n most likely, plus the chosen token when it is not among them.
      top_logprobs: steps.map((s) => {
        const top: Record<string, number> = {};
        for (const t of (s.top ?? []).slice(0, n)) top[name(t.id)] = finiteLogprob(t.logprob);
        if (!(name(s.id) in top)) top[name(s.id)] = finiteLogprob(s.logprob);
        return top;
      }),
      text_offset: offsets,
    };
  }

  private async completeRun(req: CompletionRequest, target: Target, prompts: number[][], params: Params[], sink: Sink): Promise<void> {
    const { base } = target;
    const id = requestId('cmpl');
    const created = unixTime();
    const promptTokens = prompts.reduce((s, p) => s + p.length, 0);
    let completionTokens = 0;
    const usage = () => ({ prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens });
    const chunk = (choices: unknown[], u?: unknown) => ({
      id,
      object: 'text_completion',
      created,
      model: req.model,
      choices,
      ...(req.includeUsage ? { usage: u ?? null } : {}),
    });
    const choices: Record<string, unknown>[] = [];
    if (req.stream) sink.startStream();
    for (let pi = 0; pi < prompts.length; pi++) {
      for (let i = 0; i < req.n; i++) {
        const index = pi * req.n + i;
        const onToken = req.stream
          ? ({ step, delta, offset }: TokenEvent) => {
              if (!delta && req.logprobs === undefined) return;
              const logprobs = req.logprobs === undefined ? null : this.legacyLogprobs(base, [step], [offset], req.logprobs, req.tokensAsIds);
              sink.event(chunk([{ index, text: delta, logprobs, finish_reason: null }]));
            }
          : undefined;
        const r = await runChoice(base, target.adapter?.lora, prompts[pi], params[pi], i, sink, onToken);
        if (sink.aborted()) return;
        completionTokens += r.steps.length;
        if (req.stream) {
          sink.event(chunk([{ index, text: r.tail, logprobs: null, finish_reason: r.finishReason }]));
        } else {
          choices.push({
            index,
            text: r.text,
            logprobs: req.logprobs === undefined ? null : this.legacyLogprobs(base, r.steps, r.offsets, req.logprobs, req.tokensAsIds),
            finish_reason: r.finishReason,
          });
        }
      }
    }
    if (req.stream) {
      if (req.includeUsage) sink.event(chunk([], usage()));
      sink.endStream();
      return;
    }
    sink.json(200, { id, object: 'text_completion', created, model: req.model, choices, usage: usage() });
  }
}
