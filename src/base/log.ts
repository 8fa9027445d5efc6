// The one structured logger (pino). Quiet by default (warnings and errors only); --verbose logs
// debug. Written synchronously to stderr: no transports or worker threads, so the code bundles into
// a single file and the last lines before an exit are never lost.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(o: { verbose: boolean; name: string }): Logger {
  return pino({ name: o.name, level: o.verbose ? 'debug' : 'warn', base: { name: o.name } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (library users who pass none and tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
