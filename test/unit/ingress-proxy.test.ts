// The ingress data plane's pure parts: which headers cross the proxy, the forwarded headers it
// adds, round robin over endpoints, and why a backend cannot be resolved.
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { forwardedHeaders, requestHeaders, responseHeaders } from '../../src/ingress/forward.js';
import { pick, unresolved, type BackendLookup, type Resolved } from '../../src/ingress/backends.js';
import type { Endpoint } from '../../src/proxy/endpoints.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';

describe('requestHeaders', () => {
  it('drops hop-by-hop headers, those the Connection header names, the forwarded ones and Expect', () => {
    const raw = [
      'Host',
      'a.test',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      'timeout=5',
      'Transfer-Encoding',
      'chunked',
      'TE',
      'trailers',
      'Upgrade',
      'h2c',
      'Expect',
      '100-continue',
      'X-Forwarded-For',
      '203.0.113.9',
      'X-Real-IP',
      '203.0.113.9',
      'Accept',
      'a',
      'accept',
      'b',
    ];
    expect(requestHeaders(raw)).toEqual(['Host', 'a.test', 'Accept', 'a', 'accept', 'b']);
  });
});

describe('responseHeaders', () => {
  it('drops hop-by-hop headers and those the Connection header names, and keeps repeated ones', () => {
    const h = {
      'content-type': 'text/plain',
      connection: 'keep-alive, x-hop',
      'x-hop': '1',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'set-cookie': ['a=1', 'b=2'],
      'x-forwarded-for': '203.0.113.9',
      absent: undefined,
    };
    expect(responseHeaders(h)).toEqual([
      'content-type',
      'text/plain',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'x-forwarded-for',
      '203.0.113.9',
    ]);
  });
});

describe('forwardedHeaders', () => {
  it('names the client, the Host as sent, and the listener', () => {
    const req = { headers: { host: 'shop.test:8443' } } as unknown as IncomingMessage;
    expect(forwardedHeaders(req, { remote: '127.0.0.9', proto: 'https', port: 8443 })).toEqual([
      'X-Real-IP',
      '127.0.0.9',
      'X-Forwarded-For',
      '127.0.0.9',
      'X-Forwarded-Host',
      'shop.test:8443',
      'X-Forwarded-Port',
      '8443',
      'X-Forwarded-Proto',
      'https',
      'X-Forwarded-Scheme',
      'https',
      'X-Scheme',
      'https',
    ]);
  });
});

describe('pick', () => {
  it('goes round the endpoints in order and gives nothing without them', () => {
    const ep = (ip: string) => ({ ip, port: 80 }) as Endpoint;
    const r: Resolved = { endpoints: [ep('127.0.0.1'), ep('127.0.0.2'), ep('127.0.0.3')], next: 0 };
    expect([1, 2, 3, 4, 5].map(() => pick(r)!.ip)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.1', '127.0.0.2']);
    expect(pick({ endpoints: [], next: 0 })).toBeUndefined();
  });
});

describe('unresolved', () => {
  const svc = { metadata: { name: 'web', namespace: 'ns' }, spec: { ports: [{ name: 'http', port: 80 }] } } as unknown as ServiceObj;
  const lookup: BackendLookup = { service: (ns, name) => (ns === 'ns' && name === 'web' ? svc : undefined), slices: () => [] };
  it('accepts a Service port named by number or name', () => {
    expect(unresolved(lookup, 'ns', { service: { name: 'web', port: { number: 80 } } })).toBeUndefined();
    expect(unresolved(lookup, 'ns', { service: { name: 'web', port: { name: 'http' } } })).toBeUndefined();
  });
  it('says what is missing', () => {
    expect(unresolved(lookup, 'ns', { service: { name: 'api', port: { number: 80 } } })).toEqual({
      reason: 'ServiceNotFound',
      message: 'service "ns/api" not found',
    });
    expect(unresolved(lookup, 'ns', { service: { name: 'web', port: { number: 8080 } } })).toEqual({
      reason: 'PortNotFound',
      message: 'service "ns/web" does not have port 8080',
    });
    expect(unresolved(lookup, 'ns', { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } })).toEqual({
      reason: 'UnsupportedBackend',
      message: 'resource backend StorageBucket "static" is not supported',
    });
  });
});
