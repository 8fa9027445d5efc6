// What exec and attach share, whichever transport carries them (WebSocket channels or SPDY
// streams): the options of the request, the streams of one session, and the Status the session
// ends with (k8s.io/apimachinery/pkg/util/remotecommand, kubelet's remotecommand server).
import type { Readable, Writable } from 'node:stream';

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
