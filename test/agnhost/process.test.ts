// `tinykube agnhost` as a container runs it: the built CLI (dist/cli.js) as a process, real
// signals and exit codes.
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';

describe('tinykube agnhost (process)', () => {
  it('pause keeps running until SIGTERM, then prints "exiting 2" and exits 2', async () => {
    const run = runCli(['agnhost', 'pause']);
    await until(() => run.stdout() === 'Paused\n', { what: '"Paused"' });
    run.proc.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 2, signal: null });
    expect(run.stdout()).toBe('Paused\nexiting 2\n');
  });

  it('an upstream subcommand that is not built in exits 1 and says so', async () => {
    const run = runCli(['agnhost', 'liveness']);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe(
      "tinykube's built-in agnhost does not implement liveness; supported: netexec, pause, porter, serve-hostname\n",
    );
  });
});
