// pods/exec and pods/attach sessions (see exec.ts, which registers their routes and loads this
// module with the first session): the upgrade to WebSocket channels or SPDY streams, and the
// command run in the container's context.
import { WebSocketServer, type WebSocket } from 'ws';
import { StatusError, badRequest, notFound } from '../apimachinery/errors.js';
import type { UpgradeRequest } from '../server/upgrade.js';
import {
  decodePodAttachOptions,
  decodePodExecOptions,
  rejectConnectDryRun,
  remoteCommandStreams,
  requestQuery,
} from '../server/query-params.js';
import { CHANNEL_PROTOCOLS, pickChannelProtocol, serveChannels } from '../streaming/channels.js';
import {
  internalFailure,
  nonZeroExit,
  success,
  type ExecStatus,
  type RemoteCommandOptions,
  type RemoteCommandStreams,
} from '../streaming/remotecommand.js';
import { spdyRemoteCommand } from '../streaming/remotecommand-spdy.js';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, REMOTE_COMMAND_SPDY_PROTOCOLS } from '../streaming/stream-protocols.js';
import { negotiateStreamProtocol, spdySessionOverSocket, writeSpdyUpgradeResponse } from '../streaming/transports.js';
import type { ContainerHandle } from './runtime.js';
import { loadTerminals, spawnProcess, type ProcessHandle } from './process.js';
import { type StreamingDeps } from './exec.js';
import { pickContainer } from '../registry/pod/container-location.js';

const PODS = { group: '', resource: 'pods' };

// upstream ConnectResource (dryRun refused, Pod{Exec,Attach}Options decoded), streamLocation
// (Pod, container, node), then the kubelet's reading of the streams it was sent.
export async function serveRemoteCommand(u: UpgradeRequest, sub: 'exec' | 'attach', d: StreamingDeps) {
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
  if (!h || h.pod.metadata.uid !== pod.metadata.uid || !h.running || !h.proc)
    throw new StatusError(400, 'BadRequest', `container not found ("${containerName}")`);
  if (opts.tty) await loadTerminals();
  const streams = await open(u, opts, d);
  if (!streams) return;
  const log = d.log.child({ pod: `${ns}/${name}`, container: containerName, [sub]: sub === 'exec' ? q.command : true });
  log.debug('session started');
  const status = sub === 'exec' ? await runExec(h, q.command, opts, streams) : await runAttach(h, opts, streams);
  streams.finish(status);
  log.debug({ status: status.status, reason: status.reason }, 'session ended');
}

/** Upgrades the connection; undefined when it has already been answered otherwise. */
async function open(u: UpgradeRequest, opts: RemoteCommandOptions, d: StreamingDeps): Promise<RemoteCommandStreams | undefined> {
  if (u.upgrade === 'websocket') {
    const protocol = pickChannelProtocol(u.wsProtocols);
    if (!protocol)
      throw badRequest(
        `requested protocol(s) are not supported: [${u.wsProtocols.join(' ')}]; supports [${Object.keys(CHANNEL_PROTOCOLS).join(' ')}]`,
      );
    const ws = await new Promise<WebSocket>((resolve) => {
      const server = new WebSocketServer({
        noServer: true,
        perMessageDeflate: false,
        clientTracking: false,
        maxPayload: 32 * 1024 * 1024,
        handleProtocols: () => (u.wsProtocols.length ? protocol : false),
      });
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

/** Runs argv in the container and pipes it to the session; resolves with the final status. */
export async function runExec(
  h: ContainerHandle,
  argv: string[],
  opts: RemoteCommandOptions,
  s: RemoteCommandStreams,
): Promise<ExecStatus> {
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

const SIGNO: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};
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
