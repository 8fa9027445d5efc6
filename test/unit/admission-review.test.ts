// The AdmissionReview wire format and the texts of reading a webhook's answer
// (src/registry/admission/review.ts, go-text.ts, webhook-errors.ts, webhook-client.ts's URL
// building and ClusterIP resolver): Go's JSON syntax errors, the rest client's handling of
// statuses and bodies, VerifyAdmissionResponse, ToStatusErr, base64 of patches.
import { describe, expect, it } from 'vitest';
import { checkGoJSON, goQuote } from '../../src/registry/admission/go-text.js';
import {
  admissionReviewBody,
  decodeGoBase64,
  readReviewResponse,
  reviewVersionFor,
  verifyAdmissionResponse,
  type WebhookHTTPResponse,
} from '../../src/registry/admission/review.js';
import { clusterIPEndpoint, webhookEndpoint } from '../../src/registry/admission/webhook-client.js';
import { dryRunUnsupported, toStatusErr } from '../../src/registry/admission/webhook-errors.js';
import type { AdmissionAttributes } from '../../src/registry/admission/types.js';
import type { WebhookInvocation } from '../../src/registry/admission/matching.js';

const goErr = (s: string | Buffer) => {
  try {
    checkGoJSON(typeof s === 'string' ? Buffer.from(s) : s);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};

describe("encoding/json's syntax errors", () => {
  it.each([
    ['garbage', "invalid character 'g' looking for beginning of value"],
    ['{garbage', "invalid character 'g' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,2', 'unexpected end of JSON input'],
    ['nul', 'unexpected end of JSON input'],
    ['nulx', "invalid character 'x' in literal null (expecting 'l')"],
    ['tru3', "invalid character '3' in literal true (expecting 'e')"],
    ['01', "invalid character '1' after top-level value"],
    ['{"a":1}x', "invalid character 'x' after top-level value"],
    ['"a\x01"', "invalid character '\\x01' in string literal"],
    ['{"a":"\\q"}', "invalid character 'q' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['1.e', "invalid character 'e' after decimal point in numeric literal"],
    ['1e+', 'unexpected end of JSON input'],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['-x', "invalid character 'x' in numeric literal"],
    ["'", "invalid character '\\'' looking for beginning of value"],
    ['', 'unexpected end of JSON input'],
    [' {"a": [1, {"b": null}], "c": "\\u00e9"} ', 'ok'],
  ])('%j', (input, want) => {
    expect(goErr(input)).toBe(want);
  });

  it('shows a non-ASCII byte as the rune of that value', () => {
    expect(goErr(Buffer.from([0xc3]))).toBe("invalid character 'Ã' looking for beginning of value");
  });

  it('quotes like strconv.Quote', () => {
    expect(goQuote('a"b\\c\n\x00')).toBe('"a\\"b\\\\c\\n\\x00"');
  });
});

const attrs: AdmissionAttributes = {
  operation: 'UPDATE',
  kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
  resource: { group: 'apps', version: 'v1', resource: 'deployments' },
  subresource: 'scale',
  namespace: 'ns',
  name: 'web',
  object: { kind: 'Scale' },
  oldObject: { kind: 'Scale', spec: { replicas: 1 } },
  userInfo: { username: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } },
  dryRun: true,
  options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
};

describe('the AdmissionReview sent', () => {
  it('has upstream fields in Go order, the invocation kind/resource and the request ones', () => {
    const inv = {
      kind: { group: 'extensions', version: 'v1beta1', kind: 'Scale' },
      resource: { group: 'extensions', version: 'v1beta1', resource: 'deployments' },
      subresource: 'scale',
    } as WebhookInvocation;
    const body = JSON.parse(admissionReviewBody('uid-1', 'v1', attrs, inv, attrs.object, attrs.oldObject));
    expect(Object.keys(body)).toEqual(['kind', 'apiVersion', 'request']);
    expect(body.apiVersion).toBe('admission.k8s.io/v1');
    expect(Object.keys(body.request)).toEqual([
      'uid',
      'kind',
      'resource',
      'subResource',
      'requestKind',
      'requestResource',
      'requestSubResource',
      'name',
      'namespace',
      'operation',
      'userInfo',
      'object',
      'oldObject',
      'dryRun',
      'options',
    ]);
    expect(body.request).toMatchObject({
      uid: 'uid-1',
      kind: { group: 'extensions', version: 'v1beta1', kind: 'Scale' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      userInfo: { username: 'alice', uid: 'u-1', groups: ['devs'], extra: { scopes: ['a'] } },
      dryRun: true,
      options: { kind: 'UpdateOptions' },
    });
    const create = JSON.parse(
      admissionReviewBody(
        'u',
        'v1beta1',
        { ...attrs, subresource: '', namespace: '', oldObject: null },
        { ...inv, subresource: '' },
        {},
        null,
      ),
    );
    expect(create.apiVersion).toBe('admission.k8s.io/v1beta1');
    expect(create.request).not.toHaveProperty('subResource');
    expect(create.request).not.toHaveProperty('namespace');
    expect(create.request.oldObject).toBeNull();
  });

  it('picks the first review version it speaks', () => {
    expect(reviewVersionFor(['v2', 'v1beta1', 'v1'])).toBe('v1beta1');
    expect(reviewVersionFor(['v2'])).toEqual({ error: 'webhook does not accept known AdmissionReview versions (v1, v1beta1)' });
  });
});

const res = (body: string, statusCode = 200, contentType = 'application/json', retryAfter?: string): WebhookHTTPResponse => ({
  statusCode,
  contentType,
  body: Buffer.from(body),
  retryAfter,
});
const readErr = (r: WebhookHTTPResponse, v: 'v1' | 'v1beta1' = 'v1') =>
  readReviewResponse(r, v).then(
    () => undefined,
    (e: Error & { status?: { code: number; reason: string } }) => ({ message: e.message, code: e.status?.code, reason: e.status?.reason }),
  );

describe("reading a webhook's answer", () => {
  const review = (response: object, extra: object = {}) =>
    JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response, ...extra });

  it('decodes a review', async () => {
    const got = await readReviewResponse(res(review({ uid: 'u', allowed: true, patch: Buffer.from('[]').toString('base64') })), 'v1');
    expect(got.review.response?.allowed).toBe(true);
    expect(got.patch?.toString()).toBe('[]');
  });

  it("words statuses outside 2xx as client-go's NewGenericServerResponse", async () => {
    expect(await readErr(res('boom\n', 500, 'text/plain'))).toEqual({
      message: 'an error on the server ("boom") has prevented the request from succeeding',
      code: 500,
      reason: 'InternalError',
    });
    expect(await readErr(res('<html>', 500, 'text/html; charset=utf-8'))).toMatchObject({
      message: 'an error on the server ("<html>") has prevented the request from succeeding',
    });
    expect(await readErr(res('{"x":1}', 502, 'application/json'))).toMatchObject({
      message: 'an error on the server ("unknown") has prevented the request from succeeding',
    });
    expect(await readErr(res('', 404, ''))).toEqual({
      message: 'the server could not find the requested resource',
      code: 404,
      reason: 'NotFound',
    });
    expect(await readErr(res('go away', 403, 'text/plain'))).toEqual({ message: 'go away', code: 403, reason: 'Forbidden' });
    expect(await readErr(res('', 302, ''))).toMatchObject({
      message: 'the server responded with the status code 302 but did not return more information',
    });
  });

  it('prefers a Failure Status in the body', async () => {
    const status = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'quota exceeded',
      reason: 'Forbidden',
      code: 403,
    });
    expect(await readErr(res(status, 403))).toEqual({ message: 'quota exceeded', code: 403, reason: 'Forbidden' });
  });

  it('refuses empty and undecodable 2xx bodies with the decoder texts', async () => {
    expect((await readErr(res('', 200, 'text/plain')))?.message).toBe(
      '0-length response with status code: 200 and content type: text/plain',
    );
    expect((await readErr(res('', 200, '')))?.message).toBe('0-length response with status code: 200 and content type: application/json');
    expect((await readErr(res('{garbage')))?.message).toBe(
      "couldn't get version/kind; json parse error: invalid character 'g' looking for beginning of object key string",
    );
    // Not JSON: the YAML decoder reads a scalar, which is no object.
    expect((await readErr(res('garbage')))?.message).toBe(
      `couldn't get version/kind; json parse error: json: cannot unmarshal string into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`,
    );
    expect((await readErr(res('[1]')))?.message).toContain('json: cannot unmarshal array into Go value of type struct');
    expect((await readErr(res('a: [')))?.message).toMatch(/^yaml: line \d+: /);
  });

  it('refuses other kinds and the other review version, and fields of the wrong type', async () => {
    expect((await readErr(res(review({}, { apiVersion: 'admission.k8s.io/v1beta1' }))))?.message).toBe(
      'converting (v1beta1.AdmissionReview) to (v1.AdmissionReview): unknown conversion',
    );
    expect((await readErr(res(JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }))))?.message).toBe(
      'no kind "Pod" is registered for version "v1" in scheme "k8s.io/apiserver/pkg/util/webhook/client.go:72"',
    );
    expect((await readErr(res(review({ uid: 'u', allowed: 'yes' }))))?.message).toBe(
      'json: cannot unmarshal string into Go struct field AdmissionResponse.response.allowed of type bool',
    );
    expect((await readErr(res(review({ uid: 'u', allowed: true, patch: 'W10' }))))?.message).toBe('illegal base64 data at input byte 0');
  });

  it('decodes a review without apiVersion and kind, for VerifyAdmissionResponse to refuse', async () => {
    const decoded = await readReviewResponse(res(JSON.stringify({ response: { uid: 'u', allowed: true } })), 'v1');
    expect(() => verifyAdmissionResponse('u', false, decoded, 'v1')).toThrow(
      'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=',
    );
  });
});

describe('VerifyAdmissionResponse', () => {
  const verify = async (response: object | null, mutating = true, version: 'v1' | 'v1beta1' = 'v1') => {
    const decoded = await readReviewResponse(
      res(JSON.stringify({ apiVersion: `admission.k8s.io/${version}`, kind: 'AdmissionReview', response })),
      version,
    );
    try {
      return verifyAdmissionResponse('the-uid', mutating, decoded, version);
    } catch (e) {
      return (e as Error).message;
    }
  };
  const patch = Buffer.from('[{"op":"add","path":"/a","value":1}]').toString('base64');

  it('checks presence, uid and the patch fields', async () => {
    expect(await verify(null)).toBe('webhook response was absent');
    expect(await verify({ uid: 'other', allowed: true })).toBe('expected response.uid="the-uid", got "other"');
    expect(await verify({ uid: 'the-uid', allowed: true, patch })).toBe('webhook returned response.patch but not response.patchType');
    expect(await verify({ uid: 'the-uid', allowed: true, patchType: 'JSONPatch' })).toBe(
      'webhook returned response.patchType but not response.patch',
    );
    expect(await verify({ uid: 'the-uid', allowed: true, patch, patchType: '' })).toBe('webhook returned invalid response.patchType of ""');
    expect(await verify({ uid: 'the-uid', allowed: true, patch }, false)).toBe('validating webhook may not return response.patch');
    expect(await verify({ uid: 'the-uid', allowed: true, patchType: 'JSONPatch' }, false)).toBe(
      'validating webhook may not return response.patchType',
    );
    expect(
      await verify({ uid: 'the-uid', allowed: true, patch, patchType: 'JSONPatch', warnings: ['w'], auditAnnotations: { k: 'v' } }),
    ).toMatchObject({
      allowed: true,
      patchType: 'JSONPatch',
      warnings: ['w'],
      auditAnnotations: { k: 'v' },
    });
  });

  it('takes v1beta1 answers as upstream always did: no uid check, a patch is a JSON patch', async () => {
    expect(await verify({ uid: 'whatever', allowed: true, patch }, true, 'v1beta1')).toMatchObject({
      allowed: true,
      patchType: 'JSONPatch',
    });
  });
});

describe('base64 of patches (encoding/json []byte)', () => {
  it.each([
    ['W10=', 'ok'],
    ['W10', 'illegal base64 data at input byte 0'],
    ['W1!=', 'illegal base64 data at input byte 2'],
    ['W===', 'illegal base64 data at input byte 1'],
    ['W10=x', 'illegal base64 data at input byte 4'],
    ['AA==', 'ok'],
    ['AA=', 'illegal base64 data at input byte 3'],
  ])('%s', (s, want) => {
    const got = decodeGoBase64(s);
    expect(Buffer.isBuffer(got) ? 'ok' : got.error).toBe(want);
  });
});

describe('denials and refusals', () => {
  it('prefixes the message, keeps code >= 400, reason and details', () => {
    const e = toStatusErr('deny.example.com', { message: 'no privileged pods', code: 403, reason: 'Forbidden' });
    expect(e).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'admission webhook "deny.example.com" denied the request: no privileged pods',
    });
    expect(toStatusErr('d.x.io', { code: 200, reason: 'NoReason' })).toMatchObject({
      code: 400,
      message: 'admission webhook "d.x.io" denied the request: NoReason',
    });
    expect(toStatusErr('d.x.io', undefined)).toMatchObject({
      code: 400,
      reason: '',
      message: 'admission webhook "d.x.io" denied the request without explanation',
    });
    expect(toStatusErr('d.x.io', undefined).toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'admission webhook "d.x.io" denied the request without explanation',
      code: 400,
    });
    expect(dryRunUnsupported('d.x.io')).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'admission webhook "d.x.io" does not support dry run',
    });
  });
});

describe('endpoints', () => {
  const resolve = () => '127.96.0.12:8443';
  it('builds the URL of a url clientConfig as client-go does', () => {
    const e = webhookEndpoint({ url: 'https://127.0.0.1:1234/validate/' }, 'x', resolve);
    expect(e).toMatchObject({ url: 'https://127.0.0.1:1234/validate', host: '127.0.0.1:1234', serverName: '127.0.0.1', path: '/validate' });
    expect(webhookEndpoint({ url: 'https://hooks.local' }, 'x', resolve)).toMatchObject({
      url: 'https://hooks.local/',
      serverName: 'hooks.local',
    });
    expect(webhookEndpoint({}, 'x', resolve)).toEqual({
      error: 'failed calling webhook "x": webhook configuration must have either service or URL',
    });
    expect(webhookEndpoint({ url: 'https://a/', caBundle: Buffer.from('nope').toString('base64') }, 'x', resolve)).toEqual({
      error: 'unable to load root certificates: unable to parse bytes as PEM block',
    });
  });

  it('names a service by its DNS name, dialled where the resolver says', async () => {
    const e = webhookEndpoint({ service: { namespace: 'ns', name: 'hook', path: '/mutate', port: 8443 } }, 'x', resolve);
    if ('error' in e) throw new Error(e.error);
    expect(e).toMatchObject({ url: 'https://hook.ns.svc:8443/mutate', host: 'hook.ns.svc:8443', serverName: 'hook.ns.svc' });
    expect(await e.dial()).toEqual({ host: '127.96.0.12', port: 8443 });
  });

  it("resolves a ClusterIP as upstream's resolver, with its texts", () => {
    const svc = (spec: object) => ({ metadata: { name: 'hook' }, spec });
    expect(clusterIPEndpoint(svc({ type: 'ClusterIP', clusterIP: '127.96.0.12', ports: [{ port: 443 }] }), 'hook', 443)).toBe(
      '127.96.0.12:443',
    );
    expect(() => clusterIPEndpoint(undefined, 'hook', 443)).toThrow('service "hook" not found');
    expect(() => clusterIPEndpoint(svc({ clusterIP: 'None', ports: [] }), 'hook', 443)).toThrow(
      'cannot route to service with ClusterIP "None"',
    );
    expect(() => clusterIPEndpoint(svc({ clusterIP: '127.96.0.12', ports: [{ port: 80 }] }), 'hook', 443)).toThrow(
      'no service port 443 found for service "hook"',
    );
    expect(clusterIPEndpoint(svc({ type: 'ExternalName', externalName: 'localhost' }), 'hook', 443)).toBe('localhost:443');
    expect(clusterIPEndpoint(svc({ clusterIP: 'fd00::5', ports: [{ port: 443 }] }), 'hook', 443)).toBe('[fd00::5]:443');
  });
});
