// /openapi/v2: a Swagger 2.0 document with no paths and no definitions. tinykube describes its API
// in /openapi/v3 only; kubectl still asks v2 in one case: a kind whose v3 document has no PATCH
// operation (the create-only reviews, as upstream) sends its field-validation check to v2. A 404
// there makes `kubectl create -f tokenreview.yaml` fail ("failed to download openapi"); this empty
// document makes kubectl find no such kind and create it, leaving validation to the server, which
// is what happens upstream for kinds its v2 document does not know. kubectl asks for the gnostic
// protobuf form (openapi_v2.Document), others for JSON.
import { KUBE_API_VERSION } from '../base/version.js';

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** One length-delimited protobuf field. */
function field(no: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    len.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    n >>>= 7;
  } while (n);
  return Buffer.concat([Buffer.of((no << 3) | 2), Buffer.from(len), body]);
}

export function openAPIv2(): { json: string; protobuf: Buffer; protobufType: string } {
  const title = 'Kubernetes';
  const version = KUBE_API_VERSION;
  // Document{swagger = 1, info = 2 (Info{title = 1, version = 2}), paths = 8}
  const protobuf = Buffer.concat([
    field(1, Buffer.from('2.0')),
    field(2, Buffer.concat([field(1, Buffer.from(title)), field(2, Buffer.from(version))])),
    field(8, Buffer.alloc(0)),
  ]);
  return { json: JSON.stringify({ swagger: '2.0', info: { title, version }, paths: {} }), protobuf, protobufType: PROTOBUF };
}
