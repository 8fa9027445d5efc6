// agnhost pause: prints "Paused" and waits for SIGINT or SIGTERM; then, after --delay-shutdown
// seconds, prints "exiting N" and exits with N: 1 for SIGINT, 2 for SIGTERM, as upstream's does
// (a deleted agnhost Pod's container so ends with exit code 2, as on a real node).
import { intFlag } from './flags.js';
import type { AgnhostRuntime, StopSignal } from './runtime.js';

export const PAUSE_FLAGS = {
  'delay-shutdown': intFlag(0, 'Number of seconds to delay shutdown when receiving SIGTERM/SIGINT.'),
};

const EXIT_CODE: Record<StopSignal, number> = { SIGINT: 1, SIGTERM: 2 };

/** Resolves with the exit code once it has called rt.exit with it. */
export function pause(delaySeconds: number, rt: AgnhostRuntime): Promise<number> {
  return new Promise((resolve) => {
    // Signal listeners do not keep Node running; this does, until the exit (upstream blocks on a channel).
    const hold = setInterval(() => undefined, 2 ** 31 - 1);
    let caught = false;
    const on = (signal: StopSignal) => () => {
      // Later signals are caught too, and change nothing.
      if (caught) return;
      caught = true;
      const code = EXIT_CODE[signal];
      const exit = () => {
        rt.stdout(`exiting ${code}\n`);
        rt.exit(code);
        clearInterval(hold);
        for (const [s, l] of listeners) rt.signals.off(s, l);
        resolve(code);
      };
      if (delaySeconds <= 0) return exit();
      rt.stdout(`Sleeping ${delaySeconds} seconds before exit ...`);
      setTimeout(exit, delaySeconds * 1000);
    };
    const listeners: [StopSignal, () => void][] = [
      ['SIGINT', on('SIGINT')],
      ['SIGTERM', on('SIGTERM')],
    ];
    for (const [s, l] of listeners) rt.signals.on(s, l);
    // Said once the signals are caught: whoever waits for it may stop the process at once (a
    // pipe write is synchronous, so a reader can act before the next line here would run).
    rt.stdout('Paused\n');
  });
}
