// Request bodies (server/handlers/body.ts), without a server: decoded by media type, and upstream's
// 400/415 texts for bodies that do not decode, by who asked (create/update name their kind,
// patches their patch type).
import { beforeAll, describe, it, expect } from 'vitest';
import { BODY_TYPES, decodeBody, mediaType, summarizeData } from '../../src/server/handlers/body.js';
import { PATCH_TYPES } from '../../src/server/handlers/patch.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import { loadYAMLParser, MAX_NESTING } from '../../src/apimachinery/yaml/decode.js';
import { fakeRequest } from './rest-fakes.js';

const PATCHES = Object.keys(PATCH_TYPES);

// The server loads it with the first YAML body (yaml/offload.ts).
beforeAll(() => loadYAMLParser());

function decodeError(contentType: string | undefined, body: string | undefined, allowed: readonly string[], kind?: string) {
  try {
    decodeBody(fakeRequest('/x', { contentType, body }), allowed, kind);
  } catch (e) {
    if (e instanceof StatusError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('decoded');
}

describe('mediaType', () => {
  it('is the lower-case type without parameters', () => {
    expect(mediaType(fakeRequest('/', { contentType: 'Application/JSON; charset=utf-8' }))).toBe('application/json');
    expect(mediaType(fakeRequest('/'))).toBe('');
  });
});

describe('decodeBody', () => {
  it('decodes JSON and YAML by media type', () => {
    expect(decodeBody(fakeRequest('/', { contentType: 'application/json; charset=utf-8', body: '{"a":[1]}' }), BODY_TYPES)).toEqual({
      a: [1],
    });
    expect(decodeBody(fakeRequest('/', { contentType: 'application/yaml', body: 'a:\n- 1\n' }), BODY_TYPES)).toEqual({ a: [1] });
    // No media type: JSON, as upstream's default serializer.
    expect(decodeBody(fakeRequest('/', { body: '[true]' }), BODY_TYPES)).toEqual([true]);
    expect(decodeBody(fakeRequest('/', { contentType: 'application/apply-patch+yaml', body: 'x: y' }), PATCHES)).toEqual({ x: 'y' });
  });

  it('refuses an empty body, and other media types with 415', () => {
    expect(decodeError('application/json', '', BODY_TYPES)).toEqual({ code: 400, message: 'the body of the request was empty' });
    expect(decodeError(undefined, undefined, BODY_TYPES)).toEqual({ code: 400, message: 'the body of the request was empty' });
    expect(decodeError('application/vnd.kubernetes.protobuf', '', BODY_TYPES)).toEqual({
      code: 400,
      message: 'the body of the request was empty',
    });
    const unsupported = {
      code: 415,
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    };
    expect(decodeError('text/plain', 'a', BODY_TYPES)).toEqual(unsupported);
    expect(decodeError('text/plain', '', BODY_TYPES)).toEqual(unsupported);
    // A patch type where an object is expected, and the other way round.
    expect(decodeError('application/merge-patch+json', '{}', BODY_TYPES).code).toBe(415);
    expect(decodeError('application/json', '{}', PATCHES).code).toBe(415);
  });

  it('wraps create/update decode errors as transformDecodeError, with a summary of the body', () => {
    const json = decodeError('application/json', '{"kind":"ConfigMap","metadata":{', BODY_TYPES, 'ConfigMap');
    expect(json.code).toBe(400);
    expect(json.message).toMatch(
      /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: .+ \(\{"kind":"ConfigMap","metadata" \.\.\.\)$/,
    );
    // A body that does not start as an object is summarised in hex.
    const yaml = decodeError('application/yaml', 'a: [', BODY_TYPES, 'ConfigMap');
    expect(yaml.message).toMatch(/^the object provided is unrecognized \(must be of type ConfigMap\): yaml: .+ \(613a205b\)$/);
  });

  it("keeps the decoder's text for callers that name no kind", () => {
    expect(decodeError('application/json', '{"a":', BODY_TYPES).message).toMatch(/^couldn't get version\/kind; json parse error: /);
    expect(decodeError('application/yaml', 'a: [', BODY_TYPES).message).toMatch(/^error converting YAML to JSON: yaml: /);
  });

  it('prefixes patch decode errors as patch.go does', () => {
    expect(decodeError('application/merge-patch+json', '{x', PATCHES).message).toMatch(/^error decoding patch: /);
    expect(decodeError('application/json-patch+json', '[x', PATCHES).message).toMatch(/^error decoding patch: /);
    const smp = decodeError('application/strategic-merge-patch+json', '{x', PATCHES).message;
    expect(smp).not.toMatch(/^error/);
    expect(decodeError('application/apply-patch+yaml', 'a: [', PATCHES).message).toMatch(
      /^error decoding YAML: error converting YAML to JSON: yaml: /,
    );
  });

  it('refuses JSON nested deeper than encoding/json allows, before parsing it', () => {
    const deep = '['.repeat(MAX_NESTING + 1) + ']'.repeat(MAX_NESTING + 1);
    expect(decodeError('application/json', deep, BODY_TYPES)).toEqual({
      code: 400,
      message: "couldn't get version/kind; json parse error: invalid character '[' exceeded max depth",
    });
    expect(decodeError('application/merge-patch+json', deep, PATCHES).message).toBe(
      "error decoding patch: invalid character '[' exceeded max depth",
    );
    const ok = '['.repeat(MAX_NESTING) + ']'.repeat(MAX_NESTING);
    expect(() => decodeBody(fakeRequest('/', { contentType: 'application/json', body: ok }), BODY_TYPES)).not.toThrow();
  });
});

describe('summarizeData', () => {
  it('shows the start of a JSON object as text, anything else as hex, 30 bytes at most', () => {
    expect(summarizeData(Buffer.from(''))).toBe('<empty>');
    expect(summarizeData(Buffer.from('{"a":1}'))).toBe('{"a":1}');
    const obj = '{' + 'x'.repeat(29);
    expect(summarizeData(Buffer.from(obj))).toBe(obj);
    expect(summarizeData(Buffer.from(obj + 'y'))).toBe(`${obj} ...`);
    expect(summarizeData(Buffer.from('[1]'))).toBe('5b315d');
    expect(summarizeData(Buffer.from('a'.repeat(31)))).toBe(`${'61'.repeat(30)} ...`);
  });
});
