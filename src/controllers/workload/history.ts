// Revision history of a workload controller (upstream pkg/controller/history/controller_history.go),
// shared by the StatefulSet and DaemonSet controllers: a ControllerRevision is an immutable
// snapshot (`data`) of what the parent stamped its Pods from, named `<parent>-<hash>` and numbered
// by `revision`. Rolling back makes an old snapshot current again by renumbering it.
//
// The API:
// - `goJSON(v)`: the bytes Go's encoding/json writes for a JSON value decoded into maps (keys
//   sorted, `<` `>` `&` escaped); `canonicalData(v)` the same value with its keys in that order.
// - `computeHash(v, collisionCount)`: FNV-32 of goJSON(v) (+ the collision count), safe-encoded.
// - `hashControllerRevision(data, collisionCount)`, `controllerRevisionName(prefix, hash)`,
//   `newRevision(parent, data, revision, collisionCount, templateLabels)` (upstream
//   HashControllerRevision, ControllerRevisionName, NewControllerRevision).
// - `equalRevision`, `findEqualRevisions`, `sortRevisions`, `maxRevision`, `nextRevision`.
// - `createRevision` (name collisions bump the collision count), `updateRevisionNumber`,
//   `ownedRevisions` (adopt/release by selector through controller-ref claim).
import type { RawExtension } from '../../api/generated/runtime.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { StatusError } from '../../apimachinery/errors.js';
import type { Registry } from '../../registry/generic-store.js';
import type { ResourceDef } from '../../registry/types.js';
import type { ControllerRevisionObj } from '../../registry/apps/controllerrevision.js';
import { claim, controllerOf, controllerRef } from './controller-ref.js';

export type { ControllerRevisionObj };

/** upstream history.ControllerRevisionHashLabel: the hash of a revision's data (StatefulSets). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** upstream apps.ControllerRevisionHashLabelKey / DefaultDaemonSetUniqueLabelKey: on Pods and DaemonSet revisions. */
export const POD_REVISION_LABEL = 'controller-revision-hash';

const isPlain = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The value with every object's keys sorted (the order Go's encoding/json writes a map in). */
export function canonicalData<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => canonicalData(x)) as T;
  if (isPlain(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = canonicalData(v[k]);
    return out as T;
  }
  return v;
}

const HTML_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** Go's json.Marshal of a value decoded into map[string]interface{}: sorted keys, HTML-safe. */
export function goJSON(v: unknown): string {
  return JSON.stringify(canonicalData(v) ?? null).replace(/[<>&\u2028\u2029]/g, (c) => HTML_ESCAPES[c]!);
}

/** FNV-1 32-bit (Go's hash/fnv New32) of a string's UTF-8 bytes. */
export function fnv32(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ b) >>> 0;
  }
  return h >>> 0;
}

const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
/** upstream rand.SafeEncodeString: each character mapped into an alphabet without vowels. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHANUMS[ch.codePointAt(0)! % SAFE_ALPHANUMS.length];
  return out;
}

/**
 * A stable, safe-encoded hash of a JSON value and an optional collision count (the decimal count
 * is hashed after the value, as upstream's probe): FNV-32 of goJSON(value), printed in decimal.
 * Used for revision names and `controller-revision-hash` labels.
 */
export function computeHash(value: unknown, collisionCount?: number | null): string {
  let s = goJSON(value);
  if (collisionCount !== undefined && collisionCount !== null) s += String(collisionCount);
  return safeEncodeString(String(fnv32(s)));
}

/** upstream HashControllerRevision: the hash of a revision's data and the collision count. */
export const hashControllerRevision = (data: RawExtension | undefined, collisionCount?: number | null): string =>
  computeHash(data ?? {}, collisionCount);

/** upstream ControllerRevisionName: `<prefix>-<hash>`, the prefix cut to 223 characters. */
export const controllerRevisionName = (prefix: string, hash: string): string => `${prefix.slice(0, 223)}-${hash}`;

/**
 * upstream NewControllerRevision: a revision of `parent` (its controller reference, the
 * template's labels plus the hash label) holding `data` (stored with its keys in Go's order, so
 * what clients read back is the bytes that were hashed).
 */
export function newRevision(
  parent: KubeObject,
  data: RawExtension,
  revision: number,
  collisionCount?: number | null,
  templateLabels?: Record<string, string> | null,
): ControllerRevisionObj {
  const d = canonicalData(data);
  const hash = hashControllerRevision(d, collisionCount);
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: controllerRevisionName(parent.metadata.name!, hash),
      namespace: parent.metadata.namespace,
      labels: { ...(templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(parent)],
    },
    data: d,
    revision,
  };
}

/** upstream EqualRevision: same hash label (when both have one) and the same data. */
export function equalRevision(a: ControllerRevisionObj | undefined, b: ControllerRevisionObj | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = a.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  const hb = b.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return goJSON(a.data ?? null) === goJSON(b.data ?? null);
}

/** upstream FindEqualRevisions, in the order given. */
export const findEqualRevisions = (revisions: readonly ControllerRevisionObj[], needle: ControllerRevisionObj): ControllerRevisionObj[] =>
  revisions.filter((r) => equalRevision(r, needle));

/** upstream SortControllerRevisions (a sorted copy): by revision, then creation time, then name. */
export function sortRevisions(revisions: readonly ControllerRevisionObj[]): ControllerRevisionObj[] {
  return [...revisions].sort((a, b) => {
    if (a.revision !== b.revision) return (a.revision ?? 0) - (b.revision ?? 0);
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : (a.metadata.name ?? '') > (b.metadata.name ?? '') ? 1 : 0;
  });
}

/** The highest revision number (0 for none; upstream maxRevision). */
export const maxRevision = (revisions: readonly ControllerRevisionObj[]): number =>
  revisions.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);

/** The number a new revision gets: one past the highest (upstream nextRevision). */
export const nextRevision = (revisions: readonly ControllerRevisionObj[]): number => maxRevision(revisions) + 1;

const FIELD_MANAGER = 'kube-controller-manager';

/**
 * upstream CreateControllerRevision: creates `revision` as a revision of `parent`, named by the
 * hash of its data and the collision count. When that name is taken by a revision with the same
 * data, that revision is the answer; taken by different data, the collision count goes up and
 * the name is computed again. Returns the stored revision and the collision count used (the
 * caller persists a raised count in its status.collisionCount).
 */
export function createRevision(
  registry: Registry,
  def: ResourceDef,
  parent: KubeObject,
  revision: ControllerRevisionObj,
  collisionCount: number,
): { revision: ControllerRevisionObj; collisionCount: number } {
  const ns = parent.metadata.namespace ?? '';
  let count = collisionCount;
  for (let attempt = 0; attempt < 100; attempt++) {
    const body: ControllerRevisionObj = structuredClone(revision);
    const hash = hashControllerRevision(body.data, count);
    body.metadata.name = controllerRevisionName(parent.metadata.name!, hash);
    body.metadata.namespace = ns;
    if (body.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== undefined) body.metadata.labels[CONTROLLER_REVISION_HASH_LABEL] = hash;
    try {
      const res = registry.create(def, ns, body, { fieldManager: FIELD_MANAGER, trusted: true });
      return { revision: res.object as ControllerRevisionObj, collisionCount: count };
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
      const exists = registry.get(def, ns, body.metadata.name) as ControllerRevisionObj;
      if (goJSON(exists.data ?? null) === goJSON(body.data ?? null)) return { revision: exists, collisionCount: count };
      count++;
    }
  }
  throw new Error(`too many hash collisions creating a revision of ${ns}/${parent.metadata.name}`);
}

/** upstream UpdateControllerRevision: renumbers a revision (a rollback makes an old one current). */
export function updateRevisionNumber(
  registry: Registry,
  def: ResourceDef,
  revision: ControllerRevisionObj,
  n: number,
): ControllerRevisionObj {
  if (revision.revision === n) return revision;
  const res = registry.patch(
    def,
    revision.metadata.namespace ?? '',
    revision.metadata.name!,
    'merge',
    { revision: n },
    { fieldManager: FIELD_MANAGER },
  );
  return res.object as ControllerRevisionObj;
}

/**
 * The revisions of `parent` (upstream ListControllerRevisions + ClaimControllerRevisions): those
 * in its namespace that `matches` selects, adopting orphans and releasing its own that no longer
 * match; revisions of other controllers are left alone. `candidates` is usually the informer's
 * list of the namespace; `fresh` rereads the parent before adopting.
 */
export function ownedRevisions(
  registry: Registry,
  def: ResourceDef,
  parent: KubeObject,
  candidates: readonly KubeObject[],
  matches: (r: KubeObject) => boolean,
  fresh: () => KubeObject | undefined,
): ControllerRevisionObj[] {
  const uid = parent.metadata.uid;
  const mine = candidates.filter((r) => {
    const ref = controllerOf(r);
    return !ref || ref.uid === uid;
  });
  return claim(parent, mine, { registry, def, matches, fresh }) as ControllerRevisionObj[];
}
