/** Hono context variables shared by every route. */
export type Owner = {
  /** The API key id, or `master` for the master key. */
  keyId: string;
  isMaster: boolean;
};

export type AppEnv = { Variables: { requestId: string; owner: Owner } };
