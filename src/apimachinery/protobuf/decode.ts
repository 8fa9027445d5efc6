// Decodes a Kubernetes protobuf body (`k8s\0` + runtime.Unknown{typeMeta, raw}) into the JSON
// object the REST layer works with. Only the kinds kubectl's typed clients create are known
// (messages.ts); anything else is refused with 415 so the client can be pointed at JSON.
import { StatusError, badRequest } from '../errors.js';
import { fields, int, str, WireError } from './wire.js';
import { MESSAGES, messageFor, type FieldSpec, type FieldType, type Scalar } from './messages.js';

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

export function decodeKubeProtobuf(buf: Uint8Array): Record<string, unknown> {
  if (buf.length < 4 || MAGIC.some((b, i) => buf[i] !== b))
    throw badRequest('provided data does not appear to be a protobuf message, expected prefix [107 115 56 0]');
  try {
    // runtime.Unknown: typeMeta = 1, raw = 2 (the object's own message), contentEncoding = 3.
    let tm: { apiVersion?: string; kind?: string } = {};
    let raw: Uint8Array | undefined;
    for (const fl of fields(buf.subarray(4))) {
      if (fl.no === 1) tm = message(fl.bytes ?? new Uint8Array(), 'TypeMeta');
      else if (fl.no === 2) raw = fl.bytes;
      else if (fl.no === 3 && str(fl.bytes)) throw badRequest(`unsupported content encoding ${str(fl.bytes)}`);
    }
    const kind = tm.kind ?? '';
    const type = messageFor(tm.apiVersion, kind);
    if (!type || !raw) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
      );
    }
    return { apiVersion: tm.apiVersion, kind, ...message(raw, type) };
  } catch (e) {
    if (e instanceof WireError) throw badRequest(`unable to unmarshal protobuf: ${e.message}`);
    throw e;
  }
}

function message(buf: Uint8Array, type: string): Record<string, unknown> {
  const table = MESSAGES[type] ?? {};
  const out: Record<string, unknown> = {};
  for (const fl of fields(buf)) {
    const spec = table[fl.no];
    if (!spec) continue; // a field this server does not know: ignored, like an unknown JSON field under Ignore
    const v = value(spec.type, fl);
    if (spec.repeated) {
      ((out[spec.name] ??= []) as unknown[]).push(v);
    } else if (typeof spec.type === 'object' && 'map' in spec.type) {
      const [k, mv] = v as [string, unknown];
      ((out[spec.name] ??= {}) as Record<string, unknown>)[k] = mv;
    } else out[spec.name] = v;
  }
  for (const spec of Object.values(table)) {
    if (!(spec.name in out)) continue;
    if (spec.inline) {
      // An embedded struct: its fields are this object's (Volume's VolumeSource, Probe's handler).
      const inner = out[spec.name] as Record<string, unknown>;
      delete out[spec.name];
      Object.assign(out, inner);
    } else if (!keep(spec, out[spec.name])) delete out[spec.name];
  }
  return out;
}

/** Go omits zero values of non-pointer fields with omitempty; pointers keep them. */
function keep(spec: FieldSpec, v: unknown): boolean {
  if (spec.ptr || spec.repeated) return true;
  if (v === '' || v === 0 || v === false || v === null) return false;
  return true;
}

function value(t: FieldType, fl: { wire: number; num?: bigint; bytes?: Uint8Array }): unknown {
  if (typeof t === 'string') return scalar(t, fl);
  if ('msg' in t) return message(fl.bytes ?? new Uint8Array(), t.msg);
  // map entry: key = 1, value = 2
  let k = '';
  let v: unknown = typeof t.map === 'string' ? scalar(t.map, { wire: 2, bytes: new Uint8Array() }) : {};
  for (const e of fields(fl.bytes ?? new Uint8Array())) {
    if (e.no === 1) k = str(e.bytes);
    else if (e.no === 2) v = value(t.map, e);
  }
  return [k, v];
}

function scalar(t: Scalar, fl: { wire: number; num?: bigint; bytes?: Uint8Array }): unknown {
  switch (t) {
    case 'string':
      return str(fl.bytes);
    case 'int':
      return int(fl.num);
    case 'bool':
      return (fl.num ?? 0n) !== 0n;
    case 'bytes':
      return Buffer.from(fl.bytes ?? []).toString('base64');
    case 'time': {
      const tm = message(fl.bytes ?? new Uint8Array(), 'Time');
      const s = Number(tm.seconds ?? 0);
      return s ? new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
    }
    case 'microtime': {
      // metav1.MicroTime: RFC 3339 with microseconds, as Go's JSON prints it.
      const tm = message(fl.bytes ?? new Uint8Array(), 'Time');
      const s = Number(tm.seconds ?? 0);
      if (!s) return null;
      const micros = String(Math.floor(Number(tm.nanos ?? 0) / 1000)).padStart(6, '0');
      return new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, `.${micros}Z`);
    }
    case 'intstr': {
      const v = message(fl.bytes ?? new Uint8Array(), 'IntOrString');
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : Number(v.intVal ?? 0);
    }
    case 'quantity':
      return String(message(fl.bytes ?? new Uint8Array(), 'Quantity').string ?? '0');
    case 'extravalue':
      // authentication ExtraValue{items}: a plain list of strings in JSON.
      return message(fl.bytes ?? new Uint8Array(), 'ExtraValue').items ?? [];
  }
}
