// Small DOM helpers: every text goes in as text, never as HTML.
window.UI = (function () {
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
    return el;
  }
  const view = () => document.getElementById("view");
  function show(...nodes) { const v = view(); v.replaceChildren(...nodes); document.getElementById("main").focus(); }
  function flash(message, bad = false) {
    const f = document.getElementById("flash");
    f.textContent = message || "";
    f.classList.toggle("bad", !!bad);
  }
  function facts(pairs) {
    return h("dl", { class: "facts" }, pairs.filter((p) => p[1] !== undefined).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v === null || v === "" ? "—" : v)]));
  }
  function field(label, input) {
    const id = input.id || `f-${Math.random().toString(36).slice(2, 8)}`;
    input.id = id;
    return h("div", {}, h("label", { for: id }, label), input);
  }
  function table(headers, rows, caption) {
    return h("table", {}, caption ? h("caption", { class: "muted" }, caption) : null,
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : [h("tr", {}, h("td", { colspan: headers.length }, "暂无"))]));
  }
  // An action clears the last message first; loading a view keeps it (it may say what just happened).
  async function run(fn, clear) {
    try { if (clear) flash(""); return await fn(); } catch (e) { flash(e.text || e.message || "出错了，请稍后再试", true); return null; }
  }
  const guard = (fn) => run(fn, true);
  const load = (fn) => run(fn, false);
  function download(blob, name) {
    const a = h("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  }
  return { h, show, flash, facts, field, table, guard, load, download };
})();
