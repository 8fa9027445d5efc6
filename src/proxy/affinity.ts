// Spreading and session affinity. New connections (and UDP flows) go to a backend picked at
// random, as iptables' `statistic --mode random` chains do; the rest of the list follows in
// order so a refused connection can move on to the next. sessionAffinity: ClientIP keeps a client
// address on the backend it last used for timeoutSeconds after that use (iptables `recent`:
// every new connection through the backend refreshes the entry).
import type { Endpoint } from './endpoints.js';

/** upstream DefaultClientIPServiceAffinitySeconds: 3 hours. */
export const DEFAULT_AFFINITY_SECONDS = 10_800;

export interface Affinity {
  timeoutMs: number;
  /** client address → backend key and when the entry lapses. */
  entries: Map<string, { backend: string; expires: number }>;
}

export function newAffinity(timeoutSeconds: number | undefined): Affinity {
  return { timeoutMs: (timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) * 1000, entries: new Map() };
}

/** The backend key the client is stuck to, if the entry is still live. */
export function stickyBackend(a: Affinity, client: string, now: number): string | undefined {
  const e = a.entries.get(client);
  if (!e) return undefined;
  if (e.expires <= now) {
    a.entries.delete(client);
    return undefined;
  }
  return e.backend;
}

/** Records (or refreshes) the client's backend after a successful connection. */
export function remember(a: Affinity, client: string, backend: string, now: number): void {
  a.entries.set(client, { backend, expires: now + a.timeoutMs });
}

/** Drops lapsed entries (memory only: lookups already ignore them). */
export function sweepAffinity(a: Affinity, now: number): void {
  for (const [k, e] of a.entries) if (e.expires <= now) a.entries.delete(k);
}

/**
 * The order to try backends in: the sticky one if it is still a backend, else a random one, then
 * the others after it in list order.
 */
export function backendOrder(backends: readonly Endpoint[], sticky?: string, random: () => number = Math.random): Endpoint[] {
  const n = backends.length;
  if (n === 0) return [];
  let first = sticky === undefined ? -1 : backends.findIndex((b) => b.key === sticky);
  if (first < 0) first = Math.floor(random() * n) % n;
  if (n === 1) return [backends[0]!];
  const out: Endpoint[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = backends[(first + i) % n]!;
  return out;
}
