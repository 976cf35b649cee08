/** Scopes a credential can hold. `admin` implies every other scope. */
export const SCOPES = ['read', 'ingest', 'requests:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who is calling, once authenticated, and what data they may see. */
export interface Principal {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Region slugs this caller may see; `null` means every region. */
  readonly regions: readonly string[] | null;
  /** Organisation ids this caller acts for; `null` means any. */
  readonly organisations: readonly string[] | null;
}

/**
 * Resolves a bearer token to a principal, or `undefined` when it is unknown or revoked. May be
 * asynchronous (a JWT's signature check is). A verifier that knows why a token is refused (an
 * expired JWT, say) throws a `HubError` (`HUB_ERR_AUTH_TOKEN`) instead of returning `undefined`.
 */
export interface CredentialVerifier {
  verify(token: string): Principal | undefined | Promise<Principal | undefined>;
}

/**
 * Tries each verifier in turn: the first that knows the token decides. A JWT verifier only
 * claims tokens that look like JWTs, so API keys and JWTs are accepted side by side.
 */
export function anyOf(...verifiers: readonly CredentialVerifier[]): CredentialVerifier {
  return {
    async verify(token) {
      for (const v of verifiers) {
        const p = await v.verify(token);
        if (p) return p;
      }
      return undefined;
    },
  };
}

/** Whether the principal may see data of `region` (a `null` data scope sees every region). */
export function seesRegion(principal: Principal, region: string): boolean {
  return principal.regions === null || principal.regions.includes(region);
}

/** Whether the principal acts for `organisation` (a `null` data scope acts for any). */
export function actsFor(principal: Principal, organisation: string): boolean {
  return principal.organisations === null || principal.organisations.includes(organisation);
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
