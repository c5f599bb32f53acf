// The step-by-step filing: each page drawn by Schema from miniapp_schema; which page comes next is
// the server's `next_step` (the draft says what is missing), never decided here.
window.Flow = (function () {
  const { h, show, flash, guard, load } = UI;
  // Pages that need something beyond their form: content read first, uploads, the result.
  const HANDLED = new Set(["consent", "family_member", "start", "choices", "notice", "details", "commitment", "submit", "result"]);
  const handles = (id) => HANDLED.has(id);
  const go = (hash) => { if (location.hash === hash) window.dispatchEvent(new HashChangeEvent("hashchange")); else location.hash = hash; };

  // Where to go once the privacy notice is accepted or a family member added (the start by default).
  const RETURN = "h5-return";
  function returnTo() { const r = sessionStorage.getItem(RETURN); sessionStorage.removeItem(RETURN); return r || "#/flow/start"; }
  function comeBack(hash) { sessionStorage.setItem(RETURN, hash); }

  async function begin() {
    const consent = await Api.get("/consent");
    if (!consent.accepted) { comeBack("#/flow/start"); return go("#/flow/consent"); }
    go("#/flow/start");
  }

  function textBlock(data, shownTitle) {
    const paragraphs = String(data.text || "").split(/\n+/).filter(Boolean);
    return h("section", { class: "doc-text", tabindex: "0", "aria-label": data.title || "全文" },
      data.title && data.title !== shownTitle ? h("h2", {}, data.title) : null, paragraphs.map((p) => h("p", {}, p)));
  }

  // The draft as a list, labelled by the schema's own field labels.
  function draftSummary(draft, pages) {
    const rows = [];
    const seen = new Set();
    for (const p of pages.list) {
      for (const f of p.fields) {
        if (seen.has(f.name) || f.widget === "hidden" || f.widget === "checkbox" || f.widget === "signature_pad") continue;
        seen.add(f.name);
        let v = draft[`${f.name}_label`] ?? draft[f.name.replace(/_code$/, "_name")] ?? draft[`${f.name}_masked`] ?? draft[f.name];
        if (f.name === "id_number") v = draft.person_id_masked;
        if (f.name === "applicant") v = draft.applicant === "self" ? "自己" : draft.person_name;
        if (v === null || v === undefined || v === "") continue;
        rows.push([f.label, String(v)]);
      }
    }
    if (draft.proof) rows.push(["证明材料", { uploaded: "已上传", commitment: "已签个人承诺书", none: "不需要" }[draft.proof] || draft.proof]);
    return UI.facts(rows);
  }

  function resultBlock(result, draft) {
    if (!result) return null;
    return h("section", { class: "result", "aria-label": "提交结果" },
      h("p", { class: "status-big" }, `状态：${result.status_label || draft.status_label}`),
      draft.filing_number ? h("p", {}, `备案编号：${result.number_display || draft.filing_number}`) : null,
      result.message ? h("p", {}, result.message) : null);
  }

  // An API path named by the schema (actions) as this client's route.
  const ROUTE_OF = { "/api/v1/records": "#/records" };

  async function uploads(spec, ctx) {
    const opts = Schema.pick(ctx.draft, (spec.options_endpoint.split("#")[1] || "")) || {};
    const docs = opts.documents || [];
    if (!docs.length) return null;
    const field = spec.fields.find((f) => f.name === "doc_code") || spec.fields[0];
    const list = h("ul", { class: "uploaded" });
    const listDocs = () => list.replaceChildren(...(ctx.draft.documents || []).map((d) => h("li", {}, `已上传：${d.label}`)));
    listDocs();
    // The documents this draft accepts (the spec's options_endpoint narrows the field's list).
    const pickCode = (() => {
      const name = `doc-${Math.random().toString(36).slice(2, 6)}`;
      const fs = h("fieldset", { class: "choices" }, h("legend", {}, field.label),
        docs.map((d, i) => h("div", { class: "choice" }, h("input", { type: "radio", name, id: `${name}-${i}`, value: d.code, checked: i === 0 }),
          h("label", { for: `${name}-${i}` }, d.label))));
      return { node: fs, get: () => (fs.querySelector("input:checked") || {}).value };
    })();
    const status = h("p", { class: "hint", role: "status" });
    async function send(file) {
      if (!file) return;
      const fd = new FormData();
      fd.append(spec.file_field, file, file.name || "photo.jpg");
      fd.append("doc_code", pickCode.get());
      status.textContent = "正在上传……";
      await guard(async () => {
        await Api.upload(Schema.fill(spec.path, ctx), fd);
        status.textContent = "上传成功";
        flash("材料已上传");
        ctx.draft = await Api.get(`/filings/${ctx.filingId}`);
        listDocs();
      });
      if (status.textContent === "正在上传……") status.textContent = "";
    }
    const fileButton = (text, attrs) => {
      const inp = h("input", { type: "file", class: "visually-hidden", ...attrs });
      inp.addEventListener("change", () => send(inp.files[0]));
      return h("label", { class: "button secondary file" }, text, inp);
    };
    const camera = fileButton("拍照上传", { accept: "image/*", capture: "environment", "data-kind": "camera" });
    const picker = fileButton("从相册或文件选择", { accept: spec.accept.join(","), "data-kind": "file" });
    return h("section", { class: "uploads", "aria-label": "上传证明材料" },
      h("h2", {}, "证明材料"),
      opts.commitment_allowed ? h("p", { class: "hint" }, "没有证明材料的，可以不上传，下一步签署个人承诺书，以后再补交。") : null,
      pickCode.node, h("div", { class: "row" }, camera, picker), status, list);
  }

  async function page(pageId, filingId) {
    const pages = await Schema.load();
    const spec = pages.byId[pageId];
    if (!spec) { flash("没有这个页面", true); return go("#/"); }
    const ctx = { filingId, draft: null, me: await Api.get("/me") };
    if (filingId) ctx.draft = await Api.get(`/filings/${filingId}`);
    if (ctx.draft && spec.shown_when && !Schema.cond(spec.shown_when, Schema.env(ctx, {}))) {
      return go(`#/flow/${ctx.draft.next_step}/${filingId}`);
    }
    const parts = [h("h1", {}, spec.title)];
    if (spec.step !== null && spec.step !== undefined) parts.unshift(h("p", { class: "step" }, `第${spec.step + 1}步，共6步`));
    if (spec.content_endpoint) {
      const data = await Schema.fetchEndpoint(spec.content_endpoint, ctx);
      if (spec.content_key) parts.push(resultBlock(data[spec.content_key], data));
      else if (data && data.text) {
        if (data.possible === false && data.reasons) parts.push(h("p", { class: "error" }, [].concat(data.reasons).join("；")));
        parts.push(textBlock(data, spec.title));
      } else if (data && data.next_step) parts.push(draftSummary(data, pages));
    }
    if (spec.uploads && ctx.draft) {
      const up = await uploads(spec.uploads, ctx);
      if (up) parts.push(up);
    }
    const formBox = h("div", {});
    parts.push(formBox);
    let key = Schema.newKey();  // one per page shown: a retry or a double tap sends the same one
    async function rerender() {
      const form = await Schema.form(spec, ctx);
      const actions = (spec.actions || []).map((a) => h("a", { class: "button", href: ROUTE_OF[a.path] || "#/" }, a.label));
      const button = spec.submit ? h("button", { type: "submit" }, spec.submit.button || "下一步") : null;
      const el = h("form", { novalidate: true, onsubmit: (e) => { e.preventDefault(); guard(async () => {
        button.disabled = true;
        try { await submit(spec, form, ctx, key); } catch (err) { form.showErrors(err.details); throw err; } finally { button.disabled = false; }
      }); } }, form.node, h("div", { class: "row" }, button, actions));
      formBox.replaceChildren(el);
    }
    await rerender();
    show(...parts.filter(Boolean));
  }

  async function submit(spec, form, ctx, key) {
    const values = await form.values();
    const unsigned = spec.fields.filter((f) => f.widget === "signature_pad" && f.required === true && !values[f.name]);
    if (unsigned.length) {
      const details = unsigned.map((f) => ({ field: f.name, message: "请在框内写上您的姓名" }));
      throw new Api.ApiError(422, { error: { message: "请先签名", details } });
    }
    let target = spec.submit;
    // The start page creates a draft; a draft that already exists (e.g. from a counter QR) is updated instead.
    if (ctx.filingId && target.method === "POST" && target.path === "/api/v1/filings") target = { ...target, method: "PATCH", path: "/api/v1/filings/{filing_id}" };
    let answer = await Schema.send(target, values, ctx, key);
    if (target.then) answer = await Schema.send(target.then, {}, ctx, key);
    const draft = answer && answer.filing ? answer.filing : answer;
    if (draft && draft.next_step && draft.id) {
      if (draft.next_step === spec.page_id) {
        // Still on this page: say what is missing (a field here, or the proof upload).
        form.showMissing(draft.missing);
        const here = new Set(spec.fields.map((f) => f.name));
        const elsewhere = (draft.missing || []).filter((m) => !here.has(m));
        throw new Error(elsewhere.includes("proof") ? "还需要上传证明材料" : "请把标出的内容填写完整");
      }
      return go(`#/flow/${draft.next_step}/${draft.id}`);
    }
    go(returnTo());
  }

  return { begin, page, handles, comeBack, go };
})();
