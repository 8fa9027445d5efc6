// Raw HTTPS requests against a test cluster (for the cases kubectl cannot produce: malformed
// bodies, wrong content types, missing tokens). Uses undici with the cluster's CA.
import { Agent, request } from 'undici';
import type { RunningCluster } from '../../src/index.js';

const agents = new WeakMap<RunningCluster, Agent>();

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): any;
}

export async function api(
  cluster: RunningCluster,
  method: string,
  path: string,
  o: { body?: string | Buffer | object; contentType?: string; accept?: string; token?: string | null } = {},
): Promise<RawResponse> {
  let agent = agents.get(cluster);
  if (!agent) agents.set(cluster, (agent = new Agent({ connect: { ca: cluster.caCert } })));
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? cluster.token : o.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (o.accept) headers.accept = o.accept;
  let body: string | Buffer | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
    headers['content-type'] = o.contentType ?? 'application/json';
  } else if (o.contentType) headers['content-type'] = o.contentType;
  const res = await request(cluster.server + path, { method: method as 'GET', headers, body, dispatcher: agent });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    json: () => JSON.parse(text),
  };
}
