// The cluster's admission webhooks: the Validating- and MutatingWebhookConfigurations kept by
// informers (a snapshot rebuilt only when one changes, so a request with no configuration pays one
// array length check), the dispatcher with what it needs from the cluster (Service ClusterIPs,
// Namespace labels, decoding a patched object as its kind), and the writes that go through them.
import type { Logger } from 'pino';
import type { Store } from '../../storage/store.js';
import type { InformerFactory } from '../../storage/informer.js';
import type { KubeObject } from '../../apimachinery/types.js';
import type { Service } from '../../api/generated/core/v1.js';
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from '../../api/generated/admissionregistration/v1.js';
import { checkObject } from '../../apimachinery/decode.js';
import { storageResource } from '../types.js';
import type { Registry } from '../generic-store.js';
import type { ServedKinds } from '../served-kinds.js';
import { mutatingWebhookConfigurationDef, validatingWebhookConfigurationDef } from '../admissionregistration/webhook-configurations.js';
import { AdmittedWrites, type WebhookConfigurations } from '../admitted.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './dispatcher.js';
import { clusterIPEndpoint } from './webhook-client.js';
import { createMatchConditionEvaluator } from './match-conditions.js';
import type { Authorizer } from '../../auth/rbac/attributes.js';
import type { AdmissionObject, GroupVersionKind } from './types.js';

export interface WebhookAdmission {
  writes: AdmittedWrites;
  close(): void;
}

/** The informer's objects as an array that changes only when they do. */
function snapshot<T>(informers: InformerFactory, resource: string): () => readonly T[] {
  const inf = informers.for(resource);
  let cached: T[] | undefined;
  const drop = () => (cached = undefined);
  inf.on({ add: drop, update: drop, delete: drop });
  return () => (cached ??= inf.list() as unknown as T[]);
}

export function startWebhookAdmission(o: {
  store: Store;
  informers: InformerFactory;
  registry: Registry;
  served: ServedKinds;
  log: Logger;
  /** Answers matchConditions' `authorizer` checks (`--authorization-mode RBAC`). */
  authorizer?: Authorizer;
}): WebhookAdmission {
  const configs: WebhookConfigurations = {
    mutating: snapshot<MutatingWebhookConfiguration>(o.informers, storageResource(mutatingWebhookConfigurationDef)),
    validating: snapshot<ValidatingWebhookConfiguration>(o.informers, storageResource(validatingWebhookConfigurationDef)),
  };
  const dispatcher: WebhookDispatcher = createWebhookDispatcher({
    resolveService: (ns, name, port) => clusterIPEndpoint(o.store.get('services', ns, name) as Service | undefined, name, port),
    namespaceLabels: (ns) => {
      const n = o.store.get('namespaces', '', ns);
      return n ? (n.metadata.labels ?? {}) : undefined;
    },
    // A webhook's patched object is decoded as its kind before the next webhook sees it: the
    // fields the kind does not have are dropped (defaults apply again in the write itself).
    normalizePatched: (obj: AdmissionObject, kind: GroupVersionKind) => {
      const def = o.served.all().find((d) => d.group === kind.group && d.version === kind.version && d.kind === kind.kind);
      if (!def) return obj;
      if (def.decode) def.decode(obj as KubeObject);
      else checkObject(obj, def.schema, def.kind, { prune: true, canonical: true });
      return obj;
    },
    matchConditions: createMatchConditionEvaluator(o.authorizer ? { authorizer: o.authorizer } : {}),
    log: o.log,
  });
  return {
    writes: new AdmittedWrites(o.registry, dispatcher, configs),
    close: () => dispatcher.close(),
  };
}
