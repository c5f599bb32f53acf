// 备案记录: the list, one filing with its progress timeline, and the 备案凭证 QR once approved.
window.Records = (function () {
  const { h, show } = UI;

  async function list() {
    const r = await Api.get("/records");
    const items = r.items.map((f) => h("li", {}, h("a", { class: "tile", href: `#/records/${f.id}` },
      h("span", { class: "tile-title" }, `${f.person_name || ""} · ${f.filing_type_label || "备案"}`),
      h("span", {}, `状态：${f.effective_status_label}`),
      h("span", { class: "desc" }, `${f.insured_region_name || ""} → ${f.visit_region_name || ""}`),
      f.number_display ? h("span", { class: "desc" }, `编号 ${f.number_display}`) : null)));
    show(h("h1", {}, "我的备案记录"),
      items.length ? h("ul", { class: "tiles" }, items) : h("p", {}, "还没有提交过备案。"),
      h("a", { class: "button", href: "#/flow" }, "办理新的备案"));
  }

  async function detail(id) {
    const f = await Api.get(`/records/${id}`);
    const steps = f.timeline.map((t, i) => h("li", {},
      h("span", { class: "tl-mark", "aria-hidden": "true" }, i === f.timeline.length - 1 ? "●" : "○"),
      h("div", {}, h("p", { class: "tl-title" }, t.status_label && t.status_label !== t.label ? `${t.label}（${t.status_label}）` : t.label),
        h("p", { class: "desc" }, `${t.at.slice(0, 16).replace("T", " ")} · ${t.actor_label || ""}`),
        t.note ? h("p", {}, t.note) : null)));
    const parts = [h("h1", {}, `${f.filing_type_label || "备案"}`),
      h("p", { class: "status-big" }, `状态：${f.effective_status_label}`),
      f.review_due_message ? h("p", {}, f.review_due_message) : null,
      f.reject_reason ? h("p", {}, `原因：${f.reject_reason}`) : null,
      UI.facts([["备案人", f.person_name], ["证件号码", f.person_id_masked], ["备案编号", f.number_display],
        ["参保地", f.insured_region_name], ["就医地", f.visit_region_name], ["开始日期", f.start_date],
        ["结束日期", f.end_date || "长期"], ["证明材料", f.proof_mode_label]]),
      h("h2", {}, "办理进度"), h("ol", { class: "timeline", "aria-label": "办理进度" }, steps)];
    if (f.voucher_available) {
      const v = await Api.get(`/filings/${id}/voucher`);
      const img = h("img", { class: "qr", alt: `备案凭证二维码，备案编号 ${f.number_display}` });
      Api.blob(v.qr_url).then((b) => { img.src = URL.createObjectURL(b); });
      parts.push(h("h2", {}, "备案凭证"), h("p", {}, "到医院结算时，请出示这个二维码给窗口工作人员。"), img);
    }
    parts.push(h("a", { class: "button secondary", href: "#/records" }, "返回记录列表"));
    show(...parts.filter(Boolean));
  }

  return { list, detail };
})();
