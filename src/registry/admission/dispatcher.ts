// The admission webhook dispatchers, after upstream's pkg/admission/plugin/webhook/mutating and
// validating dispatcher.go (v1.32): mutating webhooks one after another in configuration-name
// then webhook order, each JSON patch applied before the next is asked, and those with
// reinvocationPolicy IfNeeded asked once more when a later one changed the object; validating
// webhooks all at once, the first failure to come back failing the request. failurePolicy decides
// about webhooks that cannot be asked or answer nonsense (Ignore: skipped, with a failed-open
// audit annotation); a denial always fails the request; a dry run is refused for webhooks that
// may have side effects. Warnings and audit annotations are collected for the caller.
//
// The write path calls, per request: mutate (with the object after decoding and defaulting),
// then its own validation, then validate (with the final object); anyWebhookMayMatch first
// lets requests no webhook can apply to skip both. One dispatcher serves the whole server: it
// keeps the connections to the webhooks alive between requests.
import { randomUUID } from 'node:crypto';
import type {
  MutatingWebhook,
  MutatingWebhookConfiguration,
  ValidatingWebhookConfiguration,
} from '../../api/generated/admissionregistration/v1.js';
import { StatusError, badRequest, internalError } from '../../apimachinery/errors.js';
import { deepEqual } from '../../apimachinery/meta.js';
import { applyJsonPatch } from '../../apimachinery/patch/json-patch.js';
import { checkGoJSON, goJSONTypeOf, goMarshal, goQuote, GoJSONSyntaxError } from './go-text.js';
import {
  isExemptAdmissionConfigurationResource,
  shouldCallHook,
  webhookAccessors,
  type EquivalentResources,
  type MatchConditionEvaluator,
  type MatchContext,
  type NamespaceLabelsLookup,
  type ObjectConverter,
  type WebhookAccessor,
  type WebhookInvocation,
} from './matching.js';
import {
  admissionReviewBody,
  notAnObject,
  readReviewResponse,
  RestResultError,
  reviewVersionFor,
  verifyAdmissionResponse,
  type WebhookHTTPResponse,
} from './review.js';
import type { AdmissionAttributes, AdmissionObject, GroupVersionKind } from './types.js';
import {
  AgentCache,
  postReview,
  webhookEndpoint,
  WebhookTransportError,
  type ServiceResolver,
  type WebhookEndpoint,
} from './webhook-client.js';
import { dryRunUnsupported, ErrCallingWebhook, ErrWebhookRejection, serviceUnavailable, toStatusErr } from './webhook-errors.js';

const PATCH_PREFIX = 'patch.webhook.admission.k8s.io/';
const MUTATION_PREFIX = 'mutation.webhook.admission.k8s.io/';
const MUTATION_FAILED_OPEN_PREFIX = `failed-open.${MUTATION_PREFIX}`;
const VALIDATING_FAILED_OPEN_PREFIX = 'failed-open.validating.webhook.admission.k8s.io/';

export interface WebhookDispatcherLog {
  warn(obj: object, msg: string): void;
}

export interface WebhookDispatcherOptions {
  /** Where a service reference's requests go (see clusterIPEndpoint for upstream's ClusterIP resolver). */
  resolveService: ServiceResolver;
  /** A namespace's labels by name (undefined: no such namespace), for namespaceSelector. */
  namespaceLabels: NamespaceLabelsLookup;
  /** Evaluates matchConditions; without one, webhooks with matchConditions are called as if they matched. */
  matchConditions?: MatchConditionEvaluator;
  /** For matchPolicy Equivalent: the resource under other groups and versions. */
  equivalents?: EquivalentResources;
  /** Converts an object between versions of its kind (default: only apiVersion changes). */
  convert?: ObjectConverter;
  /**
   * What upstream does to a patched object before the next webhook sees it: decoding into the
   * kind's type (dropping unknown fields) and defaulting. Default: the patched JSON as it is.
   */
  normalizePatched?: (object: AdmissionObject, kind: GroupVersionKind) => AdmissionObject | Promise<AdmissionObject>;
  log?: WebhookDispatcherLog;
  /** The HTTP exchange (tests replace it); default postReview over kept-alive HTTPS connections. */
  post?: (endpoint: WebhookEndpoint, body: string, timeoutSeconds: number) => Promise<WebhookHTTPResponse>;
}

export interface MutateResult {
  /** The object after every patch, in the request's version. */
  object: AdmissionObject | null;
  warnings: string[];
  /** Audit annotations: the webhooks' own (`<webhook>/<key>`) and upstream's mutation and failed-open ones. */
  annotations: Record<string, string>;
}

export interface ValidateResult {
  warnings: string[];
  annotations: Record<string, string>;
}

export interface WebhookDispatcher {
  /** Calls the mutating webhooks that apply; throws the StatusError the request fails with. */
  mutate(configs: readonly MutatingWebhookConfiguration[], attrs: AdmissionAttributes): Promise<MutateResult>;
  /** Calls the validating webhooks that apply; throws the StatusError the request fails with. */
  validate(configs: readonly ValidatingWebhookConfiguration[], attrs: AdmissionAttributes): Promise<ValidateResult>;
  /** Closes the kept-alive connections. */
  close(): void;
}

const apiVersionOf = (k: GroupVersionKind) => (k.group ? `${k.group}/${k.version}` : k.version);
const sameKind = (a: GroupVersionKind, b: GroupVersionKind) => a.group === b.group && a.version === b.version && a.kind === b.kind;

/** The default conversion: the same fields under the other version (a CRD's None strategy). */
const relabel: ObjectConverter = (o, to) => ({ ...o, apiVersion: apiVersionOf(to), kind: to.kind });

/** Audit annotations as admission.Attributes keeps them: the first value of a key wins. */
class Annotations {
  readonly values: Record<string, string> = {};
  constructor(private readonly log?: WebhookDispatcherLog) {}
  add(key: string, value: string, webhook: string): void {
    const had = this.values[key];
    if (had !== undefined && had !== value) {
      this.log?.warn({ key, value, webhook }, `Failed to set admission audit annotation ${key}: it is already set to ${had}`);
      return;
    }
    this.values[key] = value;
  }
}

/** jsonpatch.DecodePatch: the operations, or the decoding error's text. */
function decodePatch(bytes: Buffer): unknown[] | { error: string } {
  try {
    checkGoJSON(bytes);
  } catch (e) {
    if (e instanceof GoJSONSyntaxError) return { error: e.message };
    throw e;
  }
  const v = JSON.parse(bytes.toString('utf8')) as unknown;
  if (v === null) return [];
  if (!Array.isArray(v)) return { error: `json: cannot unmarshal ${goJSONTypeOf(v)} into Go value of type jsonpatch.Patch` };
  for (const op of v)
    if (op !== null && (typeof op !== 'object' || Array.isArray(op)))
      return { error: `json: cannot unmarshal ${goJSONTypeOf(op)} into Go value of type jsonpatch.Operation` };
  return v;
}

/** A Go map[string]*json.RawMessage marshalled: keys sorted. */
const sortedKeys = (op: unknown) =>
  op && typeof op === 'object'
    ? Object.fromEntries(
        Object.keys(op as object)
          .sort()
          .map((k) => [k, (op as Record<string, unknown>)[k]]),
      )
    : op;

export function createWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const agents = new AgentCache();
  const post = opts.post ?? ((endpoint, body, timeout) => postReview(endpoint, body, timeout, agents));
  const convert = opts.convert ?? relabel;

  /** The objects of the request as another version of their kind, converted once per version. */
  const versionedCache = (attrs: AdmissionAttributes) => {
    const cache = new Map<string, Promise<{ object: AdmissionObject | null; oldObject: AdmissionObject | null }>>();
    return (kind: GroupVersionKind) => {
      const key = `${kind.group}/${kind.version}/${kind.kind}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = (async () => {
          if (sameKind(kind, attrs.kind)) return { object: attrs.object, oldObject: attrs.oldObject };
          return {
            object: attrs.object ? await convert(attrs.object, kind) : null,
            oldObject: attrs.oldObject ? await convert(attrs.oldObject, kind) : null,
          };
        })();
        cache.set(key, hit);
      }
      return hit;
    };
  };

  const matchContext = (versioned: MatchContext['versioned']): MatchContext => ({
    namespaceLabels: opts.namespaceLabels,
    equivalents: opts.equivalents,
    matchConditions: opts.matchConditions,
    versioned,
  });

  /**
   * Asks one webhook: its verified answer, or ErrCallingWebhook / a StatusError. `mutating`
   * picks the Status each failure carries (the two dispatchers differ there upstream).
   */
  async function call(
    hook: WebhookAccessor['hook'],
    inv: WebhookInvocation,
    attrs: AdmissionAttributes,
    object: AdmissionObject | null,
    oldObject: AdmissionObject | null,
    mutating: boolean,
    warnings: string[],
    annotations: Annotations,
  ) {
    const name = hook.name;
    if (attrs.dryRun) {
      if (!hook.sideEffects) throw new ErrCallingWebhook(name, 'Webhook SideEffects is nil', badRequest('Webhook SideEffects is nil'));
      if (hook.sideEffects !== 'None' && hook.sideEffects !== 'NoneOnDryRun') throw dryRunUnsupported(name);
    }
    const version = reviewVersionFor(hook.admissionReviewVersions);
    if (typeof version !== 'string')
      throw new ErrCallingWebhook(
        name,
        `could not create admission objects: ${version.error}`,
        badRequest('error creating admission objects'),
      );
    const endpoint = webhookEndpoint(hook.clientConfig ?? {}, name, opts.resolveService);
    if ('error' in endpoint)
      throw new ErrCallingWebhook(
        name,
        `could not get REST client: ${endpoint.error}`,
        mutating ? internalError(endpoint.error) : badRequest('error getting REST client'),
      );
    const uid = randomUUID();
    const body = admissionReviewBody(uid, version, attrs, inv, object, oldObject);
    const callStatus = () => (mutating ? serviceUnavailable('error calling webhook') : badRequest('error calling webhook'));
    let decoded;
    try {
      decoded = await readReviewResponse(await post(endpoint, body, hook.timeoutSeconds ?? 10), version);
    } catch (e) {
      if (e instanceof WebhookTransportError) throw new ErrCallingWebhook(name, `failed to call webhook: ${e.message}`, callStatus());
      if (e instanceof RestResultError) throw new ErrCallingWebhook(name, `failed to call webhook: ${e.message}`, e.status ?? callStatus());
      throw e;
    }
    let result;
    try {
      result = verifyAdmissionResponse(uid, mutating, decoded, version);
    } catch (e) {
      throw new ErrCallingWebhook(
        name,
        `received invalid webhook response: ${(e as Error).message}`,
        serviceUnavailable('error validating webhook response'),
      );
    }
    for (const [k, v] of Object.entries(result.auditAnnotations)) annotations.add(`${name}/${k}`, v, name);
    warnings.push(...result.warnings);
    if (!result.allowed) throw new ErrWebhookRejection(toStatusErr(name, result.status));
    return result;
  }

  async function mutate(configs: readonly MutatingWebhookConfiguration[], attrs: AdmissionAttributes): Promise<MutateResult> {
    const warnings: string[] = [];
    const annotations = new Annotations(opts.log);
    if (isExemptAdmissionConfigurationResource(attrs.kind)) return { object: attrs.object, warnings, annotations: annotations.values };
    const hooks = webhookAccessors(configs);
    if (!hooks.length) return { object: attrs.object, warnings, annotations: annotations.values };

    // The objects as the webhooks see them, in the version of the last webhook called.
    let current = { kind: attrs.kind, object: attrs.object, oldObject: attrs.oldObject };
    const asKind = async (kind: GroupVersionKind) => {
      if (!sameKind(kind, current.kind)) {
        current = {
          kind,
          object: current.object ? await convert(current.object, kind) : null,
          oldObject: current.oldObject ? await convert(current.oldObject, kind) : null,
        };
      }
      return current;
    };
    // webhookReinvokeContext
    let previouslyInvoked = new Set<string>();
    const reinvoke = new Set<string>();
    let shouldReinvoke = false;

    // One context for the whole dispatch: the namespace is looked up once.
    const ctx = matchContext((kind) => asKind(kind));

    const round = async (r: 0 | 1) => {
      for (let i = 0; i < hooks.length; i++) {
        const w = hooks[i]!;
        const hook = w.hook as MutatingWebhook;
        // The selectors see the object as the earlier webhooks left it.
        const seen = { ...attrs, object: current.object, oldObject: current.oldObject };
        const inv = await shouldCallHook(w, seen, ctx);
        if (!inv) continue;
        // A webhook skipped in the first round is never called for the first time in the second.
        if (r === 1 && !reinvoke.has(w.uid)) continue;
        const v = await asKind(inv.kind);
        const annotate = (prefix: string, value: string) => annotations.add(`${prefix}round_${r}_index_${i}`, value, hook.name);
        let changed = false;
        let failure: unknown;
        try {
          changed = await callMutating(hook, inv, attrs, v, warnings, annotations, annotate);
        } catch (e) {
          failure = e;
        }
        annotate(MUTATION_PREFIX, goMarshal({ configuration: w.configurationName, webhook: hook.name, mutated: changed }));
        if (changed) {
          for (const uid of previouslyInvoked) reinvoke.add(uid);
          previouslyInvoked = new Set();
          shouldReinvoke = true;
        }
        if (hook.reinvocationPolicy === 'IfNeeded') previouslyInvoked.add(w.uid);
        if (failure === undefined) continue;
        if (failure instanceof ErrCallingWebhook) {
          if (hook.failurePolicy === 'Ignore') {
            opts.log?.warn({ webhook: hook.name, err: failure.message }, `Failed calling webhook, failing open ${hook.name}`);
            annotate(MUTATION_FAILED_OPEN_PREFIX, hook.name);
            continue;
          }
          throw internalError(failure.message);
        }
        if (failure instanceof ErrWebhookRejection) throw failure.status;
        if (failure instanceof StatusError) throw failure;
        throw internalError(`MutatingAdmissionWebhook/${hook.name} has panicked: ${(failure as Error).message}`);
      }
    };

    await round(0);
    if (shouldReinvoke) await round(1);
    const final = await asKind(attrs.kind);
    return { object: final.object, warnings, annotations: annotations.values };
  }

  /** callAttrMutatingHook: true when the webhook's patch changed the object (current is updated). */
  async function callMutating(
    hook: MutatingWebhook,
    inv: WebhookInvocation,
    attrs: AdmissionAttributes,
    current: { kind: GroupVersionKind; object: AdmissionObject | null; oldObject: AdmissionObject | null },
    warnings: string[],
    annotations: Annotations,
    annotate: (prefix: string, value: string) => void,
  ): Promise<boolean> {
    const result = await call(hook, inv, attrs, current.object, current.oldObject, true, warnings, annotations);
    if (!result.patch) return false;
    const ops = decodePatch(result.patch);
    if (!Array.isArray(ops))
      throw new ErrCallingWebhook(
        hook.name,
        `received undecodable patch in webhook response: ${ops.error}`,
        serviceUnavailable('error decoding patch in webhook response'),
      );
    if (!ops.length) return false;
    if (!current.object)
      throw internalError(
        `admission webhook ${goQuote(hook.name)} attempted to modify the object, which is not supported for this operation`,
      );
    if (result.patchType !== 'JSONPatch')
      throw new ErrCallingWebhook(
        hook.name,
        `unsupported patch type ${goQuote(result.patchType ?? '')}`,
        toStatusErr(hook.name, result.status),
      );
    let patched: AdmissionObject;
    try {
      patched = applyJsonPatch(structuredClone(current.object), ops) as AdmissionObject;
    } catch (e) {
      throw internalError((e as Error).message);
    }
    // The patched JSON is decoded as an object again: anything else is refused as the serializer refuses it.
    if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw internalError(notAnObject(patched));
    if (opts.normalizePatched) patched = await opts.normalizePatched(patched, current.kind);
    const changed = !deepEqual(current.object, patched);
    annotate(
      PATCH_PREFIX,
      goMarshal({ configuration: inv.webhook.configurationName, webhook: hook.name, patch: ops.map(sortedKeys), patchType: 'JSONPatch' }),
    );
    current.object = patched;
    return changed;
  }

  async function validate(configs: readonly ValidatingWebhookConfiguration[], attrs: AdmissionAttributes): Promise<ValidateResult> {
    const warnings: string[] = [];
    const annotations = new Annotations(opts.log);
    if (isExemptAdmissionConfigurationResource(attrs.kind)) return { warnings, annotations: annotations.values };
    const hooks = webhookAccessors(configs);
    if (!hooks.length) return { warnings, annotations: annotations.values };
    const versioned = versionedCache(attrs);
    const ctx = matchContext(versioned);
    const relevant: WebhookInvocation[] = [];
    for (const w of hooks) {
      const inv = await shouldCallHook(w, attrs, ctx);
      if (inv) relevant.push(inv);
    }
    // Failures in the order they come back; the first one fails the request.
    const errors: StatusError[] = [];
    await Promise.all(
      relevant.map(async (inv, idx) => {
        const hook = inv.webhook.hook;
        const ignore = hook.failurePolicy === 'Ignore';
        try {
          const v = await versioned(inv.kind);
          await call(hook, inv, attrs, v.object, v.oldObject, false, warnings, annotations);
        } catch (e) {
          if (e instanceof ErrCallingWebhook || !(e instanceof ErrWebhookRejection || e instanceof StatusError)) {
            if (ignore) {
              opts.log?.warn({ webhook: hook.name, err: (e as Error).message }, `Failed calling webhook, failing open ${hook.name}`);
              annotations.add(`${VALIDATING_FAILED_OPEN_PREFIX}round_0_index_${idx}`, hook.name, hook.name);
              return;
            }
            errors.push(
              e instanceof ErrCallingWebhook
                ? internalError(e.message)
                : internalError(`ValidatingAdmissionWebhook/${hook.name} has panicked: ${(e as Error).message}`),
            );
            return;
          }
          errors.push(e instanceof ErrWebhookRejection ? e.status : (e as StatusError));
        }
      }),
    );
    if (errors.length) throw errors[0]!;
    return { warnings, annotations: annotations.values };
  }

  return { mutate, validate, close: () => agents.close() };
}
