import type { AuthProvider } from 'react-admin';
import { HttpError } from 'react-admin';
import { roleCan } from './lib/access';
import { fetchMe, type Me } from './lib/me';
import { clearToken, getToken, setToken } from './lib/token';

/** `GET /me` once per token, not once per permission check. */
let cached: { token: string; me: Promise<Me> } | null = null;

function currentMe(): Promise<Me> {
  const token = getToken();
  if (!token) return Promise.reject(new HttpError('Not signed in', 401));
  if (cached?.token !== token) {
    const me = fetchMe(token);
    cached = { token, me };
    me.catch(() => {
      if (cached?.me === me) cached = null; // let the next call retry
    });
  }
  return cached.me;
}

function forget(): void {
  clearToken();
  cached = null;
}

/**
 * Token sign-in: the login page asks for an API token, `GET /api/v1/me` checks it and tells us
 * the name and role behind it; the token is kept in localStorage (`retort.token`).
 */
export const authProvider: AuthProvider = {
  async login({ token }: { token?: string }) {
    const value = (token ?? '').trim();
    if (!value) throw new Error('Enter an API token');
    try {
      const me = await fetchMe(value);
      setToken(value);
      cached = { token: value, me: Promise.resolve(me) };
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) throw new Error('That API token is not valid');
      throw error;
    }
  },

  async logout() {
    forget();
  },

  async checkAuth() {
    // message false: no "please log in" toast on a first visit, just the login page.
    if (!getToken()) throw { message: false };
  },

  async checkError(error) {
    // 401: the token was revoked or never valid, sign out. 403 is a role matter: stay signed in.
    if (error?.status === 401) {
      forget();
      throw new Error('Your API token is no longer valid');
    }
  },

  async getIdentity() {
    const me = await currentMe();
    return { id: me.name, fullName: me.name };
  },

  async getPermissions() {
    if (!getToken()) return undefined;
    return (await currentMe()).role;
  },

  async canAccess({ action, resource }) {
    if (!getToken()) return false;
    const me = await currentMe();
    return roleCan(me.role, action, resource);
  },
};
