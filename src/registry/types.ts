// The contract between the generic REST layer and each kind. The REST layer knows no kind by
// name: it iterates a registry of ResourceDefs (src/registry/kinds.ts). A ResourceDef is
// upstream's "registry strategy" (pkg/registry/core/service/strategy.go) in plain data and
// functions: schema, defaults, validation, table columns, field selectors and in-transaction
// hooks for side effects such as IP allocation.
import type { Authorizer } from '../auth/rbac/attributes.js';
import type { RulesForResult } from '../auth/rbac/rules-review.js';
import type { RBACSource } from '../auth/rbac/rule-resolver.js';
import type { Schema } from '../apimachinery/schema.js';
import type { FieldError } from '../apimachinery/field.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { StoreTx } from '../storage/store.js';
import type { UserInfo } from '../auth/users.js';

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0 = always shown, 1 = only with `-o wide`. */
  priority: number;
}

export interface WriteContext {
  tx: StoreTx;
  config: ClusterConfig;
  now: Date;
  dryRun: boolean;
  /** Warnings to return in `Warning: 299 - "..."` headers. */
  warnings: string[];
  /**
   * The subresource an update writes through (`status`, `scale`, ...), for prepareForUpdate:
   * upstream's status strategies differ from the main ones (no generation bump, labels kept).
   */
  subresource?: string;
  /** Who makes the request (absent for in-process writes). */
  user?: UserInfo;
  /** `--authorization-mode RBAC`: the authorizer and the RBAC objects, for escalation checks. */
  authorization?: { authorizer: Authorizer; source: RBACSource };
}

export type Operation = 'create' | 'update' | 'status';

/** Where a computed kind's objects come from (metrics.k8s.io: the node agent's samples). */
export interface ComputedSource {
  /** The current objects (of one namespace, or all). */
  list(namespace: string | undefined): Promise<KubeObject[]>;
}

/** What a review kind's create may consult. */
export interface ReviewContext {
  /** The user making the request. */
  user: UserInfo;
  /**
   * Who a bearer token is, for these audiences (none: the API server's own), with the audiences
   * it was accepted for; an error text when a token of this cluster is refused, undefined when
   * the token is not one of ours at all.
   */
  authenticateToken(token: string, audiences?: string[]): { user: UserInfo; audiences: string[] } | { error: string } | undefined;
  /** The cluster's authorizer (`--authorization-mode RBAC`); undefined: AlwaysAllow. */
  authorizer?: Authorizer;
  /** What a user may do in a namespace, from the RBAC objects (with the authorizer). */
  rulesFor?: (user: UserInfo, namespace: string) => RulesForResult;
}

export interface ResourceDef<T extends KubeObject = KubeObject> {
  group: string; // '' for the core group
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /**
   * The object's structural schema, from src/api/generated (`schemas.Service` of core/v1): strict
   * decoding and patching (merge keys, list types) walk it. Kinds define it as a getter, so a
   * schema is dereferenced when first used rather than when the kind's module loads.
   */
  readonly schema: Schema;
  /** Upstream's OpenAPI definition name, e.g. `io.k8s.api.core.v1.Service`: OpenAPI serves that definition. */
  openapiName: string;
  /** Verbs served; default all of get list watch create update patch delete deletecollection. */
  verbs?: string[];
  /**
   * A kind that is answered, not stored (upstream's token and access reviews; verbs: create):
   * create decodes the object as usual, then this validates it (throwing a StatusError) and fills
   * in its status from the request's user. Nothing is written.
   */
  review?(obj: T, ctx: ReviewContext): void;
  /**
   * A kind that is computed when read, not stored (metrics.k8s.io PodMetrics and NodeMetrics;
   * verbs get and list): the REST layer asks the cluster's ComputedSource for it.
   */
  computed?: boolean;
  /** Extra subresources with the same object shape (`status`). Streaming ones are routed elsewhere. */
  statusSubresource?: boolean;
  /**
   * The `scale` subresource (autoscaling/v1 Scale; kubectl scale, HPAs): replicas are at
   * spec.replicas and status.replicas, as for every built-in scalable kind; `selector` gives
   * status.selector of the Scale (a label selector string).
   */
  scale?: {
    selector(obj: T): string;
    /** Where replicas live (custom resources name them; built-in kinds: spec.replicas and status.replicas). */
    specReplicasPath?: string;
    statusReplicasPath?: string;
  };
  /**
   * Subresources that read the whole object and write one part of it (Pod ephemeralcontainers):
   * `take` builds what is stored from the current object and the one sent (everything else is
   * kept); `validateUpdate` replaces the def's own for these writes.
   */
  partSubresources?: Record<string, { take(next: T, cur: T): T; validateUpdate(obj: T, old: T, ctx: WriteContext): FieldError[] }>;
  /**
   * Versions of one resource share storage (core/v1 Event and events.k8s.io/v1 Event). The
   * storage form is the one named here; the def converts on the way in and out.
   */
  storage?: {
    resource: string;
    toStorage(obj: KubeObject): KubeObject;
    fromStorage(obj: KubeObject): KubeObject;
    /**
     * Makes fromStorage of these stored objects synchronous (a CRD's conversion webhook: one review
     * for all of them); without it the conversions throw ConversionPending, which the REST layer
     * resolves and retries.
     */
    prepare?(objs: KubeObject[]): Promise<void>;
  };
  /** A custom resource def in its CRD's storage version (in-process writers use it: no conversion). */
  storageVersion?: boolean;
  /** Not routed nor discovered (an unserved storage version, kept for in-process writers). */
  unserved?: boolean;
  /**
   * Decoding of a kind without Go structs (custom resources): instead of the schema walk of
   * built-in kinds, drops the fields the kind's schema does not declare (pruning) and returns
   * their paths (`spec.foo`) for fieldValidation's Strict errors and Warn warnings. Type errors
   * are the kind's validation's to report (422), not decoding's.
   */
  decode?(obj: KubeObject): string[];
  /**
   * Work an API write needs done before its synchronous transaction, given the request's body (an
   * object or a patch): a CRD with x-kubernetes-validations loads the CEL engine its rules compile in.
   */
  prepareWrite?(body: unknown): Promise<void>;
  /** A custom resource (a CRD's kind), served while its CRD is established. */
  custom?: boolean;
  /** A deprecated version's warning, sent with every response of its requests (a CRD version's deprecationWarning). */
  deprecationWarning?: string;
  /** Patch types the kind refuses (custom resources: strategic merge, which needs Go structs). */
  unsupportedPatchTypes?: readonly string[];
  /** The def's own validate covers ObjectMeta (a CRD's name rule): the common metadata checks are not repeated. */
  ownMetaValidation?: boolean;
  /** Finalizers a deletion adds when it starts (a CRD's customresourcecleanup, so its objects go first). */
  deletionFinalizers?: readonly string[];
  /** Refuses a create with a StatusError before anything else (a terminating CRD's kind). */
  admitCreate?(): void;
  /** Defaults applied to every incoming object (create, update, patch result), before validation. */
  defaults?(obj: T, ctx: WriteContext): void;
  /**
   * Mutating admission of a create (upstream's plugins: ServiceAccount, Priority, ...), after
   * defaults and before the name is generated; a refusal (a thrown StatusError) names the
   * generateName prefix as upstream's does.
   */
  admit?(obj: T, ctx: WriteContext): void;
  /** Create-only preparation: clear status, set generation-dependent fields. */
  prepareForCreate?(obj: T, ctx: WriteContext): void;
  prepareForUpdate?(obj: T, old: T, ctx: WriteContext): void;
  validate?(obj: T, ctx: WriteContext): FieldError[];
  validateUpdate?(obj: T, old: T, ctx: WriteContext): FieldError[];
  validateStatusUpdate?(obj: T, old: T, ctx: WriteContext): FieldError[];
  /** In-transaction side effects of a create (allocations). Throw a StatusError to refuse. */
  beginCreate?(obj: T, ctx: WriteContext): void;
  beginUpdate?(obj: T, old: T, ctx: WriteContext): void;
  /** In-transaction side effects of the final removal from storage (release allocations). */
  afterDelete?(obj: T, ctx: WriteContext): void;
  /**
   * Deletion that waits for something other than metadata.finalizers (Namespace: spec.finalizers
   * until the namespace controller has emptied it). While true, a deleted object stays with a
   * deletionTimestamp; `onDeletionStarted` marks it (Namespace: status.phase Terminating).
   */
  deletionPending?(obj: T): boolean;
  onDeletionStarted?(obj: T, ctx: WriteContext): void;
  /**
   * Graceful deletion (Pods): seconds to wait for the node agent, given the requested grace
   * period; 0 deletes at once. Absent = immediate.
   */
  gracePeriod?(obj: T, requested: number | undefined): number;
  /**
   * upstream AllowUnconditionalUpdate: a PUT without a resourceVersion (or "0") overwrites the
   * current object. Absent = true, as for every core/v1 kind; false for Lease (and custom
   * resources), where such a PUT is 422 `must be specified for an update`.
   */
  allowUnconditionalUpdate?: boolean;
  /**
   * Admission for DELETE, before anything is read (upstream admission plugins that refuse a
   * delete by name, e.g. NamespaceLifecycle's immortal namespaces). Throws a StatusError.
   */
  admitDelete?(name: string): void;
  /** PUT on a missing object creates it (upstream AllowCreateOnUpdate: Endpoints, Lease, ...). */
  allowCreateOnUpdate?: boolean;
  /** Deletion default for this kind when DeleteOptions says nothing (most kinds: Background). */
  defaultPropagation?: 'Background' | 'Foreground' | 'Orphan';
  /** Server-side printing (upstream pkg/printers/internalversion). */
  table: {
    columns: TableColumn[];
    row(obj: T, now: Date): unknown[];
  };
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors?: Record<string, (obj: T) => string | undefined>;
}

export function storageResource(def: ResourceDef): string {
  return def.storage?.resource ?? (def.group ? `${def.group}/${def.plural}` : def.plural);
}

export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
