// The chat: POST /chat/sessions, then /messages with {text, sent_at} or {choice}; every card of
// the chat contract drawn (docs/chat.md). Options are buttons; uploads and the signature go to the
// same endpoints as the pages, then the card's done_value is sent.
window.Chat = (function () {
  const { h, show, flash, guard } = UI;
  const KEY = "h5-chat-session";
  let session = null, log = null, busy = false;

  async function open(fresh) {
    const entry = sessionStorage.getItem("h5-chat-entry");
    sessionStorage.removeItem("h5-chat-entry");
    log = h("ol", { class: "chat-log", "aria-label": "对话内容", "aria-live": "polite" });
    const text = h("input", { id: "chat-text", name: "text", autocomplete: "off", placeholder: "在这里输入，比如：医保在成都，要去上海看病" });
    const form = h("form", { class: "chat-input", onsubmit: (e) => { e.preventDefault(); const t = text.value.trim(); if (!t || busy) return; text.value = ""; say(t); } },
      h("label", { for: "chat-text", class: "visually-hidden" }, "输入您想说的话"), text, h("button", { type: "submit" }, "发送"));
    show(h("h1", {}, "说说情况，帮您办理"), log, form,
      h("div", { class: "row" }, h("button", { type: "button", class: "secondary", onclick: () => guard(() => start(null)) }, "重新开始")));
    const saved = !fresh && sessionStorage.getItem(KEY);
    if (saved) {
      const state = await Api.get(`/chat/sessions/${saved}`).catch(() => null);
      if (state) { session = saved; replay(state); return; }
    }
    await start(entry);
  }

  async function start(entry) {
    log.replaceChildren();
    const r = await Api.post("/chat/sessions", entry ? { entry } : {});
    session = r.session_id;
    sessionStorage.setItem(KEY, session);
    render(r);
  }

  function replay(state) {
    const msgs = state.messages || [];
    const last = msgs.map((m) => m.role).lastIndexOf("assistant");
    msgs.forEach((m, i) => {
      if (m.role === "user") bubble("me", m.text || "");
      else (m.replies || [{ type: "text", text: m.text }]).forEach((r) => reply(r, i === last));
    });
    if (!(state.messages || []).length) bubble("bot", "您好，请说说您的情况。");
  }

  function bubble(who, text) {
    const li = h("li", { class: `msg ${who}` }, h("span", { class: "visually-hidden" }, who === "me" ? "我说：" : "助手说："), text);
    log.append(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  async function send(body, shown) {
    if (busy) return;
    busy = true;
    log.dataset.busy = "1";
    try {
      if (shown) bubble("me", shown);
      log.querySelectorAll(".options button").forEach((b) => { b.disabled = true; });
      const r = await Api.post(`/chat/sessions/${session}/messages`, body);
      render(r);
    } catch (e) { flash(e.text || e.message, true); } finally { busy = false; delete log.dataset.busy; }
  }
  const say = (text) => send({ text, sent_at: new Date().toISOString() }, text);
  const choose = (value, label) => send({ choice: value }, label);

  function render(r) { (r.replies || []).forEach((x) => reply(x, true)); }

  function reply(r, live) {
    if (r.type === "text") return bubble("bot", r.text);
    if (r.type === "options") return options(r.options, live);
    if (r.type === "card") return log.append(h("li", { class: "msg bot card-item" }, card(r, live)));
    return null;
  }

  function options(list, live) {
    const li = h("li", { class: "msg bot options" }, h("span", { class: "visually-hidden" }, "可以选择："),
      list.map((o) => h("button", { type: "button", class: "option", disabled: !live, "data-value": o.value,
        onclick: () => (o.value.startsWith("picker:") ? picker(o.value.slice(7), li) : choose(o.value, o.label)) },
      h("span", {}, o.label), o.description ? h("span", { class: "desc" }, o.description) : null)));
    log.append(li);
    li.scrollIntoView({ block: "end" });
  }

  // "picker:insured" / "picker:visit": the province → city picker of the pages, then insured:<code>.
  async function picker(which, after) {
    const pages = await Schema.load();
    const field = pages.byId.choices.fields.find((f) => f.name === `${which}_region_code`);
    const w = await Schema.WIDGETS[field.widget](field, { draft: {}, me: {} });
    const box = h("li", { class: "msg bot card-item" }, h("div", { class: "card" }, w.node,
      h("button", { type: "button", onclick: () => { const code = w.get(); if (code) { const city = w.node.querySelector(`select[name="${field.name}"]`); choose(`${which}:${code}`, city.selectedOptions[0].textContent); box.remove(); } } }, "选好了")));
    after.after(box);
    box.scrollIntoView({ block: "end" });
  }

  function card(r, live) {
    const c = r.card;
    const box = h("div", { class: `card card-${c}` });
    if (c === "privacy_notice" || c === "notice") {
      box.append(h("h2", {}, r.title || (c === "notice" ? "备案告知书" : "个人信息保护告知书")),
        h("div", { class: "doc-text", tabindex: "0", role: "region", "aria-label": r.title || "全文" }, String(r.text || "").split(/\n+/).filter(Boolean).map((p) => h("p", {}, p))));
      if (r.url) {
        const full = h("details", {}, h("summary", {}, "查看全文"));
        full.addEventListener("toggle", () => guard(async () => {
          if (full.dataset.loaded) return;
          const d = await Api.get(r.url); full.dataset.loaded = "1";
          full.append(...String(d.text || "").split(/\n+/).filter(Boolean).map((p) => h("p", {}, p)));
        }), { once: true });
        box.append(full);
      }
    } else if (c === "summary") {
      box.append(h("h2", {}, r.title || "请核对"), h("dl", { class: "facts" }, (r.fields || []).flatMap((f) => [
        h("dt", {}, f.label), h("dd", {}, f.value || "—",
          live && (r.actions || []).some((a) => a.value === `change:${f.key}`)
            ? h("button", { type: "button", class: "link", "aria-label": `修改${f.label}`, onclick: () => choose(`change:${f.key}`, `修改${f.label}`) }, "修改") : null)])));
      const confirm = (r.actions || []).find((a) => a.value === "confirm");
      if (confirm && live) box.append(h("button", { type: "button", onclick: () => choose(confirm.value, confirm.label) }, confirm.label));
    } else if (c === "upload_request") {
      box.append(h("h2", {}, "上传证明材料"));
      if (live) box.append(uploadForm(r));
    } else if (c === "signature_request") {
      box.append(h("h2", {}, "签署个人承诺书"));
      if (live) box.append(signatureForm(r));
    } else if (c === "result") {
      box.append(h("h2", {}, "提交结果"), UI.facts([["状态", r.status_label || r.status], ["备案编号", r.filing_number || "—"]]),
        r.message ? h("p", {}, r.message) : null,
        h("a", { class: "button", href: `#/records/${r.filing_id}` }, "查看备案记录"));
    } else if (c === "add_family_member") {
      box.append(h("p", {}, r.text || "请在页面上添加家人"), h("a", { class: "button secondary", href: "#/flow/family_member", onclick: () => Flow.comeBack("#/chat") }, "去添加家人"));
    } else if (c === "consent_request") {
      box.append(h("p", {}, "请先阅读并同意《个人信息保护告知书》"), h("a", { class: "button secondary", href: "#/flow/consent", onclick: () => Flow.comeBack("#/chat") }, "去阅读"));
    } else if (c === "identity_request") {
      box.append(h("p", {}, r.text || "请填写姓名和证件号码"), identityForm(r));
    } else {
      box.append(h("p", {}, r.text || "请按提示继续"));
    }
    return box;
  }

  function uploadForm(r) {
    const name = `chat-doc-${Math.random().toString(36).slice(2, 6)}`;
    const docs = r.documents || [];
    const status = h("p", { class: "hint", role: "status" });
    const fs = h("fieldset", { class: "choices" }, h("legend", {}, "材料类型"), docs.map((d, i) => h("div", { class: "choice" },
      h("input", { type: "radio", name, id: `${name}-${i}`, value: d.code, checked: i === 0 }), h("label", { for: `${name}-${i}` }, d.label))));
    const file = (text, attrs) => {
      const inp = h("input", { type: "file", class: "visually-hidden", ...attrs });
      inp.addEventListener("change", () => guard(async () => {
        const fd = new FormData();
        fd.append(r.file_field || "file", inp.files[0], inp.files[0].name || "photo.jpg");
        fd.append("doc_code", (fs.querySelector("input:checked") || {}).value);
        status.textContent = "正在上传……";
        await Api.upload(r.url, fd);
        status.textContent = "上传成功";
        await choose(r.done_value || "proof:done", "已上传");
      }));
      return h("label", { class: "button secondary file" }, text, inp);
    };
    return h("div", {}, docs.length ? fs : null,
      h("div", { class: "row" }, file("拍照上传", { accept: "image/*", capture: "environment", "data-kind": "camera" }),
        file("从相册或文件选择", { accept: "image/jpeg,image/png,application/pdf", "data-kind": "file" })), status);
  }

  function signatureForm(r) {
    const pad = SignaturePad.create("请在框内手写您的姓名");
    const letter = h("details", {}, h("summary", {}, "阅读个人承诺书全文"));
    if (r.text_url) Api.get(r.text_url).then((d) => letter.append(...String(d.text || "").split(/\n+/).filter(Boolean).map((p) => h("p", {}, p)))).catch(() => {});
    const btn = h("button", { type: "button", onclick: () => guard(async () => {
      const png = await pad.blob();
      if (!png) throw new Error("请先在框内写上您的姓名");
      const fd = new FormData();
      fd.append("signature", png, "signature.png");
      await Api.upload(r.url, fd);
      await choose(r.done_value || "proof:done", "已签好承诺书");
    }) }, "签名并保存");
    return h("div", {}, letter, pad.node, btn);
  }

  function identityForm(r) {
    const name = h("input", { id: "chat-id-name", autocomplete: "name" });
    const num = h("input", { id: "chat-id-number", autocomplete: "off", maxlength: 18 });
    return h("form", { onsubmit: (e) => { e.preventDefault(); guard(async () => {
      await Api.call(r.method || "PATCH", r.url || "/api/v1/me", { name: name.value.trim(), id_number: num.value.trim() });
      await choose("identity:done", "已填好");
    }); } }, UI.field("姓名", name), UI.field("证件号码", num), h("button", { type: "submit" }, "保存"));
  }

  return { open };
})();
