// Image references normalized as the kubelet's reference library does (ParseNormalizedNamed,
// TagNameOnly, FamiliarString), with its error texts.
import { describe, it, expect } from 'vitest';
import { familiarImageString, imageReferenceString, parseImageReference, withDefaultTag } from '../../src/apimachinery/image-reference.js';

const canonical = (s: string) => imageReferenceString(withDefaultTag(parseImageReference(s)));
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('image references', () => {
  it('normalize Docker Hub names, legacy index, tags and digests as upstream', () => {
    expect(canonical('nginx')).toBe('docker.io/library/nginx:latest');
    expect(canonical('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(canonical('docker.io/library/nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(canonical('index.docker.io/library/nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(canonical('bitnami/redis')).toBe('docker.io/bitnami/redis:latest');
    expect(canonical('registry.k8s.io/e2e-test-images/agnhost:2.52')).toBe('registry.k8s.io/e2e-test-images/agnhost:2.52');
    expect(canonical('localhost/app')).toBe('localhost/app:latest');
    expect(canonical('localhost:5000/team/app:v1')).toBe('localhost:5000/team/app:v1');
    expect(canonical('[::1]:5000/app')).toBe('[::1]:5000/app:latest');
    expect(canonical(`busybox@${DIGEST}`)).toBe(`docker.io/library/busybox@${DIGEST}`);
    expect(canonical(`busybox:1.36@${DIGEST}`)).toBe(`docker.io/library/busybox:1.36@${DIGEST}`);
    expect(parseImageReference('my_org/my-app__x.y')).toEqual({ domain: 'docker.io', path: 'my_org/my-app__x.y' });
  });

  it('print as docker does', () => {
    expect(familiarImageString(parseImageReference('docker.io/library/nginx:1.27'))).toBe('nginx:1.27');
    expect(familiarImageString(parseImageReference('index.docker.io/bitnami/redis'))).toBe('bitnami/redis');
    expect(familiarImageString(parseImageReference('registry.k8s.io/pause:3.10'))).toBe('registry.k8s.io/pause:3.10');
  });

  it('refuse what the library refuses, with its words', () => {
    const err = (s: string) => {
      try {
        parseImageReference(s);
        return 'parsed';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(err('Nginx')).toBe('invalid reference format: repository name (library/Nginx) must be lowercase');
    expect(err('example.com/App')).toBe('invalid reference format: repository name (App) must be lowercase');
    expect(err('Registry.Example.com/app')).toBe('parsed'); // domains may have capitals
    expect(err('nginx:')).toBe('invalid reference format');
    expect(err('nginx:-bad')).toBe('invalid reference format');
    expect(err('a//b')).toBe('invalid reference format');
    expect(err('nginx@sha256:abc')).toBe('invalid reference format');
    expect(err('')).toBe('invalid reference format');
    expect(err('ab'.repeat(32))).toBe(`invalid repository name (${'ab'.repeat(32)}), cannot specify 64-byte hexadecimal strings`);
    expect(err(`example.com/${'a'.repeat(250)}`)).toBe('repository name must not be more than 255 characters');
    expect(err(`nginx:${'t'.repeat(129)}`)).toBe('invalid reference format');
  });
});
