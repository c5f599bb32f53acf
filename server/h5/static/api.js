// The client's only way to the server: the public JSON API with the person's token (kept on the phone).
window.Api = makeApi({
  storage: localStorage,
  key: "h5-token",
  fallbackMessage: "网络不太好，请稍后再试",
  isLogin: (url) => url.endsWith("/auth/dev"),
  onUnauthorized: () => { sessionStorage.setItem("h5-after-login", location.hash); location.hash = "#/login"; },
});
