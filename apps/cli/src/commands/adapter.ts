import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { ApiClient } from '../client';
import { print, table } from '../output';

interface Version { id: string; version: number; sha256: string; metrics: Record<string, any>; gate: { passed: boolean; reasons: string[] } | null; createdAt: string; lineage: Record<string, any> }
interface AdapterView { id: string; name: string; baseModel: string | null; latestVersion: number | null; stages: Record<string, number>; versions?: Version[]; history?: { action: string; stage: string; actor: string; at: string }[] }

/** NAME@VERSION (or NAME@vVERSION). */
function parseRef(ref: string): { name: string; version: number } {
  const m = /^([^@]+)@v?(\d+)$/.exec(ref);
  if (!m) throw new Error(`expected NAME@VERSION, got "${ref}"`);
  return { name: m[1], version: Number(m[2]) };
}

export function registerAdapterCommand(program: Command): void {
  const adapter = program.command('adapter').description('adapter registry: ls, show, promote, rollback, export');
  const json = () => Boolean(program.opts().json);

  adapter
    .command('ls')
    .description('adapters with their latest version and stages')
    .action(async () => {
      const { data } = await ApiClient.fromEnv().request<AdapterView[]>('GET', '/api/v1/adapters?range=[0,999]');
      print(json(), data, () => table(['name', 'base model', 'latest', 'staging', 'production'], data.map((a) => [a.name, a.baseModel ?? '-', a.latestVersion ? `v${a.latestVersion}` : '-', a.stages.staging ? `v${a.stages.staging}` : '-', a.stages.production ? `v${a.stages.production}` : '-'])));
    });

  adapter
    .command('show <name>')
    .description('versions with metrics and gate, stages and their history')
    .action(async (name: string) => {
      const { data } = await ApiClient.fromEnv().request<AdapterView>('GET', `/api/v1/adapters/${encodeURIComponent(name)}`);
      const score = (v: Version) => v.metrics.evaluation?.scores?.exact;
      print(json(), data, () =>
        [
          `${data.name} (base ${data.baseModel})  staging ${data.stages.staging ? `v${data.stages.staging}` : '-'}  production ${data.stages.production ? `v${data.stages.production}` : '-'}`,
          table(['version', 'final loss', 'eval loss', 'exact', 'gate', 'sha256', 'created'], (data.versions ?? []).map((v) => [`v${v.version}`, fmt(v.metrics.finalLoss), fmt(v.metrics.evaluation?.loss), fmt(score(v)), v.gate ? (v.gate.passed ? 'passed' : 'blocked') : '-', v.sha256.slice(0, 12), v.createdAt.slice(0, 19)])),
          ...(data.history?.length ? ['', 'history:', ...data.history.map((h) => `  ${h.at.slice(0, 19)}  ${h.stage} ${h.action} by ${h.actor}`)] : []),
        ].join('\n'),
      );
    });

  adapter
    .command('promote <ref>')
    .description('point a stage at NAME@VERSION, loading it on the serving endpoints (admin)')
    .option('--stage <stage>', 'staging | production', 'production')
    .option('--endpoint <name...>', 'serving endpoints (default: all)')
    .action(async (ref: string, o: { stage: string; endpoint?: string[] }) => {
      const { name, version } = parseRef(ref);
      const { data } = await ApiClient.fromEnv().request<Record<string, any>>('POST', `/api/v1/adapters/${encodeURIComponent(name)}/promote`, { json: { version, stage: o.stage, ...(o.endpoint ? { endpoints: o.endpoint } : {}) } });
      print(json(), data, () => `${data.adapter} ${data.stage}: v${data.previous ?? '-'} → v${data.version}, served as "${data.servedAs}" on ${data.endpoints.length} endpoint(s)`);
    });

  adapter
    .command('rollback <name>')
    .description('point a stage back at the version it served before its last change (admin)')
    .option('--stage <stage>', 'staging | production', 'production')
    .action(async (name: string, o: { stage: string }) => {
      const { data } = await ApiClient.fromEnv().request<Record<string, any>>('POST', `/api/v1/adapters/${encodeURIComponent(name)}/rollback`, { json: { stage: o.stage } });
      print(json(), data, () => `${data.adapter} ${data.stage}: v${data.previous} → v${data.version}`);
    });

  adapter
    .command('export <ref>')
    .description('write NAME@VERSION as a PEFT directory')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (ref: string, o: { out: string }) => {
      const { name, version } = parseRef(ref);
      const res = await ApiClient.fromEnv().stream(`/api/v1/adapters/${encodeURIComponent(name)}/versions/${version}/download`);
      const written = await untar(Readable.fromWeb(res.body as never), o.out);
      print(json(), { out: o.out, files: written }, () => `wrote ${written.join(', ')} to ${o.out}`);
    });
}

/** Extracts the tar's files (dropping its top folder) into dir. */
async function untar(source: Readable, dir: string): Promise<string[]> {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const x = extract();
    x.on('entry', (header, stream, next) => {
      const name = path.basename(header.name);
      const out = fs.createWriteStream(path.join(dir, name));
      stream.pipe(out);
      out.on('finish', () => {
        written.push(name);
        next();
      });
      out.on('error', reject);
    });
    x.on('finish', resolve);
    x.on('error', reject);
    source.pipe(x);
  });
  return written;
}

function fmt(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(4) : '-';
}
