/** `?limit=` (1–200, default 50) and `?cursor=`, as the services take them. */
export const DEFAULT_PAGE_SIZE = 50;

export function pageOf(query: { limit?: number; cursor?: string }): { limit: number; cursor?: string } {
  return { limit: query.limit ?? DEFAULT_PAGE_SIZE, ...(query.cursor ? { cursor: query.cursor } : {}) };
}
