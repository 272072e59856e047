import { CredentialsError } from "../errors.ts";
import { credentialChain, type CredentialChainOptions } from "./credential-chain/chain.ts";

/** An AWS access key pair, with a session token for temporary credentials. Never logged, never put in an error. */
export interface Credentials {
  /** The access key id, e.g. `AKIA…` (long-term) or `ASIA…` (temporary). */
  readonly accessKeyId: string;
  /** The secret that signs requests; it is never sent itself. */
  readonly secretAccessKey: string;
  /** Required with temporary credentials (STS, SSO, instance roles); undefined for long-term keys. */
  readonly sessionToken?: string | undefined;
  /** When temporary credentials stop working; a provider is asked again before then. */
  readonly expiration?: Date | undefined;
}

/** Called whenever fresh credentials are needed (first use, and before `expiration`). */
export type CredentialsProvider = () => Promise<Credentials> | Credentials;

/**
 * The `credentials` option: fixed credentials, or a provider asked again before they expire. Omitted: the default chain (environment, web identity,
 * profiles, container and instance roles).
 */
export type CredentialsOption = Credentials | CredentialsProvider;

/** Refresh this long before `expiration`, so a signed request never carries an expiring token. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Resolves and caches credentials for one client. Concurrent callers share one provider call, and a
 * provider that fails is asked again on the next call rather than caching the failure.
 */
export class CredentialSource {
  readonly #option: CredentialsOption | undefined;
  readonly #now: () => number;
  readonly #chainOptions: CredentialChainOptions;
  #chain: (() => Promise<Credentials>) | undefined;
  #cached: Credentials | undefined;
  #pending: Promise<Credentials> | undefined;

  /**
   * `chain` configures the default provider chain used when `option` is undefined (the client's
   * region for STS, its fetch); it is built on first use, so nothing is read at construction.
   */
  constructor(option: CredentialsOption | undefined, now: () => number, chain: Partial<CredentialChainOptions> = {}) {
    this.#option = option;
    this.#now = now;
    this.#chainOptions = { region: "us-east-1", now, ...chain };
  }

  get(): Promise<Credentials> {
    const cached = this.#cached;
    if (cached !== undefined && !this.#expiresSoon(cached)) return Promise.resolve(cached);
    this.#pending ??= this.#resolve().then(
      (credentials) => {
        this.#cached = credentials;
        this.#pending = undefined;
        return credentials;
      },
      (error: unknown) => {
        this.#pending = undefined;
        // A refresh that fails inside the margin can still fall back on credentials that have not expired.
        const stillValid = this.#cached;
        if (stillValid?.expiration !== undefined && stillValid.expiration.getTime() > this.#now()) return stillValid;
        throw error;
      },
    );
    return this.#pending;
  }

  /**
   * The service refused `stale` (its token expired): drop it so the next `get()` asks the provider (or
   * the environment) again, whether or not it announced an `expiration`. Credentials fetched since by
   * a concurrent caller are kept.
   */
  invalidate(stale: Credentials): void {
    if (this.#cached === stale) this.#cached = undefined;
  }

  /** Whether asking again may give different credentials: a provider or the default chain, not a static object. */
  get renewable(): boolean {
    return typeof this.#option === "function" || this.#option === undefined;
  }

  #expiresSoon(credentials: Credentials): boolean {
    const expiration = credentials.expiration;
    return expiration !== undefined && expiration.getTime() - REFRESH_MARGIN_MS <= this.#now();
  }

  async #resolve(): Promise<Credentials> {
    const option = this.#option;
    if (typeof option === "function") {
      let provided: Credentials;
      try {
        provided = await option();
      } catch (cause) {
        throw new CredentialsError("the credentials provider failed", ["credentials provider"], { cause });
      }
      return checked(provided, "credentials provider");
    }
    if (option !== undefined) return checked(option, "credentials option");
    this.#chain ??= credentialChain(this.#chainOptions);
    return checked(await this.#chain(), "credential chain");
  }
}

function checked(credentials: Credentials, source: string): Credentials {
  if (typeof credentials !== "object" || credentials === null) {
    throw new CredentialsError(`${source} returned no credentials object`, [source]);
  }
  if (typeof credentials.accessKeyId !== "string" || credentials.accessKeyId === "") {
    throw new CredentialsError(`${source} has no accessKeyId`, [source]);
  }
  if (typeof credentials.secretAccessKey !== "string" || credentials.secretAccessKey === "") {
    throw new CredentialsError(`${source} has no secretAccessKey`, [source]);
  }
  return credentials;
}

/** Remove secrets from text that may echo a request (signature mismatch messages, for one). */
export function redactSecrets(text: string, credentials: Credentials | undefined): string {
  if (credentials === undefined) return text;
  let out = text;
  for (const secret of [credentials.secretAccessKey, credentials.sessionToken]) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}
