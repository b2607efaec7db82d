import { Command } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiClient, ApiError } from '../client';
import { print, table } from '../output';
import { stallGuard, waitTimeoutMs } from '../wait';

interface Version { id: string; version: number; status: string; records: number | null; size: number; sha256: string; error: string | null; stats: unknown; createdAt: string }
interface Dataset { id: string; name: string; description: string; createdAt: string; latestVersion: Version | null; versions?: Version[] }

export function registerDatasetCommand(program: Command): void {
  const dataset = program.command('dataset').description('data sets: push, ls, show, export');
  const json = () => Boolean(program.opts().json);

  dataset
    .command('push <file>')
    .description('upload a JSONL file as a new version of data set --name (created if missing)')
    .requiredOption('--name <name>', 'data set name')
    .option('--description <text>', 'description when the data set is created', '')
    .option('--format <format>', 'auto | chat | alpaca | sharegpt | prompt', 'auto')
    .option('--purpose <purpose>', 'train (needs assistant answers) | prompts (ends with a user turn)')
    .option('--max-tokens <n>', 'records longer than this are errors')
    .option('--no-wait', 'return without waiting for the import job')
    .action(async (file: string, opts: { name: string; description: string; wait: boolean; format: string; purpose?: string; maxTokens?: string }) => {
      if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
      const api = ApiClient.fromEnv();
      const ds = (await findByName(api, opts.name)) ?? (await api.request<Dataset>('POST', '/api/v1/datasets', { json: { name: opts.name, description: opts.description } })).data;
      const body = Readable.toWeb(fs.createReadStream(file)) as unknown as BodyInit;
      let version: Version;
      try {
        const query = new URLSearchParams({ filename: path.basename(file), format: opts.format });
        if (opts.purpose) query.set('purpose', opts.purpose);
        if (opts.maxTokens) query.set('maxTokens', opts.maxTokens);
        version = (await api.request<Version>('POST', `/api/v1/datasets/${ds.id}/versions?${query}`, { body, headers: { 'Content-Type': 'application/x-ndjson' } })).data;
      } catch (err) {
        if (err instanceof ApiError && err.problem.errors) throw new Error(`${file}: ${err.message}`);
        throw err;
      }
      const stalled = stallGuard(waitTimeoutMs(program));
      while (opts.wait && version.status === 'processing') {
        stalled(version.status, () => `dataset version ${version.id} is still being imported`);
        await new Promise((r) => setTimeout(r, 300));
        version = (await api.request<Version>('GET', `/api/v1/dataset-versions/${version.id}`)).data;
      }
      print(json(), { dataset: ds.name, ...version }, () => `${ds.name} v${version.version}: ${version.status}, ${version.records} records, sha256 ${version.sha256.slice(0, 12)}`);
    });

  dataset
    .command('ls')
    .description('list data sets with their latest version')
    .action(async () => {
      const { data } = await ApiClient.fromEnv().request<Dataset[]>('GET', '/api/v1/datasets?range=[0,999]&sort=["name","ASC"]');
      print(json(), data, () =>
        table(['name', 'latest', 'status', 'records', 'created'], data.map((d) => [d.name, d.latestVersion ? `v${d.latestVersion.version}` : '-', d.latestVersion?.status ?? '-', String(d.latestVersion?.records ?? '-'), d.createdAt.slice(0, 19)])),
      );
    });

  dataset
    .command('show <name>')
    .description('a data set and its versions')
    .action(async (name: string) => {
      const api = ApiClient.fromEnv();
      const ds = await mustFind(api, name);
      const { data } = await api.request<Dataset>('GET', `/api/v1/datasets/${ds.id}`);
      print(json(), data, () =>
        `${data.name}  ${data.description}\n` +
        table(['version', 'status', 'records', 'size', 'sha256', 'created'], (data.versions ?? []).map((v) => [`v${v.version}`, v.status, String(v.records ?? '-'), String(v.size), v.sha256.slice(0, 12), v.createdAt.slice(0, 19)])),
      );
    });

  dataset
    .command('export <name>')
    .description('write a version\'s stored JSONL bytes (NAME or NAME@VERSION, default the latest)')
    .requiredOption('--out <file>', 'output file')
    .action(async (ref: string, opts: { out: string }) => {
      const api = ApiClient.fromEnv();
      const [name, v] = ref.split('@');
      const { data } = await api.request<Dataset>('GET', `/api/v1/datasets/${(await mustFind(api, name)).id}`);
      const version = v ? data.versions?.find((x) => String(x.version) === v.replace(/^v/, '')) : data.versions?.[0];
      if (!version) throw new Error(`${name} has no version ${v ?? ''}`.trim());
      const res = await api.stream(`/api/v1/dataset-versions/${version.id}/export`);
      await pipeline(Readable.fromWeb(res.body as never), fs.createWriteStream(opts.out));
      print(json(), { out: opts.out, version: version.version, sha256: version.sha256 }, () => `wrote ${opts.out} (${name} v${version.version}, sha256 ${version.sha256.slice(0, 12)})`);
    });
}

async function findByName(api: ApiClient, name: string): Promise<Dataset | undefined> {
  const { data } = await api.request<Dataset[]>('GET', `/api/v1/datasets?filter=${encodeURIComponent(JSON.stringify({ name }))}`);
  return data[0];
}

async function mustFind(api: ApiClient, name: string): Promise<Dataset> {
  const ds = await findByName(api, name);
  if (!ds) throw new Error(`no data set named "${name}"`);
  return ds;
}
