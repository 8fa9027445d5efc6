// Strict decoding against a kind's schema, the way upstream's decoder reports problems:
//   - wrong JSON types are a 400 with Go's json error text
//     (`json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32`);
//   - unknown fields are collected with their paths (`spec.ports[0].foo`) for fieldValidation
//     Strict (400 `strict decoding error: unknown field "spec.foo"`) or Warn (Warning headers).
// One pass, plain loops: it runs on every write.
import type { TSchema } from '@sinclair/typebox';

type Schema = Record<string, unknown> & {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  'x-tinykube-name'?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
};

export interface CheckResult {
  typeErrors: string[];
  unknownFields: string[];
}

const jsonType = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'boolean' ? 'bool' : typeof v);

/** The Go type upstream would name in its error. */
function goType(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return s['x-tinykube-name']?.endsWith('Quantity') ? 'resource.Quantity' : 'intstr.IntOrString';
  switch (s.type) {
    case 'string':
      return s.format === 'date-time' ? (s['x-tinykube-name']?.endsWith('MicroTime') ? 'v1.MicroTime' : 'v1.Time') : s.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[]${s.items ? goType(s.items) : 'interface {}'}`;
    case 'object': {
      const name = s['x-tinykube-name'];
      if (name) return `v1.${name.slice(name.lastIndexOf('.') + 1)}`;
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${goType(s.additionalProperties)}`;
      return 'map[string]interface {}';
    }
    default:
      return 'interface {}';
  }
}

function typeOk(s: Schema, v: unknown): boolean {
  if (v === null) return true; // null means unset everywhere
  if (s['x-kubernetes-int-or-string']) return typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v));
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
    default:
      return true;
  }
}

export function checkObject(obj: unknown, schema: TSchema, kind: string): CheckResult {
  const out: CheckResult = { typeErrors: [], unknownFields: [] };
  walk(obj, schema as unknown as Schema, '', '', kind, out);
  return out;
}

/**
 * @param path  JSON path with indices, for unknown fields (`spec.ports[0].foo`)
 * @param goPath dotted path without indices, for Go's type errors (`spec.ports.port`)
 * @param struct Go struct name holding the current value
 */
function walk(v: unknown, s: Schema, path: string, goPath: string, struct: string, out: CheckResult): void {
  if (v === null || v === undefined) return;
  if (s.type === 'object' && typeof v === 'object' && !Array.isArray(v)) {
    const props = s.properties;
    const addl = s.additionalProperties;
    const preserve = s['x-kubernetes-preserve-unknown-fields'];
    const name = s['x-tinykube-name'];
    const here = name ? name.slice(name.lastIndexOf('.') + 1) : struct;
    for (const k in v as Record<string, unknown>) {
      const child = (v as Record<string, unknown>)[k];
      const p = path ? `${path}.${k}` : k;
      const g = goPath ? `${goPath}.${k}` : k;
      const cs = props?.[k] ?? (addl && typeof addl === 'object' ? addl : undefined);
      if (!cs) {
        if (!preserve && !(props === undefined && addl === undefined)) out.unknownFields.push(p);
        continue;
      }
      if (!typeOk(cs, child)) {
        const inMap = !props?.[k];
        out.typeErrors.push(
          inMap
            ? `json: cannot unmarshal ${jsonType(child)} into Go value of type ${goType(cs)}`
            : `json: cannot unmarshal ${jsonType(child)} into Go struct field ${here}.${g} of type ${goType(cs)}`,
        );
        continue;
      }
      walk(child, cs, p, g, here, out);
    }
    return;
  }
  if (s.type === 'array' && Array.isArray(v) && s.items) {
    const items = s.items;
    for (let i = 0; i < v.length; i++) {
      const child = v[i];
      if (!typeOk(items, child)) {
        out.typeErrors.push(`json: cannot unmarshal ${jsonType(child)} into Go struct field ${struct}.${goPath} of type ${goType(items)}`);
        continue;
      }
      walk(child, items, `${path}[${i}]`, goPath, struct, out);
    }
  }
}

export function strictDecodingError(unknownFields: string[]): string {
  return `strict decoding error: ${unknownFields.map((f) => `unknown field "${f}"`).join(', ')}`;
}

export function unknownFieldWarnings(unknownFields: string[]): string[] {
  return unknownFields.map((f) => `unknown field "${f}"`);
}
