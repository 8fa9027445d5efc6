// The one way the tests wait: poll a condition until it holds, never a fixed sleep. A timeout says
// how long it waited and for what (`what`, else the check's own source text), and its stack
// points at the test that waited.

export interface WaitOptions {
  /** ms before giving up; 10 s by default. */
  timeout?: number;
  /** ms between two checks; 25 by default. */
  every?: number;
  /** What is awaited, for the timeout message (`the banner`); the check's source text by default. */
  what?: string;
}

/** What a check returns while its condition does not hold yet: anything falsy. */
type NotYet = undefined | null | false | 0 | '';

/**
 * Calls `check` (sync or async) until it returns a truthy value, and returns that value (a
 * boolean check gives `true`; `() => find(...)` the thing found). A check that throws ends the
 * wait with its error. `opts` is the timeout in ms, or WaitOptions.
 */
export async function until<T>(check: () => T | PromiseLike<T>, opts: number | WaitOptions = {}): Promise<Exclude<T, NotYet>> {
  const { timeout = 10_000, every = 25, what } = typeof opts === 'number' ? { timeout: opts } : opts;
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, NotYet>;
    if (Date.now() - start >= timeout) throw new Error(`until: timed out after ${timeout} ms waiting for ${what ?? describe(check)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The check's source on one line, shortened: `() => seen.includes('add:inf')`. */
function describe(check: () => unknown): string {
  const src = String(check).replace(/\s+/g, ' ').trim();
  return src.length > 160 ? `${src.slice(0, 157)}...` : src;
}

/**
 * `until` for an assertion: waits until `assertion` stops throwing (expect(...) inside it), and on
 * timeout fails with the assertion's own last error, which shows what was expected and found.
 */
export async function untilPasses(assertion: () => unknown, opts: number | WaitOptions = {}): Promise<void> {
  let last: unknown;
  try {
    await until(async () => {
      try {
        await assertion();
        return true;
      } catch (e) {
        last = e;
        return false;
      }
    }, opts);
  } catch (timeout) {
    throw last ?? timeout;
  }
}
