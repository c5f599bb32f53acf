// Reviewer: the queue of their insured places, a filing's detail with its documents, decisions.
window.Review = (function () {
  const { h, show, flash, facts, field, table, guard } = UI;

  async function queue() {
    const data = await UI.load(() => Api.get("/staff/review/queue?per_page=100"));
    if (!data) return;
    const rows = data.items.map((f) => h("tr", {},
      h("td", {}, h("a", { href: `#/review/${f.id}` }, f.number || `草稿${f.id}`)),
      h("td", {}, f.person_name || "—", h("br"), h("span", { class: "muted" }, f.person_id_masked || "")),
      h("td", {}, f.filing_type_label || "—"),
      h("td", {}, f.insured_region_name || "—"),
      h("td", {}, f.visit_region_name || "—"),
      h("td", {}, (f.submitted_at || "").replace("T", " ").slice(0, 16)),
      h("td", { class: f.overdue ? "overdue" : "" }, f.overdue ? "已超时 " : "", f.due_message || (f.review_due_at || "").slice(0, 10))));
    show(h("h2", {}, "待审核"), h("p", { class: "muted" }, `共 ${data.total} 件，按审核截止时间排序（2个工作日内完成）`),
      table(["备案编号", "申请人", "备案类型", "参保地", "就医地", "提交时间", "审核截止"], rows));
  }

  async function preview(doc) {
    const box = h("figure", { class: "doc" }, h("figcaption", {}, doc.doc_label || doc.kind || "材料"));
    try {
      const blob = await Api.blob(doc.url);
      const src = URL.createObjectURL(blob);
      box.append(doc.mime === "application/pdf"
        ? h("iframe", { src, title: `${doc.doc_label || "文件"}（PDF）` })
        : h("img", { src, alt: doc.doc_label || "上传的材料" }));
    } catch (e) {
      box.append(h("p", { class: "error" }, `无法显示：${e.text || e.message}`));
    }
    return box;
  }

  async function detail(id) {
    const f = await UI.load(() => Api.get(`/staff/review/filings/${id}`));
    if (!f) return;
    const docs = [...(f.documents || []), ...(f.letter ? [{ ...f.letter, doc_label: "个人承诺书" }] : [])];
    const reason = h("textarea", { id: "reason", name: "reason", maxlength: "500" });
    const decide = (action, needsReason) => guard(async () => {
      if (needsReason && !reason.value.trim()) { flash("请填写原因，申请人会看到这段话", true); reason.focus(); return; }
      await Api.post(`/staff/review/filings/${id}/${action}`, needsReason ? { reason: reason.value.trim() } : {});
      await detail(id);
      flash({ approve: "已审核通过", return: "已退回补充材料", reject: "已审核不通过" }[action]);
    });
    const pending = f.status === "pending_review";
    show(
      h("p", {}, h("a", { href: "#/review" }, "← 返回待审核")),
      h("h2", {}, `备案 ${f.number || f.id}`, " ", h("span", { class: "tag" }, f.status_label)),
      h("div", { class: "card" }, facts([
        ["申请人", f.person_name], ["证件号码", f.person_id_masked], ["备案类型", f.filing_type_label],
        ["参保险种", f.scheme_label], ["参保地", f.insured_region_name], ["就医地", f.visit_region_name],
        ["开始日期", f.start_date], ["结束日期", f.end_date || "长期有效"], ["联系人", f.contact_name],
        ["联系电话", f.contact_phone], ["就医地地址", f.address], ["证明方式", f.proof_mode_label],
        ["提交时间", (f.submitted_at || "").replace("T", " ").slice(0, 16)],
        ["审核截止", f.review_due_at ? `${f.review_due_at.replace("T", " ").slice(0, 16)}${f.overdue ? "（已超时）" : ""}` : undefined],
        ["退回或不通过原因", f.reject_reason || undefined],
      ])),
      h("h3", {}, "材料"),
      docs.length ? h("div", { class: "docs" }, await Promise.all(docs.map(preview))) : h("p", { class: "muted" }, "没有上传材料"),
      pending ? h("div", { class: "card" }, h("h3", {}, "审核"),
        field("退回或不通过的原因（申请人会看到）", reason),
        h("div", { class: "row" },
          h("button", { type: "button", onclick: () => decide("approve", false) }, "审核通过"),
          h("button", { type: "button", class: "secondary", onclick: () => decide("return", true) }, "退回补充材料"),
          h("button", { type: "button", class: "danger", onclick: () => decide("reject", true) }, "审核不通过"))) : null,
      h("h3", {}, "办理进度"),
      h("ol", { class: "timeline" }, (f.timeline || []).map((e) => h("li", {},
        h("strong", {}, e.label || e.action), " ", h("span", { class: "muted" }, `${(e.at || "").replace("T", " ").slice(0, 16)} · ${e.actor_label || ""}`),
        e.note ? h("div", {}, e.note) : null))));
  }

  return { queue, detail };
})();
