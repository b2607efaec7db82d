import { useEffect, useRef, useState } from 'react';
import { useDataProvider } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import { RUN_POLL_MS } from './metrics';
import type { RunEvent } from './types';

/**
 * A run's events, read with `GET /runs/:id/events?after=<last id>` every RUN_POLL_MS while
 * `active`, and once more when it stops being active (to pick up the last steps). Polling rather
 * than the SSE stream: EventSource cannot send the bearer header.
 */
export function useRunEvents(runId: string | undefined, active: boolean): { events: RunEvent[]; error: Error | null } {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<Error | null>(null);
  const after = useRef('0');
  const forRun = useRef(runId);

  useEffect(() => {
    if (!runId) return;
    if (forRun.current !== runId) {
      forRun.current = runId;
      after.current = '0';
      setEvents([]);
    }
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        for (;;) {
          const { data } = await dataProvider.getRunEvents(runId, after.current);
          if (stopped) return;
          if (data.length) {
            after.current = data[data.length - 1].id;
            setEvents((prev) => [...prev, ...data]);
          }
          setError(null);
          if (data.length < 1000) break; // the API's page size: more may be waiting
        }
      } catch (e) {
        if (!stopped) setError(e instanceof Error ? e : new Error(String(e)));
      }
      if (!stopped && active) timer = setTimeout(tick, RUN_POLL_MS);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, [runId, active, dataProvider]);

  return { events, error };
}
