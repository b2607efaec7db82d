import { Command, Option } from 'commander';
import { ChatTokenizer } from '@retort/tokenizer';
import { generate, initBackend, loadAdapter, loadModel } from '@retort/engine';

const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${v}"`);
  return n;
};

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate text with a model (and optionally a LoRA adapter)')
    .requiredOption('--model <dir>', 'model directory (HF layout)')
    .option('--adapter <dir>', 'PEFT LoRA adapter directory')
    .addOption(new Option('--quant <q>', 'hold the frozen linear weights as NF4 (QLoRA base)').choices(['none', 'nf4']).default('none'))
    .requiredOption('--prompt <text>', 'the user message (or raw text with --raw)')
    .option('--system <text>', 'a system message')
    .option('--raw', 'do not apply the chat template', false)
    .option('--max-tokens <n>', 'new tokens at most', num, 128)
    .option('--temperature <t>', '0 is greedy', num, 0)
    .option('--top-p <p>', 'nucleus sampling', num, 1)
    .option('--top-k <k>', 'top-k sampling (0: off)', num, 0)
    .option('--stop <text...>', 'stop sequences')
    .option('--seed <n>', 'sampling seed', num, 0)
    .option('--logprobs <n>', 'report per-token logprobs with the top N alternatives', num, 0)
    .action(async (o: Record<string, any>, cmd: Command) => {
      const json = Boolean(cmd.optsWithGlobals().json);
      await initBackend();
      const model = loadModel(o.model, { quant: o.quant });
      const tok = ChatTokenizer.fromDir(o.model);
      const lora = o.adapter ? loadAdapter(o.adapter, model) : undefined;
      const messages = [...(o.system ? [{ role: 'system', content: o.system }] : []), { role: 'user', content: o.prompt }];
      const text = o.raw || !tok.hasChatTemplate ? o.prompt : tok.applyChatTemplate(messages, { addGenerationPrompt: true });
      const promptIds = tok.encode(text);
      const eos = [tok.eosTokenId, ...[model.config.eosTokenId ?? []].flat()].filter((x): x is number => x !== undefined);
      const started = Date.now();
      const res = await generate(model, promptIds, {
        maxNewTokens: o.maxTokens,
        temperature: o.temperature,
        topP: o.topP,
        topK: o.topK,
        stop: o.stop,
        stopTokenIds: eos,
        seed: o.seed,
        topLogprobs: o.logprobs || undefined,
        lora,
        decode: (ids) => tok.decode(ids),
      });
      const seconds = (Date.now() - started) / 1000;
      if (json) {
        const tokens = res.tokens.map((t) => ({
          token: tok.decode([t.id]),
          id: t.id,
          logprob: t.logprob,
          ...(t.top ? { top_logprobs: t.top.map((x) => ({ token: tok.decode([x.id]), id: x.id, logprob: x.logprob })) } : {}),
        }));
        process.stdout.write(
          JSON.stringify({ text: res.text, finish_reason: res.finishReason, prompt_tokens: promptIds.length, completion_tokens: res.ids.length, tokens: o.logprobs ? tokens : undefined }) + '\n',
        );
      } else {
        process.stdout.write(res.text + '\n');
        if (o.logprobs) for (const t of res.tokens) process.stderr.write(`${JSON.stringify(tok.decode([t.id]))}\t${t.logprob.toFixed(4)}\n`);
        process.stderr.write(`[${res.ids.length} tokens, ${(res.ids.length / seconds).toFixed(1)} tok/s, ${res.finishReason}]\n`);
      }
    });
}
