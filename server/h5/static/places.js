// 查定点医院 and 开通情况: the public directory search and a region's settlement status.
window.Places = (function () {
  const { h, show, guard } = UI;

  // Province → city, the same picker the pages draw from the schema's region field.
  async function regionPicker(label) {
    const pages = await Schema.load();
    const field = { ...pages.byId.choices.fields.find((f) => f.name === "visit_region_code"), label, hint: undefined, required: false };
    return Schema.WIDGETS[field.widget](field, { draft: {}, me: {} });
  }
  const province = (w) => w.node.querySelector("select").value;

  async function hospitals() {
    const region = await regionPicker("地区");
    const kw = h("input", { id: "kw", name: "keyword", placeholder: "比如：人民医院" });
    const out = h("div", { "aria-live": "polite" });
    const search = () => guard(async () => {
      const q = new URLSearchParams();
      const code = region.get() || province(region);
      if (code) q.set("region", code);
      if (kw.value.trim()) q.set("keyword", kw.value.trim());
      const r = await Api.get(`/institutions?${q}`);
      const yes = (b) => (b ? "可以" : "不可以");
      out.replaceChildren(h("p", {}, r.items.length ? `找到${r.items.length}${r.has_more ? "家以上" : "家"}` : "没有找到，请换个地区或名称"),
        h("ul", { class: "tiles" }, r.items.map((i) => h("li", { class: "tile" },
          h("span", { class: "tile-title" }, i.name),
          h("span", { class: "desc" }, [i.region_name, i.level, i.kind_label].filter(Boolean).join(" · ")),
          h("span", {}, `住院直接结算：${yes(i.settlement.inpatient)}；门诊：${yes(i.settlement.general_outpatient)}；门诊慢特病：${yes(i.settlement.chronic_outpatient)}`)))));
    });
    show(h("h1", {}, "查定点医院"),
      h("form", { onsubmit: (e) => { e.preventDefault(); search(); } }, region.node, UI.field("医院名称（可不填）", kw),
        h("button", { type: "submit" }, "查询")), out);
  }

  async function settlement() {
    const region = await regionPicker("城市");
    const out = h("div", { "aria-live": "polite" });
    const query = () => guard(async () => {
      const code = region.get() || province(region);
      if (!code) throw new Error("请先选择城市");
      const r = await Api.get(`/settlement-status?region=${encodeURIComponent(code)}`);
      const row = (s) => h("li", {}, `${s.label}：${s.open ? "已开通" : "未开通"}${s.open ? `（${s.institutions}家）` : ""}`);
      out.replaceChildren(h("h2", {}, `${r.region_name}的开通情况`),
        h("p", {}, `联网定点机构${r.institutions}家，其中医院${r.hospitals}家、药店${r.pharmacies}家。`),
        h("ul", { class: "plain" }, r.settlements.map(row)),
        h("h3", {}, "门诊慢特病"), h("ul", { class: "plain" }, r.chronic_diseases.map(row)));
    });
    show(h("h1", {}, "开通情况"),
      h("form", { onsubmit: (e) => { e.preventDefault(); query(); } }, region.node, h("button", { type: "submit" }, "查询")), out);
  }

  return { hospitals, settlement };
})();
