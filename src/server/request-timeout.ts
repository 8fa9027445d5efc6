// The request deadline of non-long-running requests, after upstream's handler chain
// (k8s.io/apiserver pkg/endpoints/filters/request_deadline.go WithRequestDeadline and
// pkg/server/filters/timeout.go WithTimeoutForNonLongRunningRequests, with the default
// --request-timeout of 60 s): counted from the request's arrival, it covers reading the body, so
// a client trickling a body cannot hold a request (and its buffers) forever. When it passes
// before an answer was written the client gets upstream's 504
// `Timeout: request did not complete within the allotted timeout` and the connection is closed
// (the rest of the body is never read); an answer already being written is cut off, as upstream
// aborts it (http.ErrAbortHandler). Long-running requests are exempt, decided as upstream's
// BasicLongRunningRequestCheck(verbs watch and proxy; subresources attach, exec, proxy, log,
// portforward) decides them from the request info. Upstream's `?timeout=` (a shorter deadline)
// is not read here.
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { StatusError } from '../apimachinery/errors.js';
import { requestQuery } from './query-params.js';

/** Upstream's --request-timeout default. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);
/** Subresources of a namespace itself (RequestInfoFactory's namespaceSubresources). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Whether a request is long-running, from the parts of upstream's RequestInfoFactory that decide
 * it: the deprecated `/watch/` and `/proxy/` path verbs, the subresource, and a collection GET
 * with `watch` set (ListOptions.Watch: any first value but "0" and "false").
 */
export function isLongRunning(method: string, url: string): boolean {
  const q = url.indexOf('?');
  const parts = (q < 0 ? url : url.slice(0, q)).split('/').filter(Boolean);
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return false;
  if (rest[0] !== undefined && LONG_RUNNING_VERBS.has(rest[0])) return true;
  if (rest[0] === 'namespaces' && rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  if (rest.length >= 3 && LONG_RUNNING_SUBRESOURCES.has(rest[2]!)) return true;
  if (rest.length === 1 && method === 'GET') {
    const watch = requestQuery(url).get('watch')?.[0];
    return watch !== undefined && watch !== '0' && watch.toLowerCase() !== 'false';
  }
  return false;
}

/** The Status upstream's timeout filter writes (apierrors.NewTimeoutError(..., 0)). */
export function requestTimeoutError(): StatusError {
  const e = new StatusError(504, 'Timeout', 'Timeout: request did not complete within the allotted timeout', {});
  // fastify's body reader takes an error's statusCode (else it answers 400).
  return Object.assign(e, { statusCode: 504 });
}

interface Deadline {
  timer: NodeJS.Timeout;
  /** The request body while it is being read (set only for requests that have one). */
  source?: Readable;
  bodyDone: boolean;
}

/** Starts a deadline for every non-long-running request on `app`. */
export function installRequestTimeout(app: FastifyInstance, timeoutMs: number): void {
  const deadlines = new WeakMap<FastifyRequest, Deadline>();
  const expire = (req: FastifyRequest, reply: FastifyReply, d: Deadline) => {
    if (d.source && !d.bodyDone) {
      // Still reading the body: fail the read where fastify's body reader listens, so it answers
      // the error (our 504), and close the connection after it: the rest is never read.
      d.source.pause();
      reply.raw.setHeader('connection', 'close');
      d.source.emit('error', requestTimeoutError());
      return;
    }
    if (!reply.sent && !reply.raw.headersSent) {
      reply.header('connection', 'close');
      reply.code(504).type('application/json').send(requestTimeoutError().toStatus());
      return;
    }
    if (!reply.raw.writableEnded) reply.raw.destroy();
    req.log.debug({ url: req.url }, 'request deadline passed');
  };
  app.addHook('onRequest', (req, reply, done) => {
    if (isLongRunning(req.method, req.url)) return done();
    const d: Deadline = { bodyDone: false, timer: setTimeout(() => expire(req, reply, d), timeoutMs) };
    d.timer.unref();
    reply.raw.once('close', () => clearTimeout(d.timer));
    deadlines.set(req, d);
    done();
  });
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const d = deadlines.get(req);
    const length = req.headers['content-length'];
    if (d && (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'))) {
      // The body is read from the request itself (no stream in between: this runs on every write).
      d.source = payload;
      payload.once('end', () => (d.bodyDone = true));
    }
    done(null, payload);
  });
}
