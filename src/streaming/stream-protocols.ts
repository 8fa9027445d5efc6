// The subprotocol names and timeouts of the streaming subresources (kubelet and apiserver
// defaults), and what a port-forward needs to know of its Pod.
import type { Socket } from 'node:net';
import type { Logger } from '../base/log.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl's WebSocket subprotocols for SPDY tunnelled over WebSocket: this prefix + the SPDY protocol. */
export const SPDY_TUNNEL_PREFIX = 'SPDY/3.1+';
export const PORT_FORWARD_TUNNEL_PROTOCOL = SPDY_TUNNEL_PREFIX + PORT_FORWARD_PROTOCOL;
/** Channel subprotocols the kubelet accepts for port-forward ("" too: a client that offers none). */
export const PORT_FORWARD_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'] as const;
/** SPDY subprotocols of exec/attach, in the kubelet's order of preference. */
export const REMOTE_COMMAND_SPDY_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v3.channel.k8s.io',
  'v2.channel.k8s.io',
  'channel.k8s.io',
] as const;

/** kubelet's --streaming-connection-idle-timeout default. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 4 * 60 * 60 * 1000;
/** remotecommand.DefaultStreamCreationTimeout, also the kubelet's port-forward pairing timeout. */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000;

export interface PortForwardOptions {
  /** Connects to the Pod's port. A socket still connecting is waited for. Sockets made with
   *  `allowHalfOpen: true` let a client's half-close reach the Pod without closing its answer. */
  dial(port: number): Promise<Socket> | Socket;
  podName: string;
  namespace: string;
  uid: string;
  log?: Logger;
  /** Pairing timeout for a request's error and data streams (default 30 s). */
  streamCreationTimeoutMs?: number;
  /** Idle timeout of a session created here (default 4 h). */
  idleTimeoutMs?: number;
}
