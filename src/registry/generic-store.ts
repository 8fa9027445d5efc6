// The generic registry: create, update, patch and delete semantics for every kind, independent of
// HTTP (upstream staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go). The REST
// handlers call it for API requests; controllers call it when they need API semantics (finalizers,
// propagation, validation) rather than raw store writes. Kind specifics come from ResourceDefs.
import type { UserInfo } from '../auth/users.js';
import type { Store, Tx } from '../storage/store.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { ResourceDef, ReviewContext, WriteContext } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { NamespaceObj } from './namespace.js';
import { storageResource, apiVersionOf } from './types.js';
import { validateDefCommon } from './validate-common.js';
import {
  StatusError,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  alreadyExists,
  OPTIMISTIC_LOCK_MESSAGE,
} from '../apimachinery/errors.js';
import { clone, deepEqual, generateName, newUID, rfc3339 } from '../apimachinery/meta.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, serverSideApply, trackUpdate } from '../apimachinery/patch/index.js';
import { checkObject, strictDecodingError, unknownFieldWarnings } from '../apimachinery/decode.js';
import { goPrint, goQuote } from '../apimachinery/go-format.js';
import { goDurationNs } from '../apimachinery/go-strconv.js';
import { interpretStorageError } from './storage-errors.js';
import type { QuotaAttributes } from './quota/quota-admission.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  /** Who asks (an API request's user; in-process controllers give none): RBAC writes check escalation against it. */
  user?: UserInfo;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /**
   * status, finalize, or one of the def's partSubresources; `scale` for the scale handler's write
   * of the parent (a whole object; managed fields record the subresource, as upstream's).
   */
  subresource?: string;
  /**
   * In-process controllers writing an object they built for this call: the body is handed over
   * (modified in place, not copied) and the decode checks that stand in for JSON decoding
   * (unknown fields, value types) are skipped. Defaults, validation, managed fields and
   * concurrency checks run as for any client.
   */
  trusted?: boolean;
  /** Admission of this write (webhooks and policies, admission.ts): called inside the write, synchronously. */
  admission?: AdmissionHooks;
  /**
   * What admission sees of a subresource write whose object is another kind (a scale write of a
   * Deployment: autoscaling/v1 Scale, old and new): policies get these instead of the parent.
   */
  admissionView?: { kind: { group: string; version: string; kind: string }; object: KubeObject; old: KubeObject };
  /** create: the name, uid and creation time to give the object (a write replaying what admission saw). */
  preset?: { name?: string; uid?: string; creationTimestamp?: string };
}

/**
 * ValidatingAdmissionPolicies (admission/policy-admission.ts): called inside every write with its
 * final object (after validation, before validating webhooks); returns the warnings, throws the
 * StatusError that refuses the write.
 */
export type PolicyAdmission = (a: {
  def: ResourceDef;
  /** The object's kind when it is not the def's (a subresource's, WriteOptions.admissionView). */
  kind?: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  namespace: string;
  name: string;
  object?: KubeObject;
  old?: KubeObject;
  user?: UserInfo;
  dryRun: boolean;
  subresource?: string;
}) => string[];

/**
 * Admission hooks of one write, at upstream's points: `mutate` after decoding and defaults, before
 * the name is generated (create) or the strategy's update preparation (update), returning the object
 * to go on with (defaults apply again, as decoding a webhook's patched object does); `validate`
 * with the final object just before it is stored (after validation and allocations); for a delete
 * `validate` gets the object being deleted as `old`. A hook refuses by throwing a StatusError.
 */
export interface AdmissionHooks {
  mutate?(obj: KubeObject, old: KubeObject | undefined): KubeObject;
  validate?(obj: KubeObject | undefined, old: KubeObject | undefined): void;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  /** Validating admission of the delete (its `validate` gets the object as `old`). */
  admission?: AdmissionHooks;
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
  /** create: 201; update that created: 201; otherwise 200. */
  created?: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** false when finalizers or a grace period keep the object (HTTP 202). */
  deleted: boolean;
  /** Admission's warnings (policies with the Warn action). */
  warnings?: string[];
}

const gr = (def: ResourceDef) => ({ group: def.group, resource: def.plural });

class DryRunRollback extends Error {
  constructor(readonly result: unknown) {
    super('dry run');
  }
}

export const FINALIZER_ORPHAN = 'orphan';
export const FINALIZER_FOREGROUND = 'foregroundDeletion';

export class Registry {
  /** ValidatingAdmissionPolicies, for every write (absent: none). */
  policies?: PolicyAdmission;
  /**
   * ResourceQuota admission (quota/quota-admission.ts), last of the validating admission inside
   * every create and update: throws the 403 that refuses the write, or records its usage in the
   * namespace's quotas within the same transaction.
   */
  quota?: (a: QuotaAttributes) => void;
  /** Namespaces as an informer holds them (creates check theirs is not terminating). */
  namespaces?: (name: string) => KubeObject | undefined;
  /** The authorizer and RBAC objects of `--authorization-mode RBAC`: RBAC writes check escalation with them. */
  authorization?: WriteContext['authorization'];

  constructor(
    readonly store: Store,
    readonly config: ClusterConfig,
  ) {}

  /** Runs fn in a transaction; with dryRun the transaction (and every allocation) rolls back. */
  private write<R>({ dryRun, user }: { dryRun?: boolean; user?: UserInfo }, fn: (tx: Tx, ctx: WriteContext) => R): R {
    try {
      return this.store.txn((tx) => {
        const ctx: WriteContext = {
          tx,
          config: this.config,
          now: new Date(tx.now),
          dryRun: !!dryRun,
          warnings: [],
          ...(user ? { user } : {}),
          ...(this.authorization ? { authorization: this.authorization } : {}),
        };
        const r = fn(tx, ctx);
        if (dryRun) throw new DryRunRollback(r);
        return r;
      });
    } catch (e) {
      if (e instanceof DryRunRollback) return e.result as R;
      throw interpretStorageError(e);
    }
  }

  // ---- reads ----

  get(def: ResourceDef, ns: string, name: string): KubeObject {
    const obj = this.store.get(storageResource(def), def.namespaced ? ns : '', name);
    if (!obj) throw notFound(gr(def), name);
    return this.toAPI(def, obj);
  }

  /** Whether the object exists now (admission tells creates from updates by it). */
  exists(def: ResourceDef, ns: string, name: string): boolean {
    return this.store.get(storageResource(def), def.namespaced ? ns : '', name) !== undefined;
  }

  toAPI(def: ResourceDef, stored: KubeObject): KubeObject {
    const o = def.storage ? def.storage.fromStorage(stored) : stored;
    return o.apiVersion === apiVersionOf(def) && o.kind === def.kind
      ? o
      : { apiVersion: apiVersionOf(def), kind: def.kind, ...o, metadata: o.metadata };
  }

  private toStorage(def: ResourceDef, obj: KubeObject): KubeObject {
    return def.storage ? def.storage.toStorage(obj) : obj;
  }

  // ---- decoding checks shared by create/update/patch ----

  /** Unknown fields and wrong types, per fieldValidation (upstream's strict decoding). */
  private checkFields(
    def: ResourceDef,
    obj: unknown,
    mode: FieldValidation | undefined,
    warnings: string[],
    patched?: { type: PatchType; patch: unknown; result: unknown },
  ): void {
    // Strict refuses unknown fields; Warn and Ignore drop them (never stored, as upstream).
    const res = def.decode
      ? { typeErrors: [], converterErrors: [], unknownFields: def.decode(obj as KubeObject) }
      : checkObject(obj, def.schema, def.kind, { prune: mode !== 'Strict', canonical: true });
    if (res.typeErrors.length) {
      if (patched) throw patchedObjectInvalid(patched, res.typeErrors[0]!, res.converterErrors[0]!);
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${res.typeErrors.join(', ')}`);
    }
    if (!res.unknownFields.length || mode === 'Ignore') return;
    if (mode === 'Strict') {
      const strict = strictDecodingError(res.unknownFields);
      if (patched) throw patchedObjectInvalid(patched, strict, strict);
      // upstream create/update wrap the strict error like any decode error (transformDecodeError)
      throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${strict}`);
    }
    warnings.push(...unknownFieldWarnings(res.unknownFields));
  }

  /**
   * What a subresource write takes from the object sent (status, spec.finalizers, a part
   * subresource's field): only that is decoded and type-checked, the rest is the stored object's.
   */
  private writtenPart(def: ResourceDef, subresource: string, next: KubeObject): unknown {
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return next;
    if (subresource === 'status') {
      const m = next.metadata && typeof next.metadata === 'object' ? next.metadata : {};
      return { metadata: { labels: m.labels, annotations: m.annotations }, status: next.status };
    }
    if (subresource === 'finalize') return { spec: { finalizers: (next as NamespaceObj).spec?.finalizers } };
    const part = def.partSubresources?.[subresource];
    return part ? part.take(next, { metadata: {} } as KubeObject) : {};
  }

  private checkTypeMeta(def: ResourceDef, obj: KubeObject): void {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
    }
    if (obj.kind !== undefined && obj.kind !== def.kind) {
      throw badRequest(
        `${obj.kind} in version "${def.version}" cannot be handled as a ${def.kind}: no kind "${obj.kind}" is registered for version "${apiVersionOf(def)}"`,
      );
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(def)) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    }
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${Array.isArray(obj.metadata) ? 'array' : typeof obj.metadata} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`,
      );
    }
  }

  private checkNamespace(def: ResourceDef, tx: Tx, ns: string, name: string): void {
    if (!def.namespaced) return;
    // The informer's Namespace when there is one (no SQLite read and parse per create, as upstream's
    // NamespaceLifecycle reads its lister), else the store's (created in this transaction, or no informer).
    const nsObj = this.namespaces?.(ns) ?? tx.get('namespaces', '', ns);
    if (!nsObj) throw notFound({ group: '', resource: 'namespaces' }, ns);
    if (nsObj.metadata.deletionTimestamp || (nsObj as NamespaceObj).status?.phase === 'Terminating') {
      const e = forbidden(gr(def), name, `unable to create new content in namespace ${ns} because it is being terminated`);
      e.details!.causes = [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }];
      throw e;
    }
  }

  private validateOrThrow(def: ResourceDef, obj: KubeObject, errs: ReturnType<NonNullable<ResourceDef['validate']>>): void {
    if (errs.length) throw invalid(def.kind, def.group, obj.metadata.name ?? obj.metadata.generateName ?? '', errs);
  }

  // ---- create ----

  create(def: ResourceDef, ns: string, body: KubeObject, opts: WriteOptions = {}): WriteResult {
    def.admitCreate?.();
    this.checkTypeMeta(def, body);
    const warnings: string[] = [];
    if (!opts.trusted) this.checkFields(def, body, opts.fieldValidation, warnings);
    const obj = opts.trusted ? body : clone(body);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    this.alignNamespace(def, obj, ns);
    if (obj.metadata.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    return this.write(opts, (tx, ctx) => {
      const created = this.createIn(def, tx, ctx, obj, opts.fieldManager ?? 'unknown', opts);
      return { object: created, warnings: [...warnings, ...ctx.warnings], created: true };
    });
  }

  /**
   * Create for a review kind (def.review): the object comes back with its status filled in, as
   * upstream's review storages answer it (metadata as sent; nothing stored, no resourceVersion;
   * dryRun changes nothing).
   */
  review(def: ResourceDef, ns: string, body: KubeObject, ctx: ReviewContext, opts: WriteOptions = {}): WriteResult {
    this.checkTypeMeta(def, body);
    const warnings: string[] = [];
    this.checkFields(def, body, opts.fieldValidation, warnings);
    const obj = clone(body);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    obj.metadata ??= {};
    if (def.namespaced) obj.metadata.namespace ||= ns;
    // Go prints the zero creationTimestamp of a decoded object as null.
    if (obj.metadata.creationTimestamp === undefined) (obj.metadata as Record<string, unknown>).creationTimestamp = null;
    // The review validates (and refuses) on its own: there is no transaction to write in.
    def.review!(obj, ctx);
    return { object: obj, warnings };
  }

  private alignNamespace(def: ResourceDef, obj: KubeObject, ns: string): void {
    if (def.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = ns;
    } else {
      delete obj.metadata.namespace;
    }
  }

  /** Create inside an open transaction (also used by apply and create-on-update). */
  private createIn(
    def: ResourceDef,
    tx: Tx,
    ctx: WriteContext,
    obj: KubeObject,
    manager: string,
    opts: WriteOptions,
    managedByApply = false,
  ): KubeObject {
    const ns = obj.metadata.namespace ?? '';
    // Admission runs before the name is generated, as upstream's: its refusals name the
    // generateName prefix (`pods "web-" is forbidden`).
    this.checkNamespace(def, tx, ns, obj.metadata.name || obj.metadata.generateName || '');
    def.defaults?.(obj, ctx);
    def.admit?.(obj, ctx);
    if (opts.admission?.mutate) {
      obj = opts.admission.mutate(obj, undefined);
      this.alignNamespace(def, obj, ns);
      def.defaults?.(obj, ctx);
    }
    const meta = obj.metadata;
    const preset = opts.preset;
    if (!meta.name && meta.generateName) meta.name = preset?.name ?? generateName(meta.generateName);
    meta.uid = preset?.uid ?? newUID();
    meta.creationTimestamp = preset?.creationTimestamp ?? rfc3339(ctx.now);
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    delete meta.resourceVersion;
    delete meta.generation;
    def.prepareForCreate?.(obj, ctx);
    this.validateOrThrow(def, obj, [...validateDefCommon(def, obj), ...(def.validate?.(obj, ctx) ?? [])]);
    if (!managedByApply) {
      meta.managedFields = trackUpdate({
        old: undefined,
        updated: obj,
        manager,
        schema: def.schema,
        now: ctx.now,
        apiVersion: apiVersionOf(def),
        subresource: opts.subresource,
      });
      if (!meta.managedFields?.length) delete meta.managedFields;
    }
    const resource = storageResource(def);
    // generateName collisions retry with a new suffix like upstream's create retry.
    for (let attempt = 0; ; attempt++) {
      if (!tx.exists(resource, ns, meta.name!)) break;
      if (!obj.metadata.generateName || attempt > 8) throw alreadyExists(gr(def), meta.name!);
      meta.name = generateName(obj.metadata.generateName);
    }
    def.beginCreate?.(obj, ctx);
    if (this.policies)
      ctx.warnings.push(
        ...this.policies({
          def,
          operation: 'CREATE',
          namespace: ns,
          name: meta.name!,
          object: obj,
          user: ctx.user,
          dryRun: ctx.dryRun,
          subresource: opts.subresource,
        }),
      );
    opts.admission?.validate?.(obj, undefined);
    this.quota?.({ def, operation: 'CREATE', namespace: ns, object: obj, subresource: opts.subresource, ctx });
    const stored = tx.create(resource, this.toStorage(def, obj));
    return ctx.dryRun ? this.dryRunView(def, stored) : this.toAPI(def, stored);
  }

  /** Dry-run results look like upstream's: everything filled in but no resourceVersion. */
  private dryRunView(def: ResourceDef, stored: KubeObject): KubeObject {
    const o = this.toAPI(def, stored);
    return { ...o, metadata: { ...o.metadata, resourceVersion: undefined } };
  }

  // ---- update ----

  update(def: ResourceDef, ns: string, name: string, body: KubeObject, opts: WriteOptions = {}): WriteResult {
    this.checkTypeMeta(def, body);
    const warnings: string[] = [];
    if (!opts.trusted)
      this.checkFields(def, opts.subresource ? this.writtenPart(def, opts.subresource, body) : body, opts.fieldValidation, warnings);
    const obj = opts.trusted ? body : clone(body);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    if (obj.metadata.name !== undefined && obj.metadata.name !== name) {
      throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
    }
    obj.metadata.name = name;
    this.alignNamespace(def, obj, ns);
    return this.write(opts, (tx, ctx) => {
      const resource = storageResource(def);
      const curStored = tx.get(resource, def.namespaced ? ns : '', name);
      if (!curStored) {
        if (!def.allowCreateOnUpdate || opts.subresource) throw notFound(gr(def), name);
        if (obj.metadata.resourceVersion && !/^0+$/.test(obj.metadata.resourceVersion)) throw notFound(gr(def), name);
        delete obj.metadata.resourceVersion;
        const created = this.createIn(def, tx, ctx, obj, opts.fieldManager ?? 'unknown', opts);
        return { object: created, warnings: [...warnings, ...ctx.warnings], created: true };
      }
      const cur = this.toAPI(def, curStored);
      const out = this.updateIn(def, tx, ctx, cur, obj, opts, opts.fieldManager ?? 'unknown', false);
      return { object: out, warnings: [...warnings, ...ctx.warnings] };
    });
  }

  /**
   * The update core: `next` is the full desired object (from PUT, or a patch applied to `cur`).
   * Handles subresource field masking, system fields, optimistic concurrency, validation, no-op
   * detection and finalizer-driven completion of a pending deletion.
   */
  private updateIn(
    def: ResourceDef,
    tx: Tx,
    ctx: WriteContext,
    cur: KubeObject,
    next: KubeObject,
    opts: WriteOptions,
    manager: string,
    managedByApply: boolean,
  ): KubeObject {
    const name = cur.metadata.name!;
    const want = next.metadata.resourceVersion;
    if (want && !/^\d+$/.test(want)) {
      // upstream's versioner: an unparsable resourceVersion is an Invalid field, not a conflict
      throw invalid(def.kind, def.group, name, [
        {
          type: 'FieldValueInvalid',
          field: 'metadata.resourceVersion',
          body: `Invalid value: ${JSON.stringify(want)}: strconv.ParseUint: parsing ${JSON.stringify(want)}: invalid syntax`,
        },
      ]);
    }
    // upstream genericregistry.Store.Update: a resourceVersion that parses to 0 ("", "0", "00")
    // is an unconditional update where the strategy allows it (AllowUnconditionalUpdate); else
    // it is Invalid, named by the resource (not the kind) as upstream does.
    if (!want || /^0+$/.test(want)) {
      if (def.allowUnconditionalUpdate === false) {
        throw invalid(def.plural, def.group, name, [
          { type: 'FieldValueInvalid', field: 'metadata.resourceVersion', body: 'Invalid value: 0x0: must be specified for an update' },
        ]);
      }
    } else if (want !== cur.metadata.resourceVersion) throw conflict(gr(def), name, OPTIMISTIC_LOCK_MESSAGE);
    const part = opts.subresource ? def.partSubresources?.[opts.subresource] : undefined;
    let obj = next;
    if (opts.subresource === 'status') {
      // Status writes change status (and nothing of spec); metadata changes other than
      // labels/annotations are ignored as upstream's status strategies do.
      obj = { ...clone(cur), status: next.status };
      obj.metadata = { ...obj.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations };
      if (obj.metadata.labels === undefined) delete obj.metadata.labels;
      if (obj.metadata.annotations === undefined) delete obj.metadata.annotations;
    } else if (opts.subresource === 'finalize') {
      // Namespace's finalize: spec.finalizers, nothing else.
      const ns: NamespaceObj = clone(cur);
      ns.spec = { ...ns.spec, finalizers: (next as NamespaceObj).spec?.finalizers };
      obj = ns;
    } else if (part) {
      obj = part.take(next, clone(cur));
    } else if (def.statusSubresource) {
      if (cur.status === undefined) delete obj.status;
      else obj.status = clone(cur.status);
    }
    // Mutating admission sees the decoded, defaulted object (the system fields as sent).
    if (opts.admission?.mutate) {
      def.defaults?.(obj, ctx);
      obj = opts.admission.mutate(obj, cur);
    }
    const meta = obj.metadata;
    const old = cur.metadata;
    // System fields the client may omit: keep the stored values (validation catches changes).
    meta.uid ??= old.uid;
    meta.creationTimestamp ??= old.creationTimestamp;
    // Clients re-encode times (client-node sends milliseconds): the same instant is no change.
    if (meta.creationTimestamp && old.creationTimestamp && Date.parse(meta.creationTimestamp) === Date.parse(old.creationTimestamp))
      meta.creationTimestamp = old.creationTimestamp;
    meta.namespace = old.namespace;
    if (old.deletionTimestamp) {
      meta.deletionTimestamp = old.deletionTimestamp;
      if (old.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (old.generation !== undefined) meta.generation = old.generation;
    else delete meta.generation;
    delete meta.selfLink;
    // Once deleting, finalizers may only be removed (upstream: `no new finalizers can be added if the object is being deleted`).
    if (old.deletionTimestamp) {
      const added = (meta.finalizers ?? []).filter((f) => !(old.finalizers ?? []).includes(f));
      if (added.length) {
        throw invalid(def.kind, def.group, name, [
          {
            type: 'FieldValueForbidden',
            field: 'metadata.finalizers',
            body: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          },
        ]);
      }
    }
    def.defaults?.(obj, ctx);
    def.prepareForUpdate?.(obj, cur, opts.subresource ? { ...ctx, subresource: opts.subresource } : ctx);
    const errs = [...validateDefCommon(def, obj, cur)];
    if (opts.subresource === 'status')
      errs.push(...(def.validateStatusUpdate?.(obj, cur, ctx) ?? def.validateUpdate?.(obj, cur, ctx) ?? []));
    else if (part) errs.push(...part.validateUpdate(obj, cur, ctx));
    else errs.push(...(def.validateUpdate?.(obj, cur, ctx) ?? []));
    this.validateOrThrow(def, obj, errs);
    if (!managedByApply) {
      meta.managedFields = trackUpdate({
        old: cur,
        updated: obj,
        manager,
        schema: def.schema,
        now: ctx.now,
        apiVersion: apiVersionOf(def),
        subresource: opts.subresource === 'status' || opts.subresource === 'scale' || part ? opts.subresource : undefined,
      });
      if (!meta.managedFields?.length) delete meta.managedFields;
    }
    meta.resourceVersion = cur.metadata.resourceVersion;
    const resource = storageResource(def);
    // Validating admission runs for no-op updates too (upstream's updateValidation precedes the
    // storage's comparison).
    if (this.policies)
      ctx.warnings.push(
        ...this.policies({
          def,
          operation: 'UPDATE',
          namespace: cur.metadata.namespace ?? '',
          name,
          ...(opts.admissionView ?? { object: obj, old: cur }),
          user: ctx.user,
          dryRun: ctx.dryRun,
          subresource: opts.subresource,
        }),
      );
    opts.admission?.validate?.(obj, cur);
    // A no-op update writes nothing and keeps the resourceVersion (upstream skips the etcd write).
    if (deepEqual(withoutTimes(obj), withoutTimes(cur))) return cur;
    this.quota?.({
      def,
      operation: 'UPDATE',
      namespace: cur.metadata.namespace ?? '',
      object: obj,
      old: cur,
      subresource: opts.subresource,
      ctx,
    });
    def.beginUpdate?.(obj, cur, ctx);
    const stored = tx.update(resource, this.toStorage(def, obj));
    if (meta.deletionTimestamp && !meta.finalizers?.length && !def.deletionPending?.(obj)) {
      this.removeIn(def, tx, ctx, this.toAPI(def, stored));
    }
    return ctx.dryRun ? this.dryRunView(def, stored) : this.toAPI(def, stored);
  }

  // ---- patch ----

  patch(def: ResourceDef, ns: string, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): WriteResult {
    if (type === 'apply' && !opts.fieldManager) {
      throw badRequest('PATCH /apply requires fieldManager to be set');
    }
    return this.write(opts, (tx, ctx) => {
      const resource = storageResource(def);
      const curStored = tx.get(resource, def.namespaced ? ns : '', name);
      const warnings: string[] = [];
      if (!curStored) {
        if (type !== 'apply' || opts.subresource) throw notFound(gr(def), name);
        const applied = patch as KubeObject;
        this.checkTypeMeta(def, applied);
        if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
          throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
        }
        this.checkFields(def, applied, opts.fieldValidation ?? 'Strict', warnings);
        const base: KubeObject = {
          apiVersion: apiVersionOf(def),
          kind: def.kind,
          metadata: { name, namespace: def.namespaced ? ns : undefined },
        };
        const merged = serverSideApply({
          live: undefined,
          applied,
          manager: opts.fieldManager!,
          force: !!opts.force,
          schema: def.schema,
          now: ctx.now,
          apiVersion: apiVersionOf(def),
        });
        const obj = { ...merged, metadata: { ...merged.metadata, ...{ name, namespace: base.metadata.namespace } } };
        this.alignNamespace(def, obj, ns);
        const created = this.createIn(def, tx, ctx, obj, opts.fieldManager!, opts, true);
        return { object: created, warnings: [...warnings, ...ctx.warnings], created: true };
      }
      const cur = this.toAPI(def, curStored);
      let next: KubeObject;
      switch (type) {
        case 'merge':
          next = applyMergePatch(clone(cur), patch) as KubeObject;
          break;
        case 'json':
          next = applyJsonPatch(clone(cur), patch) as KubeObject;
          break;
        case 'strategic':
          next = applyStrategicMergePatch(clone(cur), patch as Record<string, unknown>, def.schema) as KubeObject;
          break;
        case 'apply': {
          const applied = patch as KubeObject;
          this.checkTypeMeta(def, applied);
          this.checkFields(def, applied, opts.fieldValidation ?? 'Strict', warnings);
          next = serverSideApply({
            live: clone(cur),
            applied,
            manager: opts.fieldManager!,
            force: !!opts.force,
            schema: def.schema,
            now: ctx.now,
            apiVersion: apiVersionOf(def),
            subresource: opts.subresource,
          });
          break;
        }
      }
      this.checkTypeMeta(def, next);
      if (next.metadata.name !== name)
        throw badRequest(`the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`);
      if (type !== 'apply')
        this.checkFields(def, opts.subresource ? this.writtenPart(def, opts.subresource, next) : next, opts.fieldValidation, warnings, {
          type,
          patch,
          result: next,
        });
      const out = this.updateIn(def, tx, ctx, cur, next, opts, opts.fieldManager ?? 'unknown', type === 'apply');
      return { object: out, warnings: [...warnings, ...ctx.warnings] };
    });
  }

  // ---- delete ----

  delete(def: ResourceDef, ns: string, name: string, opts: DeleteOptions = {}): DeleteResult {
    def.admitDelete?.(name);
    return this.write(opts, (tx, ctx) => {
      const stored = tx.get(storageResource(def), def.namespaced ? ns : '', name);
      if (!stored) throw notFound(gr(def), name);
      const r = this.deleteIn(def, tx, ctx, this.toAPI(def, stored), opts);
      return ctx.warnings.length ? { ...r, warnings: ctx.warnings } : r;
    });
  }

  private deleteIn(def: ResourceDef, tx: Tx, ctx: WriteContext, cur: KubeObject, opts: DeleteOptions): DeleteResult {
    const name = cur.metadata.name!;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== cur.metadata.uid) {
      throw conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw conflict(
        gr(def),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`,
      );
    }
    if (this.policies)
      ctx.warnings.push(
        ...this.policies({
          def,
          operation: 'DELETE',
          namespace: cur.metadata.namespace ?? '',
          name,
          old: cur,
          user: ctx.user,
          dryRun: ctx.dryRun,
        }),
      );
    opts.admission?.validate?.(undefined, cur);
    const policy =
      opts.propagationPolicy ??
      (opts.orphanDependents === true
        ? 'Orphan'
        : opts.orphanDependents === false
          ? 'Background'
          : (def.defaultPropagation ?? 'Background'));
    const obj = clone(cur);
    const meta = obj.metadata;
    const finalizers = new Set(meta.finalizers ?? []);
    const before = finalizers.size;
    // The GC finalizers express the propagation policy (upstream deletionFinalizersForGarbageCollection).
    if (policy === 'Orphan') {
      finalizers.delete(FINALIZER_FOREGROUND);
      finalizers.add(FINALIZER_ORPHAN);
    } else if (policy === 'Foreground') {
      finalizers.delete(FINALIZER_ORPHAN);
      finalizers.add(FINALIZER_FOREGROUND);
    } else if (opts.propagationPolicy === 'Background' || opts.orphanDependents === false) {
      finalizers.delete(FINALIZER_ORPHAN);
      finalizers.delete(FINALIZER_FOREGROUND);
    }
    if (!meta.deletionTimestamp) for (const f of def.deletionFinalizers ?? []) finalizers.add(f);
    // Orphan/foreground only make sense when there is something to wait for; an object without
    // dependents still goes through the GC, which removes the finalizer at once.
    const grace = def.gracePeriod ? def.gracePeriod(obj, opts.gracePeriodSeconds) : 0;
    const pending = finalizers.size > 0 || !!def.deletionPending?.(obj) || grace > 0;
    if (!pending) {
      const gone = this.removeIn(def, tx, ctx, cur);
      return { object: ctx.dryRun ? this.dryRunView(def, gone) : gone, deleted: true };
    }
    if (meta.deletionTimestamp && finalizers.size === before && grace === 0) {
      // Already deleting; nothing new to record (upstream returns the object unchanged, 202).
      return { object: cur, deleted: false };
    }
    if (!meta.deletionTimestamp) {
      meta.deletionTimestamp = deletionTime(ctx.now, grace);
      meta.deletionGracePeriodSeconds = grace;
      def.onDeletionStarted?.(obj, ctx);
    } else if (grace > 0 && grace < (meta.deletionGracePeriodSeconds ?? Infinity)) {
      // A shorter grace period may replace a longer one (kubectl delete --grace-period=0 --force).
      meta.deletionTimestamp = deletionTime(ctx.now, grace);
      meta.deletionGracePeriodSeconds = grace;
    }
    if (finalizers.size) meta.finalizers = [...finalizers];
    else delete meta.finalizers;
    const stored = tx.update(storageResource(def), this.toStorage(def, obj));
    return { object: ctx.dryRun ? this.dryRunView(def, stored) : this.toAPI(def, stored), deleted: false };
  }

  /** The final removal from storage, with the kind's release hook (allocations). */
  private removeIn(def: ResourceDef, tx: Tx, ctx: WriteContext, cur: KubeObject): KubeObject {
    def.afterDelete?.(cur, ctx);
    const gone = tx.delete(storageResource(def), cur.metadata.namespace ?? '', cur.metadata.name!);
    return gone ? this.toAPI(def, gone) : cur;
  }

  /** Completes a graceful deletion (the node agent's `grace 0` delete of a terminated Pod). */
  forceDelete(def: ResourceDef, ns: string, name: string, uid?: string): KubeObject | undefined {
    return this.write({}, (tx, ctx) => {
      const stored = tx.get(storageResource(def), def.namespaced ? ns : '', name);
      if (!stored || (uid && stored.metadata.uid !== uid)) return undefined;
      return this.removeIn(def, tx, ctx, this.toAPI(def, stored));
    });
  }

  deleteCollection(def: ResourceDef, ns: string | undefined, filter: (o: KubeObject) => boolean, opts: DeleteOptions = {}): KubeObject[] {
    const resource = storageResource(def);
    const out: KubeObject[] = [];
    for (const stored of this.store.listObjects(resource, def.namespaced ? ns : undefined)) {
      const obj = this.toAPI(def, stored);
      if (!filter(obj)) continue;
      try {
        const r = this.delete(def, obj.metadata.namespace ?? '', obj.metadata.name!, { ...opts, preconditions: undefined });
        out.push(r.object);
      } catch (e) {
        if (e instanceof StatusError && e.code === 404) continue;
        throw e;
      }
    }
    return out;
  }
}

/** managedFields times change on every write; they alone do not make an update. */
/** now.Add(time.Second * time.Duration(grace)) (BeforeDelete): int64 nanoseconds that wrap, as
 *  Go's do, so an absurd gracePeriodSeconds gives some time rather than an invalid Date. */
function deletionTime(now: Date, grace: number): string {
  const ns = goDurationNs(BigInt(Math.trunc(grace)), 1_000_000_000n);
  return rfc3339(new Date(now.getTime() + Number(ns / 1_000_000n)));
}

function withoutTimes(o: KubeObject): KubeObject {
  const mf = o.metadata.managedFields;
  if (!mf) return o;
  return { ...o, metadata: { ...o.metadata, managedFields: mf.map((e) => ({ ...e, time: undefined })) } };
}

/**
 * A patch whose result does not decode (upstream endpoints/handlers/patch.go): 422 Invalid for
 * an empty GroupKind and name, one `patch` field error. JSON and merge patches report the patched
 * object's JSON and the decoder's text (jsonPatcher.applyPatchToCurrentObject); strategic merge
 * patches report the patch map as Go's %+v prints it and the unstructured converter's text
 * (applyPatchToObject), e.g. `patch: Invalid value: "map[metadata:map[labels:invalid]]": cannot
 * restore map from string`. fieldValidation=Strict's unknown fields are reported the same way.
 */
function patchedObjectInvalid(
  p: { type: PatchType; patch: unknown; result: unknown },
  decodeError: string,
  converterError: string,
): StatusError {
  const [value, why] = p.type === 'strategic' ? [goPrint(p.patch), converterError] : [JSON.stringify(p.result), decodeError];
  const body = `Invalid value: ${goQuote(value)}: ${why}`;
  return new StatusError(422, 'Invalid', ` "" is invalid: patch: ${body}`, {
    causes: [{ reason: 'FieldValueInvalid', message: body, field: 'patch' }],
  });
}
