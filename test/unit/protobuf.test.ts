import { describe, it, expect } from 'vitest';
import { decodeKubeProtobuf } from '../../src/api/protobuf/decode.js';
import { StatusError } from '../../src/api/errors.js';

// The exact bytes kubectl v1.32 sends for `kubectl create namespace demo`.
const NS = Buffer.from('6b3873000a0f0a0276311209' + Buffer.from('Namespace').toString('hex') + '121c0a140a0464656d6f1200' + '1a0022002a00320038004200' + '12001a020a001a002200', 'hex');

describe('kubernetes protobuf bodies', () => {
  it('decodes a Namespace like kubectl sends it, dropping Go zero values', () => {
    expect(decodeKubeProtobuf(NS)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' }, spec: {}, status: {} });
  });
  it('refuses garbage with 400 and unknown kinds with 415', () => {
    const bad = (b: Buffer) => {
      try {
        decodeKubeProtobuf(b);
      } catch (e) {
        return (e as StatusError).code;
      }
      return 0;
    };
    expect(bad(Buffer.from('{"kind":"Namespace"}'))).toBe(400);
    expect(bad(Buffer.from('6b387300ff', 'hex'))).toBe(400);
    const deploy = Buffer.from('6b3873000a' + '15' + '0a07617070732f7631' + '120a' + Buffer.from('Deployment').toString('hex') + '1200', 'hex');
    expect(bad(deploy)).toBe(415);
  });
});
