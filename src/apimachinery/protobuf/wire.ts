// Protocol buffers wire format, decoding only: enough to read the bodies kubectl's typed clients
// send (`Content-Type: application/vnd.kubernetes.protobuf`, e.g. `kubectl create namespace`).
export interface Field {
  no: number;
  wire: number;
  /** varint / fixed values */
  num?: bigint;
  /** length-delimited payload */
  bytes?: Uint8Array;
}

export class WireError extends Error {}

function varint(buf: Uint8Array, pos: { i: number }): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos.i >= buf.length) throw new WireError('truncated varint');
    const b = buf[pos.i++]!;
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
    shift += 7n;
    if (shift > 70n) throw new WireError('varint too long');
  }
}

export function* fields(buf: Uint8Array): Generator<Field> {
  const pos = { i: 0 };
  while (pos.i < buf.length) {
    const tag = Number(varint(buf, pos));
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) throw new WireError('field number 0');
    if (wire === 0) yield { no, wire, num: varint(buf, pos) };
    else if (wire === 2) {
      const len = Number(varint(buf, pos));
      if (pos.i + len > buf.length) throw new WireError('truncated length-delimited field');
      yield { no, wire, bytes: buf.subarray(pos.i, pos.i + len) };
      pos.i += len;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos.i + n > buf.length) throw new WireError('truncated fixed field');
      let v = 0n;
      for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(buf[pos.i + k]!);
      pos.i += n;
      yield { no, wire, num: v };
    } else throw new WireError(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });
export const str = (b: Uint8Array | undefined) => (b ? utf8.decode(b) : '');
/** int64/int32 varints are two's complement in 64 bits. */
export const int = (n: bigint | undefined) => Number(BigInt.asIntN(64, n ?? 0n));
