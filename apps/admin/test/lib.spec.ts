import { blankMarker } from '../src/lib/blank';
import { requiredRole, roleCan } from '../src/lib/access';
import { formatBytes, shortSha } from '../src/lib/format';
import { fieldErrorMap, problemErrors, problemMessage } from '../src/lib/problem';
import { datasetIsProcessing, pollListWhileProcessing, pollWhileProcessing, POLL_MS } from '../src/datasets/polling';
import type { Dataset, DatasetVersion } from '../src/datasets/types';

describe('admin access rules', () => {
  it('lets viewers read, operators create and upload, admins promote and manage', () => {
    expect(roleCan('viewer', 'list', 'datasets')).toBe(true);
    expect(roleCan('viewer', 'show', 'datasets')).toBe(true);
    expect(roleCan('viewer', 'create', 'datasets')).toBe(false);
    expect(roleCan('viewer', 'upload', 'datasets')).toBe(false);
    expect(roleCan('operator', 'create', 'datasets')).toBe(true);
    expect(roleCan('operator', 'upload', 'datasets')).toBe(true);
    expect(roleCan('operator', 'delete', 'datasets')).toBe(false);
    expect(roleCan('operator', 'promote', 'adapters')).toBe(false);
    expect(roleCan('admin', 'promote', 'adapters')).toBe(true);
    expect(requiredRole('list', 'tokens')).toBe('admin');
    expect(roleCan(undefined, 'list', 'datasets')).toBe(false);
  });
});

describe('problem details', () => {
  const problem = {
    type: 'https://retort.dev/problems/validation',
    title: 'Validation failed',
    status: 400,
    detail: 'the request body is invalid',
    errors: [
      { path: 'name', message: 'too long' },
      { path: '/description', message: 'not a string' },
      { path: '', message: 'whole body' },
    ],
  };
  it('reads detail and errors, falling back on anything else', () => {
    expect(problemMessage(problem, 'Bad Request')).toBe('the request body is invalid');
    expect(problemMessage({ message: 'x' }, 'Bad Request')).toBe('Bad Request');
    expect(problemMessage(null, 'Bad Gateway')).toBe('Bad Gateway');
    expect(problemErrors(problem)).toHaveLength(3);
    expect(problemErrors('nope')).toEqual([]);
  });
  it('maps field errors onto form inputs', () => {
    expect(fieldErrorMap(problem.errors)).toEqual({ name: 'too long', description: 'not a string' });
  });
});

describe('formatting', () => {
  it('formats sizes and digests', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(40 * 1024 * 1024)).toBe('40 MB');
    expect(formatBytes(null)).toBe('');
    expect(shortSha('35cc34c6bb1e0123456789')).toBe('35cc34c6bb1e');
  });
});

describe('polling', () => {
  const v = (status: DatasetVersion['status']) => ({ status }) as DatasetVersion;
  const ds = (latest: DatasetVersion | null, versions?: DatasetVersion[]) => ({ latestVersion: latest, versions }) as Dataset;
  it('polls every 2 s while a version is processing, and stops after', () => {
    expect(datasetIsProcessing(ds(v('processing')))).toBe(true);
    expect(datasetIsProcessing(ds(v('ready'), [v('ready'), v('processing')]))).toBe(true);
    expect(pollWhileProcessing({ state: { data: ds(v('ready'), [v('ready'), v('failed')]) } })).toBe(false);
    expect(pollWhileProcessing({ state: { data: ds(v('processing')) } })).toBe(POLL_MS);
    expect(pollListWhileProcessing({ state: { data: { data: [ds(null), ds(v('processing'))] } } })).toBe(POLL_MS);
    expect(pollListWhileProcessing({ state: { data: undefined } })).toBe(false);
    expect(POLL_MS).toBe(2000);
  });
});

describe('blank answers', () => {
  it('marks empty and whitespace-only texts and leaves readable ones alone', () => {
    expect(blankMarker('')).toBe('(empty answer)');
    expect(blankMarker(undefined)).toBe('(empty answer)');
    expect(blankMarker('\n'.repeat(64))).toBe('(blank: ⏎ ×64)');
    expect(blankMarker(' \n \t')).toBe('(blank: ⏎ ×1, ␣ ×2, ⇥ ×1)');
    expect(blankMarker('\u00a0')).toBe('(blank: other whitespace ×1)');
    expect(blankMarker('\n ok \n')).toBeNull();
  });
});
