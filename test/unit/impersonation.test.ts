// Impersonate-* headers (kubectl --as, --as-group, --as-uid) as upstream's WithImpersonation
// filter reads them.
import { describe, expect, it } from 'vitest';
import { impersonatedUser } from '../../src/server/auth/impersonation.js';

describe('impersonatedUser', () => {
  it('is nothing without the headers', () => {
    expect(impersonatedUser({ authorization: 'Bearer x' })).toBeUndefined();
  });

  it('adds system:authenticated, and a service account’s groups when none are given', () => {
    expect(impersonatedUser({ 'impersonate-user': 'jane' })).toEqual({ username: 'jane', groups: ['system:authenticated'] });
    expect(impersonatedUser({ 'impersonate-user': 'jane', 'impersonate-group': ['a', 'b'], 'impersonate-uid': '7' })).toEqual({
      username: 'jane',
      uid: '7',
      groups: ['a', 'b', 'system:authenticated'],
    });
    expect(impersonatedUser({ 'impersonate-user': 'jane', 'impersonate-group': 'system:authenticated' })).toEqual({
      username: 'jane',
      groups: ['system:authenticated'],
    });
    expect(impersonatedUser({ 'impersonate-user': 'system:serviceaccount:ns1:builder' })).toEqual({
      username: 'system:serviceaccount:ns1:builder',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:ns1', 'system:authenticated'],
    });
    // Not a well-formed service account name: an ordinary user, without service account groups.
    for (const username of ['system:serviceaccount:NS:x', 'system:serviceaccount:ns', 'system:serviceaccount:ns:a:b'])
      expect(impersonatedUser({ 'impersonate-user': username })).toEqual({ username, groups: ['system:authenticated'] });
    expect(impersonatedUser({ 'impersonate-user': 'system:anonymous' })).toEqual({
      username: 'system:anonymous',
      groups: ['system:unauthenticated'],
    });
  });

  it('takes Impersonate-Extra-<key> with escaped keys', () => {
    expect(
      impersonatedUser({
        'impersonate-user': 'jane',
        'impersonate-extra-scopes': 'view, edit',
        'impersonate-extra-example.com%2fteam': 'x',
      }),
    ).toEqual({
      username: 'jane',
      groups: ['system:authenticated'],
      extra: { scopes: ['view', 'edit'], 'example.com/team': ['x'] },
    });
  });

  it('refuses groups, uid or extras without a user, with upstream’s text', () => {
    const e = impersonatedUser({ 'impersonate-group': 'devs', 'impersonate-uid': '1' });
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toBe('requested [{Group devs} {UserUID 1}] without impersonating a user');
  });
});
