// Errors across the thread boundary: a bind error of the data-plane thread reaches startCluster
// and the CLI with the message, code and flag it has on the main thread.
import type { ErrorData } from './protocol.js';

export function errorData(e: unknown): ErrorData {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), props: {} };
  const props: ErrorData['props'] = {};
  for (const [k, v] of Object.entries(e)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') props[k] = v;
  }
  return { name: e.name, message: e.message, stack: e.stack, props };
}

export function errorFromData(d: ErrorData): Error {
  const e = new Error(d.message);
  if (d.name !== 'Error') Object.defineProperty(e, 'name', { value: d.name, configurable: true, writable: true });
  if (d.stack) e.stack = d.stack;
  return Object.assign(e, d.props);
}
