// Polls an async check until it yields a value (anything but undefined or false).
export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 10_000, every = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, every));
  }
}
