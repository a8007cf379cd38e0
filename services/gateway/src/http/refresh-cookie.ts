/**
 * The refresh token as an httpOnly cookie (decision 0033), beside the body that API clients read:
 * the web app keeps no refresh token in script-reachable memory, and a reload keeps the session.
 * `SameSite=Strict` and `Path=/v1/auth` keep it from other sites' requests and from every other
 * route; `Secure` when the request came over HTTPS (directly or through a proxy that says so).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const REFRESH_COOKIE = 'simplebank_refresh';
const PATH = '/v1/auth';

function secure(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

export function setRefreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  refreshToken: string,
  expiresAt: string,
): void {
  const attributes = [
    `Path=${PATH}`,
    `Expires=${new Date(expiresAt).toUTCString()}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(secure(request) ? ['Secure'] : []),
  ];
  reply.header('set-cookie', `${REFRESH_COOKIE}=${encodeURIComponent(refreshToken)}; ${attributes.join('; ')}`);
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    `${REFRESH_COOKIE}=; Path=${PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure(request) ? '; Secure' : ''}`,
  );
}

/** The cookie's refresh token, if the request has one. */
export function refreshCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== REFRESH_COOKIE) continue;
    try {
      const value = decodeURIComponent(part.slice(eq + 1).trim());
      return value.length > 0 && value.length <= 500 ? value : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
