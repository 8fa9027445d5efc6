// Building blocks for the per-kind schemas: plain JSON Schema (the subset OpenAPI v3 uses) with
// upstream's `x-kubernetes-*` extensions, built with TypeBox so each kind also gets a static
// TypeScript type. One schema per kind feeds strict decoding (src/apimachinery/decode.ts), OpenAPI
// (src/server/openapi.ts) and patch merge keys (src/api/patch). Conventions:
// /work/notes/schema-conventions.md.
//
// Private keys (openapi.ts strips every `x-tinykube-*` key from its output):
//   x-tinykube-name              upstream's OpenAPI definition name of a named type; openapi.ts
//                                hoists such schemas into components.schemas and references them.
//   x-tinykube-go                the Go type upstream names in json decode errors when it cannot be
//                                derived from the schema (string aliases such as `v1.Protocol`).
//   x-tinykube-type-description  the named type's own description, kept when a use site replaces
//                                `description` with the field's (see `Field`).
import {
  Type,
  type Static,
  type TSchema,
  type TArray,
  type TObject,
  type TProperties,
  type ObjectOptions,
  type SchemaOptions,
} from '@sinclair/typebox';

export type Json = Record<string, unknown>;

const desc = (description?: string, go?: string): Json => ({
  ...(description ? { description } : {}),
  ...(go ? { 'x-tinykube-go': go } : {}),
});

export const Str = (description?: string, go?: string) => Type.String(desc(description, go));
export const Bool = (description?: string) => Type.Boolean(desc(description));
export const Int32 = (description?: string, go?: string) => Type.Integer({ format: 'int32', ...desc(description, go) });
export const Int64 = (description?: string, go?: string) => Type.Integer({ format: 'int64', ...desc(description, go) });
export const Float64 = (description?: string) => Type.Number({ format: 'double', ...desc(description) });
/** []byte: base64 in JSON. */
export const Bytes = (description?: string) => Type.String({ format: 'byte', ...desc(description) });

/** metav1.Time: RFC 3339 with seconds precision. */
export const Time = (description?: string) =>
  Type.String({ format: 'date-time', 'x-tinykube-name': 'io.k8s.apimachinery.pkg.apis.meta.v1.Time', ...desc(description) });
/** metav1.MicroTime: RFC 3339 with microseconds. */
export const MicroTime = (description?: string) =>
  Type.String({ format: 'date-time', 'x-tinykube-name': 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime', ...desc(description) });

/** map[string]string. Not Type.Record, which emits patternProperties. */
export const StringMap = (description?: string, mapType?: 'atomic' | 'granular') =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...desc(description),
    ...(mapType ? { 'x-kubernetes-map-type': mapType } : {}),
  });

/** map[string]<value> */
export const MapOf = <T extends TSchema>(value: T, description?: string, go?: string) =>
  Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, ...desc(description, go) });

/** intstr.IntOrString (targetPort, probe ports). */
export const IntOrString = (description?: string) =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-tinykube-name': 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ...desc(description),
  });

/** resource.Quantity: "100m", "1Gi" or a plain number. */
export const Quantity = (description?: string) =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-tinykube-name': 'io.k8s.apimachinery.pkg.api.resource.Quantity',
    ...desc(description),
  });

/** ResourceList: map[ResourceName]resource.Quantity. */
export const ResourceList = (description?: string) => MapOf(Quantity(), description, 'v1.ResourceList');

/**
 * A free-form subtree: anything is accepted and stored, nothing is an unknown field. Used for
 * rarely used parts of PodSpec (affinity, cloud volume sources) that tinykube never reads.
 */
export const Free = (name?: string, description?: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...(name ? { 'x-tinykube-name': name } : {}),
    ...desc(description),
  });

export interface NamedOpts {
  /** x-kubernetes-map-type on a struct (`+structType=atomic`). */
  mapType?: 'atomic' | 'granular';
  extra?: Json;
}

/** A named object type (upstream definition name, e.g. io.k8s.api.core.v1.ServicePort). */
export const Named = <P extends TProperties>(name: string, description: string, properties: P, o: NamedOpts = {}): TObject<P> =>
  Type.Object(properties, {
    'x-tinykube-name': name,
    ...(description ? { description } : {}),
    ...(o.mapType ? { 'x-kubernetes-map-type': o.mapType } : {}),
    ...o.extra,
  } as ObjectOptions);

/**
 * A named type at one place of use, with the field's description (kubectl explain shows the
 * field's text, then the type's). The type's own description moves aside so the OpenAPI
 * component keeps it.
 */
export const Field = <T extends TSchema>(s: T, description: string): T => {
  const out: Json = { ...s, description };
  if (s.description && s['x-tinykube-name']) out['x-tinykube-type-description'] = s.description;
  return out as T;
};

export interface ListOpts {
  /** x-kubernetes-list-type */
  type?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys */
  keys?: string[];
  /** x-kubernetes-patch-merge-key */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy */
  strategy?: string;
  go?: string;
}

/** An array with upstream's list extensions. */
export const List = <T extends TSchema>(items: T, description?: string, o: ListOpts = {}): TArray<T> =>
  Type.Array(items, {
    ...desc(description, o.go),
    ...(o.type ? { 'x-kubernetes-list-type': o.type } : {}),
    ...(o.keys ? { 'x-kubernetes-list-map-keys': o.keys } : {}),
    ...(o.mergeKey ? { 'x-kubernetes-patch-merge-key': o.mergeKey } : {}),
    ...(o.strategy ? { 'x-kubernetes-patch-strategy': o.strategy } : {}),
  } as SchemaOptions);

/** Shorthands for the common list shapes. */
export const AtomicList = <T extends TSchema>(items: T, description?: string) => List(items, description, { type: 'atomic' });
export const SetList = <T extends TSchema>(items: T, description?: string) => List(items, description, { type: 'set' });
/** listType=map with listMapKey(s); SMP merge key = first key unless given. */
export const MapList = <T extends TSchema>(
  items: T,
  keys: string[],
  description?: string,
  mergeKey: string | undefined = keys[0],
  strategy = 'merge',
) => List(items, description, { type: 'map', keys, mergeKey, strategy });
export const StringList = (description?: string, type: 'atomic' | 'set' = 'atomic') => List(Type.String(), description, { type });

export const Opt = Type.Optional;

/** apiVersion and kind of a top-level object (metav1.TypeMeta, inlined). */
export const typeMeta = () => ({
  apiVersion: Opt(Str('APIVersion defines the versioned schema of this representation of an object.')),
  kind: Opt(Str('Kind is a string value representing the REST resource this object represents.')),
});
