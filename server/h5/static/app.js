// Sign-in (development login), the home menu, the counter-QR entry and the hash router.
(function () {
  const { h, show, flash, guard, load } = UI;
  const AFTER = "h5-after-login";

  function login() {
    const saved = localStorage.getItem("h5-openid") || `h5-${Math.random().toString(36).slice(2, 10)}`;
    const id = h("input", { id: "openid", name: "openid", value: saved, autocomplete: "off", required: true });
    show(h("h1", {}, "体验登录"),
      h("p", {}, "这是演示用的网页版，正式使用请在微信里打开小程序“国家异地就医备案”。"),
      h("form", { onsubmit: (e) => { e.preventDefault(); guard(async () => {
        const openid = id.value.trim();
        const r = await Api.post("/auth/dev", { openid });
        localStorage.setItem("h5-openid", openid);
        Api.setToken(r.token);
        document.getElementById("logout").hidden = false;
        const next = sessionStorage.getItem(AFTER);
        sessionStorage.removeItem(AFTER);
        Flow.go(next && next !== "#/login" ? next : "#/");
      }); } }, UI.field("体验账号", id), h("div", { class: "row" }, h("button", { type: "submit" }, "进入"))));
  }

  function home() {
    const item = (href, title, desc) => h("li", {}, h("a", { class: "tile", href }, h("span", { class: "tile-title" }, title), h("span", { class: "desc" }, desc)));
    show(h("h1", {}, "跨省异地就医备案"),
      h("ul", { class: "tiles" },
        item("#/flow", "按步骤办理备案", "一页一页填写，适合第一次办理"),
        item("#/chat", "说说情况，帮您办理", "像聊天一样，用自己的话说"),
        item("#/records", "我的备案记录", "看办理进度和备案凭证"),
        item("#/hospitals", "查定点医院", "看哪些医院能直接结算"),
        item("#/settlement", "开通情况", "看一个城市开通了哪些直接结算")));
  }

  async function entry(token) {
    const info = await Api.get(`/entry/${encodeURIComponent(token)}`);
    const inst = info.institution;
    show(h("h1", {}, inst.name),
      h("p", {}, `您扫描的是${info.counter_name ? `${info.counter_name}的` : ""}跨省异地就医备案二维码。`),
      UI.facts([["就医地", info.region.name], ["医院", inst.name]]),
      h("p", { class: "hint" }, "就医地已经帮您选好。备案后，就医地所有联网定点医疗机构都可以直接结算，不限于这家医院。"),
      h("div", { class: "stack" },
        h("button", { type: "button", onclick: () => guard(async () => {
          const consent = await Api.get("/consent");
          if (!consent.accepted) { Flow.comeBack(location.hash); return Flow.go("#/flow/consent"); }
          const draft = await Api.post(`/entry/${encodeURIComponent(token)}/filings`, { applicant: "self" });
          Flow.go(`#/flow/${draft.next_step}/${draft.id}`);
        }) }, "按步骤办理"),
        h("button", { type: "button", class: "secondary", onclick: () => { sessionStorage.setItem("h5-chat-entry", token); Flow.go("#/chat/new"); } }, "说说情况，帮您办理")));
  }

  const ROUTES = [
    [/^#?\/?$/, () => home()],
    [/^#\/flow$/, () => Flow.begin()],
    [/^#\/flow\/(\w+)(?:\/(\d+))?$/, (m) => Flow.page(m[1], m[2] ? Number(m[2]) : null)],
    [/^#\/chat(?:\/(new))?$/, (m) => Chat.open(m[1] === "new")],
    [/^#\/records$/, () => Records.list()],
    [/^#\/records\/(\d+)$/, (m) => Records.detail(Number(m[1]))],
    [/^#\/hospitals$/, () => Places.hospitals()],
    [/^#\/settlement$/, () => Places.settlement()],
    [/^#\/entry\/([\w.\-~]+)$/, (m) => entry(m[1])],
  ];
  const PUBLIC = [/^#\/hospitals$/, /^#\/settlement$/];

  async function route() {
    const hash = location.hash || "#/";
    if (hash === "#/login") return login();
    if (!Api.hasToken() && !PUBLIC.some((re) => re.test(hash))) { sessionStorage.setItem(AFTER, hash); return login(); }
    document.getElementById("logout").hidden = !Api.hasToken();
    for (const [re, fn] of ROUTES) {
      const m = hash.match(re);
      if (m) return load(() => fn(m));
    }
    location.hash = "#/";
  }

  document.getElementById("logout").addEventListener("click", () => guard(async () => {
    try { await Api.post("/auth/logout"); } finally { Api.setToken(null); Flow.go("#/login"); flash("已退出"); }
  }));
  window.addEventListener("hashchange", () => { flash(""); route(); });
  route();
})();
