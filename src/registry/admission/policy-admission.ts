// ValidatingAdmissionPolicies in the write path: the policies and bindings kept by informers
// (snapshots rebuilt only when one changes), their params and Namespaces read from the store, and
// the Registry hook that evaluates them inside every write, API requests and in-process
// controllers alike (upstream's policies see every write to the API), after validation and before
// validating webhooks. CEL evaluation is synchronous once the engine is loaded: it loads with the
// first policy written, or at start when one is stored.
import type { Store } from '../../storage/store.js';
import type { InformerFactory } from '../../storage/informer.js';
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../api/generated/admissionregistration/v1.js';
import type { Authorizer } from '../../auth/rbac/attributes.js';
import type { UserInfo } from '../../auth/users.js';
import { storageResource, type ResourceDef } from '../types.js';
import type { PolicyAdmission } from '../generic-store.js';
import type { ServedKinds } from '../served-kinds.js';
import { validatingAdmissionPolicyBindingDef, validatingAdmissionPolicyDef } from '../admissionregistration/policies.js';
import { evaluateValidatingPolicies, loadPolicyCompiler, policyCompilerLoaded, type ParamSource } from './policy/index.js';
import type { AdmissionObject } from './types.js';

/** Who in-process writes without a user are (upstream's loopback client of the API server). */
const LOOPBACK: UserInfo = { username: 'system:apiserver', uid: '', groups: ['system:masters', 'system:authenticated'] };

function snapshot<T>(informers: InformerFactory, resource: string): () => readonly T[] {
  const inf = informers.for(resource);
  let cached: T[] | undefined;
  const drop = () => (cached = undefined);
  inf.on({ add: drop, update: drop, delete: drop });
  return () => (cached ??= inf.list() as unknown as T[]);
}

export interface PolicyAdmissionSetup {
  /** The Registry hook (Registry.policies). */
  admit: PolicyAdmission;
  /** Loads the CEL engine when a policy is stored (call before serving). */
  ready(): Promise<void>;
}

export function startPolicyAdmission(o: {
  store: Store;
  informers: InformerFactory;
  served: ServedKinds;
  authorizer?: Authorizer;
}): PolicyAdmissionSetup {
  const policies = snapshot<ValidatingAdmissionPolicy>(o.informers, storageResource(validatingAdmissionPolicyDef));
  const bindings = snapshot<ValidatingAdmissionPolicyBinding>(o.informers, storageResource(validatingAdmissionPolicyBindingDef));
  const defOf = (apiVersion: string, kind: string): ResourceDef | undefined => {
    const slash = apiVersion.indexOf('/');
    const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
    return o.served.all().find((d) => !d.unserved && d.group === group && d.version === version && d.kind === kind);
  };
  const params: ParamSource = {
    scope: (apiVersion, kind) => {
      const d = defOf(apiVersion, kind);
      return d ? (d.namespaced ? 'Namespaced' : 'Cluster') : undefined;
    },
    get: (apiVersion, kind, ns, name) => {
      const d = defOf(apiVersion, kind);
      const obj = d && o.store.get(storageResource(d), d.namespaced ? ns : '', name);
      return obj as AdmissionObject | undefined;
    },
    list: (apiVersion, kind, ns) => {
      const d = defOf(apiVersion, kind);
      return d ? (o.store.listObjects(storageResource(d), d.namespaced ? ns : undefined) as AdmissionObject[]) : [];
    },
  };
  const admit: PolicyAdmission = (a) => {
    const ps = policies();
    const bs = bindings();
    if (!ps.length || !bs.length) return [];
    const r = evaluateValidatingPolicies({
      policies: ps,
      bindings: bs,
      attrs: {
        operation: a.operation,
        kind: a.kind ?? { group: a.def.group, version: a.def.version, kind: a.def.kind },
        resource: { group: a.def.group, version: a.def.version, resource: a.def.plural },
        subresource: a.subresource ?? '',
        namespace: a.def.namespaced ? a.namespace : '',
        name: a.name,
        object: (a.object ?? null) as AdmissionObject | null,
        oldObject: (a.old ?? null) as AdmissionObject | null,
        userInfo: a.user ?? LOOPBACK,
        dryRun: a.dryRun,
        options: {
          kind: a.operation === 'CREATE' ? 'CreateOptions' : a.operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions',
          apiVersion: 'meta.k8s.io/v1',
        },
      },
      namespace: (name) => o.store.get('namespaces', '', name) as AdmissionObject | undefined,
      params,
      ...(o.authorizer ? { authorizer: o.authorizer } : {}),
    });
    if (r.denied) throw r.denied;
    return r.warnings;
  };
  return {
    admit,
    ready: async () => {
      if (!policyCompilerLoaded() && o.store.count(storageResource(validatingAdmissionPolicyDef)) > 0) await loadPolicyCompiler();
    },
  };
}
