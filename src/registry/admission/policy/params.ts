// The params a binding evaluates its policy with (upstream's generic.CollectParams): none needed
// (no paramKind, or no paramRef: one evaluation with null params), the one named object, or every
// object its selector picks, in the paramRef's namespace or the request's; with no object found,
// parameterNotFoundAction Deny fails the request and Allow skips the binding.
import type { ParamKind, ParamRef } from '../../../api/generated/admissionregistration/v1.js';
import { matchLabelSelector, type LabelSelector } from '../../../apimachinery/selectors.js';
import type { AdmissionObject } from '../types.js';

/** Where params come from: the objects of the paramKind, as stored. */
export interface ParamSource {
  /** The scope of the resource serving this kind; undefined when no served resource has it. */
  scope(apiVersion: string, kind: string): 'Namespaced' | 'Cluster' | undefined;
  /** One object by name, in `namespace` ('' for a cluster-scoped kind). */
  get(apiVersion: string, kind: string, namespace: string, name: string): AdmissionObject | undefined;
  /** Every object in `namespace` ('' for a cluster-scoped kind). */
  list(apiVersion: string, kind: string, namespace: string): readonly AdmissionObject[];
}

/** schema.GroupVersionKind's String(): `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`. */
export function gvkString(pk: ParamKind): string {
  const apiVersion = pk.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  return `${group}/${version}, Kind=${pk.kind ?? ''}`;
}

/** The policy's configuration error when its paramKind is not served (upstream's policy source). */
export function paramKindError(pk: ParamKind | undefined, source: ParamSource | undefined): string | undefined {
  if (!pk) return undefined;
  if (source?.scope(pk.apiVersion ?? '', pk.kind ?? '')) return undefined;
  return `failed to find resource referenced by paramKind: '${gvkString(pk)}'`;
}

const typed = new WeakMap<AdmissionObject, AdmissionObject>();

/**
 * A param as CEL sees it: with apiVersion and kind even when the store leaves them out. The same
 * stored object gives the same copy, so its CEL conversion is reused.
 */
function withTypeMeta(o: AdmissionObject, pk: ParamKind): AdmissionObject {
  if (o.apiVersion && o.kind) return o;
  let t = typed.get(o);
  if (!t) typed.set(o, (t = { ...o, apiVersion: o.apiVersion ?? pk.apiVersion, kind: o.kind ?? pk.kind }));
  return t;
}

/** The params for one binding: a list to evaluate with (null: no params), or the configuration error. */
export function collectParams(
  paramKind: ParamKind | undefined,
  paramRef: ParamRef | undefined,
  source: ParamSource | undefined,
  namespace: string,
): { params: (AdmissionObject | null)[] } | { error: string } {
  if (!paramKind || !paramRef) return { params: [null] };
  const apiVersion = paramKind.apiVersion ?? '';
  const kind = paramKind.kind ?? '';
  const scope = source?.scope(apiVersion, kind);
  if (!source || !scope) return { error: `paramKind kind \`&ParamKind{APIVersion:${apiVersion},Kind:${kind},}\` not known` };
  let ns = '';
  if (scope === 'Namespaced') {
    ns = paramRef.namespace || namespace;
    if (!ns) return { error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
  } else if (paramRef.namespace) {
    return { error: 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`' };
  }
  let found: AdmissionObject[];
  if (paramRef.name) {
    if (paramRef.selector) return { error: 'paramRef.name and paramRef.selector are mutually exclusive' };
    const o = source.get(apiVersion, kind, ns, paramRef.name);
    found = o ? [o] : [];
  } else if (paramRef.selector) {
    const sel = paramRef.selector as LabelSelector;
    found = source.list(apiVersion, kind, ns).filter((o) => matchLabelSelector(sel, o.metadata?.labels ?? {}));
  } else {
    return { error: 'one of name or selector must be provided' };
  }
  if (!found.length && paramRef.parameterNotFoundAction === 'Deny')
    return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  return { params: found.map((o) => withTypeMeta(o, paramKind)) };
}
