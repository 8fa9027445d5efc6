// AdmissionReview on the wire, after upstream's pkg/admission/plugin/webhook/request
// (CreateAdmissionObjects, CreateV1AdmissionReview, VerifyAdmissionResponse) and how client-go's
// rest client reads a webhook's answer (rest/request.go transformResponse and Result.Into with the
// webhook client's scheme): a status outside 2xx is NewGenericServerResponse's error unless the
// body is a Failure Status; a 2xx body is decoded by the universal deserializer (JSON when it
// starts with `{`, YAML otherwise) into an AdmissionReview of the version sent.
import { StatusError, type Status } from '../../apimachinery/errors.js';
import { decodeYAML, loadYAMLParser, YAMLDecodeError } from '../../apimachinery/yaml/decode.js';
import { checkGoJSON, goJSONTypeOf, goQuote, GoJSONSyntaxError } from './go-text.js';
import { requestFields, type WebhookInvocation } from './matching.js';
import { statusErrorFrom } from './webhook-errors.js';
import type { AdmissionAttributes, AdmissionObject, AdmissionReview, ReviewVersion } from './types.js';

export const ADMISSION_API_GROUP = 'admission.k8s.io';

/** The first version of the webhook's admissionReviewVersions the dispatcher speaks, or an error text. */
export function reviewVersionFor(versions: readonly string[] | undefined): ReviewVersion | { error: string } {
  for (const v of versions ?? []) if (v === 'v1' || v === 'v1beta1') return v;
  return { error: 'webhook does not accept known AdmissionReview versions (v1, v1beta1)' };
}

/** CreateV1AdmissionReview (and its v1beta1 twin): the review's JSON, fields in Go's order. */
export function admissionReviewBody(
  uid: string,
  version: ReviewVersion,
  attrs: AdmissionAttributes,
  inv: WebhookInvocation,
  object: AdmissionObject | null,
  oldObject: AdmissionObject | null,
): string {
  const f = requestFields(attrs, inv);
  const request = {
    uid,
    kind: f.kind,
    resource: f.resource,
    subResource: f.subResource,
    requestKind: f.requestKind,
    requestResource: f.requestResource,
    requestSubResource: f.requestSubResource,
    name: f.name,
    namespace: f.namespace,
    operation: f.operation,
    userInfo: f.userInfo,
    object: object ?? null,
    oldObject: oldObject ?? null,
    dryRun: f.dryRun,
    options: attrs.options ?? null,
  };
  return JSON.stringify({ kind: 'AdmissionReview', apiVersion: `${ADMISSION_API_GROUP}/${version}`, request });
}

/** A webhook's HTTP answer. */
export interface WebhookHTTPResponse {
  statusCode: number;
  /** The Content-Type header ('' when absent). */
  contentType: string;
  retryAfter?: string;
  body: Buffer;
}

/** A failure of the rest client's Do().Into(): its text, and the StatusError when it is one. */
export class RestResultError extends Error {
  constructor(
    message: string,
    readonly status?: StatusError,
  ) {
    super(message);
  }
}

const GENERIC_MESSAGES: Record<number, [string, string]> = {
  409: ['AlreadyExists', 'the server reported a conflict'],
  404: ['NotFound', 'the server could not find the requested resource'],
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
};

/** errors.NewGenericServerResponse for a POST with no resource (the webhook client's). */
function genericServerResponse(code: number, serverMessage: string, retryAfter: number): StatusError {
  let reason = '';
  let message = `the server responded with the status code ${code} but did not return more information`;
  const known = GENERIC_MESSAGES[code];
  if (known) [reason, message] = known;
  else if (code === 403) [reason, message] = ['Forbidden', serverMessage];
  else if (code >= 500)
    [reason, message] = ['InternalError', `an error on the server (${goQuote(serverMessage)}) has prevented the request from succeeding`];
  const details: Status['details'] = { causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }] };
  if (retryAfter) details.retryAfterSeconds = retryAfter;
  return new StatusError(code, reason, message, details);
}

/** isTextResponse: no Content-Type, or a text/ one. */
function isTextResponse(contentType: string): boolean {
  if (!contentType) return true;
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(media) && media.startsWith('text/');
}

const UTF8 = new TextDecoder('utf-8');

/**
 * The universal deserializer's reading of a body into plain data: JSON (encoding/json's syntax
 * texts) when it starts with `{` after white space, YAML otherwise; errors as the decoder words them.
 */
async function decodeBody(body: Buffer): Promise<unknown> {
  let k = 0;
  while (k < body.length && (body[k] === 0x20 || body[k] === 0x09 || body[k] === 0x0a || body[k] === 0x0d)) k++;
  if (body[k] === 0x7b) {
    try {
      checkGoJSON(body);
    } catch (e) {
      if (e instanceof GoJSONSyntaxError) throw new RestResultError(`couldn't get version/kind; json parse error: ${e.message}`);
      throw e;
    }
    return JSON.parse(UTF8.decode(body));
  }
  await loadYAMLParser();
  try {
    return decodeYAML(UTF8.decode(body));
  } catch (e) {
    if (e instanceof YAMLDecodeError) throw new RestResultError(e.message);
    throw new RestResultError((e as Error).message);
  }
}

/** The serializer's refusal of JSON that is not an object (its findKind struct cannot take it). */
export const notAnObject = (v: unknown): string =>
  `couldn't get version/kind; json parse error: json: cannot unmarshal ${goJSONTypeOf(v)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`;

/** ParseGroupVersion as TypeMeta.GroupVersionKind() reads apiVersion (an unparsable one is empty). */
function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: '', version: '' };
}

/** What Go's decoding of the review's fields refuses (UnmarshalTypeError), first one first. */
function reviewTypeError(review: Record<string, unknown>, version: ReviewVersion): string | undefined {
  const type = (v: unknown) => goJSONTypeOf(v);
  const field = (struct: string, path: string, want: string, v: unknown) =>
    `json: cannot unmarshal ${type(v)} into Go struct field ${struct}.${path} of type ${want}`;
  const str = (v: unknown) => v === null || v === undefined || typeof v === 'string';
  for (const k of ['kind', 'apiVersion'] as const) if (!str(review[k])) return field('AdmissionReview', k, 'string', review[k]);
  const resp = review.response;
  if (resp === null || resp === undefined) return undefined;
  if (typeof resp !== 'object' || Array.isArray(resp)) return field('AdmissionReview', 'response', `${version}.AdmissionResponse`, resp);
  const r = resp as Record<string, unknown>;
  const checks: [string, (v: unknown) => boolean, string][] = [
    ['uid', str, 'types.UID'],
    ['allowed', (v) => v === null || typeof v === 'boolean', 'bool'],
    ['status', (v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'v1.Status'],
    ['patch', str, '[]uint8'],
    ['patchType', str, `${version}.PatchType`],
    ['auditAnnotations', (v) => v === null || (typeof v === 'object' && !Array.isArray(v)), 'map[string]string'],
    ['warnings', (v) => v === null || Array.isArray(v), '[]string'],
  ];
  for (const [k, ok, want] of checks) {
    if (k in r && !ok(r[k])) return field('AdmissionResponse', `response.${k}`, want, r[k]);
    if (k === 'auditAnnotations' && r[k]) {
      for (const v of Object.values(r[k] as object))
        if (!str(v)) return field('AdmissionResponse', 'response.auditAnnotations', 'string', v);
    }
    if (k === 'warnings' && Array.isArray(r[k])) {
      for (const v of r[k] as unknown[]) if (!str(v)) return field('AdmissionResponse', 'response.warnings', 'string', v);
    }
  }
  return undefined;
}

/**
 * Result.Into for a webhook's answer: the AdmissionReview, or a RestResultError with the rest
 * client's text (a StatusError for statuses outside 2xx and for Status bodies).
 */
export async function readReviewResponse(res: WebhookHTTPResponse, version: ReviewVersion): Promise<DecodedReview> {
  const { statusCode, body } = res;
  const contentType = res.contentType || 'application/json';
  if (statusCode < 200 || statusCode > 206) {
    const text = isTextResponse(res.contentType) ? UTF8.decode(body.subarray(0, 2048)).trim() : 'unknown';
    const retry = /^-?\d+$/.test(res.retryAfter ?? '') ? Number(res.retryAfter) : 0;
    const err = genericServerResponse(statusCode, text, retry);
    // A Failure Status in the body is the error instead.
    if (body.length) {
      let decoded: unknown;
      try {
        decoded = await decodeBody(body);
      } catch {
        decoded = undefined;
      }
      const s = decoded as Partial<Status> & { apiVersion?: unknown; kind?: unknown };
      if (
        s &&
        typeof s === 'object' &&
        s.kind === 'Status' &&
        (s.apiVersion === undefined || s.apiVersion === 'v1') &&
        s.status === 'Failure'
      )
        throw new RestResultError(s.message ?? '', statusErrorFrom(s));
    }
    throw new RestResultError(err.message, err);
  }
  if (body.length === 0) throw new RestResultError(`0-length response with status code: ${statusCode} and content type: ${contentType}`);
  const decoded = await decodeBody(body);
  if (decoded === null) return { review: {} };
  if (typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new RestResultError(notAnObject(decoded));
  }
  const review = decoded as Record<string, unknown>;
  const apiVersion = typeof review.apiVersion === 'string' ? review.apiVersion : '';
  const kind = typeof review.kind === 'string' ? review.kind : '';
  // gvkWithDefaults: what the body leaves out is the AdmissionReview asked for.
  const gv = parseGroupVersion(apiVersion);
  const actual = {
    group: gv.group || gv.version ? gv.group : ADMISSION_API_GROUP,
    version: gv.group || gv.version ? gv.version : version,
    kind: kind || 'AdmissionReview',
  };
  if (actual.group === ADMISSION_API_GROUP && actual.kind === 'AdmissionReview' && actual.version !== version) {
    if (actual.version === 'v1' || actual.version === 'v1beta1')
      throw new RestResultError(`converting (${actual.version}.AdmissionReview) to (${version}.AdmissionReview): unknown conversion`);
  }
  if (actual.group !== ADMISSION_API_GROUP || actual.kind !== 'AdmissionReview' || actual.version !== version) {
    const gvText = actual.group ? `${actual.group}/${actual.version}` : actual.version;
    throw new RestResultError(
      `no kind ${goQuote(actual.kind)} is registered for version ${goQuote(gvText)} in scheme "k8s.io/apiserver/pkg/util/webhook/client.go:72"`,
    );
  }
  const typeErr = reviewTypeError(review, version);
  if (typeErr) throw new RestResultError(typeErr);
  const out: DecodedReview = { review: review as AdmissionReview };
  // The patch is []byte: base64 decoded with the rest of the body.
  const rawPatch = (review.response as { patch?: unknown } | null | undefined)?.patch;
  if (typeof rawPatch === 'string' && rawPatch) {
    const patch = decodeGoBase64(rawPatch);
    if ('error' in patch) throw new RestResultError(patch.error);
    out.patch = patch;
  }
  return out;
}

/** The decoded AdmissionReview and its response's patch bytes. */
export interface DecodedReview {
  review: AdmissionReview;
  patch?: Buffer;
}

/** What VerifyAdmissionResponse hands the dispatcher. */
export interface VerifiedResponse {
  allowed: boolean;
  status?: Partial<Status>;
  /** The decoded patch bytes, and their type (JSONPatch is the only one there is). */
  patch?: Buffer;
  patchType?: string;
  auditAnnotations: Record<string, string>;
  warnings: string[];
}

/**
 * encoding/json's []byte: standard base64 with padding (line breaks skipped), or the error text
 * base64's CorruptInputError gives.
 */
export function decodeGoBase64(s: string): Buffer | { error: string } {
  const ALPHA = /[A-Za-z0-9+/]/;
  let quantum = 0;
  let start = 0;
  let padded = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\r' || c === '\n') continue;
    if (padded) {
      // After the padding only the second '=' of a two-character pad may follow.
      if (c === '=' && quantum === 3) {
        quantum = 0;
        continue;
      }
      return { error: `illegal base64 data at input byte ${i}` };
    }
    if (c === '=') {
      if (quantum < 2) return { error: `illegal base64 data at input byte ${i}` };
      padded = true;
      quantum = quantum === 2 ? 3 : 0;
      continue;
    }
    if (!ALPHA.test(c)) return { error: `illegal base64 data at input byte ${i}` };
    if (quantum === 0) start = i;
    quantum = (quantum + 1) % 4;
  }
  if (quantum !== 0) return { error: `illegal base64 data at input byte ${padded ? s.length : start}` };
  return Buffer.from(s, 'base64');
}

/** VerifyAdmissionResponse: the response's parts, or an Error with upstream's text. */
export function verifyAdmissionResponse(uid: string, mutating: boolean, decoded: DecodedReview, version: ReviewVersion): VerifiedResponse {
  const review = decoded.review;
  const r = review.response;
  if (!r) throw new Error('webhook response was absent');
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  let patch = decoded.patch;
  let patchType: string | undefined;
  if (version === 'v1') {
    if (str(r.uid) !== uid) throw new Error(`expected response.uid=${goQuote(uid)}, got ${goQuote(str(r.uid))}`);
    const gv = parseGroupVersion(str(review.apiVersion));
    const got = `${gv.group}/${gv.version}, Kind=${str(review.kind)}`;
    if (gv.group !== ADMISSION_API_GROUP || gv.version !== 'v1' || review.kind !== 'AdmissionReview')
      throw new Error(`expected webhook response of ${ADMISSION_API_GROUP}/v1, Kind=AdmissionReview, got ${got}`);
    const hasType = r.patchType !== undefined && r.patchType !== null;
    if (mutating) {
      if (patch?.length && !hasType) throw new Error('webhook returned response.patch but not response.patchType');
      if (!patch?.length && hasType) throw new Error('webhook returned response.patchType but not response.patch');
      if (hasType) {
        patchType = str(r.patchType);
        if (!patchType) throw new Error(`webhook returned invalid response.patchType of ${goQuote(patchType)}`);
      }
    } else {
      if (patch?.length) throw new Error('validating webhook may not return response.patch');
      if (hasType) throw new Error('validating webhook may not return response.patchType');
      patch = undefined;
    }
  } else if (mutating) {
    // v1beta1 answers were never checked for uid, kind or patch type: a patch is a JSON patch.
    if (patch?.length) patchType = 'JSONPatch';
  } else patch = undefined;
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.auditAnnotations ?? {})) annotations[k] = str(v);
  return {
    allowed: r.allowed === true,
    status: r.status ?? undefined,
    patch: patch?.length ? patch : undefined,
    patchType,
    auditAnnotations: annotations,
    warnings: (r.warnings ?? []).map(str),
  };
}
