// The console's only way to the server: the public JSON API with the staff token.
window.Api = (function () {
  const KEY = "staff-token";
  const token = () => sessionStorage.getItem(KEY);

  class ApiError extends Error {
    constructor(status, body) {
      const err = (body && body.error) || {};
      super(err.message || "请求失败，请稍后再试");
      this.status = status;
      this.code = err.code;
      this.details = err.details || [];
    }
    get text() {
      const parts = this.details.map((d) => d.message).filter(Boolean);
      return parts.length ? `${this.message}：${parts.join("；")}` : this.message;
    }
  }

  async function call(method, path, body, { raw = false, form = null } = {}) {
    const headers = {};
    if (token()) headers.Authorization = `Bearer ${token()}`;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const url = /^(\/api\/|https?:)/.test(path) ? path : `/api/v1${path}`;
    const resp = await fetch(url, { method, headers, body: payload });
    if (resp.status === 401 && path !== "/staff/auth/login") { sessionStorage.removeItem(KEY); location.hash = "#/login"; }
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
    get: (p) => call("GET", p),
    post: (p, b) => call("POST", p, b === undefined ? {} : b),
    upload: (p, form) => call("POST", p, undefined, { form }),
    blob: (p) => call("GET", p, undefined, { raw: true }),
    setToken: (t) => (t ? sessionStorage.setItem(KEY, t) : sessionStorage.removeItem(KEY)),
    hasToken: () => !!token(),
  };
})();
