// The pieces of Go's net/http, net, time and mime/multipart that agnhost's answers are made of.
import { describe, expect, it } from 'vitest';
import { canonicalHeaderKey, goHeader, goHostPort, goJSON, goPathClean, sniffContentType, splitTarget } from '../../src/agnhost/go-http.js';
import { lookupPort } from '../../src/agnhost/go-net.js';
import { goDurationString } from '../../src/agnhost/go-time.js';
import { parseMultipart } from '../../src/agnhost/multipart.js';
import { multipartBody } from './helpers.js';

describe('Go net/http details', () => {
  it('sniffs Content-Type as http.DetectContentType does', () => {
    const ct = (s: string | Buffer) => sniffContentType(Buffer.isBuffer(s) ? s : Buffer.from(s));
    expect(ct('hello')).toBe('text/plain; charset=utf-8');
    expect(ct('<a href="/rewriteme">test</a>')).toBe('text/html; charset=utf-8');
    expect(ct('  \n<HTML>')).toBe('text/html; charset=utf-8');
    expect(ct('<!-- c -->')).toBe('text/html; charset=utf-8');
    // A tag name must end with a space or '>'.
    expect(ct('<abbr>')).toBe('text/plain; charset=utf-8');
    expect(ct('<?xml version="1.0"?>')).toBe('text/xml; charset=utf-8');
    expect(ct('{"a":1}')).toBe('text/plain; charset=utf-8');
    expect(ct('%PDF-1.4')).toBe('application/pdf');
    expect(ct(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe('image/png');
    expect(ct(Buffer.from([0x1f, 0x8b, 0x08, 0]))).toBe('application/x-gzip');
    expect(ct(Buffer.from([1, 2, 3]))).toBe('application/octet-stream');
  });

  it('cleans paths as path.Clean', () => {
    expect(goPathClean('')).toBe('.');
    expect(goPathClean('//a//b/./c/..')).toBe('/a/b');
    expect(goPathClean('/../x')).toBe('/x');
    expect(goPathClean('a/../../b')).toBe('../b');
    expect(goPathClean('/a/')).toBe('/a');
  });

  it('splits a request target, absolute or not, and refuses a bad escape', () => {
    expect(splitTarget('/a%20b?x=1&y')).toEqual({ escapedPath: '/a%20b', path: '/a b', rawQuery: 'x=1&y' });
    expect(splitTarget('http://h:1/p?q')).toEqual({ escapedPath: '/p', path: '/p', rawQuery: 'q' });
    expect(splitTarget('/%zz')).toBeUndefined();
  });

  it('canonicalizes header names as textproto', () => {
    expect(canonicalHeaderKey('x-forwarded-for')).toBe('X-Forwarded-For');
    expect(canonicalHeaderKey('USER-AGENT')).toBe('User-Agent');
    expect(canonicalHeaderKey('bad key')).toBe('bad key');
    expect(goHeader(['host', 'h', 'x-a', '1', 'X-A', '2'])).toEqual({ 'X-A': ['1', '2'] });
  });

  it('writes addresses as net.JoinHostPort, IPv4-mapped ones as IPv4', () => {
    expect(goHostPort('::ffff:127.0.0.1', 5)).toBe('127.0.0.1:5');
    expect(goHostPort('::1', 5)).toBe('[::1]:5');
    expect(goHostPort('', 8080)).toBe(':8080');
  });

  it('marshals JSON as encoding/json: sorted keys, HTML characters escaped', () => {
    expect(goJSON({ output: 'a<b>&c', error: 'x' })).toBe('{"error":"x","output":"a\\u003cb\\u003e\\u0026c"}');
    expect(goJSON({})).toBe('{}');
  });
});

describe('Go net and time details', () => {
  it('reads ports as net.LookupPort', () => {
    expect(lookupPort('tcp', '8080')).toBe(8080);
    expect(lookupPort('tcp', '')).toBe(0);
    expect(() => lookupPort('tcp', '65536')).toThrow('address 65536: invalid port');
    expect(() => lookupPort('tcp', '-1')).toThrow('address -1: invalid port');
    expect(() => lookupPort('udp', 'no-such-service-name')).toThrow('lookup udp/no-such-service-name: unknown port');
  });

  it('prints durations as time.Duration', () => {
    expect(goDurationString(0)).toBe('0s');
    expect(goDurationString(100e6)).toBe('100ms');
    expect(goDurationString(1.5e6)).toBe('1.5ms');
    expect(goDurationString(2e3)).toBe('2\u00b5s');
    expect(goDurationString(500)).toBe('500ns');
    expect(goDurationString(2e9)).toBe('2s');
    expect(goDurationString(90e9)).toBe('1m30s');
    expect(goDurationString(3600e9)).toBe('1h0m0s');
    expect(goDurationString(-1.5e9)).toBe('-1.5s');
  });
});

describe('multipart/form-data', () => {
  it('finds file parts and values', () => {
    const { body, contentType } = multipartBody('file', 'dir/a.txt', 'content\r\nwith lines');
    expect(parseMultipart(body, contentType)).toEqual([{ name: 'file', filename: 'a.txt', data: Buffer.from('content\r\nwith lines') }]);
    const value = Buffer.from('--b\r\nContent-Disposition: form-data; name="msg"\r\n\r\nhi\r\n--b--\r\n');
    expect(parseMultipart(value, 'multipart/form-data; boundary="b"')).toEqual([
      { name: 'msg', filename: undefined, data: Buffer.from('hi') },
    ]);
  });

  it('is undefined for other bodies', () => {
    expect(parseMultipart(Buffer.from('x'), 'text/plain')).toBeUndefined();
    expect(parseMultipart(Buffer.from('x'), 'multipart/form-data')).toBeUndefined();
    expect(parseMultipart(Buffer.from('--b\r\nno end'), 'multipart/form-data; boundary=b')).toBeUndefined();
  });
});
