// What the aggregator reads from an aggregated API server for its own documents, asked as
// upstream's aggregator asks (system:kube-aggregator in system:masters, 5 s at most): the group
// version's APIResourceList, for discovery, and its OpenAPI v3 document, found as upstream's v3
// aggregator finds it (the server's /openapi/v3 index names the document's URL).
import type { Dispatcher } from 'undici';
import { GROUP_HEADER, USERNAME_HEADER } from './front-proxy.js';
import type { APIResourceList } from './discovery.js';

const TIMEOUT_MS = 5000;

async function get(client: Dispatcher, host: string, path: string): Promise<{ status: number; text: string }> {
  const r = await client.request({
    origin: `https://${host}`,
    path,
    method: 'GET',
    headers: { [USERNAME_HEADER]: 'system:kube-aggregator', [GROUP_HEADER]: 'system:masters', Accept: 'application/json' },
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
  return { status: r.statusCode, text: await r.body.text() };
}

/** The server's /apis/<group>/<version>; throws when it cannot be had. */
export async function fetchResourceList(client: Dispatcher, host: string, group: string, version: string): Promise<APIResourceList> {
  const r = await get(client, host, `/apis/${group}/${version}`);
  if (r.status < 200 || r.status >= 300) throw new Error(`status ${r.status}`);
  return JSON.parse(r.text) as APIResourceList;
}

/** The OpenAPI v3 document of `apis/<group>/<version>`, or undefined when the server has none; throws on transport errors. */
export async function fetchOpenAPIDocument(client: Dispatcher, host: string, gvPath: string): Promise<string | undefined> {
  const index = await get(client, host, '/openapi/v3');
  if (index.status !== 200) return undefined;
  const url = (JSON.parse(index.text) as { paths?: Record<string, { serverRelativeURL?: string }> }).paths?.[gvPath]?.serverRelativeURL;
  if (!url) return undefined;
  const doc = await get(client, host, url);
  return doc.status === 200 ? doc.text : undefined;
}
