// The JSON API client shared by the staff console and the phone client: the bearer token, the error
// envelope as an exception, and what to do when the token is no longer accepted.
window.makeApi = function ({ storage, key, fallbackMessage, isLogin, onUnauthorized }) {
  const token = () => storage.getItem(key);

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || fallbackMessage);
      this.status = status;
      this.code = err.code;
      this.details = err.details || [];
    }
    get text() {
      const parts = this.details.map((d) => d.message).filter(Boolean);
      return parts.length ? `${this.message}：${parts.join("；")}` : this.message;
    }
  }

  async function call(method, path, body, { raw = false, form = null, headers: extra = {} } = {}) {
    const headers = { ...extra };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const url = /^(\/api\/|https?:)/.test(path) ? path : `/api/v1${path}`;
    const resp = await fetch(url, { method, headers, body: payload });
    if (resp.status === 401 && !isLogin(url)) { storage.removeItem(key); onUnauthorized(); }
    if (!resp.ok) {
      let data = null;
      try { data = await resp.json(); } catch (e) { /* not JSON: a proxy's page */ }
      throw new ApiError(resp.status, data);
    }
    if (raw) return resp.blob();
    if (resp.status === 204) return null;
    return resp.json();
  }

  return {
    ApiError,
    call,
    get: (p) => call("GET", p),
    post: (p, b, opts) => call("POST", p, b === undefined ? {} : b, opts),
    patch: (p, b) => call("PATCH", p, b),
    del: (p) => call("DELETE", p),
    upload: (p, form) => call("POST", p, undefined, { form }),
    blob: (p) => call("GET", p, undefined, { raw: true }),
    setToken: (t) => (t ? storage.setItem(key, t) : storage.removeItem(key)),
    hasToken: () => !!token(),
  };
};
