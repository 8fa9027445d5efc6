// The one structured logger (pino). Quiet by default (warnings and errors only); --verbose logs
// debug. Written synchronously to stderr: no transports or worker threads, so the code bundles into
// a single file and the last lines before an exit are never lost.
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

/**
 * What the DNS server and the service proxy log through: a pino Logger on the main thread, or on
 * the data-plane thread a relay that hands each record to the main thread's logger
 * (src/dataplane/log-relay.ts). Only the four levels they write, so that both fit.
 */
export interface ComponentLog {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export function createLogger(o: { verbose: boolean; name: string }): Logger {
  return pino({ name: o.name, level: o.verbose ? 'debug' : 'warn', base: { name: o.name } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (library users who pass none and tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
