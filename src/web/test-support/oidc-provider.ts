import { generateKeyPairSync } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** A person the test provider signs in, with the claims GitLab puts in its ID token. */
export interface TestAccount {
  readonly sub: string;
  readonly email: string;
  readonly email_verified: boolean;
  readonly groups_direct: readonly string[];
}

export interface TestProvider {
  /** `http://127.0.0.1:PORT`, the issuer. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The account the next sign-in logs in as, without a form: the interaction is answered at once. */
  signInAs(account: TestAccount): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (oidc-provider) on loopback, shaped like GitLab: a confidential client
 * with PKCE required, `email`, `email_verified` and `groups_direct` in the ID token. Its port is
 * bound first, so the issuer is known; the relying party's redirect URI comes with `redirectUri`.
 */
export async function startTestProvider(redirectUri: () => string): Promise<TestProvider> {
  let provider: Provider | undefined;
  let account: TestAccount | undefined;
  const server: Server = createServer((request, response) => {
    void (async () => {
      const idp = (provider ??= makeProvider());
      if (request.url?.startsWith('/interaction/') === true) {
        const details = await idp.interactionDetails(request, response);
        if (details.prompt.name === 'login') {
          await idp.interactionFinished(request, response, { login: { accountId: account!.sub } }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = new idp.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id });
        grant.addOIDCScope(details.params.scope);
        await idp.interactionFinished(request, response, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
        return;
      }
      idp.callback()(request, response);
    })().catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'secfix';
  const clientSecret = 'test-client-secret';
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // Made at the first request: the relying party's address (in its redirect URI) is known by then.
  const makeProvider = () => new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri()], grant_types: ['authorization_code'], response_types: ['code'] }],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'test' }] },
    cookies: { keys: ['test-cookie-key'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_context: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // GitLab puts these in the ID token, not only in userinfo.
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['groups_direct'] },
    findAccount: (_context: unknown, sub: string) => ({ accountId: sub, claims: () => ({ ...account, sub }) }),
  });
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (next) => {
      account = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
