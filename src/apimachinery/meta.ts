// Small helpers on object metadata shared by the registry, controllers and printers.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from './types.js';

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newUID(): string {
  return randomUUID();
}

// Upstream's generateName suffix alphabet (k8s.io/apimachinery/pkg/util/rand): no vowels, no
// confusable characters, so generated names never spell words.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

/** upstream maxGeneratedNameLength = 63 - 5: the prefix is cut so prefix + suffix fits a label. */
export function generateName(prefix: string): string {
  const max = 63 - 5;
  return (prefix.length > max ? prefix.slice(0, max) : prefix) + randomSuffix();
}

/**
 * Structural equality of JSON values; a key whose value is undefined counts as absent. Walks
 * with for-in and a key count instead of Object.keys arrays: it runs on whole objects for every
 * write (no-op detection, managed fields), and allocating nothing makes it ~5× faster.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    n++;
    if (!deepEqual(v, y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Everything but metadata and status: what a `generation` bump tracks. */
export function specPart(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

export function objKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}
