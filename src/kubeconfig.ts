// kubeconfig files: a standalone one (`--kubeconfig PATH`, the library) and merging a context into
// the user's kubeconfig the way kind does: keep every other entry, replace ours, switch
// current-context, write atomically under a lock so concurrent starts do not clobber each other.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import YAML from 'yaml';

export interface KubeconfigEntry {
  name: string;
  server: string;
  caPem: string;
  token: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  value?: T;
}

function entries(e: KubeconfigEntry) {
  return {
    cluster: { name: e.name, cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caPem).toString('base64') } },
    user: { name: e.name, user: { token: e.token } },
    context: { name: e.name, context: { cluster: e.name, user: e.name } },
  };
}

export function buildKubeconfig(e: KubeconfigEntry): string {
  const x = entries(e);
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [x.cluster],
    users: [x.user],
    contexts: [x.context],
    'current-context': e.name,
  });
}

/** Atomic write: temp file in the same directory, then rename (mode 0600: it holds a token). */
export function writeKubeconfig(path: string, yaml: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, yaml, { mode: 0o600 });
  renameSync(tmp, path);
}

function upsert(list: unknown, item: Named<unknown>): Named<unknown>[] {
  const arr = Array.isArray(list) ? (list as Named<unknown>[]).filter((x) => x && x.name !== item.name) : [];
  arr.push(item);
  return arr;
}

export async function mergeKubeconfig(path: string, e: KubeconfigEntry): Promise<void> {
  await withLock(path, () => {
    const doc = readDoc(path);
    const x = entries(e);
    doc.clusters = upsert(doc.clusters, x.cluster);
    doc.users = upsert(doc.users, x.user);
    doc.contexts = upsert(doc.contexts, x.context);
    doc['current-context'] = e.name;
    writeKubeconfig(path, YAML.stringify(doc));
  });
}

/** Removes our entries again (and current-context if it was ours). */
export async function removeFromKubeconfig(path: string, name: string): Promise<void> {
  await withLock(path, () => {
    const doc = readDoc(path);
    for (const k of ['clusters', 'users', 'contexts'] as const) {
      if (Array.isArray(doc[k])) doc[k] = (doc[k] as Named<unknown>[]).filter((x) => x?.name !== name);
    }
    if (doc['current-context'] === name) doc['current-context'] = '';
    writeKubeconfig(path, YAML.stringify(doc));
  });
}

function readDoc(path: string): Record<string, unknown> {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const doc = (text.trim() ? YAML.parse(text) : null) as Record<string, unknown> | null;
  if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) throw new Error(`${path} is not a kubeconfig (not a YAML mapping)`);
  return doc ?? { apiVersion: 'v1', kind: 'Config', preferences: {}, clusters: [], users: [], contexts: [], 'current-context': '' };
}

/** `<path>.lock` created with O_EXCL; a lock older than 10 s is stale (its owner died). */
async function withLock(path: string, fn: () => void): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = `${path}.lock`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10_000) unlinkSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the kubeconfig lock ${lock}`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }
  try {
    fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already removed */
    }
  }
}
