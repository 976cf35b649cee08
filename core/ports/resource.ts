/**
 * The minimal shape every canonical resource shares. The full, schema-derived types live in
 * `core/model`; ports use this base so that adapters stay generic over resource types.
 */
export interface CanonicalResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: {
    readonly versionId?: string;
    readonly lastUpdated?: string;
    readonly source?: string;
    readonly lineage?: Lineage;
  };
  readonly [field: string]: unknown;
}

/** Where a canonical record came from: enough to find the exact source row again. */
export interface Lineage {
  readonly connector: string;
  readonly sourceSystem: string;
  readonly sourceId: string;
  /** RFC 3339 with offset. */
  readonly ingestedAt: string;
  /** `sha256:<hex>` over the RFC 8785 (JCS) serialisation of the source payload. */
  readonly sourceHash: string;
}
