// kubeconfig files: a standalone one (`--kubeconfig PATH`, the library) and merging a context into
// the user's kubeconfig the way kind does: keep every other entry, replace ours, switch
// current-context, write atomically under a lock so concurrent starts do not clobber each other.
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../base/files.js';

// The YAML library (0.25 MB of code) is loaded only to read and merge a user's kubeconfig; the
// standalone one every start writes is of a fixed shape, written here directly.
type YAMLLib = Pick<typeof import('yaml'), 'parse' | 'stringify'>;
let yamlLib: Promise<YAMLLib> | undefined;
// yaml is CommonJS: a dynamic import gives its exports as `default` (named ones only where the
// loader could detect them, which a bundle cannot rely on).
const loadYAML = () => (yamlLib ??= import('yaml').then((m) => ((m as { default?: YAMLLib }).default ?? m) as YAMLLib));

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

/** The same document as YAML.stringify would write for these entries, without loading it. */
export function buildKubeconfig(e: KubeconfigEntry): string {
  const x = entries(e);
  const q = yamlScalar;
  return [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'clusters:',
    `  - name: ${q(x.cluster.name)}`,
    '    cluster:',
    `      server: ${q(x.cluster.cluster.server)}`,
    `      certificate-authority-data: ${q(x.cluster.cluster['certificate-authority-data'])}`,
    'users:',
    `  - name: ${q(x.user.name)}`,
    '    user:',
    `      token: ${q(x.user.user.token)}`,
    'contexts:',
    `  - name: ${q(x.context.name)}`,
    '    context:',
    `      cluster: ${q(x.context.context.cluster)}`,
    `      user: ${q(x.context.context.user)}`,
    `current-context: ${q(e.name)}`,
    '',
  ].join('\n');
}

/**
 * A standalone kubeconfig for a user with a client certificate (envtest's AddUser, `tinykube
 * add-user`): its own context `USER@CLUSTER`, the cluster's CA, the certificate and key inline.
 */
export function buildUserKubeconfig(e: {
  name: string;
  server: string;
  caPem: string;
  user: string;
  certPem: string;
  keyPem: string;
}): string {
  const q = yamlScalar;
  const b64 = (s: string) => q(Buffer.from(s).toString('base64'));
  const ctx = `${e.user}@${e.name}`;
  return [
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    'clusters:',
    `  - name: ${q(e.name)}`,
    '    cluster:',
    `      server: ${q(e.server)}`,
    `      certificate-authority-data: ${b64(e.caPem)}`,
    'users:',
    `  - name: ${q(ctx)}`,
    '    user:',
    `      client-certificate-data: ${b64(e.certPem)}`,
    `      client-key-data: ${b64(e.keyPem)}`,
    'contexts:',
    `  - name: ${q(ctx)}`,
    '    context:',
    `      cluster: ${q(e.name)}`,
    `      user: ${q(ctx)}`,
    `current-context: ${q(ctx)}`,
    '',
  ].join('\n');
}

/**
 * A string as a YAML scalar: plain when it cannot be read as anything but that string (YAML 1.1
 * or 1.2: no number, boolean, null or timestamp, no indicator), else double-quoted (a JSON string
 * is a valid YAML double-quoted scalar).
 */
export function yamlScalar(v: string): string {
  const plain = /^[A-Za-z_/][A-Za-z0-9_./:+=-]*$/.test(v) && !/^(y|yes|n|no|true|false|on|off|null)$/i.test(v) && !/:$/.test(v);
  return plain ? v : JSON.stringify(v);
}

/** Atomic write (base/files.ts), mode 0600: it holds a token. Its directory is made if missing (0755, as kubectl). */
export function writeKubeconfig(path: string, yaml: string): void {
  writeFileAtomic(path, yaml, { mode: 0o600, dirMode: 0o755 });
}

function upsert(list: unknown, item: Named<unknown>): Named<unknown>[] {
  const arr = Array.isArray(list) ? (list as Named<unknown>[]).filter((x) => x && x.name !== item.name) : [];
  arr.push(item);
  return arr;
}

export async function mergeKubeconfig(path: string, e: KubeconfigEntry): Promise<void> {
  const YAML = await loadYAML();
  await withLock(path, () => {
    const doc = readDoc(YAML, path);
    const x = entries(e);
    doc.clusters = upsert(doc.clusters, x.cluster);
    doc.users = upsert(doc.users, x.user);
    doc.contexts = upsert(doc.contexts, x.context);
    doc['current-context'] = e.name;
    writeKubeconfig(path, YAML.stringify(doc));
  });
}

/**
 * Removes our entries again (and current-context if it was ours); with `server`, only while our
 * cluster entry still points at that server. Says whether there was anything to remove (when not,
 * the file is left untouched).
 */
export async function removeFromKubeconfig(path: string, name: string, server?: string): Promise<boolean> {
  const YAML = await loadYAML();
  let removed = false;
  await withLock(path, () => {
    const doc = readDoc(YAML, path);
    if (server !== undefined) {
      const ours = Array.isArray(doc.clusters) ? (doc.clusters as Named<unknown>[]).find((x) => x?.name === name) : undefined;
      if ((ours?.cluster as { server?: unknown } | undefined)?.server !== server) return;
    }
    for (const k of ['clusters', 'users', 'contexts'] as const) {
      if (!Array.isArray(doc[k])) continue;
      const kept = (doc[k] as Named<unknown>[]).filter((x) => x?.name !== name);
      if (kept.length !== (doc[k] as unknown[]).length) removed = true;
      doc[k] = kept;
    }
    if (doc['current-context'] === name) {
      doc['current-context'] = '';
      removed = true;
    }
    if (removed) writeKubeconfig(path, YAML.stringify(doc));
  });
  return removed;
}

function readDoc(YAML: YAMLLib, path: string): Record<string, unknown> {
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
