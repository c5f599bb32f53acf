// Login, the role's navigation, and a hash router; every view lives in its role's module.
(function () {
  const { h, show, flash, field, guard } = UI;
  const MENUS = {
    reviewer: [["#/review", "待审核"]],
    counter: [["#/verify", "备案核验"], ["#/codes", "窗口二维码"]],
    operator: [["#/staff", "账号管理"], ["#/import", "机构目录导入"], ["#/dead", "发送失败的消息"]],
  };
  const ROLE_LABEL = { reviewer: "审核人员", counter: "医院窗口", operator: "运维" };
  let me = null;

  function go(hash) {
    if (location.hash === hash) route(); else location.hash = hash;
  }

  function login() {
    const user = h("input", { id: "username", name: "username", autocomplete: "username", required: true });
    const pass = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
    show(h("h2", {}, "工作人员登录"),
      h("form", { onsubmit: (e) => { e.preventDefault(); guard(async () => {
        const r = await Api.post("/staff/auth/login", { username: user.value.trim(), password: pass.value });
        Api.setToken(r.token); me = r.staff; renderNav(); go(MENUS[me.role][0][0]);
      }); } }, field("用户名", user), field("密码", pass), h("div", { class: "row" }, h("button", { type: "submit" }, "登录"))));
    user.focus();
  }

  function renderNav() {
    const nav = document.getElementById("nav");
    const who = document.getElementById("who");
    if (!me) { nav.hidden = true; who.hidden = true; return; }
    nav.replaceChildren(...MENUS[me.role].map(([href, text]) => h("a", { href }, text)));
    nav.hidden = false; who.hidden = false;
    document.getElementById("who-name").textContent = `${me.display_name || me.username}（${ROLE_LABEL[me.role] || me.role}）`;
  }

  function markCurrent() {
    document.querySelectorAll("#nav a").forEach((a) => {
      if (location.hash.startsWith(a.getAttribute("href"))) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
  }

  const ROUTES = [
    [/^#\/review$/, "reviewer", () => Review.queue()],
    [/^#\/review\/(\d+)$/, "reviewer", (m) => Review.detail(m[1])],
    [/^#\/verify$/, "counter", () => Counter.verify()],
    [/^#\/codes$/, "counter", () => Counter.codes()],
    [/^#\/staff$/, "operator", () => Operator.staff()],
    [/^#\/import$/, "operator", () => Operator.importer()],
    [/^#\/dead$/, "operator", () => Operator.dead()],
  ];

  async function route() {
    Counter.stopCamera();
    if (!Api.hasToken()) { me = null; renderNav(); return login(); }
    if (!me) {
      me = await UI.load(() => Api.get("/staff/me"));
      if (!me) { Api.setToken(null); return login(); }
      renderNav();
    }
    const hash = location.hash || MENUS[me.role][0][0];
    for (const [re, role, fn] of ROUTES) {
      const m = hash.match(re);
      if (m && role === me.role) { markCurrent(); return fn(m); }
    }
    location.hash = MENUS[me.role][0][0];
  }

  document.getElementById("logout").addEventListener("click", () => guard(async () => {
    try { await Api.post("/staff/auth/logout"); } finally { Api.setToken(null); me = null; go("#/login"); flash("已退出登录"); }
  }));
  window.addEventListener("hashchange", () => { flash(""); route(); });
  route();
})();
