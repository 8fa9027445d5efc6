// Request bodies: decoded by their media type (JSON, YAML, protobuf, the patch types) within
// upstream's bounds, with upstream's 400s for a body that does not decode.
import type { FastifyRequest } from 'fastify';
import { StatusError, badRequest, internalError, unsupportedMediaType } from '../../apimachinery/errors.js';
import { decodeProtobufBody } from '../../apimachinery/protobuf/load.js';
import { decodeYAML, jsonTooDeep, MAX_NESTING, NestingError, YAMLDecodeError } from '../../apimachinery/yaml/decode.js';
import { takePredecoded } from '../../apimachinery/yaml/offload.js';

/** The media types an object body may come in (create, update, delete options, subresources). */
export const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** The request's media type, lower case, without parameters ('' when it names none). */
export function mediaType(req: Pick<FastifyRequest, 'headers'>): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Decodes a request body by its media type, within upstream's bounds (yaml-decode.ts: go-yaml's
 * depth and alias limits; values nested at most MAX_NESTING deep). A body that does not decode is
 * 400 with upstream's text: wrapped by create and update (`kind` given) as their
 * transformDecodeError does, by patches as patch.go does (see decodeError). Large YAML bodies
 * were decoded off the main thread before the handler ran (yaml-offload.ts).
 */
export function decodeBody(req: FastifyRequest, allowed: readonly string[], kind?: string): unknown {
  const type = mediaType(req);
  const raw = req.body as Buffer | undefined;
  if (type === 'application/vnd.kubernetes.protobuf' && allowed.includes(type)) {
    if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
    return decodeProtobufBody(raw);
  }
  if (!allowed.includes(type)) {
    if (!raw || raw.length === 0) {
      if (type === '' || allowed.includes(type)) throw badRequest('the body of the request was empty');
    }
    if (type === '' && raw && raw.length) return decodeJSON(raw, type, kind);
    throw unsupportedMediaType(allowed);
  }
  if (!raw || raw.length === 0) throw badRequest('the body of the request was empty');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    const pre = takePredecoded(req);
    try {
      if (!pre) return decodeYAML(raw.toString('utf8'));
      if ('error' in pre) throw pre.error;
      return pre.value;
    } catch (e) {
      throw decodeError(e, type, kind, raw);
    }
  }
  return decodeJSON(raw, type, kind);
}

function decodeJSON(raw: Buffer, type: string, kind: string | undefined): unknown {
  const text = raw.toString('utf8');
  const deep = jsonTooDeep(text, MAX_NESTING);
  if (deep) throw decodeError(new NestingError(deep), type, kind, raw);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw decodeError(e, type, kind, raw);
  }
}

/**
 * Upstream's 400 for a body that does not decode. Go's decoders speak: go-yaml's text for YAML
 * (YAMLDecodeError), encoding/json's for nesting (NestingError); JSON syntax errors keep
 * JSON.parse's own words. The prefixes are the handlers': create/update's
 * transformDecodeError (`the object provided is unrecognized (must be of type K): ... (summary)`
 * after the serializer's `couldn't get version/kind; json parse error: `), patch.go's
 * `error decoding patch: ` (merge, JSON patch), none (strategic merge patch), and
 * `error decoding YAML: ` around sigs.k8s.io/yaml's Unmarshal for apply patches. Other callers
 * (subresources, delete options) keep the decoder's own text.
 */
function decodeError(e: unknown, type: string, kind: string | undefined, raw: Buffer): StatusError {
  if (!(e instanceof YAMLDecodeError || e instanceof NestingError || e instanceof SyntaxError)) return internalError((e as Error).message);
  const yaml = e instanceof YAMLDecodeError;
  const msg = e.message;
  switch (type) {
    case 'application/merge-patch+json':
    case 'application/json-patch+json':
      return badRequest(`error decoding patch: ${msg}`);
    case 'application/strategic-merge-patch+json':
      return badRequest(msg);
    case 'application/apply-patch+yaml':
      return badRequest(`error decoding YAML: ${yaml ? 'error converting YAML to JSON' : 'error unmarshaling JSON'}: ${msg}`);
  }
  if (!kind) return badRequest(yaml ? `error converting YAML to JSON: ${msg}` : `couldn't get version/kind; json parse error: ${msg}`);
  const inner = yaml ? msg : `couldn't get version/kind; json parse error: ${msg}`;
  return badRequest(`the object provided is unrecognized (must be of type ${kind}): ${inner} (${summarizeData(raw)})`);
}

/** handlers/rest.go summarizeData(data, 30): the start of a JSON object as text, else as hex. */
export function summarizeData(raw: Buffer, max = 30): string {
  if (!raw.length) return '<empty>';
  const head = raw.subarray(0, max);
  const text = raw[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return raw.length > max ? `${text} ...` : text;
}
