import { QueryClient } from '@tanstack/react-query';

/** 4xx answers will not change on a retry (401 must sign out at once, not after 7 s of backoff). */
function shouldRetry(failureCount: number, error: unknown): boolean {
  const status = (error as { status?: number } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) return false;
  return failureCount < 2;
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: shouldRetry, refetchOnWindowFocus: true },
  },
});
