// Sign-in with Supabase Auth, through the edge's /auth/v1/ (same origin; the gateway passes it to
// the Supabase project, or the emulator locally). The session is kept in localStorage so a buyer
// coming back from Mercado Pago is still signed in; the access token is refreshed a minute before
// it expires, and once more when the API answers 401.
import { ApiError } from "./problem";
import { jwtClaims, requestFile, requestJson, type RequestOptions } from "./api";

export type Role = "admin" | "coordinator" | "scanner" | "user";

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  userId: string;
  email: string;
  role: Role;
}

interface SupabaseSession {
  access_token: string;
  refresh_token: string;
  expires_at?: number;
  expires_in: number;
  user: { id: string; email?: string | null };
}

const STORAGE_KEY = "crowdify.session";
const REFRESH_MARGIN_SECONDS = 60;

/** Supabase Auth refused the credentials (wrong email or password). */
export class SignInRefused extends Error {
  constructor() {
    super("Correo o contraseña incorrectos");
    this.name = "SignInRefused";
  }
}

export function roleOf(accessToken: string): Role {
  const metadata = jwtClaims(accessToken)?.app_metadata;
  const role = metadata && typeof metadata === "object" ? (metadata as Record<string, unknown>).role : undefined;
  return role === "admin" || role === "coordinator" || role === "scanner" ? role : "user";
}

function fromSupabase(body: SupabaseSession): Session {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: body.expires_at ?? Math.floor(Date.now() / 1000) + body.expires_in,
    userId: body.user.id,
    email: body.user.email ?? "",
    role: roleOf(body.access_token),
  };
}

const listeners = new Set<(session: Session | null) => void>();

export function onSessionChange(listener: (session: Session | null) => void): void {
  listeners.add(listener);
}

function store(session: Session | null): void {
  if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else localStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(session);
}

export function currentSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

async function grant(kind: "password" | "refresh_token", body: Record<string, string>): Promise<Session> {
  try {
    const session = fromSupabase(
      await requestJson<SupabaseSession>(`/auth/v1/token?grant_type=${kind}`, { body, method: "POST" }),
    );
    store(session);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) throw new SignInRefused();
    throw error;
  }
}

export function signIn(email: string, password: string): Promise<Session> {
  return grant("password", { email: email.trim(), password });
}

let refreshing: Promise<Session | null> | null = null;

/** A new access token from the refresh token (one request at a time); null when the session ended. */
export function refresh(): Promise<Session | null> {
  const session = currentSession();
  if (!session) return Promise.resolve(null);
  refreshing ??= grant("refresh_token", { refresh_token: session.refreshToken })
    .catch((error: unknown) => {
      if (error instanceof SignInRefused) {
        store(null); // the refresh token was spent or revoked: sign in again
        return null;
      }
      throw error;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** An access token good for at least another minute, or null when signed out. */
export async function accessToken(now: number = Date.now()): Promise<string | null> {
  const session = currentSession();
  if (!session) return null;
  if (session.expiresAt - now / 1000 > REFRESH_MARGIN_SECONDS) return session.accessToken;
  return (await refresh())?.accessToken ?? null;
}

export async function signOut(): Promise<void> {
  const session = currentSession();
  store(null);
  if (!session) return;
  try {
    await requestJson("/auth/v1/logout", { method: "POST", token: session.accessToken });
  } catch {
    // Signed out here either way; the access token runs out on its own.
  }
}

async function withToken<T>(call: (token: string | null) => Promise<T>): Promise<T> {
  try {
    return await call(await accessToken());
  } catch (error) {
    // A token revoked or expired early: one refresh, one retry.
    if (error instanceof ApiError && error.status === 401 && currentSession()) {
      const renewed = await refresh();
      if (renewed) return call(renewed.accessToken);
    }
    throw error;
  }
}

/** The API as the signed-in person. */
export function api<T>(path: string, options: Omit<RequestOptions, "token"> = {}): Promise<T> {
  return withToken((token) => requestJson<T>(path, { ...options, token }));
}

export function apiFile(path: string): Promise<{ blob: Blob; filename: string | null }> {
  return withToken((token) => requestFile(path, { token }));
}
