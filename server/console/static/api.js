// The console's only way to the server: the public JSON API with the staff token (this tab only).
window.Api = makeApi({
  storage: sessionStorage,
  key: "staff-token",
  fallbackMessage: "请求失败，请稍后再试",
  isLogin: (url) => url.endsWith("/staff/auth/login"),
  onUnauthorized: () => { location.hash = "#/login"; },
});
