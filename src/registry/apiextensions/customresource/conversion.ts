// Conversion webhooks of CRDs (upstream apiextensions-apiserver pkg/apiserver/conversion/
// webhook_converter.go): objects of one version become another through a ConversionReview POSTed
// to the user's HTTPS server. The registry converts synchronously (inside transactions), a webhook
// answers asynchronously, so conversions are cached and the sync side asks for what it lacks:
//   - convertSync() answers from the cache, or throws ConversionPending naming what to convert;
//   - whoever can wait (the REST handlers, a watch) calls its resolve(), which sends one review
//     for every object named, and runs the request again; prepare() converts a batch up front
//     (lists, watch events) so a list of N objects takes one review, not N.
// The cache is keyed by what a conversion depends on: the object without its metadata (but its
// labels and annotations, the only metadata a webhook may change) and the version asked for. A
// converted object gets the original's metadata back (restoreObjectMeta), so the same content
// with another resourceVersion or managedFields time hits the cache.
import { createHash, randomUUID } from 'node:crypto';
import type { KubeObject } from '../../../apimachinery/types.js';
import { validateAnnotations, validateLabels } from '../../../apimachinery/validation.js';
import { AgentCache, postReview, webhookEndpoint, type ServiceResolver } from '../../admission/webhook-client.js';
import type { CRD } from '../crd/types.js';
import type { WebhookClientConfig as AdmissionClientConfig } from '../../../api/generated/admissionregistration/v1.js';

/** What conversion webhooks need from the cluster. */
export interface ConversionDeps {
  resolveService: ServiceResolver;
  agents: AgentCache;
}

/** Thrown by a synchronous conversion that needs the webhook first; resolve() calls it. */
export class ConversionPending extends Error {
  constructor(readonly resolve: () => Promise<void>) {
    super('conversion pending');
  }
}

/**
 * A conversion the webhook refused or failed: a plain error upstream, so reads answer a 500 with
 * no reason and writes an InternalError (the REST layer decides which).
 */
export class ConversionFailed extends Error {}

/** The client's timeout for conversion webhooks (upstream's webhook rest clients: 30 s). */
const TIMEOUT_SECONDS = 30;
const CACHE_MAX = 10_000;

type Obj = Record<string, unknown> & KubeObject;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a conversion of `o` depends on. */
function contentKey(o: KubeObject, toAPIVersion: string): string {
  const { metadata, ...rest } = o as Obj;
  const body = JSON.stringify([toAPIVersion, rest, metadata?.labels ?? null, metadata?.annotations ?? null]);
  return createHash('sha1').update(body).digest('base64');
}

export class WebhookConverter {
  private readonly cache = new Map<string, Obj>();

  constructor(
    private readonly crd: CRD,
    private readonly deps: ConversionDeps,
  ) {}

  /** `o` in `toAPIVersion`: as it is, from the cache, or ConversionPending. */
  convertSync(o: KubeObject, toAPIVersion: string): KubeObject {
    if (o.apiVersion === toAPIVersion) return o;
    const hit = this.cache.get(contentKey(o, toAPIVersion));
    if (hit) return restoreMeta(o, hit);
    throw new ConversionPending(() => this.convert([o], toAPIVersion));
  }

  /** Converts the objects not cached yet in one review (upstream sends a list's items together). */
  async convert(objects: readonly KubeObject[], toAPIVersion: string): Promise<void> {
    const todo = new Map<string, KubeObject>();
    for (const o of objects) {
      if (o.apiVersion === toAPIVersion) continue;
      const k = contentKey(o, toAPIVersion);
      if (!this.cache.has(k)) todo.set(k, o);
    }
    if (!todo.size) return;
    const inputs = [...todo.values()];
    const converted = await this.call(inputs, toAPIVersion);
    [...todo.keys()].forEach((k, i) => {
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(k, converted[i]!);
    });
  }

  /** The GVK upstream's errors name: the object's own (`stable.example.com/v1, Kind=CronTab`). */
  private gvk(o: KubeObject): string {
    return `${o.apiVersion}, Kind=${o.kind}`;
  }

  private async call(objects: KubeObject[], toAPIVersion: string): Promise<Obj[]> {
    const conversion = this.crd.spec?.conversion ?? {};
    const name = this.crd.metadata?.name ?? '';
    const first = objects[0]!;
    const fail = (why: string) => new ConversionFailed(`conversion webhook for ${this.gvk(first)} failed: ${why}`);
    const versions = conversion.webhook?.conversionReviewVersions ?? [];
    const reviewVersion = versions.find((v) => v === 'v1' || v === 'v1beta1');
    if (!reviewVersion) throw new ConversionFailed('no supported conversion review versions');
    // A validated CRD's client config has the fields the admission one requires.
    const endpoint = webhookEndpoint(
      (conversion.webhook?.clientConfig ?? {}) as AdmissionClientConfig,
      `conversion_webhook_for_${name}`,
      this.deps.resolveService,
    );
    if ('error' in endpoint) throw fail(endpoint.error);
    const uid = randomUUID();
    const review = {
      kind: 'ConversionReview',
      apiVersion: `apiextensions.k8s.io/${reviewVersion}`,
      request: { uid, desiredAPIVersion: toAPIVersion, objects },
    };
    let res;
    try {
      res = await postReview(endpoint, JSON.stringify(review), TIMEOUT_SECONDS, this.deps.agents);
    } catch (e) {
      throw fail((e as Error).message);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw fail(`the server responded with the status code ${res.statusCode} but did not return more information`);
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      const message =
        isObject(body) && typeof body.message === 'string' ? body.message : `the server responded with the status code ${res.statusCode}`;
      throw fail(message);
    }
    const out = isObject(body) ? body : {};
    if (reviewVersion === 'v1' && (out.apiVersion !== 'apiextensions.k8s.io/v1' || out.kind !== 'ConversionReview'))
      throw fail(
        `expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got ${String(out.apiVersion ?? '')}, Kind=${String(out.kind ?? '')}`,
      );
    const response = isObject(out.response) ? out.response : undefined;
    if (!response) throw fail('no response provided');
    if (reviewVersion === 'v1' && response.uid !== uid) throw fail(`expected response.uid="${uid}", got "${String(response.uid ?? '')}"`);
    const result = isObject(response.result) ? response.result : {};
    if (result.status !== 'Success') {
      if (typeof result.message === 'string' && result.message) throw fail(result.message);
      throw fail(`response.result.status was '${String(result.status ?? '')}', not 'Success'`);
    }
    const convertedObjects = Array.isArray(response.convertedObjects) ? response.convertedObjects : [];
    if (convertedObjects.length !== objects.length)
      throw new ConversionFailed(
        `conversion webhook for ${this.gvk(first)} returned ${convertedObjects.length} objects, expected ${objects.length}`,
      );
    const single = objects.length === 1;
    return convertedObjects.map((c, i) => {
      const at = single ? 'invalid object' : `invalid converted object at index ${i + 1}`;
      const bad = (why: string) => new ConversionFailed(`conversion webhook for ${this.gvk(first)} returned ${at}: ${why}`);
      if (!isObject(c)) throw bad('invalid type, expected=Unstructured');
      const original = objects[i]!;
      if (c.apiVersion !== toAPIVersion)
        throw bad(`invalid groupVersion (expected ${toAPIVersion}, received ${String(c.apiVersion ?? '')})`);
      if (c.kind !== original.kind) throw bad(`invalid kind (expected ${original.kind}, received ${String(c.kind ?? '')})`);
      const m = isObject(c.metadata) ? c.metadata : {};
      const om = original.metadata;
      for (const [what, a, b] of [
        ['name', om.name, m.name],
        ['namespace', om.namespace, m.namespace],
        ['UID', om.uid, m.uid],
      ] as const)
        if ((a ?? '') !== (b ?? '')) throw bad(`must have the same ${what}: ${a ?? ''} != ${String(b ?? '')}`);
      const metaErr = checkConvertedMeta(original, m);
      if (metaErr)
        throw new ConversionFailed(
          `conversion webhook for ${this.gvk(first)} returned invalid metadata${single ? '' : ` in object at index ${i + 1}`}: ${metaErr}`,
        );
      return c as Obj;
    });
  }
}

/** restoreObjectMeta's checks: labels and annotations are string maps, and valid when changed. */
function checkConvertedMeta(original: KubeObject, m: Record<string, unknown>): string | undefined {
  for (const f of ['labels', 'annotations'] as const) {
    const v = m[f];
    if (v === undefined || v === null) continue;
    if (!isObject(v)) return `invalid metadata.${f} of type ${Array.isArray(v) ? '[]interface {}' : typeof v} in converted object`;
    for (const [k, x] of Object.entries(v))
      if (typeof x !== 'string') return `metadata.${f}[${k}] must be a string, but is ${typeof x} in converted object`;
    if (JSON.stringify(v) === JSON.stringify(original.metadata[f] ?? {})) continue;
    const errs =
      f === 'labels'
        ? validateLabels(v as Record<string, string>, 'metadata.labels')
        : validateAnnotations(v as Record<string, string>, 'metadata.annotation');
    if (errs.length)
      return errs.length === 1 ? `${errs[0]!.field}: ${errs[0]!.body}` : `[${errs.map((e) => `${e.field}: ${e.body}`).join(', ')}]`;
  }
  return undefined;
}

/** The converted object with the original's metadata, but the converted labels and annotations. */
function restoreMeta(original: KubeObject, converted: Obj): KubeObject {
  const m: Record<string, unknown> = { ...original.metadata };
  const cm = isObject(converted.metadata) ? converted.metadata : {};
  for (const f of ['labels', 'annotations']) {
    if (cm[f] === undefined || cm[f] === null) delete m[f];
    else m[f] = cm[f];
  }
  return { ...structuredClone(converted), metadata: m as KubeObject['metadata'] };
}

/** Is this error a conversion waiting for its webhook? (the REST layer resolves it and retries) */
export const isConversionPending = (e: unknown): e is ConversionPending => e instanceof ConversionPending;
