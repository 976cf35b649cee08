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

/** Resolves a bearer token to a principal, or `undefined` when it is unknown or revoked. */
export interface CredentialVerifier {
  verify(token: string): Principal | undefined;
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
