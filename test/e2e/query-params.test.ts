// Query parameters over real HTTP, read as upstream reads them: Go's bool and int64 conversions,
// the first of repeated values, upstream's 400 (conversion) and 422 (validation) texts, for
// lists, watches, writes, deletes, Tables, pods/log, exec and portforward; and no parameter
// value, however odd, makes the server answer 500.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent, request } from 'undici';
import { WebSocket } from 'ws';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
let agent: Agent;
const NS = 'qp';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
const POD = `/api/v1/namespaces/${NS}/pods/logger`;
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

beforeAll(async () => {
  tc = await startTestCluster();
  agent = new Agent({ connect: { ca: tc.cluster.caCert } });
  expect((await api(tc.cluster, 'POST', '/api/v1/namespaces', { body: { metadata: { name: NS } } })).status).toBe(201);
  expect((await api(tc.cluster, 'POST', CM, { body: { metadata: { name: 'keep' }, data: { a: '1' } } })).status).toBe(201);
  const pod = {
    metadata: { name: 'logger' },
    spec: { containers: [{ name: 'main', image: 'local/sh', command: ['sh', '-c', 'echo one; echo two; echo three; exec sleep 1000'] }] },
  };
  expect((await api(tc.cluster, 'POST', `/api/v1/namespaces/${NS}/pods`, { body: pod })).status).toBe(201);
  await until(async () => {
    const p = (await api(tc.cluster, 'GET', POD)).json();
    return p.status?.containerStatuses?.[0]?.state?.running !== undefined;
  });
  await until(async () => (await api(tc.cluster, 'GET', `${POD}/log`)).text.includes('three'));
});
afterAll(async () => {
  await agent?.destroy();
  await tc?.stop();
});

const call = (method: string, path: string, o: { body?: object | string; contentType?: string; accept?: string } = {}) =>
  api(tc.cluster, method, path, o);

/** The first `n` events of a watch (or what came before the server ended it). */
async function watchEvents(path: string, n: number): Promise<{ status: number; events: { type: string; object: any }[] }> {
  const ac = new AbortController();
  const res = await request(tc.cluster.server + path, {
    headers: { authorization: `Bearer ${tc.cluster.token}` },
    dispatcher: agent,
    signal: ac.signal,
  });
  const events: { type: string; object: any }[] = [];
  let buf = '';
  try {
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        if (buf.slice(0, i).trim()) events.push(JSON.parse(buf.slice(0, i)));
        buf = buf.slice(i + 1);
      }
      if (events.length >= n) break;
    }
  } finally {
    ac.abort();
  }
  return { status: res.statusCode, events };
}

describe('lists and watches', () => {
  it('watches on ?watch=True (any value but 0/false), with the first of repeated values', async () => {
    for (const q of ['watch=True', 'watch=yes', 'watch=', 'watch=1&watch=0']) {
      const start = (await call('GET', CM)).json().metadata.resourceVersion;
      // From `start`: the create is seen whenever the watch gets registered.
      const pending = watchEvents(`${CM}?${q}&resourceVersion=${start}`, 1);
      expect((await call('POST', CM, { body: { metadata: { generateName: 'w-' } } })).status).toBe(201);
      const { status, events } = await pending;
      expect([q, status, events[0]?.type]).toEqual([q, 200, 'ADDED']);
    }
    const list = await call('GET', `${CM}?watch=0&watch=1`);
    expect([list.status, list.json().kind]).toEqual([200, 'ConfigMapList']);
    expect((await call('GET', `${CM}?watch=FALSE`)).json().kind).toBe('ConfigMapList');
  });

  it('answers bad numbers with strconv texts, and takes what Go takes', async () => {
    const cases: [string, number, string | undefined][] = [
      ['limit=abc', 400, 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=1e3', 400, 'strconv.ParseInt: parsing "1e3": invalid syntax'],
      ['limit=+1', 400, 'strconv.ParseInt: parsing " 1": invalid syntax'],
      ['limit=9223372036854775808', 400, 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
      ['timeoutSeconds=abc', 400, 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['limit=abc&limit=1', 400, 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ];
    for (const [q, code, message] of cases) {
      const r = await call('GET', `${CM}?${q}`);
      expect([q, r.status, r.json().reason, r.json().message]).toEqual([q, code, 'BadRequest', message]);
    }
    // A negative limit lists everything (no page), `+` escaped is a sign, the first limit counts.
    expect((await call('GET', `${CM}?limit=-1`)).json().metadata.continue).toBeUndefined();
    const page = (await call('GET', `${CM}?limit=%2B1&limit=abc`)).json();
    expect([page.items.length, typeof page.metadata.continue]).toEqual([1, 'string']);
  });

  it('ends a watch at once for timeoutSeconds=-1 (a 200, not an error)', async () => {
    const { status, events } = await watchEvents(
      `${CM}?watch=1&timeoutSeconds=-1&resourceVersion=${(await call('GET', CM)).json().metadata.resourceVersion}`,
      1_000,
    );
    expect([status, events]).toEqual([200, []]);
  });

  it("validates ListOptions with upstream's 422 texts", async () => {
    const cases: [string, string][] = [
      [
        'resourceVersionMatch=Exact',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
      ],
      [
        'resourceVersion=1&resourceVersionMatch=Newest',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""',
      ],
      [
        'sendInitialEvents=false',
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
      ],
      [
        'watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      ],
    ];
    for (const [q, message] of cases) {
      const r = await call('GET', `${CM}?${q}`);
      expect([q, r.status, r.json().reason, r.json().message]).toEqual([q, 422, 'Invalid', message]);
    }
  });

  it('reads TableOptions only for a Table, with their own 400', async () => {
    const bad = await call('GET', `${CM}?includeObject=object`, { accept: TABLE });
    expect([bad.status, bad.json().message]).toEqual([
      400,
      `Unable to convert to Table as requested: includeObject: Invalid value: "object": must be 'Metadata', 'Object', 'None', or empty`,
    ]);
    expect((await call('GET', `${CM}?includeObject=object`)).status).toBe(200);
    const none = (await call('GET', `${CM}/keep?includeObject=None&includeObject=Object`, { accept: TABLE })).json();
    expect(none.rows[0].object).toBeUndefined();
  });

  it('refuses ?export=true on get', async () => {
    const r = await call('GET', `${CM}/keep?export=1`);
    expect([r.status, r.json().message]).toEqual([400, 'the export parameter, deprecated since v1.14, is no longer supported']);
    expect((await call('GET', `${CM}/keep?export=false`)).status).toBe(200);
  });

  it('reads resourceVersion as the storage layer does (ParseUint), exactly', async () => {
    const bad = await call('GET', `${CM}?resourceVersion=%2B1`);
    expect([bad.status, bad.json().message]).toEqual([
      400,
      'resourceVersion: Invalid value: "+1": strconv.ParseUint: parsing "+1": invalid syntax',
    ]);
    const future = await call('GET', `${CM}?resourceVersion=9223372036854775807&watch=1`);
    expect([future.status, future.json().message]).toEqual([
      504,
      `Too large resource version: 9223372036854775807, current: ${(await call('GET', CM)).json().metadata.resourceVersion}`,
    ]);
  });
});

describe('writes and deletes', () => {
  it('validates CreateOptions, UpdateOptions and PatchOptions with 422s', async () => {
    const body = { metadata: { name: 'opts' } };
    const cases: [string, string, string, string | undefined, string][] = [
      [
        'POST',
        CM,
        'dryRun=',
        undefined,
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{""}: supported values: "All"',
      ],
      [
        'POST',
        CM,
        'dryRun=All&dryRun=all',
        undefined,
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"All", "all"}: supported values: "All"',
      ],
      [
        'POST',
        CM,
        'fieldValidation=strict',
        undefined,
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
      ],
      [
        'PUT',
        `${CM}/keep`,
        'fieldManager=a%09b',
        undefined,
        'UpdateOptions.meta.k8s.io "" is invalid: fieldManager: Invalid value: "a\\tb": invalid character U+0009 (at position 1)',
      ],
      [
        'PATCH',
        `${CM}/keep`,
        'force=false',
        'application/merge-patch+json',
        'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
      ],
      [
        'PATCH',
        `${CM}/keep`,
        'force=true',
        'application/apply-patch+yaml',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      ],
    ];
    for (const [method, path, q, contentType, message] of cases) {
      const r = await call(method, `${path}?${q}`, { body: method === 'PUT' ? { metadata: { name: 'keep' } } : body, contentType });
      expect([q, r.status, r.json().reason, r.json().message]).toEqual([q, 422, 'Invalid', message]);
    }
    expect((await call('GET', `${CM}/opts`)).status).toBe(404);
    // The first fieldValidation counts: Strict refuses the unknown field.
    const strict = await call('POST', `${CM}?fieldValidation=Strict&fieldValidation=Ignore`, {
      body: { metadata: { name: 'strict' }, bogus: 1 },
    });
    expect([strict.status, strict.json().message]).toEqual([
      400,
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"',
    ]);
  });

  it('takes DeleteOptions from the query only without a body, preconditions included', async () => {
    await call('POST', CM, { body: { metadata: { name: 'd1' } } });
    const bad = await call('DELETE', `${CM}/d1?gracePeriodSeconds=abc`);
    expect([bad.status, bad.json().message]).toEqual([400, 'strconv.ParseInt: parsing "abc": invalid syntax']);
    const wrongUid = await call('DELETE', `${CM}/d1?uid=not-it`);
    expect([wrongUid.status, wrongUid.json().reason]).toEqual([409, 'Conflict']);
    const policy = await call('DELETE', `${CM}/d1?propagationPolicy=`);
    expect([policy.status, policy.json().message]).toEqual([
      422,
      'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "": supported values: "Foreground", "Background", "Orphan", "nil"',
    ]);
    // With a body, the query is not read at all.
    const withBody = await call('DELETE', `${CM}/d1?gracePeriodSeconds=abc&uid=not-it`, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1' },
    });
    expect(withBody.status).toBe(200);
    expect((await call('GET', `${CM}/d1`)).status).toBe(404);
  });

  it('survives an absurd gracePeriodSeconds on a Pod (Go wraps the duration)', async () => {
    const pod = { metadata: { name: 'grace' }, spec: { containers: [{ name: 'main', image: 'local/sh', command: ['sleep', '1000'] }] } };
    expect((await call('POST', `/api/v1/namespaces/${NS}/pods`, { body: pod })).status).toBe(201);
    await until(async () => !!(await call('GET', `/api/v1/namespaces/${NS}/pods/grace`)).json().spec.nodeName);
    const r = await call('DELETE', `/api/v1/namespaces/${NS}/pods/grace?gracePeriodSeconds=9223372036854775807`);
    expect(r.status).toBe(200);
    expect(Number.isNaN(Date.parse(r.json().metadata.deletionTimestamp))).toBe(false);
  });
});

describe('pods/log', () => {
  it("answers previous=True on a container that never restarted with upstream's 400", async () => {
    for (const q of ['previous=True', 'previous=', 'previous=1&previous=0']) {
      const r = await call('GET', `${POD}/log?${q}`);
      expect([q, r.status, r.json().message]).toEqual([q, 400, 'previous terminated container "main" in pod "logger" not found']);
    }
    expect((await call('GET', `${POD}/log?previous=False`)).text).toBe('one\ntwo\nthree\n');
  });

  it('reads the log options as upstream converts and validates them', async () => {
    expect((await call('GET', `${POD}/log?tailLines=1&tailLines=abc`)).text).toBe('three\n');
    expect((await call('GET', `${POD}/log?tailLines=0`)).text).toBe('');
    expect((await call('GET', `${POD}/log?limitBytes=5`)).text).toBe('one\nt');
    expect((await call('GET', `${POD}/log?timestamps=TRUE&tailLines=1`)).text).toMatch(/^\d{4}-\d\d-\d\dT\S+Z three\n$/);
    expect((await call('GET', `${POD}/log?sinceTime=2000-01-01T00:00:00Z`)).text).toBe('one\ntwo\nthree\n');
    expect((await call('GET', `${POD}/log?sinceTime=2999-01-01T00:00:00%2B01:00`)).text).toBe('');
    const cases: [string, number, string][] = [
      ['tailLines=abc', 400, 'strconv.ParseInt: parsing "abc": invalid syntax'],
      ['sinceTime=yesterday', 400, 'parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"'],
      ['sinceTime=2024-02-30T00:00:00Z', 400, 'parsing time "2024-02-30T00:00:00Z": day out of range'],
      ['tailLines=-1', 422, 'PodLogOptions "logger" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
      ['limitBytes=0', 422, 'PodLogOptions "logger" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
      [
        'sinceSeconds=10&sinceTime=2024-01-01T00:00:00Z',
        422,
        'PodLogOptions "logger" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
      ],
      ['stream=Stdout', 422, 'PodLogOptions "logger" is invalid: stream: Forbidden: may not be specified'],
    ];
    for (const [q, code, message] of cases) {
      const r = await call('GET', `${POD}/log?${q}`);
      expect([q, r.status, r.json().message]).toEqual([q, code, message]);
    }
  });
});

/** Opens a WebSocket upgrade; resolves with the refusal's status and Status, or 101 and what came
 *  until the server closed (or at once, with `closeOnOpen`). */
function upgrade(
  path: string,
  protocols: string[],
  closeOnOpen = false,
): Promise<{ status: number; message?: string; channels: Record<number, string> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(tc.cluster.server.replace(/^https/, 'wss') + path, protocols, {
      ca: tc.cluster.caCert,
      headers: { authorization: `Bearer ${tc.cluster.token}` },
    });
    const channels: Record<number, string> = {};
    if (closeOnOpen) ws.on('open', () => ws.close());
    ws.on('message', (d: Buffer) => (channels[d[0]!] = (channels[d[0]!] ?? '') + d.subarray(1).toString()));
    ws.on('close', () => resolve({ status: 101, channels }));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => {
        let message: string | undefined;
        try {
          message = JSON.parse(body).message;
        } catch {
          message = body;
        }
        resolve({ status: res.statusCode!, message, channels });
      });
    });
    ws.on('error', reject);
  });
}

describe('exec and portforward', () => {
  const EXEC = `${POD}/exec?container=main&command=sh&command=-c&command=echo%20hi`;

  it('reads the stream flags as Go bools', async () => {
    const out = await upgrade(`${EXEC}&stdout=True&stderr=False`, ['v5.channel.k8s.io']);
    expect([out.status, out.channels[1]]).toEqual([101, 'hi\n']);
    const none = await upgrade(`${EXEC}&stdout=FALSE&stdout=1&stderr=0`, ['v5.channel.k8s.io']);
    expect([none.status, none.message]).toEqual([400, 'you must specify at least 1 of stdin, stdout, stderr']);
  });

  it('refuses dryRun on connect subresources', async () => {
    for (const path of [`${EXEC}&stdout=1&dryRun=All`, `${POD}/attach?stdout=1&dryRun`, `${POD}/portforward?ports=80&dryRun=`]) {
      const r = await upgrade(path, ['v4.channel.k8s.io']);
      expect([path, r.status, r.message]).toEqual([path, 400, 'dryRun is not supported']);
    }
    const plain = await call('GET', `${EXEC}&stdout=1&dryRun=All`);
    expect([plain.status, plain.json().message]).toEqual([400, 'dryRun is not supported']);
  });

  it('decodes ports as the apiserver does before the kubelet reads them', async () => {
    const cases: [string, string][] = [
      ['ports=abc', 'cannot convert to []int32: strconv.ParseUint: parsing "abc": invalid syntax'],
      ['ports=80,', 'cannot convert to []int32: strconv.ParseUint: parsing "": invalid syntax'],
      ['ports=70000', 'cannot convert to []int32: strconv.ParseUint: parsing "70000": value out of range'],
      ['ports=80&ports=0', 'port "80,0" must be > 0'],
      ['', 'query parameter "port" is required'],
    ];
    for (const [q, message] of cases) {
      const r = await upgrade(`${POD}/portforward?${q}`, ['v4.channel.k8s.io']);
      expect([q, r.status, r.message]).toEqual([q, 400, message]);
    }
    // A bad port is refused for SPDY too: the apiserver decodes before any protocol.
    const spdy = await call('GET', `${POD}/portforward?ports=x`);
    expect([spdy.status, spdy.json().message]).toEqual([400, 'cannot convert to []int32: strconv.ParseUint: parsing "x": invalid syntax']);
  });
});

describe('create-like subresources and proxies', () => {
  it('reads CreateOptions, not DeleteOptions, from an eviction query', async () => {
    const path = `/api/v1/namespaces/${NS}/pods/absent/eviction`;
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'absent' } };
    const bad = await call('POST', `${path}?dryRun=all`, { body });
    expect([bad.status, bad.json().message]).toEqual([
      422,
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"all"}: supported values: "All"',
    ]);
    // gracePeriodSeconds is no CreateOptions parameter: not read, so the Pod lookup answers.
    const ignored = await call('POST', `${path}?gracePeriodSeconds=abc`, { body });
    expect([ignored.status, ignored.json().message]).toEqual([404, 'pods "absent" not found']);
  });

  it('refuses dryRun on pods/proxy before proxying', async () => {
    const r = await call('GET', `${POD}/proxy/?dryRun=All`);
    expect([r.status, r.json().message]).toEqual([400, 'dryRun is not supported']);
  });
});

describe('no parameter value makes a 500', () => {
  const VALUES = [
    '',
    'True',
    'false',
    '0',
    '-1',
    '+1',
    '%2B1',
    '1e3',
    '0x10',
    '99999999999999999999',
    '9223372036854775807',
    '-9223372036854775808',
    '%zz',
    '%00',
    '%E2%9C%93',
    'a%2Cb',
    'Exact',
    'NotOlderThan',
    'All',
    'null',
    '2024-01-01T00:00:00Z',
  ];
  const LIST = [
    'labelSelector',
    'fieldSelector',
    'watch',
    'allowWatchBookmarks',
    'resourceVersion',
    'resourceVersionMatch',
    'timeoutSeconds',
    'limit',
    'continue',
    'sendInitialEvents',
  ];
  const WRITE = ['dryRun', 'fieldManager', 'fieldValidation'];
  const DELETE = [
    'gracePeriodSeconds',
    'orphanDependents',
    'propagationPolicy',
    'dryRun',
    'uid',
    'resourceVersion',
    'ignoreStoreReadErrorWithClusterBreakingPotential',
  ];
  const TABLE_PARAMS = ['includeObject', '-'];
  const LOG = [
    'container',
    'follow',
    'previous',
    'sinceSeconds',
    'sinceTime',
    'timestamps',
    'tailLines',
    'limitBytes',
    'insecureSkipTLSVerifyBackend',
    'stream',
  ];
  const endpoints: { method: string; path: string; params: string[]; body?: object; contentType?: string; accept?: string }[] = [
    { method: 'GET', path: CM, params: [...LIST, ...TABLE_PARAMS], accept: TABLE },
    { method: 'GET', path: CM, params: LIST },
    { method: 'GET', path: `${CM}/keep`, params: ['export', 'resourceVersion', ...TABLE_PARAMS], accept: TABLE },
    { method: 'POST', path: CM, params: WRITE, body: { metadata: { generateName: 'fuzz-' } } },
    { method: 'PUT', path: `${CM}/keep`, params: WRITE, body: { metadata: { name: 'keep' }, data: { a: '1' } } },
    {
      method: 'PATCH',
      path: `${CM}/keep`,
      params: [...WRITE, 'force'],
      body: { data: { b: '2' } },
      contentType: 'application/merge-patch+json',
    },
    {
      method: 'PATCH',
      path: `${CM}/keep`,
      params: [...WRITE, 'force'],
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' } } as object,
      contentType: 'application/apply-patch+yaml',
    },
    { method: 'DELETE', path: `${CM}/absent`, params: DELETE },
    { method: 'DELETE', path: `/api/v1/namespaces/${NS}/secrets`, params: [...LIST, ...DELETE] },
    { method: 'GET', path: `${POD}/log`, params: LOG },
    { method: 'POST', path: `${POD}/eviction`, params: WRITE, body: { metadata: { name: 'absent' } } },
  ];

  it('answers every endpoint family with a 2xx or 4xx for odd values and repeats', async () => {
    const jobs: { label: string; method: string; path: string; body?: object; contentType?: string; accept?: string }[] = [];
    for (const e of endpoints) {
      for (const p of e.params) {
        for (const v of [...VALUES, 'REPEAT']) {
          // A patch with fieldManager unset for apply would only test the one 422; give it one.
          const base = e.contentType === 'application/apply-patch+yaml' && p !== 'fieldManager' ? 'fieldManager=fuzz&' : '';
          const q = v === 'REPEAT' ? `${p}=1&${p}=abc` : `${p}=${v}`;
          jobs.push({
            label: `${e.method} ${e.path}${e.accept ? ' (Table)' : ''} ?${q}`,
            method: e.method,
            path: `${e.path}?${base}${q}`,
            body: e.body,
            contentType: e.contentType,
            accept: e.accept,
          });
        }
      }
    }
    const bad: string[] = [];
    const run = async (j: (typeof jobs)[number]) => {
      const headers: Record<string, string> = { authorization: `Bearer ${tc.cluster.token}` };
      if (j.accept) headers.accept = j.accept;
      let body: string | undefined;
      if (j.body) {
        body = JSON.stringify(j.body);
        headers['content-type'] = j.contentType ?? 'application/json';
      }
      const res = await request(tc.cluster.server + j.path, { method: j.method as 'GET', headers, body, dispatcher: agent });
      // Watches and followed logs stream: the status is all that matters here.
      if (res.statusCode < 500) {
        res.body.on('error', () => {});
        return void res.body.destroy();
      }
      const text = await res.body.text();
      // A resourceVersion from the future: upstream's watch cache answers 504 Timeout too.
      if (res.statusCode === 504 && JSON.parse(text).details?.causes?.[0]?.reason === 'ResourceVersionTooLarge') return;
      bad.push(`${j.label} → ${res.statusCode} ${text}`);
    };
    for (let i = 0; i < jobs.length; i += 32) await Promise.all(jobs.slice(i, i + 32).map(run));
    expect(bad).toEqual([]);
    expect(jobs.length).toBeGreaterThan(1000);
    // Still serving.
    expect((await call('GET', `${CM}/keep`)).status).toBe(200);
  }, 120_000);

  it('answers exec, attach and portforward upgrades with a 101 or a 4xx for odd values', async () => {
    const bad: string[] = [];
    const paths: string[] = [];
    for (const p of ['stdin', 'stdout', 'stderr', 'tty', 'container', 'command']) {
      for (const v of ['', 'True', '0', '%zz', '%00', 'REPEAT']) {
        const q = v === 'REPEAT' ? `${p}=1&${p}=abc` : `${p}=${v}`;
        paths.push(`${POD}/exec?command=true&stdout=1&${q}`, `${POD}/attach?stdout=1&${q}`);
      }
    }
    for (const v of ['', '0', '1', '65536', '%2B1', 'a%2Cb', '%zz']) paths.push(`${POD}/portforward?ports=${v}`);
    for (const path of paths) {
      const r = await upgrade(path, ['v4.channel.k8s.io'], true);
      if (r.status >= 500) bad.push(`${path} → ${r.status} ${r.message}`);
    }
    expect(bad).toEqual([]);
  }, 120_000);
});
