import { Command } from 'commander';
import { ApiClient } from '../client';
import { addHyperparameterOptions, hyperparametersFromOptions } from '../hyperparameter-options';
import { print, table } from '../output';
import { addPipelineOptions, pipelineStepOptions } from '../pipeline-options';

interface Schedule { id: string; name: string; cron: string; timezone: string; enabled: boolean; autoPromote: boolean; lastFiredAt: string | null; nextFireTimes?: string[]; fires?: { tick: string; runId: string | null; skipped: string | null; runStatus: string | null }[] }

export function registerScheduleCommand(program: Command): void {
  const schedule = program.command('schedule').description('monthly retraining: add, ls, show, pause, resume, trigger');
  const json = () => Boolean(program.opts().json);

  const add = schedule
    .command('add <name>')
    .description('rerun distillation on a cron (default monthly, 03:00 on the 1st)')
    .requiredOption('--dataset <name>', 'prompt data set (its latest ready version when the schedule fires)')
    .requiredOption('--eval-dataset <name>', 'held-out data set')
    .requiredOption('--teacher <endpoint>', 'teacher endpoint')
    .requiredOption('--student <model>', 'student base model')
    .requiredOption('--adapter <name>', 'adapter the runs register versions of')
    .option('--cron <expr>', 'cron expression (5 fields, or 6 with seconds)', '0 3 1 * *')
    .option('--timezone <tz>', 'IANA time zone', 'UTC')
    .option('--min-loss-improvement <pct>', 'gate: eval loss at least this much lower than production')
    .option('--max-regression <pct>', 'gate: no metric worse than production by more than this')
    .option('--auto-promote', 'promote to production when the gate passes');
  addHyperparameterOptions(addPipelineOptions(add)).action(async (name: string, o: Record<string, string | boolean | undefined>) => {
    const gate = {
      ...(o.minLossImprovement ? { minLossImprovementPct: Number(o.minLossImprovement) } : {}),
      ...(o.maxRegression ? { maxRegressionPct: Number(o.maxRegression) } : {}),
    };
    const body = {
      name,
      cron: o.cron,
      timezone: o.timezone,
      template: { dataset: o.dataset, evalDataset: o.evalDataset, teacher: o.teacher, student: o.student, adapter: o.adapter, ...pipelineStepOptions(o), hyperparameters: hyperparametersFromOptions(o) },
      gate,
      autoPromote: Boolean(o.autoPromote),
    };
    const { data } = await ApiClient.fromEnv().request<Schedule>('POST', '/api/v1/schedules', { json: body });
    const { data: shown } = await ApiClient.fromEnv().request<Schedule>('GET', `/api/v1/schedules/${data.id}`);
    print(json(), shown, () => `schedule ${shown.name}: ${shown.cron} (${shown.timezone}); next: ${(shown.nextFireTimes ?? []).slice(0, 3).join(', ')}`);
  });

  schedule
    .command('ls')
    .description('schedules')
    .action(async () => {
      const { data } = await ApiClient.fromEnv().request<Schedule[]>('GET', '/api/v1/schedules?range=[0,999]');
      print(json(), data, () => table(['name', 'cron', 'timezone', 'enabled', 'auto-promote', 'last fired'], data.map((s) => [s.name, s.cron, s.timezone, s.enabled ? 'yes' : 'paused', s.autoPromote ? 'yes' : 'no', s.lastFiredAt?.slice(0, 19) ?? '-'])));
    });

  schedule
    .command('show <name>')
    .description('next fire times and recent ticks')
    .action(async (name: string) => {
      const { data } = await ApiClient.fromEnv().request<Schedule>('GET', `/api/v1/schedules/${encodeURIComponent(name)}`);
      print(json(), data, () =>
        [`${data.name}: ${data.cron} (${data.timezone}) ${data.enabled ? '' : '[paused]'}`, 'next:', ...(data.nextFireTimes ?? []).map((t) => `  ${t}`), 'ticks:', ...(data.fires ?? []).map((f) => `  ${f.tick}  ${f.runId ? `run ${f.runId} (${f.runStatus})` : `skipped: ${f.skipped}`}`)].join('\n'),
      );
    });

  for (const [action, enabled] of [['pause', false], ['resume', true]] as const) {
    schedule
      .command(`${action} <name>`)
      .description(`${action} a schedule`)
      .action(async (name: string) => {
        const { data } = await ApiClient.fromEnv().request<Schedule>('PATCH', `/api/v1/schedules/${encodeURIComponent(name)}`, { json: { enabled } });
        print(json(), data, () => `schedule ${data.name}: ${data.enabled ? 'enabled' : 'paused'}`);
      });
  }

  schedule
    .command('trigger <name>')
    .description('fire now (skipped while its previous run is going)')
    .action(async (name: string) => {
      const { data } = await ApiClient.fromEnv().request<{ queued: boolean }>('POST', `/api/v1/schedules/${encodeURIComponent(name)}/trigger`);
      print(json(), data, () => `schedule ${name}: fired`);
    });
}
