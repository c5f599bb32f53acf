// The generic renderer of miniapp_schema: a page's fields become a form by their `widget`, their
// options come from each field's `options_endpoint`, `visible`/`required` conditions are read from
// the schema, and the page's `submit` says where the answers go. No page is written by hand.
window.Schema = (function () {
  const { h } = UI;
  let pagesPromise = null;

  function load() {
    if (!pagesPromise) {
      pagesPromise = Api.get("/miniapp/pages").then((r) => {
        const byId = {};
        r.pages.forEach((p) => { byId[p.page_id] = p; });
        return { list: r.pages, byId };
      }).catch((e) => { pagesPromise = null; throw e; });
    }
    return pagesPromise;
  }

  // "{filing_id}" and the draft's fields in a path; "#a" / "#a[].b" pick out of the answer.
  function fill(path, ctx) {
    return path.replace(/\{(\w+)\}/g, (_, k) => {
      const v = k === "filing_id" ? ctx.filingId : (ctx.draft || {})[k];
      return encodeURIComponent(v == null ? "" : v);
    });
  }
  function pick(data, fragment) {
    if (!fragment) return data;
    let out = data;
    for (const part of fragment.split(".")) {
      const many = part.endsWith("[]");
      const key = many ? part.slice(0, -2) : part;
      out = Array.isArray(out) ? out.flatMap((x) => (x || {})[key] || []) : (out || {})[key];
      if (many && !Array.isArray(out)) out = [];
    }
    return out;
  }
  const cache = new Map();
  async function fetchEndpoint(endpoint, ctx) {
    const [path, fragment] = fill(endpoint, ctx).split("#");
    let data;
    if (/^\/api\/v1\/filings\/\d+$/.test(path) && ctx.draft) data = ctx.draft;
    else if (path.startsWith("/api/v1/options") || path.startsWith("/api/v1/regions")) {
      if (!cache.has(path)) cache.set(path, Api.get(path).catch((e) => { cache.delete(path); throw e; }));
      data = await cache.get(path);
    } else data = await Api.get(path);
    return pick(data, fragment);
  }

  // Conditions as the schema writes them: "group == temporary", "applicant == self and profile
  // lacks name", "next_step == commitment". An unknown form counts as true (show, ask).
  function cond(expr, env) {
    if (expr === true || expr === false) return expr;
    if (expr === undefined || expr === null) return true;
    return String(expr).split(/\s+and\s+/).every((clause) => {
      let m = clause.match(/^\s*(\w+)\s*==\s*(\S+)\s*$/);
      if (m) return String(env[m[1]] ?? "") === m[2];
      m = clause.match(/^\s*profile lacks (\w+)\s*$/);
      if (m) { const me = env.profile || {}; return !(me[m[1]] || me[`${m[1]}_masked`]); }
      console.warn("schema condition not understood:", clause);
      return true;
    });
  }
  function env(ctx, values) {
    const d = ctx.draft || {};
    return { ...d, ...values, profile: ctx.me, next_step: d.next_step };
  }

  const uid = (name) => `f-${name}-${Math.random().toString(36).slice(2, 7)}`;
  function wrap(field, control, id) {
    const hint = field.hint && field.widget !== "hidden" ? h("p", { class: "hint", id: `${id}-hint` }, field.hint) : null;
    if (hint && control.setAttribute) control.setAttribute("aria-describedby", `${id}-hint`);
    return h("div", { class: "field", "data-field": field.name },
      h("label", { for: id }, field.label, field.required === true ? h("span", { class: "req" }, "（必填）") : null),
      hint, control, h("p", { class: "field-error", id: `${id}-err`, role: "alert" }));
  }
  function initial(field, ctx) {
    const d = ctx.draft || {}, me = ctx.me || {};
    return d[field.name] ?? me[`default_${field.name}`] ?? "";
  }
  function optionList(items) {
    return (items || []).map((o) => ({ value: o.value ?? o.code, label: o.label ?? o.name, description: o.description ?? o.explanation }));
  }
  // A choice among a few: big radio buttons (easier to hit than a drop-down), each with its line.
  function radios(field, options, current, onchange) {
    const name = uid(field.name);
    const box = h("fieldset", { class: "choices", "data-field": field.name },
      h("legend", {}, field.label),
      field.hint ? h("p", { class: "hint" }, field.hint) : null,
      options.map((o, i) => {
        const id = `${name}-${i}`;
        const input = h("input", { type: "radio", id, name, value: String(o.value), checked: String(o.value) === String(current) });
        if (onchange) input.addEventListener("change", onchange);
        return h("div", { class: "choice" }, input, h("label", { for: id }, h("span", {}, o.label),
          o.description ? h("span", { class: "desc" }, o.description) : null));
      }),
      h("p", { class: "field-error", role: "alert" }));
    return { node: box, get: () => { const c = box.querySelector("input:checked"); return c ? c.value : null; } };
  }

  const WIDGETS = {
    async text(field, ctx) { return input(field, ctx, { type: "text", autocomplete: field.name === "contact_name" || field.name === "person_name" || field.name === "name" ? "name" : "off" }); },
    async phone(field, ctx) { return input(field, ctx, { type: "tel", inputmode: "numeric", autocomplete: "tel" }); },
    async id_number(field, ctx) { return input(field, ctx, { type: "text", autocomplete: "off", inputmode: "text", spellcheck: "false" }); },
    async date(field, ctx) {
      const w = input(field, ctx, { type: "date" });
      const min = field.validation && field.validation.min_from;
      if (min && ctx.draft && ctx.draft[min]) w.control.min = ctx.draft[min];
      return w;
    },
    async textarea(field, ctx) {
      const id = uid(field.name);
      const el = h("textarea", { id, name: field.name, rows: 3, maxlength: field.validation.max_length });
      el.value = initial(field, ctx);
      return { node: wrap(field, el, id), get: () => el.value.trim(), control: el };
    },
    async checkbox(field, ctx) {
      const id = uid(field.name);
      const el = h("input", { type: "checkbox", id, name: field.name, checked: initial(field, ctx) === true });
      const node = h("div", { class: "field check", "data-field": field.name }, el, h("label", { for: id }, field.label),
        h("p", { class: "field-error", role: "alert" }));
      return { node, get: () => el.checked, control: el };
    },
    // A value the person does not type: taken from the endpoint the schema names (e.g. the version read).
    async hidden(field, ctx) {
      const data = await fetchEndpoint(field.options_endpoint, ctx);
      const value = data && typeof data === "object" ? data[field.name] : data;
      return { node: null, get: () => value };
    },
    async select(field, ctx) {
      const options = optionList(await fetchEndpoint(field.options_endpoint, ctx));
      return radios(field, options, initial(field, ctx));
    },
    async applicant(field, ctx) {
      const members = field.options_endpoint ? await fetchEndpoint(field.options_endpoint, ctx) : [];
      const list = Array.isArray(members) ? members : (members.items || []);
      const options = optionList(field.choices).concat(list.map((m) => ({ value: m.id, label: `为${m.name}备案`, description: m.relation_label })));
      const w = radios(field, options, initial(field, ctx) || "self", ctx.onchange);
      w.node.append(h("a", { class: "button secondary", href: "#/flow/family_member" }, "添加家人"));
      const get = w.get;
      return { node: w.node, get: () => { const v = get(); return v && /^\d+$/.test(v) ? Number(v) : v; } };
    },
    async region_picker(field, ctx) {
      const data = await fetchEndpoint(field.options_endpoint, ctx);
      const provinces = data.provinces || [];
      const current = initial(field, ctx);
      const id = uid(field.name);
      const prov = h("select", { id, name: `${field.name}-province` });
      const city = h("select", { id: `${id}-city`, name: field.name });
      prov.append(h("option", { value: "" }, "请选择省份"), ...provinces.map((p) => h("option", { value: p.code }, p.name)));
      const fillCities = (selected) => {
        const p = provinces.find((x) => x.code === prov.value);
        city.replaceChildren(h("option", { value: "" }, "请选择城市"), ...(p ? p.regions : []).map((r) => h("option", { value: r.code }, r.name)));
        if (p && p.regions.length === 1) city.value = p.regions[0].code;
        if (selected) city.value = selected;
      };
      prov.addEventListener("change", () => fillCities());
      if (current) {
        const p = provinces.find((x) => x.regions.some((r) => r.code === current));
        if (p) { prov.value = p.code; fillCities(current); }
      } else fillCities();
      const node = wrap(field, prov, id);
      node.insertBefore(h("label", { for: `${id}-city`, class: "sub" }, `${field.label}：城市`), node.lastChild);
      node.insertBefore(city, node.lastChild);
      node.querySelector(`label[for="${id}"]`).textContent = `${field.label}：省份`;
      return { node, get: () => city.value || null, control: prov };
    },
    async signature_pad(field) {
      const pad = SignaturePad.create(field.label);
      return { node: h("div", { class: "field", "data-field": field.name }, pad.node,
        field.hint ? null : null, h("p", { class: "field-error", role: "alert" })), get: () => pad.blob() };
    },
  };

  function input(field, ctx, attrs) {
    const id = uid(field.name);
    const v = field.validation || {};
    const el = h("input", { id, name: field.name, maxlength: v.max_length || v.length, ...attrs });
    el.value = initial(field, ctx);
    return { node: wrap(field, el, id), get: () => el.value.trim(), control: el };
  }

  function missingRenderers(pages) {
    const out = [];
    for (const p of pages) {
      for (const f of [...p.fields, ...((p.uploads && p.uploads.fields) || [])]) {
        if (!WIDGETS[f.widget]) out.push(`${p.page_id}.${f.name}: widget ${f.widget}`);
      }
      if (!Flow.handles(p.page_id)) out.push(`${p.page_id}: no place in the flow`);
    }
    return out;
  }

  // The form of one page: widgets in schema order, each shown only while its condition holds.
  async function form(page, ctx) {
    const built = [];
    const body = h("div", { class: "fields" });
    const refresh = () => {
      const values = current();
      for (const b of built) if (b.node) b.node.hidden = !cond(b.field.visible, env(ctx, values));
    };
    ctx.onchange = refresh;
    for (const field of page.fields) {
      const make = WIDGETS[field.widget];
      if (!make) throw new Error(`没有 ${field.widget} 控件`);
      const w = await make(field, ctx);
      w.field = field;
      built.push(w);
      if (w.node) { body.append(w.node); w.node.addEventListener("change", refresh); }
    }
    function current() {
      const out = {};
      for (const b of built) out[b.field.name] = b.get();
      return out;
    }
    // What goes to the server: visible fields, and empty optional ones left out.
    async function values() {
      const out = {};
      const e = env(ctx, current());
      for (const b of built) {
        if (!cond(b.field.visible, e)) continue;
        const v = await b.get();
        // Nothing typed is not sent: the server keeps what it has (or its default) and lists
        // what is still missing in the draft's `missing`.
        if (v === "" || v === null || v === undefined) continue;
        if (b.field.widget === "checkbox" && !v && b.field.required !== true) continue;
        out[b.field.name] = v;
      }
      return out;
    }
    // The draft's `missing` (field names) shown beside the fields still to fill on this page.
    function showMissing(missing) {
      showErrors((missing || []).map((name) => {
        const f = page.fields.find((x) => x.name === name);
        return f ? { field: name, message: `请填写${f.label}` } : null;
      }).filter(Boolean));
    }
    function showErrors(details) {
      body.querySelectorAll(".field-error").forEach((p) => { p.textContent = ""; });
      let first = null;
      for (const d of details || []) {
        const box = body.querySelector(`[data-field="${d.field}"]`);
        const p = box && box.querySelector(".field-error");
        if (p) { p.textContent = d.message; first = first || box; }
      }
      if (first) first.scrollIntoView({ block: "center" });
    }
    refresh();
    return { node: body, values, showErrors, showMissing };
  }

  // Sends a page's answers where its `submit` says: JSON, or multipart when a value is a file.
  async function send(submit, values, ctx, key) {
    const path = fill(submit.path, ctx);
    const headers = {};
    if (submit.headers && submit.headers["Idempotency-Key"]) headers["Idempotency-Key"] = key;
    const blobs = Object.values(values).some((v) => v instanceof Blob);
    if (blobs && /multipart/.test(submit.encoding)) {
      const fd = new FormData();
      for (const [k, v] of Object.entries(values)) if (v instanceof Blob) fd.append(k, v, `${k}.png`); else fd.append(k, v);
      return Api.call(submit.method, path, undefined, { form: fd, headers });
    }
    return Api.call(submit.method, path, values, { headers });
  }

  const newKey = () => (window.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

  return { load, form, send, cond, env, fill, pick, fetchEndpoint, WIDGETS, missingRenderers, newKey };
})();
