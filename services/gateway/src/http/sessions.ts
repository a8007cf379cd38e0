/**
 * Revocation of access tokens: every access token names its session (`sid`, the customers service's
 * refresh-token family), and `authenticate` refuses a token whose session has ended — by logout or by
 * refresh-token reuse detection — although its 15 minutes are not over.
 *
 * Asking customers on every request would add an RPC to each; the answers are cached per session:
 * "active" for SESSION_CHECK_CACHE_MS (default 5 s), "revoked" for good (a revoked family never comes
 * back). The gateway's own logout and failed refresh (reuse detection answers invalid_refresh_token)
 * forget every cached "active" at once, so on one gateway (all-in-one) a revoked session's tokens are
 * refused from the next request on. Another gateway instance (distributed mode, several instances) may
 * accept them for at most SESSION_CHECK_CACHE_MS. See docs/decisions/0017-access-token-revocation.md.
 */
export interface SessionChecks {
  /** Whether the session is active: from the cache, or asked once (concurrent askers share the answer). */
  active(sessionId: string, ask: () => Promise<boolean>): Promise<boolean>;
  /** Forgets every cached "active" (after a logout or a refused refresh on this gateway). */
  forgetActive(): void;
}

const MAX_ENTRIES = 100_000;

export function sessionChecks(cacheMs: number, now: () => number = Date.now): SessionChecks {
  const known = new Map<string, { active: boolean; until: number }>();
  const asking = new Map<string, Promise<boolean>>();
  let generation = 0;
  return {
    async active(sessionId, ask) {
      const hit = known.get(sessionId);
      if (hit && hit.until > now()) return hit.active;
      const pending = asking.get(sessionId);
      if (pending) return pending;
      const asked = generation;
      const answer = ask()
        .then((active) => {
          // An answer asked before a forget may predate the revocation: use it, but do not keep it.
          if (asked === generation) {
            if (known.size >= MAX_ENTRIES) known.clear();
            known.set(sessionId, { active, until: active ? now() + cacheMs : Number.POSITIVE_INFINITY });
          }
          return active;
        })
        .finally(() => asking.delete(sessionId));
      asking.set(sessionId, answer);
      return answer;
    },
    forgetActive() {
      generation++;
      asking.clear();
      for (const [id, entry] of known) if (entry.active) known.delete(id);
    },
  };
}
