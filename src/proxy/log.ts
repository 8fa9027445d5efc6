// What the proxy logs through: a pino Logger on the main thread, or on the data-plane thread a
// relay that hands each record to the main thread's logger (src/dataplane/log-relay.ts). Only the
// four levels the proxy writes, so that both fit.
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface ProxyLog {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}
