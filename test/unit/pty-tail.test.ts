// The last output of a process on a terminal survives node-pty's 200 ms limit after exit
// (src/kubelet/process.ts keepOutputTail). Reading from the socket is stopped here so that node-pty's timer, not a
// read, is what meets the output, as on a host too busy to read in time.
import { describe, expect, it } from 'vitest';
import { keepOutputTail, loadTerminals, spawnProcess } from '../../src/kubelet/process.js';

type Pty = typeof import('node-pty');

async function runPaused(withFix: boolean): Promise<string> {
  const m = (await import('node-pty')) as Pty & { default?: Pty };
  const pty = m.default ?? m;
  const term = pty.spawn('/bin/sh', ['-c', 'sleep 0.1; echo one; echo two; echo three'], {
    cols: 80,
    rows: 24,
    cwd: '/',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const chunks: Buffer[] = [];
  term.onData((d) => chunks.push(Buffer.from(d)));
  if (withFix) keepOutputTail(term, (b) => chunks.push(b));
  // Stop reading in libuv once onData has started it (on the next tick), before the output comes
  // (pause() alone would still read into the stream's buffer).
  await new Promise((r) => setImmediate(r));
  (term as unknown as { _socket: { _handle: { readStop(): number } } })._socket._handle.readStop();
  await new Promise((r) => term.onExit(r));
  return Buffer.concat(chunks).toString();
}

describe('terminal output at exit', () => {
  it('is read before node-pty gives up on its socket', async () => {
    expect(await runPaused(true)).toBe('one\r\ntwo\r\nthree\r\n');
  });

  it('is lost without it (what the fix is for)', async () => {
    expect(await runPaused(false)).toBe('');
  });

  it('reaches the handle of a terminal process before its close', async () => {
    await loadTerminals();
    const h = spawnProcess(['/bin/sh', '-c', 'tty; echo pty-ok'], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdin: false,
      tty: { width: 80, height: 24 },
    });
    let out = '';
    h.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((r) => h.once('close', r));
    expect(code).toBe(0);
    expect(out).toMatch(/^\/dev\/pts\/\d+\r\npty-ok\r\n$/);
  });
});
