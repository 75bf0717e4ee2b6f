import { describe, expect, it } from 'vitest';
import type { AuthConfig } from '../formats/config.js';
import { ANONYMOUS, type Principal, ROLES, maintainerEmail, mayActOn, mayManageTokens, signedInRole } from './authorization.js';

const OWN = ['Jane Doe <jane@example.org>', null];
const OTHER = ['Max Mustermann <max@example.org>'];
const ORPHAN = [null];

const people: Record<string, Principal> = {
  anonymous: ANONYMOUS,
  maintainer: { role: 'maintainer', email: 'jane@example.org' },
  'security-team': { role: 'security-team', email: 'sec@example.org' },
  admin: { role: 'admin', email: null },
};

/** Every role against every action: act on its own package, on another's, on an orphan, manage tokens. */
const MATRIX: Record<string, { own: boolean; other: boolean; orphan: boolean; tokens: boolean }> = {
  anonymous: { own: false, other: false, orphan: false, tokens: false },
  maintainer: { own: true, other: false, orphan: false, tokens: false },
  'security-team': { own: true, other: true, orphan: true, tokens: false },
  admin: { own: true, other: true, orphan: true, tokens: true },
};

describe('authorization', () => {
  it('covers every role', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(['anonymous', ...ROLES].sort());
  });

  it.each(Object.entries(MATRIX))('%s: acts on own, other and orphaned packages and manages tokens as the matrix says', (role, expected) => {
    const user = people[role]!;
    expect({
      own: mayActOn(user, OWN),
      other: mayActOn(user, OTHER),
      orphan: mayActOn(user, ORPHAN),
      tokens: mayManageTokens(user),
    }).toEqual(expected);
  });

  it('matches a maintainer by address only, whatever the case and the name around it', () => {
    expect(mayActOn({ role: 'maintainer', email: 'jane@example.org' }, ['J. Doe <Jane@Example.ORG>'])).toBe(true);
    expect(mayActOn({ role: 'maintainer', email: 'jane@example.org' }, ['jane@example.org'])).toBe(true);
    expect(mayActOn({ role: 'maintainer', email: 'jane@example.org' }, ['Jane Doe'])).toBe(false);
    expect(mayActOn({ role: 'maintainer', email: 'jane@example.org' }, ['Other <xjane@example.org>'])).toBe(false);
    expect(mayActOn({ role: 'maintainer', email: null }, ['Jane Doe <jane@example.org>'])).toBe(false);
  });

  it('reads the address of a maintainer text', () => {
    expect(maintainerEmail('Natanael Copa <ncopa@alpinelinux.org>')).toBe('ncopa@alpinelinux.org');
    expect(maintainerEmail(' ncopa@alpinelinux.org ')).toBe('ncopa@alpinelinux.org');
    expect(maintainerEmail('Natanael Copa')).toBeUndefined();
  });

  it('gives the configured roles by e-mail or group, admin above security team, else maintainer', () => {
    const auth: AuthConfig = {
      securityTeam: { emails: ['sec@example.org'], groups: ['alpine/security'] },
      admins: { emails: ['root@example.org'], groups: ['alpine/infra'] },
    };
    expect(signedInRole('Sec@Example.org', [], auth)).toBe('security-team');
    expect(signedInRole('jane@example.org', ['alpine/security'], auth)).toBe('security-team');
    expect(signedInRole('jane@example.org', ['alpine/security', 'alpine/infra'], auth)).toBe('admin');
    expect(signedInRole('root@example.org', [], auth)).toBe('admin');
    expect(signedInRole('jane@example.org', ['alpine'], auth)).toBe('maintainer');
  });
});
