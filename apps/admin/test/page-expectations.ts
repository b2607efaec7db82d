/**
 * Waiting expectations for the browser tests. Kept apart from browser.ts: they use the api's test
 * harness, which the console's own typecheck (apps/admin/tsconfig.json) leaves out like the e2e specs.
 */
import type { Locator } from 'playwright-core';
import { waitFor } from '../../api/test/harness';

/** Waits until the locator matches n elements; the error says how many it last matched. */
export async function expectCount(locator: Locator, n: number, timeout = 15000): Promise<void> {
  await waitFor(async () => (await locator.count()) === n, timeout, `${n} elements`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${await locator.count()})`);
  });
}

/** Waits until the locator's text matches; the error shows the last text. */
export async function expectText(locator: Locator, pattern: RegExp, timeout = 15000): Promise<void> {
  await waitFor(async () => pattern.test(await locator.innerText().catch(() => '')), timeout, `text ${pattern}`).catch(async (e) => {
    throw new Error(`${e.message} (last: ${JSON.stringify(await locator.innerText().catch(() => ''))})`);
  });
}
