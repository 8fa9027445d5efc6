// Writes with admission webhooks (upstream's admission chain around the REST handlers): the
// Registry's writes are synchronous transactions, webhooks are HTTPS calls, so a write that a
// webhook may match runs in three passes over the same request:
//   1. a dry run up to the mutating point, to get the decoded, defaulted object (and the stored
//      one) the mutating webhooks see; the webhooks run and their patches apply;
//   2. a dry run with that object, up to the point just before storage (validation, name
//      generation, allocations done), to get the object the validating webhooks see; they run;
//   3. the write itself, with the mutated object and the name, uid and time of pass 2, taking the
//      object only if what it meets at both points is what the webhooks saw. Otherwise something
//      changed meanwhile (a concurrent write): the passes run again, as upstream's GuaranteedUpdate
//      calls admission again after a conflict.
// A write no webhook can match (anyWebhookMayMatch: the rules only) is the plain synchronous
// write: requests pay for admission only when a configuration could apply to them.
import type { KubeObject } from '../apimachinery/types.js';
import type { UserInfo } from '../auth/users.js';
import { clone, deepEqual, generateName, newUID, rfc3339 } from '../apimachinery/meta.js';
import { conflict, OPTIMISTIC_LOCK_MESSAGE } from '../apimachinery/errors.js';
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from '../api/generated/admissionregistration/v1.js';
import type { ResourceDef } from './types.js';
import type { AdmissionHooks, DeleteOptions, DeleteResult, PatchType, Registry, WriteOptions, WriteResult } from './generic-store.js';
import type { AdmissionAttributes, AdmissionObject, GroupVersionKind, Operation } from './admission/types.js';
import type { WebhookDispatcher } from './admission/dispatcher.js';
import { anyWebhookMayMatch } from './admission/matching.js';

/** The webhook configurations in force (the informers' current objects). */
export interface WebhookConfigurations {
  mutating(): readonly MutatingWebhookConfiguration[];
  validating(): readonly ValidatingWebhookConfiguration[];
}

const ATTEMPTS = 5;
const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Thrown by a capturing hook to end a dry pass at its point, with the object there. */
class Captured extends Error {
  constructor(
    readonly object: KubeObject | undefined,
    readonly old: KubeObject | undefined,
  ) {
    super('captured');
  }
}
/** Thrown by the final pass when what it meets is not what the webhooks saw. */
class Changed extends Error {}

function capture(run: () => unknown): Captured {
  try {
    run();
  } catch (e) {
    if (e instanceof Captured) return e;
    throw e;
  }
  // The write ended before reaching the point (a no-op or a refusal throws before it).
  throw new Error('admission point not reached');
}

/** Managed fields carry the time of each pass: the same write at another instant is the same write. */
function sameWrite(a: KubeObject | undefined, b: KubeObject | undefined): boolean {
  const strip = (o: KubeObject | undefined) =>
    o && { ...o, metadata: { ...o.metadata, managedFields: o.metadata.managedFields?.map((m) => ({ ...m, time: undefined })) } };
  return deepEqual(strip(a), strip(b));
}

const optionsKind = (op: Operation) => (op === 'CREATE' ? 'CreateOptions' : op === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions');

export class AdmittedWrites {
  constructor(
    readonly registry: Registry,
    private readonly dispatcher: WebhookDispatcher,
    private readonly configs: WebhookConfigurations,
  ) {}

  /** Could a webhook apply to this operation on `def` (its subresource)? */
  private applies(def: ResourceDef, operation: Operation, subresource = ''): boolean {
    const resource = { group: def.group, version: def.version, resource: def.plural };
    const m = this.configs.mutating();
    const v = this.configs.validating();
    return (m.length > 0 || v.length > 0) && anyWebhookMayMatch([...m, ...v], resource, operation, subresource);
  }

  private attributes(
    def: ResourceDef,
    operation: Operation,
    ns: string,
    name: string,
    object: KubeObject | undefined,
    old: KubeObject | undefined,
    opts: { user?: UserInfo; dryRun?: boolean; subresource?: string; fieldManager?: string },
    kind: GroupVersionKind = { group: def.group, version: def.version, kind: def.kind },
  ): AdmissionAttributes {
    const options: Record<string, unknown> = { kind: optionsKind(operation), apiVersion: 'meta.k8s.io/v1' };
    if (operation !== 'DELETE' && opts.fieldManager) options.fieldManager = opts.fieldManager;
    if (opts.dryRun) options.dryRun = ['All'];
    return {
      operation,
      kind,
      resource: { group: def.group, version: def.version, resource: def.plural },
      subresource: opts.subresource ?? '',
      namespace: def.namespaced ? ns : '',
      name,
      object: (object ?? null) as AdmissionObject | null,
      oldObject: (old ?? null) as AdmissionObject | null,
      userInfo: opts.user ?? ANONYMOUS,
      dryRun: !!opts.dryRun,
      options,
    };
  }

  /**
   * Passes 1 and 2 and the webhooks; returns the final pass's hooks and the webhooks' warnings. A
   * kind no mutating (validating) configuration can match skips pass 1 (2) and its webhooks.
   */
  private async admit(
    def: ResourceDef,
    operation: Operation,
    ns: string,
    name: string,
    opts: WriteOptions,
    dry: (hooks: AdmissionHooks, preset?: WriteOptions['preset']) => unknown,
  ): Promise<{ hooks: AdmissionHooks; preset?: WriteOptions['preset']; warnings: string[] }> {
    const resource = { group: def.group, version: def.version, resource: def.plural };
    const mayMutate = anyWebhookMayMatch(this.configs.mutating(), resource, operation, opts.subresource);
    const mayValidate = anyWebhookMayMatch(this.configs.validating(), resource, operation, opts.subresource);
    const warnings: string[] = [];
    let seen: Captured | undefined;
    let mutated: KubeObject | undefined;
    if (mayMutate) {
      seen = capture(() =>
        dry({
          mutate: (o, old) => {
            throw new Captured(clone(o), old);
          },
        }),
      );
      const m = await this.dispatcher.mutate(
        this.configs.mutating(),
        this.attributes(def, operation, ns, name || seen.object!.metadata.name || '', seen.object, seen.old, opts),
      );
      warnings.push(...m.warnings);
      mutated = (m.object ?? seen.object) as KubeObject;
    }
    const mutate = mutated && (() => clone(mutated!));
    let final: Captured | undefined;
    let preset: WriteOptions['preset'];
    if (mayValidate) {
      // Pass 2 generates the name (and the uid and time) the validating webhooks see; pass 3 uses them.
      if (operation === 'CREATE') {
        preset = { uid: newUID(), creationTimestamp: rfc3339(new Date()) };
        const generate = mutated ? !mutated.metadata?.name && mutated.metadata?.generateName : undefined;
        if (generate) preset.name = generateName(generate);
      }
      const pass2 = preset;
      final = capture(() =>
        dry(
          {
            ...(mutate ? { mutate } : {}),
            validate: (o, old) => {
              throw new Captured(o && clone(o), old);
            },
          },
          pass2,
        ),
      );
      const v = await this.dispatcher.validate(
        this.configs.validating(),
        this.attributes(def, operation, ns, name || final.object?.metadata.name || '', final.object, final.old, opts),
      );
      warnings.push(...v.warnings);
      // A generated name is fixed by pass 2 (a create without mutating webhooks generates it there).
      if (preset && !preset.name && final.object?.metadata.generateName) preset.name = final.object.metadata.name;
    }
    const hooks: AdmissionHooks = {};
    if (mutated)
      hooks.mutate = (o) => {
        // Creates meet no stored state before this point; updates must meet what the webhooks saw.
        if (operation !== 'CREATE' && !sameWrite(o, seen!.object)) throw new Changed();
        return clone(mutated!);
      };
    if (final)
      hooks.validate = (o) => {
        if (!sameWrite(o, final!.object)) throw new Changed();
      };
    return { hooks, preset, warnings };
  }

  /** Runs `write` with admission until it goes through unchanged (or ATTEMPTS times: a Conflict). */
  private async retrying<R extends { warnings?: string[] }>(def: ResourceDef, name: string, once: () => Promise<R>): Promise<R> {
    for (let i = 0; i < ATTEMPTS; i++) {
      try {
        return await once();
      } catch (e) {
        if (!(e instanceof Changed)) throw e;
      }
    }
    throw conflict({ group: def.group, resource: def.plural }, name, OPTIMISTIC_LOCK_MESSAGE);
  }

  /**
   * Webhooks on a subresource write whose object is another kind, computed outside the registry (a
   * Scale of `def`'s object): the mutating webhooks' result, validated by the validating webhooks.
   */
  async admitObject(
    def: ResourceDef,
    kind: GroupVersionKind,
    ns: string,
    name: string,
    object: KubeObject,
    old: KubeObject,
    opts: WriteOptions & { subresource: string },
  ): Promise<{ object: KubeObject; warnings: string[] }> {
    if (!this.applies(def, 'UPDATE', opts.subresource)) return { object, warnings: [] };
    const m = await this.dispatcher.mutate(this.configs.mutating(), this.attributes(def, 'UPDATE', ns, name, object, old, opts, kind));
    const mutated = (m.object ?? object) as KubeObject;
    const v = await this.dispatcher.validate(this.configs.validating(), this.attributes(def, 'UPDATE', ns, name, mutated, old, opts, kind));
    return { object: mutated, warnings: [...m.warnings, ...v.warnings] };
  }

  async create(def: ResourceDef, ns: string, body: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    await def.prepareWrite?.(body);
    if (!this.applies(def, 'CREATE')) return this.registry.create(def, ns, body, opts);
    const name = typeof body?.metadata?.name === 'string' ? body.metadata.name : '';
    return this.retrying(def, name, async () => {
      const { hooks, preset, warnings } = await this.admit(def, 'CREATE', ns, '', opts, (admission, p) =>
        this.registry.create(def, ns, clone(body), { ...opts, dryRun: true, admission, preset: p }),
      );
      const r = this.registry.create(def, ns, clone(body), { ...opts, admission: hooks, preset });
      return { ...r, warnings: [...warnings, ...r.warnings] };
    });
  }

  async update(def: ResourceDef, ns: string, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<WriteResult> {
    await def.prepareWrite?.(body);
    if (!this.applies(def, 'UPDATE', opts.subresource) && !this.applies(def, 'CREATE'))
      return this.registry.update(def, ns, name, body, opts);
    return this.retrying(def, name, async () => {
      const operation = this.registry.exists(def, ns, name) ? 'UPDATE' : 'CREATE';
      const { hooks, preset, warnings } = await this.admit(def, operation, ns, name, opts, (admission, p) =>
        this.registry.update(def, ns, name, clone(body), { ...opts, dryRun: true, admission, preset: p }),
      );
      const r = this.registry.update(def, ns, name, clone(body), { ...opts, admission: hooks, preset });
      return { ...r, warnings: [...warnings, ...r.warnings] };
    });
  }

  async patch(def: ResourceDef, ns: string, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<WriteResult> {
    await def.prepareWrite?.(patch);
    if (!this.applies(def, 'UPDATE', opts.subresource) && !(type === 'apply' && this.applies(def, 'CREATE')))
      return this.registry.patch(def, ns, name, type, patch, opts);
    return this.retrying(def, name, async () => {
      const operation = this.registry.exists(def, ns, name) ? 'UPDATE' : 'CREATE';
      const { hooks, preset, warnings } = await this.admit(def, operation, ns, name, opts, (admission, p) =>
        this.registry.patch(def, ns, name, type, clone(patch), { ...opts, dryRun: true, admission, preset: p }),
      );
      const r = this.registry.patch(def, ns, name, type, clone(patch), { ...opts, admission: hooks, preset });
      return { ...r, warnings: [...warnings, ...r.warnings] };
    });
  }

  async delete(
    def: ResourceDef,
    ns: string,
    name: string,
    opts: DeleteOptions & { user?: UserInfo } = {},
  ): Promise<DeleteResult & { warnings: string[] }> {
    if (!this.applies(def, 'DELETE')) {
      const r = this.registry.delete(def, ns, name, opts);
      return { ...r, warnings: r.warnings ?? [] };
    }
    return this.retrying(def, name, async () => {
      const seen = capture(() =>
        this.registry.delete(def, ns, name, {
          ...opts,
          dryRun: true,
          admission: {
            validate: (_o, old) => {
              throw new Captured(undefined, old && clone(old));
            },
          },
        }),
      );
      const attrs = this.attributes(def, 'DELETE', ns, name, undefined, seen.old, opts);
      // Mutating webhooks may watch deletes too; their patches have nothing to apply to.
      const m = await this.dispatcher.mutate(this.configs.mutating(), attrs);
      const v = await this.dispatcher.validate(this.configs.validating(), attrs);
      const r = this.registry.delete(def, ns, name, {
        ...opts,
        admission: {
          validate: (_o, old) => {
            if (!sameWrite(old, seen.old)) throw new Changed();
          },
        },
      });
      return { ...r, warnings: [...m.warnings, ...v.warnings, ...(r.warnings ?? [])] };
    });
  }
}
