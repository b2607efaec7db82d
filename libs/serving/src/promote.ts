/**
 * Promotion of an adapter version on one serving target (vLLM or retort serve), so that requests
 * with `"model": alias` switch to the new version, with a rollback when anything fails:
 *
 *   (a) load the version under its own versioned name (e.g. support-lora-v3) and smoke-test it;
 *       on failure unload it and throw: the alias was never touched.
 *   (b) switch the alias: unload it (when loaded), load the version's path under the alias name and
 *       smoke-test the alias; on failure reload the previous version's path under the alias (best
 *       effort, smoke-tested) and throw, saying whether production was restored.
 *   (c) unload the superseded versioned name (best effort). The new versioned name stays loaded by
 *       default (clients may pin a version with "model": "support-lora-v3"); keepVersionLoaded: false
 *       unloads it.
 *
 * Every call is recorded as a step ({action, name, ok, error?, ms}) for the deployment's log; a
 * failed promotion throws a PromotionError that carries the same steps.
 *
 * The procedure is idempotent, so a retried job converges: a versioned name already loaded from the
 * same path is kept, and an alias already serving the version's path is not switched again. Two
 * promotions of one alias on one endpoint must not run at once: the caller serialises them.
 */
import { performance } from 'node:perf_hooks';
import type { ServedModel, ServingClient, SmokeTestOptions, SmokeTestResult } from './client';
import { errorMessage, isNotLoadedError } from './errors';

export interface AdapterVersionRef {
  /** The versioned served name, e.g. support-lora-v3. */
  name: string;
  /** The PEFT directory as the serving host sees it. */
  path: string;
}

export interface PromotionRequest {
  /** The stable name clients use ("model": alias), e.g. support-lora. */
  alias: string;
  version: AdapterVersionRef;
  /** The version the alias serves now; what a failed switch restores. */
  previous?: AdapterVersionRef;
}

export interface RollbackRequest {
  alias: string;
  /** The earlier version to serve again. */
  to: AdapterVersionRef;
  /** The version the alias serves now (restored if the rollback fails; its versioned name is unloaded). */
  from?: AdapterVersionRef;
}

export interface PromotionOptions {
  smoke: SmokeTestOptions;
  /** Keep the new versioned name loaded next to the alias (default true: clients can pin a version). */
  keepVersionLoaded?: boolean;
  /** `base_model_name` of every load, for servers with several bases. */
  baseModelName?: string;
}

export type PromotionAction =
  /** GET /models: what is loaded before anything changes. */
  | 'list'
  | 'load'
  | 'unload'
  | 'smoke'
  /** Reload of the previous version under the alias after a failed switch. */
  | 'restore';

export interface PromotionStep {
  action: PromotionAction;
  /** The served name the step acted on (the alias or a versioned name). */
  name: string;
  /** The adapter path of a load or restore. */
  path?: string;
  ok: boolean;
  error?: string;
  /** What happened beyond ok, e.g. the smoke test's answer or why a load was skipped. */
  detail?: string;
  ms: number;
}

export interface PromotionLog {
  steps: PromotionStep[];
}

export interface PromotionResult extends PromotionLog {
  alias: string;
  /** The version the alias serves now. */
  serving: AdapterVersionRef;
  /** Whether the versioned name of `serving` is still loaded. */
  versionLoaded: boolean;
  /** The alias's smoke test. */
  smoke: SmokeTestResult;
}

export type PromotionStage =
  /** Listing the server's models failed: nothing was changed. */
  | 'prepare'
  /** Loading or smoke-testing the versioned name failed: the alias was never touched. */
  | 'candidate'
  /** Switching the alias failed. */
  | 'switch';

/** Where production (the alias) stands after a failed promotion. */
export type ProductionState =
  /** The alias was never unloaded: it serves what it served before. */
  | 'unchanged'
  /** The alias was reloaded from the previous version's path and its smoke test passed. */
  | 'restored'
  /** The alias could not be restored (or its smoke test failed after the restore): requests for it fail. */
  | 'restore-failed'
  /** There was no previous version: the alias is not loaded. */
  | 'none';

export class PromotionError extends Error {
  override name = 'PromotionError';
  constructor(
    message: string,
    readonly stage: PromotionStage,
    readonly production: ProductionState,
    readonly steps: PromotionStep[],
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export async function promoteAdapter(client: ServingClient, request: PromotionRequest, options: PromotionOptions): Promise<PromotionResult> {
  return run(client, request, options, 'promotion');
}

/** Re-points the alias at an earlier version, with the same steps and guarantees as a promotion. */
export async function rollbackAdapter(client: ServingClient, request: RollbackRequest, options: PromotionOptions): Promise<PromotionResult> {
  return run(client, { alias: request.alias, version: request.to, previous: request.from }, options, 'rollback');
}

async function run(client: ServingClient, request: PromotionRequest, options: PromotionOptions, kind: 'promotion' | 'rollback'): Promise<PromotionResult> {
  validate(request, options);
  const { alias, version, previous } = request;
  const keepVersionLoaded = options.keepVersionLoaded ?? true;
  const loadOptions = options.baseModelName ? { baseModelName: options.baseModelName } : undefined;
  const steps: PromotionStep[] = [];
  const what = `${kind} of ${version.name} (${version.path}) to "${alias}" at ${client.baseUrl}`;
  const prevLabel = previous ? `${previous.name} (${previous.path})` : undefined;

  async function step<T>(action: PromotionAction, name: string, path: string | undefined, fn: () => Promise<T>, describe?: (value: T) => string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    const started = performance.now();
    const entry: PromotionStep = { action, name, ...(path !== undefined ? { path } : {}), ok: false, ms: 0 };
    steps.push(entry);
    try {
      const value = await fn();
      entry.ok = true;
      const detail = describe?.(value);
      if (detail) entry.detail = detail;
      return { ok: true, value };
    } catch (error) {
      entry.error = errorMessage(error);
      return { ok: false, error };
    } finally {
      entry.ms = Math.round(performance.now() - started);
    }
  }
  function note(action: PromotionAction, name: string, path: string | undefined, detail: string): void {
    steps.push({ action, name, ...(path !== undefined ? { path } : {}), ok: true, detail, ms: 0 });
  }
  /** An unload step that counts "not loaded" as done (and says so). */
  const unload = (name: string, why?: string) =>
    step(
      'unload',
      name,
      undefined,
      async () => {
        try {
          await client.unloadAdapter(name);
          return 'unloaded';
        } catch (err) {
          if (isNotLoadedError(err)) return 'was not loaded';
          throw err;
        }
      },
      (s) => (why ? `${s} (${why})` : s === 'unloaded' ? '' : s),
    );
  const smoke = (name: string) => step('smoke', name, undefined, () => client.smokeTest(name, options.smoke), (r) => `answered ${JSON.stringify(clip(r.text))} in ${r.latencyMs} ms`);

  // What is loaded now.
  const listed = await step('list', alias, undefined, () => client.listModels(), (models) => `loaded adapters: ${adapterNames(models) || 'none'}`);
  if (!listed.ok) {
    throw new PromotionError(`${what} failed before anything was changed: ${errorMessage(listed.error)}`, 'prepare', 'unchanged', steps, listed.error);
  }
  const loaded = new Map(listed.value.map((m) => [m.id, m]));
  for (const name of [alias, version.name, previous?.name]) {
    const m = name ? loaded.get(name) : undefined;
    if (m && m.parent === null) throw new PromotionError(`${what}: "${name}" is the name of a base model on that server`, 'prepare', 'unchanged', steps);
  }

  // (a) The versioned name, tested before production is touched.
  const stays = previous ? `production stays on ${prevLabel}` : 'production is unchanged';
  const candidateFailed = async (err: unknown, unloadIt: boolean): Promise<never> => {
    if (unloadIt) await unload(version.name);
    throw new PromotionError(`${what} failed before the alias was touched: ${errorMessage(err)}; ${stays}`, 'candidate', 'unchanged', steps, err);
  };
  const existing = loaded.get(version.name);
  if (existing && samePath(existing.root, version.path)) {
    note('load', version.name, version.path, 'already loaded from this path; kept');
  } else {
    if (existing) {
      const r = await unload(version.name, `was loaded from ${existing.root ?? 'an unknown path'}`);
      if (!r.ok) await candidateFailed(r.error, false);
    }
    const r = await step('load', version.name, version.path, () => client.loadAdapter(version.name, version.path, loadOptions));
    if (!r.ok) await candidateFailed(r.error, false);
  }
  const candidateSmoke = await smoke(version.name);
  if (!candidateSmoke.ok) await candidateFailed(candidateSmoke.error, true);

  // (b) The alias.
  const current = loaded.get(alias);
  let aliasSmoke: SmokeTestResult;
  if (current && samePath(current.root, version.path)) {
    note('load', alias, version.path, 'the alias already serves this path; not switched');
    const s = await smoke(alias);
    if (!s.ok) return switchFailed(s.error);
    aliasSmoke = s.value;
  } else {
    if (current) {
      const r = await unload(alias);
      if (!r.ok) {
        // The alias still serves what it served: leave it, drop the candidate.
        await unload(version.name);
        throw new PromotionError(`${what} failed: unloading the alias failed: ${errorMessage(r.error)}; ${stays}`, 'switch', 'unchanged', steps, r.error);
      }
    }
    const r = await step('load', alias, version.path, () => client.loadAdapter(alias, version.path, loadOptions));
    if (!r.ok) return switchFailed(r.error);
    const s = await smoke(alias);
    if (!s.ok) return switchFailed(s.error);
    aliasSmoke = s.value;
  }

  // (c) Tidy up: the superseded versioned name, and the new one unless kept.
  if (previous && previous.name !== version.name && loaded.has(previous.name)) {
    await unload(previous.name, 'superseded');
  }
  let versionLoaded = true;
  if (!keepVersionLoaded) {
    const r = await unload(version.name, 'the alias serves it');
    versionLoaded = !r.ok;
  }
  return { alias, serving: version, versionLoaded, smoke: aliasSmoke, steps };

  /** Puts the alias back on the previous version (best effort) and throws. */
  async function switchFailed(cause: unknown): Promise<never> {
    const why = errorMessage(cause);
    // What the alias served before we touched it: the previous version, else what the server listed.
    const restorePath = previous?.path ?? current?.root;
    const restoreLabel = previous ? prevLabel : current?.root ? `the adapter it served before (${current.root})` : undefined;
    let production: ProductionState;
    let outcome: string;
    // Whatever the alias holds now (a failed load may still have registered it: a timeout after the server acted).
    await unload(alias);
    if (!restorePath) {
      production = 'none';
      outcome = `there was no previous version to restore, so "${alias}" is not loaded`;
    } else {
      const r = await step('restore', alias, restorePath, () => client.loadAdapter(alias, restorePath, loadOptions), () =>
        previous && current?.root !== undefined && !samePath(current.root, previous.path) ? `note: before the switch the alias served ${current.root}, not ${previous.path}` : '',
      );
      if (!r.ok) {
        production = 'restore-failed';
        outcome = `restoring ${restoreLabel} under "${alias}" failed too (${errorMessage(r.error)}): requests for "${alias}" fail until it is loaded again`;
      } else {
        const s = await smoke(alias);
        if (s.ok) {
          production = 'restored';
          outcome = `production was restored to ${restoreLabel}`;
        } else {
          production = 'restore-failed';
          outcome = `${restoreLabel} was reloaded under "${alias}" but its smoke test failed (${errorMessage(s.error)})`;
        }
      }
    }
    // The candidate is not promoted: do not leave it loaded.
    await unload(version.name);
    throw new PromotionError(`${what} failed while switching the alias: ${why}; ${outcome}`, 'switch', production, steps, cause);
  }
}

function validate(request: PromotionRequest, options: PromotionOptions): void {
  const { alias, version, previous } = request ?? ({} as PromotionRequest);
  const named = (what: string, v: unknown) => {
    if (typeof v !== 'string' || !v) throw new RangeError(`${what} must be a non-empty string, got ${JSON.stringify(v)}`);
  };
  named('alias', alias);
  named('version.name', version?.name);
  named('version.path', version?.path);
  if (previous) {
    named('previous.name', previous.name);
    named('previous.path', previous.path);
    if (previous.name === version.name) throw new RangeError(`previous and new version have the same name "${version.name}"`);
    if (previous.name === alias) throw new RangeError(`the previous version's name must differ from the alias "${alias}"`);
  }
  if (version.name === alias) throw new RangeError(`the version's name must differ from the alias "${alias}" (e.g. ${alias}-v2)`);
  if (!options?.smoke) throw new RangeError('promotion needs smoke test options {prompt, maxTokens}');
}

/** Paths as servers report them: vLLM echoes lora_path, retort serve resolves it. */
function samePath(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const norm = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  return norm(a) === norm(b);
}

function adapterNames(models: ServedModel[]): string {
  return models
    .filter((m) => m.parent !== null)
    .map((m) => m.id)
    .join(', ');
}

function clip(s: string, max = 200): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
