// pods/exec and pods/attach: what the API server checks (pkg/registry/core/pod streamLocation)
// and what the kubelet's streaming server then does, in one place because both are this process.
// The session arrives as a WebSocket (v5.channel.k8s.io first, as kubectl 1.32 asks) or as SPDY;
// either way it becomes a RemoteCommandStreams, and the command runs in the container's context:
// its environment, working directory and, when it has them, its mount and UTS namespaces.
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { KubeObject } from '../resources/types.js';
import { StatusError, badRequest, notFound } from '../api/errors.js';
import type { UpgradeRequest, UpgradeRouter } from '../api/upgrade.js';
import { decodePodAttachOptions, decodePodExecOptions, rejectConnectDryRun, remoteCommandStreams, requestQuery } from '../api/query-params.js';
import { CHANNEL_PROTOCOLS, pickChannelProtocol, serveChannels } from '../api/streaming/channels.js';
import { internalFailure, nonZeroExit, success, type ExecStatus, type RemoteCommandOptions, type RemoteCommandStreams } from '../api/streaming/remotecommand.js';
import { spdyRemoteCommand } from '../api/streaming/remotecommand-spdy.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../api/streaming/stream-protocols.js';
import { negotiateStreamProtocol, spdySessionOverSocket, writeSpdyUpgradeResponse } from '../api/streaming/transports.js';
import type { ContainerHandle } from './runtime.js';
import { loadTerminals, spawnProcess, type ProcessHandle } from './process.js';

const PODS = { group: '', resource: 'pods' };

export interface StreamingDeps {
  store: Store;
  /** A container of a Pod this node runs (the node agent's runtime). */
  container(key: string, name: string): ContainerHandle | undefined;
  log: Logger;
}

type CSpec = { name: string };

/** The container a request means: `container=` or the Pod's only one; upstream's texts otherwise. */
export function pickContainer(pod: KubeObject, requested: string | undefined): string {
  const spec = (pod.spec ?? {}) as { containers?: CSpec[]; initContainers?: CSpec[]; ephemeralContainers?: CSpec[]; nodeName?: string };
  const name = pod.metadata.name!;
  const mains = (spec.containers ?? []).map((c) => c.name);
  const inits = (spec.initContainers ?? []).map((c) => c.name);
  const eph = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (mains.length === 1) return mains[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${mains.join(' ')}]`;
    if (inits.length) msg += ` or one of the init containers: [${inits.join(' ')}]`;
    if (eph.length) msg += ` or one of the ephemeral containers: [${eph.join(' ')}]`;
    throw badRequest(msg);
  }
  if (![...mains, ...inits, ...eph].includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
  if (!spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  return requested;
}

export function streamingRoutes(app: FastifyInstance, upgrades: UpgradeRouter, d: StreamingDeps) {
  for (const sub of ['exec', 'attach'] as const) {
    const path = `/api/v1/namespaces/:ns/pods/:name/${sub}`;
    upgrades.add(['GET', 'POST'], path, (u) => serve(u, sub));
    // Without an upgrade there is no session: upstream answers 400 as well.
    app.route({
      method: ['GET', 'POST'],
      url: path,
      handler: async (req) => {
        rejectConnectDryRun(requestQuery(req.url));
        throw badRequest('Upgrade request required');
      },
    });
  }

  // upstream ConnectResource (dryRun refused, Pod{Exec,Attach}Options decoded), streamLocation
  // (Pod, container, node), then the kubelet's reading of the streams it was sent.
  async function serve(u: UpgradeRequest, sub: 'exec' | 'attach') {
    const { ns, name } = u.params as { ns: string; name: string };
    const query = requestQuery(u.req.url);
    rejectConnectDryRun(query);
    const q = sub === 'exec' ? decodePodExecOptions(query) : { ...decodePodAttachOptions(query), command: [] };
    const pod = d.store.get('pods', ns, name);
    if (!pod) throw notFound(PODS, name);
    const containerName = pickContainer(pod, q.container || undefined);
    const opts = remoteCommandStreams(q);
    if (sub === 'exec' && !q.command.length) throw badRequest('you must specify at least one command for the container');
    const h = d.container(`${ns}/${name}`, containerName);
    if (!h || h.pod.metadata.uid !== pod.metadata.uid || !h.running || !h.proc) throw new StatusError(400, 'BadRequest', `container not found ("${containerName}")`);
    if (opts.tty) await loadTerminals();
    const streams = await open(u, opts);
    if (!streams) return;
    const log = d.log.child({ pod: `${ns}/${name}`, container: containerName, [sub]: sub === 'exec' ? q.command : true });
    log.debug('session started');
    const status = sub === 'exec' ? await runExec(h, q.command, opts, streams) : await runAttach(h, opts, streams);
    streams.finish(status);
    log.debug({ status: status.status, reason: status.reason }, 'session ended');
  }

  /** Upgrades the connection; undefined when it has already been answered otherwise. */
  async function open(u: UpgradeRequest, opts: RemoteCommandOptions): Promise<RemoteCommandStreams | undefined> {
    if (u.upgrade === 'websocket') {
      const protocol = pickChannelProtocol(u.wsProtocols);
      if (!protocol) throw badRequest(`requested protocol(s) are not supported: [${u.wsProtocols.join(' ')}]; supports [${Object.keys(CHANNEL_PROTOCOLS).join(' ')}]`);
      const ws = await new Promise<WebSocket>((resolve) => {
        const server = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 32 * 1024 * 1024, handleProtocols: () => (u.wsProtocols.length ? protocol : false) });
        server.handleUpgrade(u.req, u.socket, u.head, resolve);
      });
      return serveChannels(ws, protocol, opts);
    }
    if (u.upgrade.startsWith('spdy/')) {
      // kubectl's fallback (or KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false): the same session as SPDY streams.
      const n = negotiateStreamProtocol(u.req.headers['x-stream-protocol-version'], REMOTE_COMMAND_SPDY_PROTOCOLS);
      if (!n.ok) throw new StatusError(n.status, n.status === 403 ? 'Forbidden' : 'BadRequest', n.message);
      writeSpdyUpgradeResponse(u.socket, n.protocol);
      const session = spdySessionOverSocket(u.socket, u.head, { idleTimeoutMs: DEFAULT_STREAM_IDLE_TIMEOUT_MS });
      return spdyRemoteCommand(session, n.protocol, { ...opts, log: d.log });
    }
    throw badRequest(`unable to upgrade: unsupported protocol "${u.upgrade}"`);
  }
}

/** Runs argv in the container and pipes it to the session; resolves with the final status. */
export async function runExec(h: ContainerHandle, argv: string[], opts: RemoteCommandOptions, s: RemoteCommandStreams): Promise<ExecStatus> {
  if (!h.findExecutable(argv[0]!)) {
    // What containerd answers, which kubectl prints as is.
    return internalFailure(
      `error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH: unknown`,
    );
  }
  // A process of the container: in its namespaces, tracked with it (it dies when the container
  // stops, and with tinykube, even on kill -9), as `runc exec` joins the container's.
  const full = h.command(argv);
  let proc: ProcessHandle;
  try {
    proc = spawnProcess(full, { cwd: h.hostCwd, env: h.env, stdin: opts.stdin, tty: opts.tty ? { width: 80, height: 24 } : undefined });
  } catch (e) {
    return internalFailure(`error executing command in container: ${(e as Error).message}`);
  }
  return pipeSession(proc, argv, opts, s);
}

function pipeSession(proc: ProcessHandle, argv: string[], opts: RemoteCommandOptions, s: RemoteCommandStreams): Promise<ExecStatus> {
  const outputsDone: Promise<void>[] = [];
  const wire = (from: NodeJS.ReadableStream | null, to: NodeJS.WritableStream | undefined) => {
    if (!from) return;
    if (!to) return void from.resume();
    outputsDone.push(new Promise((r) => to.once('finish', r).once('close', r)));
    from.pipe(to);
  };
  wire(proc.stdout, s.stdout);
  wire(proc.stderr, s.stderr);
  if (proc.stdin && s.stdin) {
    proc.stdin.on('error', () => {});
    s.stdin.pipe(proc.stdin);
  }
  s.onResize((size) => proc.resize?.(size));
  const killTree = () => {
    try {
      if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
    } catch {
      proc.kill('SIGKILL');
    }
  };
  // Nothing outlives its session: a client that goes away takes the command with it.
  s.onClientGone(killTree);
  return new Promise((resolve) => {
    proc.once('error', (err: Error) => resolve(internalFailure(`error executing command in container: ${err.message}`)));
    proc.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      const exit = code ?? 128 + (signal ? signalNumber(signal) : 9);
      void Promise.all(outputsDone).then(() => resolve(exit === 0 ? success() : nonZeroExit(argv, exit)));
    });
  });
}

const SIGNO: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
const signalNumber = (s: NodeJS.Signals) => SIGNO[s] ?? 9;

/**
 * Attaches the session to the container's main process: its output from now on, and the
 * session's input into its stdin when the container keeps one open (`stdin: true`). Ends when the
 * process exits (Success, as the kubelet reports it) or the client detaches.
 */
export function runAttach(h: ContainerHandle, opts: RemoteCommandOptions, s: RemoteCommandStreams): Promise<ExecStatus> {
  const proc = h.proc!;
  return new Promise((resolve) => {
    let done = false;
    const detach = h.attach({ stdout: s.stdout, stderr: s.stderr });
    const end = (status: ExecStatus) => {
      if (done) return;
      done = true;
      detach();
      proc.off('close', onClose);
      resolve(status);
    };
    const onClose = () => end(success());
    proc.once('close', onClose);
    if (opts.stdin && s.stdin && proc.stdin) {
      const input = proc.stdin;
      s.stdin.on('data', (chunk: Buffer) => {
        if (!input.writableEnded) input.write(chunk);
      });
      // stdinOnce: the container's stdin closes after the first attached session's does.
      s.stdin.on('end', () => {
        if (h.spec.stdinOnce && !input.writableEnded) input.end();
      });
    }
    s.onResize((size) => proc.resize?.(size));
    s.onClientGone(() => end(success()));
  });
}
