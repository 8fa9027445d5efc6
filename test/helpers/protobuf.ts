// A minimal protobuf writer for tests: length-delimited fields, varints, and the Kubernetes
// envelope (`k8s\0` + runtime.Unknown{typeMeta, raw}) typed clients send.
const vint = (n: number) => {
  const b: number[] = [];
  do {
    b.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n = Math.floor(n / 128);
  } while (n);
  return Buffer.from(b);
};
/** A length-delimited field (string, bytes, message). */
export const bytes = (no: number, v: Buffer | string) => {
  const body = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return Buffer.concat([vint((no << 3) | 2), vint(body.length), body]);
};
/** A varint field (int, bool). */
export const num = (no: number, v: number) => Buffer.concat([vint(no << 3), vint(v)]);
/** A message's fields, in order. */
export const m = (...parts: Buffer[]) => Buffer.concat(parts);
/** metav1.Time / MicroTime. */
export const time = (sec: number, nanos = 0) => m(num(1, sec), num(2, nanos));
export const envelope = (apiVersion: string, kind: string, raw: Buffer) =>
  Buffer.concat([Buffer.from('6b387300', 'hex'), bytes(1, m(bytes(1, apiVersion), bytes(2, kind))), bytes(2, raw)]);
