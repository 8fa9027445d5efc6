// Logging from the data-plane thread: each record goes to the main thread, which writes it with
// the logger the component was started with (its bindings, level and destination, as when the
// component ran on the main thread). Records below the main logger's level are not sent at all,
// so a quiet cluster (the default) posts nothing per query.
import type { ComponentLog, LogFn } from '../base/log.js';
import { errorData, errorFromData } from './errors.js';
import type { LevelName, LogRecord } from './protocol.js';

/** pino's level numbers. */
export const LEVELS: Record<LevelName, number> = { debug: 20, info: 30, warn: 40, error: 50 };

const ERROR_MARK = '__tinykubeError';

/** A logger (ComponentLog, the DNS server's and the proxy's) that posts records of `channel` at or above `minLevel`. */
export function relayLog(post: (r: LogRecord) => void, channel: string, minLevel: number): ComponentLog {
  const fn =
    (level: LevelName): LogFn =>
    (a: object | string, msg?: string) => {
      if (LEVELS[level] < minLevel) return;
      if (typeof a === 'string') return post({ channel, level, msg: a });
      const obj: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(a)) obj[k] = v instanceof Error ? { [ERROR_MARK]: errorData(v) } : v;
      try {
        post({ channel, level, obj, msg });
      } catch {
        // A value structured clone refuses (a function, a socket): its JSON form instead.
        post({ channel, level, obj: JSON.parse(JSON.stringify(obj)) as Record<string, unknown>, msg });
      }
    };
  return { debug: fn('debug'), info: fn('info'), warn: fn('warn'), error: fn('error') };
}

/** Writes a relayed record with `log` (Errors rebuilt, so pino's err serializer prints them as usual). */
export function replayLog(log: ComponentLog, r: LogRecord): void {
  if (!r.obj) return log[r.level](r.msg ?? '');
  const obj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r.obj)) {
    const e = v && typeof v === 'object' ? (v as Record<string, unknown>)[ERROR_MARK] : undefined;
    obj[k] = e ? errorFromData(e as Parameters<typeof errorFromData>[0]) : v;
  }
  log[r.level](obj, r.msg);
}
