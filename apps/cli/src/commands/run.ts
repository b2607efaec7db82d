import { Command } from 'commander';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { isFinishedRun, JOB_RUN_KINDS, type JobRunKind } from '@retort/contracts';
import { ApiClient } from '../client';
import { addHyperparameterOptions, hyperparametersFromOptions } from '../hyperparameter-options';
import { print, table } from '../output';
import { fmt, lossOf, pipelineSummary, reportTable, stepProgress, type Run } from '../run-output';
import { addPipelineOptions, int, pipelineStepOptions } from '../pipeline-options';
import { stallGuard, waitTimeoutMs } from '../wait';

interface DatasetVersion { id: string; version: number; status: string }
interface Dataset { id: string; name: string; versions: DatasetVersion[] }


export function registerRunCommand(program: Command): void {
  const run = program.command('run').description('runs: distill, train, eval, status, ls, cancel, retry');
  const json = () => Boolean(program.opts().json);

  const train = run
    .command('train')
    .description('train a LoRA/QLoRA adapter on a worker')
    .requiredOption('--model <name>', 'registered base model')
    .requiredOption('--dataset <ref...>', 'data set NAME or NAME@VERSION (latest ready by default); repeatable')
    .requiredOption('--adapter <name>', 'adapter to register the result as')
    .option('--eval-dataset <ref>', 'held-out data set NAME[@VERSION]')
    .option('--tag <tag>', 'train only on records with this tag (e.g. split:train)')
    .option('--eval-tag <tag>', 'evaluate only on records with this tag (e.g. split:eval)')
    .option('--watch', 'follow progress until the run ends');
  addHyperparameterOptions(train).action(async (o: Record<string, string | boolean | string[] | undefined>) => {
    const api = ApiClient.fromEnv();
    const versions = await Promise.all((o.dataset as string[]).map((ref) => resolveVersion(api, ref)));
    const body = {
      kind: 'train',
      baseModel: o.model,
      datasetVersions: versions,
      ...(o.evalDataset ? { evalDatasetVersion: await resolveVersion(api, o.evalDataset as string) } : {}),
      ...(o.tag ? { tag: o.tag } : {}),
      ...(o.evalTag ? { evalTag: o.evalTag } : {}),
      adapter: o.adapter,
      hyperparameters: hyperparametersFromOptions(o),
    };
    const { data } = await api.request<Run>('POST', '/api/v1/runs', { json: body });
    const final = o.watch ? await watch(api, data.id, json(), waitTimeoutMs(program)) : data;
    print(json(), final, () => `run ${final.id}: ${final.status}${final.error ? ` (${final.error})` : ''}`);
    if (o.watch && final.status !== 'succeeded') process.exitCode = 1;
  });

  run
    .command('status <id>')
    .description('a run and its latest progress')
    .option('--watch', 'follow progress until the run ends')
    .action(async (id: string, o: { watch?: boolean }) => {
      const api = ApiClient.fromEnv();
      const r = o.watch ? await watch(api, id, json(), waitTimeoutMs(program)) : (await api.request<Run>('GET', `/api/v1/runs/${id}`)).data;
      print(json(), r, () => `run ${r.id} (${r.kind}): ${r.status}  step ${r.progress.step ?? '-'}/${r.progress.totalSteps ?? '-'}  loss ${fmt(lossOf(r))}${r.error ? `\n  error: ${r.error}` : ''}`);
    });

  run
    .command('ls')
    .description('recent runs')
    .action(async () => {
      const { data } = await ApiClient.fromEnv().request<Run[]>('GET', '/api/v1/runs?range=[0,49]');
      print(json(), data, () => table(['id', 'kind', 'status', 'step', 'loss', 'created'], data.map((r) => [r.id, r.kind, r.status, String(r.progress.step ?? '-'), fmt(lossOf(r)), r.createdAt.slice(0, 19)])));
    });

  for (const action of ['cancel', 'retry'] as const) {
    run
      .command(`${action} <id>`)
      .description(action === 'cancel' ? 'stop a run within one training step' : 'resume a failed or cancelled run from its last checkpoint')
      .action(async (id: string) => {
        const { data } = await ApiClient.fromEnv().request<Run>('POST', `/api/v1/runs/${id}/${action}`);
        print(json(), data, () => `run ${data.id}: ${data.status}`);
      });
  }

  const distill = run
    .command('distill')
    .description('teacher generation → LoRA training → evaluation, as one pipeline run')
    .requiredOption('--dataset <ref>', 'prompt data set NAME[@VERSION]')
    .requiredOption('--teacher <endpoint>', 'teacher endpoint')
    .requiredOption('--student <model>', 'student base model')
    .option('--eval-dataset <ref>', 'held-out set with reference answers (default: NAME-eval)')
    .option('--adapter <name>', 'adapter to register (default: STUDENT-DATASET)')
    .option('--watch', 'follow the steps until the pipeline ends');
  addHyperparameterOptions(addPipelineOptions(distill)).action(async (o: Record<string, string | boolean | undefined>) => {
    const api = ApiClient.fromEnv();
    const [name] = (o.dataset as string).split('@');
    const body = {
      kind: 'pipeline',
      teacher: o.teacher,
      prompts: await resolveVersion(api, o.dataset as string),
      student: o.student,
      adapter: (o.adapter as string) ?? `${o.student}-${name}`,
      evalDatasetVersion: await resolveVersion(api, (o.evalDataset as string) ?? `${name}-eval`),
      ...pipelineStepOptions(o),
      hyperparameters: hyperparametersFromOptions(o),
    };
    const { data } = await api.request<Run>('POST', '/api/v1/runs', { json: body });
    const final = o.watch ? await watchPipeline(api, data.id, json(), waitTimeoutMs(program)) : data;
    print(json(), final, () => pipelineSummary(final));
    if (o.watch && final.status !== 'succeeded') process.exitCode = 1;
  });

  run
    .command('eval')
    .description('evaluate a base model, adapters and a teacher on a held-out set')
    .requiredOption('--model <name>', 'base model')
    .requiredOption('--dataset <ref>', 'held-out data set NAME[@VERSION] with reference answers')
    .option('--adapter <ref...>', 'adapter NAME[@VERSION] to score beside the base (repeatable)')
    .option('--teacher <endpoint>', 'also score this teacher')
    .option('--max-tokens <n>', 'answer budget', '64')
    .option('--watch', 'wait for the report')
    .action(async (o: Record<string, string | string[] | boolean | undefined>) => {
      const api = ApiClient.fromEnv();
      const body = { kind: 'evaluate', baseModel: o.model, datasetVersion: await resolveVersion(api, o.dataset as string), adapters: (o.adapter as string[]) ?? [], ...(o.teacher ? { teacher: o.teacher } : {}), maxTokens: int(o.maxTokens, 'max-tokens') };
      const { data } = await api.request<Run>('POST', '/api/v1/runs', { json: body });
      const final = o.watch ? await watch(api, data.id, true, waitTimeoutMs(program)) : data;
      print(json(), final, () => (final.progress.report ? reportTable(final.progress.report.subjects) : `run ${final.id}: ${final.status}${final.error ? ` (${final.error})` : ''}`));
      if (o.watch && final.status !== 'succeeded') process.exitCode = 1;
    });
}

/**
 * Follows a pipeline's steps: on a terminal one bar per step, redrawn in place with its ETA; in a
 * log a line when a step changes status and at every tenth of its work.
 */
async function watchPipeline(api: ApiClient, id: string, quiet: boolean, timeoutMs: number): Promise<Run> {
  const stalled = stallGuard(timeoutMs);
  const bars = quiet || !process.stderr.isTTY ? null : new MultiBar({ format: '{step} |{bar}| {value}/{total} {status} {detail} | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, clearOnComplete: false }, Presets.shades_classic);
  const drawn = new Map<string, SingleBar>();
  const logged = new Map<string, string>();
  try {
    for (;;) {
      const { data: r } = await api.request<Run>('GET', `/api/v1/runs/${id}`);
      const { data: all } = await api.request<(Run & { parentId: string | null })[]>('GET', '/api/v1/runs?range=[0,199]');
      const order = (kind: string) => JOB_RUN_KINDS.indexOf(kind as JobRunKind);
      const steps = all.filter((s) => s.parentId === id).sort((a, b) => order(a.kind) - order(b.kind));
      for (const s of steps) {
        const { done, total, detail } = stepProgress(s);
        if (bars) {
          const payload = { step: s.kind.padEnd(8), status: s.status, detail };
          const bar = drawn.get(s.kind) ?? bars.create(Math.max(total, 1), done, payload);
          drawn.set(s.kind, bar);
          bar.setTotal(Math.max(total, 1));
          bar.update(done, payload);
        } else if (!quiet) {
          const tenth = total ? Math.floor((10 * done) / total) : 0;
          const key = `${s.status}:${tenth}`;
          if (logged.get(s.kind) !== key) process.stderr.write(`${s.kind}: ${s.status}${total ? ` ${done}/${total}` : ''}${detail ? ` ${detail}` : ''}\n`);
          logged.set(s.kind, key);
        }
      }
      if (isFinishedRun(r.status)) return r;
      stalled(JSON.stringify([r.status, steps.map((s) => [s.status, s.progress])]), () => `pipeline ${id} is still ${r.status}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    bars?.stop();
  }
}

/** Polls the run, drawing a progress bar (step, loss, tokens/s, ETA) on a terminal. */
async function watch(api: ApiClient, id: string, quiet: boolean, timeoutMs: number): Promise<Run> {
  const stalled = stallGuard(timeoutMs);
  const bar = quiet || !process.stderr.isTTY ? null : new SingleBar({ format: 'step {value}/{total} |{bar}| loss {loss} | {tps} tok/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true });
  let started = false;
  for (;;) {
    const { data: r } = await api.request<Run>('GET', `/api/v1/runs/${id}`);
    const p = r.progress;
    if (bar && p.totalSteps) {
      if (!started) bar.start(p.totalSteps, 0, { loss: '-', tps: '-' });
      started = true;
      bar.update(p.step ?? 0, { loss: fmt(p.loss), tps: p.tokensPerSec ? Math.round(p.tokensPerSec) : '-' });
    } else if (!bar && !quiet && p.step) {
      process.stderr.write(`step ${p.step}/${p.totalSteps} loss ${fmt(p.loss)}\n`);
    }
    if (isFinishedRun(r.status)) {
      bar?.stop();
      return r;
    }
    try {
      stalled(JSON.stringify([r.status, p]), () => `run ${id} is still ${r.status}${p.step ? ` at step ${p.step}` : ''}`);
    } catch (err) {
      bar?.stop();
      throw err;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
}

async function resolveVersion(api: ApiClient, ref: string): Promise<string> {
  const [name, v] = ref.split('@');
  const { data: found } = await api.request<{ id: string }[]>('GET', `/api/v1/datasets?filter=${encodeURIComponent(JSON.stringify({ name }))}`);
  if (!found[0]) throw new Error(`--dataset: no data set named "${name}"`);
  const { data } = await api.request<Dataset>('GET', `/api/v1/datasets/${found[0].id}`);
  const version = v ? data.versions.find((x) => String(x.version) === v.replace(/^v/, '')) : data.versions.find((x) => x.status === 'ready');
  if (!version) throw new Error(`--dataset: ${name} has no ${v ? `version ${v}` : 'ready version'}`);
  return version.id;
}
