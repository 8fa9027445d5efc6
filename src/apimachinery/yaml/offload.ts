// YAML bodies off the main thread. js-yaml needs ~0.3-0.6 s for 2 MB of flow lists (more on a
// loaded machine), during which the API, the cluster DNS server and the service proxy, which
// share this event loop, would answer nothing. A body of more than MAIN_THREAD_YAML_BYTES is
// decoded before its handler runs (a preHandler hook) by one worker thread, which answers JSON
// text that JSON.parse turns into objects here at native speed; the handler's decodeBody then
// takes that result (predecoded). Smaller bodies, and YAML bodies that are JSON, are decoded
// where they are read. The worker is started on first use, from source text inlined at build
// time (__TINYKUBE_YAML_WORKER__: scripts/yaml-worker.mjs, for dist/, the single executable and
// vitest alike); without it, or if it fails, decoding happens on the main thread as before.
import { Worker } from 'node:worker_threads';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { decodeJSONInYAML, decodeYAML, loadYAMLParser, NestingError, NOT_JSON, YAMLDecodeError } from './decode.js';
import { loadProtobufDecoder } from '../protobuf/load.js';
import type { YamlResult } from './worker.js';

declare const __TINYKUBE_YAML_WORKER__: string | undefined;

/**
 * Larger YAML bodies are decoded by the worker: js-yaml takes up to ~3.5 ms for 4 KiB of flow
 * lists here (warm; 7 ms for 8 KiB), block mappings far less. Bodies with aliases (`*`) go to
 * the worker whatever their size: a few KiB may expand to megabytes.
 */
export const MAIN_THREAD_YAML_BYTES = 4 * 1024;
/** The worker ends after this long without work: its heap goes back to the system. */
const WORKER_IDLE_MS = 10_000;

const YAML_TYPES = new Set(['application/yaml', 'application/apply-patch+yaml']);

type Outcome = { value: unknown } | { error: Error };

/** One worker thread decoding YAML texts in turn. */
export class YamlWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (r: Outcome) => void>();
  private next = 1;
  private idle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly log?: Pick<Logger, 'debug' | 'warn'>,
    private source: string | undefined = typeof __TINYKUBE_YAML_WORKER__ === 'string' ? __TINYKUBE_YAML_WORKER__ : undefined,
  ) {}

  /** Decodes `text` as decodeYAML does; the error is a YAMLDecodeError or NestingError as there. */
  decode(text: string): Promise<unknown> {
    const w = this.start();
    if (!w) return Promise.resolve().then(() => decodeYAML(text));
    clearTimeout(this.idle);
    const id = this.next++;
    return new Promise<Outcome>((resolve) => {
      this.pending.set(id, resolve);
      w.postMessage({ id, text });
    }).then((r) => {
      if ('error' in r) throw r.error;
      return r.value;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idle);
    const w = this.worker;
    this.worker = undefined;
    this.fail(new Error('the API server is shutting down'));
    await w?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    if (!this.source || this.closed) return undefined;
    let w: Worker;
    try {
      // A decode never needs much: a 3 MiB body, nested at most MAX_NESTING deep.
      w = new Worker(this.source, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 512, stackSizeMb: 8 } });
    } catch (err) {
      this.log?.warn({ err }, 'yaml: cannot start the decoder thread; large YAML bodies are decoded on the main thread');
      this.source = undefined;
      return undefined;
    }
    this.log?.debug('yaml: decoder thread started');
    w.unref();
    w.on('message', (r: YamlResult) => {
      const done = this.pending.get(r.id);
      if (!done) return;
      this.pending.delete(r.id);
      if ('json' in r) done({ value: JSON.parse(r.json) });
      else
        done({
          error:
            r.error.kind === 'yaml'
              ? new YAMLDecodeError(r.error.message)
              : r.error.kind === 'nesting'
                ? new NestingError(r.error.bracket ?? '[')
                : new Error(r.error.message),
        });
      if (!this.pending.size) {
        clearTimeout(this.idle);
        this.idle = setTimeout(() => {
          if (this.worker !== w || this.pending.size) return;
          this.worker = undefined;
          void w.terminate();
        }, WORKER_IDLE_MS).unref();
      }
    });
    const gone = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.fail(err);
    };
    w.on('error', (err) => {
      this.log?.warn({ err }, 'yaml: the decoder thread failed');
      gone(new Error(`the YAML decoder failed: ${err.message}`));
    });
    w.on('exit', (code) => gone(new Error(`the YAML decoder exited (${code})`)));
    this.worker = w;
    return w;
  }

  private fail(err: Error): void {
    for (const done of this.pending.values()) done({ error: err });
    this.pending.clear();
  }
}

const predecoded = new WeakMap<FastifyRequest, Outcome>();

/** What the preHandler decoded for this request's YAML body, if anything. */
export function takePredecoded(req: FastifyRequest): Outcome | undefined {
  const r = predecoded.get(req);
  predecoded.delete(req);
  return r;
}

/**
 * Decodes large YAML bodies on `yaml` before their handlers run; for any YAML or protobuf body,
 * first loads its decoder (js-yaml, the protobuf tables: not loaded at start).
 */
export function installYamlOffload(app: FastifyInstance, yaml: YamlWorker): void {
  app.addHook('preHandler', async (req, reply) => {
    const body = req.body;
    if (!Buffer.isBuffer(body) || !body.length) return;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/vnd.kubernetes.protobuf') return loadProtobufDecoder();
    if (!YAML_TYPES.has(type)) return;
    await loadYAMLParser();
    if (body.length <= MAIN_THREAD_YAML_BYTES && !body.includes(0x2a)) return;
    const text = body.toString('utf8');
    let out: Outcome;
    try {
      const json = decodeJSONInYAML(text);
      out = { value: json !== NOT_JSON ? json : await yaml.decode(text) };
    } catch (e) {
      out = { error: e as Error };
    }
    // The request deadline may have answered meanwhile.
    if (reply.sent) return reply;
    predecoded.set(req, out);
  });
}
