// The CEL view of a structural schema (upstream's SchemaDeclType, apiserver/pkg/cel/common/schemas.go):
// objects become message types whose fields are the escaped property names, `additionalProperties`
// maps become map(string, T), arrays list(T), strings with format byte/duration/date/date-time become
// bytes/duration/timestamp, and x-kubernetes-int-or-string is dyn. A property whose schema has no
// CEL type (no type, as with a bare x-kubernetes-preserve-unknown-fields) is not visible to rules,
// and unknown fields that x-kubernetes-preserve-unknown-fields keeps are never visible.
// The root of a resource and every x-kubernetes-embedded-resource object also expose apiVersion,
// kind, metadata.name and metadata.generateName.
import type { Structural } from '../apiextensions/schema/structural.js';
import { escapeName } from './escape.js';
import type { ListType } from './list-types.js';

export type CelModel = ObjectModel | MapModel | ListModel | ScalarModel;

export interface ObjectModel {
  kind: 'object';
  /** The message type's name in the CEL environment. */
  type: string;
  /** Fields by property name (the JSON key) with their escaped CEL name. */
  fields: Map<string, { cel: string; model: CelModel }>;
  /** The type's constructor once registered in an environment (values are instances of it). */
  ctor?: new () => Map<string, unknown>;
}

export interface MapModel {
  kind: 'map';
  type: string;
  value: CelModel;
}

export interface ListModel {
  kind: 'list';
  type: string;
  elem: CelModel;
  /** x-kubernetes-list-type set or map, with a map list's keys by their CEL names. */
  listType?: ListType;
}

export interface ScalarModel {
  kind: 'int' | 'double' | 'string' | 'bool' | 'bytes' | 'timestamp' | 'duration' | 'dyn';
  type: string;
}

const SCALAR_TYPES: Record<ScalarModel['kind'], string> = {
  int: 'int',
  double: 'double',
  string: 'string',
  bool: 'bool',
  bytes: 'bytes',
  timestamp: 'google.protobuf.Timestamp',
  duration: 'google.protobuf.Duration',
  dyn: 'dyn',
};

const scalar = (kind: ScalarModel['kind']): ScalarModel => ({ kind, type: SCALAR_TYPES[kind] });

const STRING: Structural = { type: 'string' };

/** upstream WithTypeAndObjectMeta: apiVersion, kind and metadata{name, generateName} always exist at a resource root. */
function withTypeAndObjectMeta(s: Structural): Structural {
  const p = s.properties ?? {};
  const meta = p.metadata;
  if (
    p.kind?.type === 'string' &&
    p.apiVersion?.type === 'string' &&
    meta?.type === 'object' &&
    meta.properties?.name?.type === 'string' &&
    meta.properties.generateName?.type === 'string'
  )
    return s;
  return {
    ...s,
    properties: {
      ...p,
      kind: STRING,
      apiVersion: STRING,
      metadata: { type: 'object', properties: { name: STRING, generateName: STRING } },
    },
  };
}

/**
 * The CEL model of schema `s` (undefined when rules cannot see it). Object types are named
 * `typeName`, their nested object types `typeName.<field>`, list items `.items` and map values `.values`.
 * `objects` collects every object model, innermost first (the order they must be declared in).
 */
export function celModelOf(s: Structural, isResourceRoot: boolean, typeName: string, objects: ObjectModel[]): CelModel | undefined {
  if (s.xIntOrString) return scalar('dyn');
  if (isResourceRoot) s = withTypeAndObjectMeta(s);
  switch (s.type) {
    case 'array': {
      if (!s.items) return undefined;
      const elem = celModelOf(s.items, !!s.items.xEmbeddedResource, `${typeName}.items`, objects);
      if (!elem) return undefined;
      const list: ListModel = { kind: 'list', type: `list<${elem.type}>`, elem };
      if (s.xListType === 'set') list.listType = { kind: 'set' };
      if (s.xListType === 'map') list.listType = { kind: 'map', keys: (s.xListMapKeys ?? []).map((k) => escapeName(k) ?? k) };
      return list;
    }
    case 'object': {
      const ap = s.additionalProperties?.schema;
      if (ap) {
        const value = celModelOf(ap, !!ap.xEmbeddedResource, `${typeName}.values`, objects);
        return value && { kind: 'map', type: `map<string, ${value.type}>`, value };
      }
      const fields = new Map<string, { cel: string; model: CelModel }>();
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        const cel = escapeName(name);
        if (cel === undefined) continue;
        const model = celModelOf(prop, !!prop.xEmbeddedResource, `${typeName}.${cel}`, objects);
        if (model) fields.set(name, { cel, model });
      }
      const obj: ObjectModel = { kind: 'object', type: typeName, fields };
      objects.push(obj);
      return obj;
    }
    case 'string':
      switch (s.valueValidation?.format) {
        case 'byte':
          return scalar('bytes');
        case 'duration':
          return scalar('duration');
        case 'date':
        case 'date-time':
          return scalar('timestamp');
      }
      return scalar('string');
    case 'boolean':
      return scalar('bool');
    case 'number':
      return scalar('double');
    case 'integer':
      return scalar('int');
  }
  return undefined;
}
