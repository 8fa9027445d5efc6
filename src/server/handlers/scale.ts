// The scale subresource (upstream ScaleREST of ReplicaSets, ReplicationControllers, Deployments and
// StatefulSets): an autoscaling/v1 Scale made from the parent (name, namespace, uid,
// resourceVersion, creationTimestamp; spec.replicas; status.replicas and status.selector) is read,
// replaced or patched, and only spec.replicas goes back to the parent, written as an update of the
// parent with the Scale's resourceVersion as its precondition. Validation is ValidateScale's
// (`Scale.autoscaling "x" is invalid: spec.replicas: ...`), a Scale whose uid is not the parent's
// is a Conflict, and then the parent's own update validation runs. kubectl scale and HPAs PATCH it.
import type { FastifyReply } from 'fastify';
import { schemas as autoscalingSchemas, type Scale } from '../../api/generated/autoscaling/v1.js';
import type { KubeObject, ObjectMeta } from '../../apimachinery/types.js';
import type { ResourceDef } from '../../registry/types.js';
import { badRequest, conflict, invalid, notFound, unsupportedMediaType, StatusError } from '../../apimachinery/errors.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { nameIsDNSSubdomain, validateObjectMeta } from '../../apimachinery/validation.js';
import { checkObject, strictDecodingError, unknownFieldWarnings } from '../../apimachinery/decode.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from '../../apimachinery/patch/index.js';
import { clone } from '../../apimachinery/meta.js';
import type { PatchType, WriteOptions } from '../../registry/generic-store.js';
import { getOptions, requestQuery, writeOptions } from '../query-params.js';
import { BODY_TYPES, decodeBody, mediaType } from './body.js';
import { PATCH_TYPES, patchShapeError } from './patch.js';
import { acked, writeWarnings } from './response.js';
import type { ItemHandler, RequestScope } from './scope.js';

type ScaleObj = Omit<Scale, 'metadata'> & { metadata: ObjectMeta };

const SCALE_API_VERSION = 'autoscaling/v1';
const SCALE_GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
const scaleSchema = () => autoscalingSchemas.Scale;

const SPEC_REPLICAS = '.spec.replicas';

/** An integer at a simple JSON path (`.spec.replicas`), 0 when absent. */
function numberAt(o: KubeObject, path: string): number {
  let cur: unknown = o;
  for (const f of path.split('.').filter(Boolean))
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[f] : undefined;
  return typeof cur === 'number' ? cur : 0;
}

/** Sets the integer at a simple JSON path, making the objects on the way. */
function setNumberAt(o: Record<string, unknown>, path: string, v: number): void {
  const fields = path.split('.').filter(Boolean);
  let cur = o;
  for (const f of fields.slice(0, -1)) {
    const next = cur[f];
    cur = cur[f] = next !== null && typeof next === 'object' && !Array.isArray(next) ? { ...(next as Record<string, unknown>) } : {};
  }
  cur[fields[fields.length - 1]!] = v;
}

/** upstream scaleFromReplicaSet / scaleFromRC / scaleFromDeployment / scaleFromStatefulSet. */
export function scaleOf(def: ResourceDef, o: KubeObject): ScaleObj {
  const sc = def.scale!;
  const replicas = numberAt(o, sc.specReplicasPath ?? SPEC_REPLICAS);
  const selector = sc.selector(o);
  const m = o.metadata;
  return {
    kind: 'Scale',
    apiVersion: SCALE_API_VERSION,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    // ScaleSpec.replicas is omitempty: a parent scaled to 0 shows `spec: {}`.
    spec: replicas ? { replicas } : {},
    status: { replicas: numberAt(o, sc.statusReplicasPath ?? '.status.replicas'), ...(selector ? { selector } : {}) },
  };
}

/** `replicasets/scale` of the parent's group (the Go registries name it so in their errors). */
const scaleResource = (def: ResourceDef, group = def.group) => ({ group, resource: `${def.plural}/scale` });

/** autoscalingvalidation.ValidateScale. */
function validateScale(s: ScaleObj): FieldError[] {
  const errs = validateObjectMeta(s.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  const r = s.spec?.replicas;
  if (typeof r === 'number' && r < 0) errs.push(fieldErr.invalid('spec.replicas', r, 'must be greater than or equal to 0'));
  return errs;
}

/** The type checks of a Scale sent or patched (strict decoding per fieldValidation). */
function checkScale(body: unknown, mode: WriteOptions['fieldValidation'], warnings: string[], patched: boolean): void {
  const res = checkObject(body, scaleSchema(), 'Scale', { prune: mode !== 'Strict', canonical: true });
  if (res.typeErrors.length) {
    if (patched)
      throw new StatusError(
        422,
        'Invalid',
        ` "" is invalid: patch: Invalid value: ${JSON.stringify(JSON.stringify(body))}: ${res.typeErrors[0]}`,
        {
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: `Invalid value: ${JSON.stringify(JSON.stringify(body))}: ${res.typeErrors[0]}`,
              field: 'patch',
            },
          ],
        },
      );
    throw badRequest(`Scale in version "v1" cannot be handled as a Scale: ${res.typeErrors.join(', ')}`);
  }
  if (!res.unknownFields.length || mode === 'Ignore') return;
  if (mode === 'Strict') {
    const strict = strictDecodingError(res.unknownFields);
    if (patched) throw new StatusError(422, 'Invalid', ` "" is invalid: patch: Invalid value: "": ${strict}`);
    throw badRequest(`Scale in version "v1" cannot be handled as a Scale: ${strict}`);
  }
  warnings.push(...unknownFieldWarnings(res.unknownFields));
}

function checkTypeMeta(body: unknown): asserts body is ScaleObj {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  const o = body as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'Scale')
    throw badRequest(
      `${String(o.kind)} in version "v1" cannot be handled as a Scale: no kind "${String(o.kind)}" is registered for version "${SCALE_API_VERSION}"`,
    );
  if (o.apiVersion !== undefined && o.apiVersion !== SCALE_API_VERSION)
    throw badRequest(
      `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${SCALE_API_VERSION})`,
    );
  if (o.metadata === undefined || o.metadata === null) o.metadata = {};
}

export interface ScaleHandlers {
  get: ItemHandler;
  update: ItemHandler;
  patch: ItemHandler;
}

export function scaleHandlers(scope: RequestScope): ScaleHandlers {
  const { def, store, registry } = scope;

  /**
   * The parent: for a write as the write will see it (uncommitted writes of this turn included),
   * for a read as committed.
   */
  const current = (ns: string, name: string, forWrite: boolean, group?: string): KubeObject => {
    try {
      return forWrite ? store.txn(() => registry.get(def, ns, name)) : registry.get(def, ns, name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) throw notFound(scaleResource(def, group), name);
      throw e;
    }
  };

  const send = (reply: FastifyReply, s: ScaleObj, code = 200) => reply.code(code).type('application/json').send(s);

  /**
   * scaleUpdatedObjectInfo.UpdatedObject and the parent's update. Admission sees the Scales
   * (autoscaling/v1, old and new) of `<plural>/scale`: webhooks here, before the write; policies in it.
   */
  const write = async (
    reply: FastifyReply,
    ns: string,
    name: string,
    opts: WriteOptions,
    warnings: string[],
    next: (old: ScaleObj) => ScaleObj,
  ) => {
    const cur = current(ns, name, true);
    const oldScale = scaleOf(def, cur);
    let scale = next(clone(oldScale));
    const m = scale.metadata;
    if (m.name !== undefined && m.name !== name)
      throw badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${name})`);
    if (m.namespace && m.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    m.name = name;
    m.namespace = ns;
    if (scope.admitted) {
      const admitted = await scope.admitted.admitObject(def, SCALE_GVK, ns, name, scale as KubeObject, oldScale as KubeObject, {
        ...opts,
        subresource: 'scale',
      });
      scale = admitted.object as ScaleObj;
      warnings.push(...admitted.warnings);
    }
    const errs = validateScale(scale);
    if (errs.length) throw invalid('Scale', 'autoscaling', cur.metadata.name!, errs);
    if (scale.metadata.uid && scale.metadata.uid !== cur.metadata.uid)
      throw conflict(
        scaleResource(def),
        name,
        `Precondition failed: UID in precondition: ${scale.metadata.uid}, UID in object meta: ${String(cur.metadata.uid)}`,
      );
    const parent = clone(cur);
    setNumberAt(parent as unknown as Record<string, unknown>, def.scale!.specReplicasPath ?? SPEC_REPLICAS, scale.spec?.replicas ?? 0);
    parent.metadata.resourceVersion = scale.metadata.resourceVersion ?? '';
    const r = registry.update(def, ns, name, parent, {
      ...opts,
      trusted: true,
      subresource: 'scale',
      admissionView: { kind: SCALE_GVK, object: scale as KubeObject, old: oldScale as KubeObject },
    });
    writeWarnings(reply, [...warnings, ...r.warnings]);
    return acked(store, () => send(reply, scaleOf(def, r.object)));
  };

  return {
    get(req, reply, ns, name) {
      scope.need('get');
      getOptions(requestQuery(req.url));
      // The ReplicationController registry names its Scale resource in autoscaling for reads.
      return send(reply, scaleOf(def, current(ns, name, false, def.group || 'autoscaling')));
    },
    update(req, reply, ns, name) {
      scope.need('update');
      const q = requestQuery(req.url);
      const opts = { ...writeOptions(q, req.headers['user-agent'], 'update'), user: req.user };
      const body = decodeBody(req, BODY_TYPES, 'Scale');
      checkTypeMeta(body);
      const warnings: string[] = [];
      checkScale(body, opts.fieldValidation, warnings, false);
      return write(reply, ns, name, opts, warnings, () => ({ ...body, kind: 'Scale', apiVersion: SCALE_API_VERSION }));
    },
    patch(req, reply, ns, name) {
      scope.need('patch');
      const type: PatchType | undefined = PATCH_TYPES[mediaType(req)];
      if (!type) throw unsupportedMediaType(Object.keys(PATCH_TYPES));
      const q = requestQuery(req.url);
      const opts = { ...writeOptions(q, req.headers['user-agent'], { patch: type }), user: req.user };
      const body = decodeBody(req, Object.keys(PATCH_TYPES));
      const shapeError = patchShapeError(type, body);
      if (shapeError) throw shapeError;
      const warnings: string[] = [];
      return write(reply, ns, name, opts, warnings, (old) => {
        let next: unknown;
        switch (type) {
          case 'merge':
            next = applyMergePatch(clone(old), body);
            break;
          case 'json':
            next = applyJsonPatch(clone(old), body);
            break;
          case 'strategic':
            next = applyStrategicMergePatch(clone(old), body as Record<string, unknown>, scaleSchema());
            break;
          case 'apply': {
            // Server-side apply of a Scale: the fields it sets are taken (ownership is recorded as
            // an update of the parent by the manager).
            checkTypeMeta(body);
            checkScale(body, opts.fieldValidation ?? 'Strict', warnings, false);
            next = applyMergePatch(clone(old), { spec: (body as ScaleObj).spec ?? {} });
            break;
          }
        }
        checkTypeMeta(next);
        if (type !== 'apply') checkScale(next, opts.fieldValidation, warnings, true);
        return next;
      });
    },
  };
}
