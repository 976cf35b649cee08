/**
 * OAuth2 client-credentials access tokens (RFC 9068 JWTs), checked with `jose` against a key
 * set the operators configure as a local JWKS file: the hub never fetches keys over the network.
 *
 * Claims read into the `Principal`:
 * - `sub` (required): the client id; the principal's `keyId` is `oauth:<sub>`, its name the
 *   `client_id` claim when present, else `sub`;
 * - `scope`: space-separated scopes (`read ingest requests:write admin`); unknown ones are ignored;
 * - `regions`: the region slugs the client may see, as an array (or a space-separated string);
 *   absent means every region, like an API key created without `--regions`;
 * - `orgs`: the organisation ids the client acts for, same forms; absent means any.
 * `exp` is required; `iss` and `aud` must be the configured ones.
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import { HubError } from '../../core/errors/index.js';
import { type CredentialVerifier, type Principal, SCOPES, type Scope } from './principal.js';

export interface JwtVerifierOptions {
  /** The public keys of the authorisation server. */
  readonly jwks: JSONWebKeySet;
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (the hub's resource identifier). */
  readonly audience: string;
  /** Clock tolerance for `exp`/`nbf`, in seconds. Default 30. */
  readonly clockToleranceSeconds?: number;
  /** The clock (tests). Default: now. */
  readonly currentDate?: () => Date;
}

/** Asymmetric algorithms only: a public key set must never turn into a shared HMAC secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** A compact JWS: three base64url parts, the header a JSON object (`eyJ` = `{"`). */
const COMPACT_JWS = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export class JwtVerifier implements CredentialVerifier {
  readonly #keys: ReturnType<typeof createLocalJWKSet>;
  readonly #options: JwtVerifierOptions;

  constructor(options: JwtVerifierOptions) {
    this.#keys = createLocalJWKSet(options.jwks);
    this.#options = options;
  }

  /**
   * Reads the key set from `path` (a JWKS JSON document). Throws `HUB_ERR_CONFIG_INVALID`
   * naming `HUB_JWT_JWKS_FILE` when the file is unreadable or holds no key.
   */
  static fromFile(path: string, options: Omit<JwtVerifierOptions, 'jwks'>): JwtVerifier {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet;
    } catch (err) {
      throw new HubError('HUB_ERR_CONFIG_INVALID', {
        variable: 'HUB_JWT_JWKS_FILE',
        reason: `cannot be read as a JWKS document: ${(err as Error).message}`,
      });
    }
    if (!Array.isArray(jwks?.keys) || jwks.keys.length === 0) {
      throw new HubError('HUB_ERR_CONFIG_INVALID', {
        variable: 'HUB_JWT_JWKS_FILE',
        reason: 'holds no key (keys: [])',
      });
    }
    return new JwtVerifier({ ...options, jwks });
  }

  /**
   * `undefined` for a token that is no JWT (an API key: another verifier's business); the
   * principal for a valid one; throws `HUB_ERR_AUTH_TOKEN` saying why a JWT is refused.
   */
  async verify(token: string): Promise<Principal | undefined> {
    if (!COMPACT_JWS.test(token)) return undefined;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keys, {
        issuer: this.#options.issuer,
        audience: this.#options.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: this.#options.clockToleranceSeconds ?? 30,
        ...(this.#options.currentDate ? { currentDate: this.#options.currentDate() } : {}),
      }));
    } catch (err) {
      throw new HubError('HUB_ERR_AUTH_TOKEN', { reason: refusal(err) });
    }
    const sub = payload.sub as string;
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : sub;
    return {
      keyId: `oauth:${sub}`,
      name: clientId,
      scopes: scopesOf(payload.scope),
      regions: listClaim(payload.regions, 'regions'),
      organisations: listClaim(payload.orgs, 'orgs'),
    };
  }
}

function scopesOf(claim: unknown): Scope[] {
  if (typeof claim !== 'string') return [];
  return claim.split(/\s+/).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
}

/** A list claim: absent is `null` (no restriction); anything but strings is refused. */
function listClaim(claim: unknown, name: string): string[] | null {
  if (claim === undefined) return null;
  const list = typeof claim === 'string' ? claim.split(/\s+/).filter(Boolean) : claim;
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
    throw new HubError('HUB_ERR_AUTH_TOKEN', { reason: `the ${name} claim is not a list of strings` });
  }
  return list;
}

/** Why jose refused a token, in words a client developer can act on (no key material). */
function refusal(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return 'the token was issued by another issuer';
      case 'aud':
        return 'the token is meant for another audience';
      case 'nbf':
        return 'the token is not valid yet';
      default:
        return `the ${err.claim} claim is missing or invalid`;
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JWKSNoMatchingKey) {
    return 'the signature matches no key of the hub';
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the signing algorithm is not accepted';
  return 'the token is malformed';
}
