// What exec and attach share, whichever transport carries them (WebSocket channels or SPDY
// streams): the options of the request, the streams of one session, and the Status the session
// ends with (k8s.io/apimachinery/pkg/util/remotecommand, kubelet's remotecommand server).
import type { Readable, Writable } from 'node:stream';
import { badRequest } from '../errors.js';

export interface RemoteCommandOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface TerminalSize {
  width: number;
  height: number;
}

/** One exec/attach session as the node side sees it, independent of the wire protocol. */
export interface RemoteCommandStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  onResize(cb: (size: TerminalSize) => void): void;
  /** Sends the final status (on protocols that carry one) and ends the session. */
  finish(status: ExecStatus): void;
  /** The client went away before finish(). */
  onClientGone(cb: () => void): void;
}

/** The Status written on the error channel (v4+): metav1.Status without type meta, as kubelet writes it. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string }[] };
}

export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';

export const success = (): ExecStatus => ({ metadata: {}, status: 'Success' });

/** kubelet's answer to a command that exited non-zero; kubectl turns it into its own exit code. */
export function nonZeroExit(argv: string[], code: number): ExecStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** apierrors.NewInternalError, as the kubelet reports a command it could not start. */
export function internalFailure(message: string): ExecStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    code: 500,
    details: { causes: [{ message }] },
  };
}

const flag = (q: URLSearchParams, k: string) => {
  const v = q.get(k);
  return v === 'true' || v === '1';
};

/** The exec/attach query (`stdin`, `stdout`, `stderr`, `tty`, `command` repeated, `container`). */
export function parseRemoteCommandQuery(q: URLSearchParams, exec: boolean): { opts: RemoteCommandOptions; command: string[]; container?: string } {
  const opts = { stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') };
  // A tty merges stderr into stdout (kubelet refuses both, kubectl never asks for both).
  if (opts.tty) opts.stderr = false;
  if (!opts.stdin && !opts.stdout && !opts.stderr) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  const command = q.getAll('command');
  if (exec && !command.length) throw badRequest('you must specify at least one command for the container');
  return { opts, command, container: q.get('container') || undefined };
}
