import { loadConfig } from '../src';

describe('the default queue prefix', () => {
  const prefixOf = (env: Record<string, string>) => loadConfig(env).queuePrefix;

  it('on the embedded database comes from the home: two installations on one Redis get different prefixes, the same home the same', () => {
    const a = prefixOf({ RETORT_HOME: '/srv/team-a/.retort' });
    expect(a).toMatch(/^retort-[0-9a-f]{8}$/);
    expect(prefixOf({ RETORT_HOME: '/srv/team-b/.retort' })).not.toBe(a);
    expect(prefixOf({ RETORT_HOME: '/srv/team-a/.retort' })).toBe(a);
  });

  it('with DATABASE_URL is the plain `retort` whatever the home (processes sharing a database share their queues), and RETORT_QUEUE_PREFIX wins over both', () => {
    const db = 'postgres://u:p@db:5432/retort';
    expect(prefixOf({ DATABASE_URL: db, RETORT_HOME: '/home/one' })).toBe('retort');
    expect(prefixOf({ DATABASE_URL: db, RETORT_HOME: '/home/two' })).toBe('retort');
    expect(prefixOf({ RETORT_QUEUE_PREFIX: 'mine', RETORT_HOME: '/srv/team-a/.retort' })).toBe('mine');
    expect(prefixOf({ RETORT_QUEUE_PREFIX: 'mine', DATABASE_URL: db })).toBe('mine');
  });
});
