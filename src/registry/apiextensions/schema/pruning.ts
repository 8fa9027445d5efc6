// Pruning of fields a structural schema does not specify (upstream's schema/pruning): fields under
// x-kubernetes-preserve-unknown-fields stay, apiVersion/kind/metadata of the resource root and of
// x-kubernetes-embedded-resource objects are left to metadata handling, and the metadata of embedded
// objects keeps only ObjectMeta's fields (as upstream's objectmeta coercion drops the rest).
// The pruned paths feed the `unknown field "spec.foo"` warnings.
import type { Structural } from './structural.js';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/** The JSON fields of metav1.ObjectMeta: what an embedded object's metadata may keep. */
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const join = (parent: string, k: string) => (parent ? `${parent}.${k}` : k);

class Pruner {
  readonly pruned: string[] = [];

  prune(x: unknown, s: Structural | undefined, at: string, embeddedRoot = false): void {
    if (s?.xPreserveUnknownFields) {
      this.skip(x, s, at, embeddedRoot);
      return;
    }
    if (Array.isArray(x)) {
      x.forEach((v, i) => this.prune(v, s?.items, `${at}[${i}]`));
      return;
    }
    if (!isObject(x)) return;
    for (const k of Object.keys(x)) {
      const p = join(at, k);
      if (s && (s.xEmbeddedResource || embeddedRoot) && META_FIELDS.has(k)) {
        if (k === 'metadata' && !embeddedRoot) this.pruneObjectMeta(x[k], p);
        continue;
      }
      if (s?.properties && Object.hasOwn(s.properties, k)) this.prune(x[k], s.properties[k], p);
      else if (s?.additionalProperties) this.prune(x[k], s.additionalProperties.schema, p);
      else {
        this.pruned.push(p);
        delete x[k];
      }
    }
  }

  /** Below x-kubernetes-preserve-unknown-fields: unknown fields stay, known ones are pruned by their schema. */
  private skip(x: unknown, s: Structural, at: string, embeddedRoot: boolean): void {
    if (Array.isArray(x)) {
      if (s.items) x.forEach((v, i) => this.skip(v, s.items!, `${at}[${i}]`, false));
      return;
    }
    if (!isObject(x)) return;
    for (const k of Object.keys(x)) {
      const p = join(at, k);
      if ((s.xEmbeddedResource || embeddedRoot) && META_FIELDS.has(k)) {
        if (k === 'metadata' && !embeddedRoot) this.pruneObjectMeta(x[k], p);
        continue;
      }
      if (s.properties && Object.hasOwn(s.properties, k)) this.prune(x[k], s.properties[k], p);
      else if (s.additionalProperties) this.prune(x[k], s.additionalProperties.schema, p);
    }
  }

  private pruneObjectMeta(meta: unknown, at: string): void {
    if (!isObject(meta)) return;
    for (const k of Object.keys(meta)) {
      if (!OBJECT_META_FIELDS.has(k)) {
        this.pruned.push(join(at, k));
        delete meta[k];
      }
    }
  }
}

/**
 * Removes, in place, the fields of `obj` that `s` does not specify, and returns their paths sorted
 * (`spec.foo`, `spec.items[0].bar`). With `isResourceRoot`, the object's own apiVersion, kind and
 * metadata are left alone (the API server handles the root's metadata itself).
 */
export function prune(obj: unknown, s: Structural | undefined, isResourceRoot: boolean): string[] {
  const p = new Pruner();
  p.prune(obj, s ?? (isResourceRoot ? {} : undefined), '', isResourceRoot);
  return p.pruned.sort();
}
