// Service account token authentication (upstream's JWT token authenticator with the bound-token
// validator of pkg/serviceaccount/claims.go): a token is accepted when its signature, issuer and
// times check out (TokenAuthority.verify, cached per token), one of its audiences is the API
// server's, its ServiceAccount still exists with the same uid, and the object it is bound to
// (Pod, Secret or Node) still exists with the same uid. Objects deleted (deletionTimestamp) more
// than the one-minute leeway ago no longer count, as upstream.
//
// Existence checks read a small identity index (namespace/name → uid, deletionTimestamp) per
// resource, filled on first use from the store and kept current by store events: a map lookup
// per request, no object parsing.
import type { Store } from '../storage/store.js';
import type { KubeObject } from '../apimachinery/types.js';
import { LEEWAY_SECONDS, type ServiceAccountClaims, type TokenAuthority } from './tokens.js';

export interface ServiceAccountUser {
  username: string;
  uid: string;
  groups: string[];
  extra: Record<string, string[]>;
}

export interface ServiceAccountAuthenticator {
  /**
   * The user of a valid token for one of `audiences` (default: the API server's), with the
   * audiences of the token that matched (TokenReview's status.audiences). `why` hears upstream's
   * error text when a token of this cluster is refused for its audiences.
   */
  authenticate(
    token: string,
    audiences?: string[],
    why?: (message: string) => void,
  ): (ServiceAccountUser & { audiences: string[] }) | undefined;
  stop(): void;
}

interface Identity {
  uid: string;
  /** deletionTimestamp in ms, when set. */
  deleting?: number;
}

const INDEX_MAX = 100_000;

function identityIndex(store: Store, resource: string) {
  // Present entries are identities; null remembers "absent" until an ADDED event says otherwise.
  const map = new Map<string, Identity | null>();
  const ident = (o: KubeObject): Identity => ({
    uid: o.metadata.uid ?? '',
    deleting: o.metadata.deletionTimestamp ? Date.parse(o.metadata.deletionTimestamp) : undefined,
  });
  const unsubscribe = store.subscribe(resource, (ev) => {
    const k = `${ev.namespace}/${ev.name}`;
    if (!map.has(k)) return;
    map.set(k, ev.type === 'DELETED' ? null : ident(ev.object));
  });
  return {
    get(ns: string, name: string): Identity | null {
      const k = `${ns}/${name}`;
      let v = map.get(k);
      if (v === undefined) {
        if (map.size >= INDEX_MAX) map.clear();
        const o = store.get(resource, ns, name);
        map.set(k, (v = o ? ident(o) : null));
      }
      return v;
    },
    stop: unsubscribe,
  };
}

export function createServiceAccountAuthenticator(o: {
  store: Store;
  tokens: TokenAuthority;
  audiences?: string[];
}): ServiceAccountAuthenticator {
  const audiences = new Set(o.audiences ?? [o.tokens.issuer]);
  const indexes = new Map<string, ReturnType<typeof identityIndex>>();
  const index = (resource: string) => {
    let ix = indexes.get(resource);
    if (!ix) indexes.set(resource, (ix = identityIndex(o.store, resource)));
    return ix;
  };
  /** Exists, same uid, and not deleted before now - leeway. */
  const alive = (resource: string, ns: string, ref: { name: string; uid?: string }, cutoff: number) => {
    const id = index(resource).get(ns, ref.name);
    return !!id && id.uid === (ref.uid ?? '') && !(id.deleting !== undefined && id.deleting < cutoff);
  };

  return {
    authenticate(token, wanted, why) {
      const c = o.tokens.verify(token);
      if (!c) return undefined;
      const want = wanted?.length ? new Set(wanted) : audiences;
      const matched = c.aud.filter((a) => want.has(a));
      if (!matched.length) {
        why?.(`token audiences ${goStrings(c.aud)} is invalid for the target audiences ${goStrings([...want])}`);
        return undefined;
      }
      const k = c['kubernetes.io'];
      const cutoff = Date.now() - LEEWAY_SECONDS * 1000;
      if (!alive('serviceaccounts', k.namespace, k.serviceaccount, cutoff)) return undefined;
      if (k.secret && !alive('secrets', k.namespace, k.secret, cutoff)) return undefined;
      if (k.pod && !alive('pods', k.namespace, k.pod, cutoff)) return undefined;
      // A node claim beside a pod is information; alone it binds the token to the Node.
      if (k.node && !k.pod && !k.secret && !alive('nodes', '', k.node, cutoff)) return undefined;
      return { ...userOf(c), audiences: matched };
    },
    stop() {
      for (const ix of indexes.values()) ix.stop();
      indexes.clear();
    },
  };
}

/** Go's %q of a []string. */
const goStrings = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** upstream ServiceAccountInfo.UserInfo(). */
function userOf(c: ServiceAccountClaims): ServiceAccountUser {
  const k = c['kubernetes.io'];
  const extra: Record<string, string[]> = {};
  if (k.pod) {
    extra['authentication.kubernetes.io/pod-name'] = [k.pod.name];
    extra['authentication.kubernetes.io/pod-uid'] = [k.pod.uid];
  }
  if (k.node) {
    extra['authentication.kubernetes.io/node-name'] = [k.node.name];
    if (k.node.uid) extra['authentication.kubernetes.io/node-uid'] = [k.node.uid];
  }
  if (c.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${c.jti}`];
  return {
    username: `system:serviceaccount:${k.namespace}:${k.serviceaccount.name}`,
    uid: k.serviceaccount.uid,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${k.namespace}`, 'system:authenticated'],
    extra,
  };
}
