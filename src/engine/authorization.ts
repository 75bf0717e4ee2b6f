import type { AuthConfig } from '../formats/config.js';

/**
 * Who may do what. Roles, from least to most: `maintainer` acts on the packages whose index
 * maintainer (`m:`) has their e-mail address; `security-team` acts on every package; `admin`
 * also manages API tokens. Anyone else is anonymous and only reads.
 */
export const ROLES = ['maintainer', 'security-team', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The person or token behind a request, as far as deciding needs: a role and a verified e-mail address. */
export interface Principal {
  readonly role: Role | 'anonymous';
  /** Lower-case; null for anonymous and for tokens made without one. */
  readonly email: string | null;
}

export const ANONYMOUS: Principal = { role: 'anonymous', email: null };

/** Whether a text is one of the roles. */
export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** The role of someone signed in with a verified e-mail address and these provider groups. */
export function signedInRole(email: string, groups: readonly string[], auth: AuthConfig): Role {
  const address = email.toLowerCase();
  const isIn = (members: AuthConfig['admins']) => members.emails.includes(address) || groups.some((group) => members.groups.includes(group));
  if (isIn(auth.admins)) return 'admin';
  if (isIn(auth.securityTeam)) return 'security-team';
  return 'maintainer';
}

/**
 * The e-mail address in an index maintainer text (`Natanael Copa <ncopa@alpinelinux.org>`, or a
 * bare address), lower-case; undefined when it has none. Domains are case-insensitive and
 * providers lower-case addresses, so comparing lower-case finds the same person.
 */
export function maintainerEmail(maintainer: string): string | undefined {
  const text = maintainer.trim();
  const address = /<([^<>\s]+@[^<>\s]+)>/.exec(text)?.[1] ?? (/^[^<>\s]+@[^<>\s]+$/.test(text) ? text : undefined);
  return address?.toLowerCase();
}

/**
 * Whether `user` may record decisions about a package whose indexes name these maintainers (one
 * per branch or repository it is in; null where none). A maintainer needs their own address among
 * them; the security team and admins act on every package; anonymous on none.
 */
export function mayActOn(user: Principal, packageMaintainers: readonly (string | null)[]): boolean {
  switch (user.role) {
    case 'anonymous':
      return false;
    case 'security-team':
    case 'admin':
      return true;
    case 'maintainer':
      return user.email !== null && packageMaintainers.some((maintainer) => maintainer !== null && maintainerEmail(maintainer) === user.email);
  }
}

/** Whether `user` may create, list and revoke API tokens. */
export function mayManageTokens(user: Principal): boolean {
  return user.role === 'admin';
}
