// Building blocks for the per-kind schemas: plain JSON Schema (the subset OpenAPI v3 uses) with
// upstream's `x-kubernetes-*` extensions, wrapped as TypeBox schemas. One schema per kind feeds
// strict decoding (src/api/decode.ts), OpenAPI (src/api/openapi.ts) and patch merge keys
// (src/api/patch). `x-tinykube-name` carries upstream's definition name; openapi.ts turns named
// schemas into components and references and strips the key.
import { Type, type TSchema } from '@sinclair/typebox';

export type Json = Record<string, unknown>;
type S = TSchema;

const wrap = (s: Json): S => Type.Unsafe(s);

export const str = (description?: string, extra: Json = {}): S => wrap({ type: 'string', ...(description ? { description } : {}), ...extra });
export const int = (description?: string): S => wrap({ type: 'integer', format: 'int32', ...(description ? { description } : {}) });
export const int64 = (description?: string): S => wrap({ type: 'integer', format: 'int64', ...(description ? { description } : {}) });
export const num = (description?: string): S => wrap({ type: 'number', format: 'double', ...(description ? { description } : {}) });
export const bool = (description?: string): S => wrap({ type: 'boolean', ...(description ? { description } : {}) });
export const time = (description?: string): S => wrap({ type: 'string', format: 'date-time', 'x-tinykube-name': 'io.k8s.apimachinery.pkg.apis.meta.v1.Time', ...(description ? { description } : {}) });
export const microTime = (description?: string): S => wrap({ type: 'string', format: 'date-time', 'x-tinykube-name': 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime', ...(description ? { description } : {}) });
export const bytes = (description?: string): S => wrap({ type: 'string', format: 'byte', ...(description ? { description } : {}) });

/** map[string]string */
export const strMap = (description?: string, extra: Json = {}): S =>
  wrap({ type: 'object', additionalProperties: { type: 'string' }, ...(description ? { description } : {}), ...extra });
export const mapOf = (value: S, description?: string): S => wrap({ type: 'object', additionalProperties: value, ...(description ? { description } : {}) });

/** intstr.IntOrString */
export const intOrString = (description?: string): S =>
  wrap({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-tinykube-name': 'io.k8s.apimachinery.pkg.util.intstr.IntOrString', ...(description ? { description } : {}) });

/** resource.Quantity: "100m", "1Gi" or a number. */
export const quantity = (description?: string): S =>
  wrap({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-tinykube-name': 'io.k8s.apimachinery.pkg.api.resource.Quantity', ...(description ? { description } : {}) });
export const resourceList = (description?: string): S => mapOf(quantity(), description);

/** A free-form subtree: anything is accepted and stored (rarely used parts of PodSpec). */
export const free = (description?: string, name?: string): S =>
  wrap({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...(name ? { 'x-tinykube-name': name } : {}), ...(description ? { description } : {}) });

export interface ObjOpts {
  description?: string;
  required?: string[];
  mapType?: 'atomic' | 'granular';
  patchStrategy?: string;
  extra?: Json;
}

/** A named object type (upstream definition `name`, e.g. io.k8s.api.core.v1.ServicePort). */
export const obj = (name: string, properties: Record<string, S>, o: ObjOpts = {}): S =>
  wrap({
    type: 'object',
    'x-tinykube-name': name,
    ...(o.description ? { description: o.description } : {}),
    properties,
    ...(o.required?.length ? { required: o.required } : {}),
    ...(o.mapType ? { 'x-kubernetes-map-type': o.mapType } : {}),
    ...(o.patchStrategy ? { 'x-kubernetes-patch-strategy': o.patchStrategy } : {}),
    ...o.extra,
  });

/** Attach a description / extensions to a reused schema at one place of use. */
export const at = (s: S, description: string, extra: Json = {}): S => wrap({ ...(s as Json), description, ...extra });

export interface ListOpts {
  description?: string;
  /** x-kubernetes-list-type */
  type?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys */
  keys?: string[];
  /** x-kubernetes-patch-merge-key */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy */
  strategy?: string;
}

export const list = (items: S, o: ListOpts = {}): S =>
  wrap({
    type: 'array',
    items,
    ...(o.description ? { description: o.description } : {}),
    ...(o.type ? { 'x-kubernetes-list-type': o.type } : {}),
    ...(o.keys ? { 'x-kubernetes-list-map-keys': o.keys } : {}),
    ...(o.mergeKey ? { 'x-kubernetes-patch-merge-key': o.mergeKey } : {}),
    ...(o.strategy ? { 'x-kubernetes-patch-strategy': o.strategy } : {}),
  });

export const strList = (description?: string, o: Omit<ListOpts, 'description'> = { type: 'atomic' }): S => list(str(), { description, ...o });

/** apiVersion, kind and metadata of a top-level kind. */
export function typeMeta(): Record<string, S> {
  return {
    apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
    kind: str('Kind is a string value representing the REST resource this object represents.'),
  };
}
