import { describe, it, expect } from 'vitest';
import { compilePattern, PatternError } from '../../src/registry/apiextensions/schema/pattern.js';

describe('RE2 patterns in JavaScript', () => {
  const matches: Array<[string, string, boolean]> = [
    ['^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'my-name', true],
    ['^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'My-name', false],
    ['(?i)^abc$', 'ABC', true],
    ['(?s)^a.b$', 'a\nb', true],
    ['^a.b$', 'a\nb', false],
    ['\\Aab\\z', 'ab', true],
    ['\\Aab\\z', 'ab\n', false],
    ['^(?P<word>[a-z]+)$', 'abc', true],
    ['^[[:alpha:]]+[[:digit:]]$', 'abc1', true],
    ['^[[:alpha:]]+[[:digit:]]$', 'ab1c', false],
    ['^\\Qa.b\\E$', 'a.b', true],
    ['^\\Qa.b\\E$', 'axb', false],
    ['^[]a]+$', ']a]', true],
    // Unanchored, as Go's MatchString: a match anywhere counts.
    ['b', 'abc', true],
    ['^\\d+$', '\u0663', false],
    // RE2's \s is [\t\n\f\r ] and its . matches \r.
    ['^a\\sb$', 'a\u000bb', false],
    ['^a\\sb$', 'a\tb', true],
    ['^a\\Sb$', 'a\u00a0b', true],
    ['^a[\\s,]b$', 'a,b', true],
    ['^a.b$', 'a\rb', true],
    ['^\\pL+$', 'abc', true],
    ['^\\pL+$', 'ab1', false],
  ];
  for (const [pattern, value, want] of matches) {
    it(`${pattern} ~ ${JSON.stringify(value)}`, () => {
      expect(compilePattern(pattern).test(value)).toBe(want);
    });
  }
  const refused = ['(a)\\1', '(?=a)b', '(?!a)b', '(?<=a)b', 'a++', 'a(?i)b', '(?U)a', 'abc\\'];
  for (const pattern of refused) {
    it(`refuses ${pattern} as RE2 does`, () => {
      expect(() => compilePattern(pattern)).toThrow(PatternError);
    });
  }
});
