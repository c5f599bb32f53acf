// Operator: staff accounts, the institution directory import, dead-letter messages.
window.Operator = (function () {
  const { h, show, flash, field, table, guard } = UI;
  const ROLE = { reviewer: "审核人员", counter: "医院窗口", operator: "运维" };

  async function staff() {
    const data = await UI.load(() => Api.get("/staff/admin/staff"));
    if (!data) return;
    const act = (path, body, done) => guard(async () => { await Api.post(path, body); await staff(); flash(done); });
    const rows = data.items.map((s) => h("tr", {},
      h("td", {}, s.username), h("td", {}, s.display_name || "—"), h("td", {}, ROLE[s.role] || s.role),
      h("td", {}, s.role === "reviewer" ? (s.region_codes || []).join("、") : s.role === "counter" ? `机构 ${s.institution_id}` : "—"),
      h("td", {}, s.active ? (s.locked ? "已锁定" : "正常") : "已停用"),
      h("td", {}, h("div", { class: "row" },
        s.active ? h("button", { type: "button", class: "danger", onclick: () => confirm(`停用 ${s.username}？`) && act(`/staff/admin/staff/${s.id}/deactivate`, {}, "已停用") }, "停用") : null,
        s.locked ? h("button", { type: "button", class: "secondary", onclick: () => act(`/staff/admin/staff/${s.id}/unlock`, {}, "已解除锁定") }, "解锁") : null,
        s.active ? h("button", { type: "button", class: "secondary", onclick: () => {
          const pw = prompt(`为 ${s.username} 设置新密码（至少12位）`);
          if (pw) act(`/staff/admin/staff/${s.id}/password`, { password: pw }, "密码已重设");
        } }, "重设密码") : null))));
    const f = {
      username: h("input", { id: "new-username", name: "username", autocomplete: "off" }),
      display_name: h("input", { id: "new-display", name: "display_name" }),
      role: h("select", { id: "new-role", name: "role" }, Object.entries(ROLE).map(([v, t]) => h("option", { value: v }, t))),
      regions: h("input", { id: "new-regions", name: "region_codes", placeholder: "如 330700,510100" }),
      institution: h("input", { id: "new-institution", name: "institution_code", placeholder: "机构编码" }),
      password: h("input", { id: "new-password", name: "password", type: "password", autocomplete: "new-password" }),
    };
    const create = (e) => { e.preventDefault(); guard(async () => {
      const body = { username: f.username.value.trim(), password: f.password.value, role: f.role.value,
        display_name: f.display_name.value.trim() || null,
        region_codes: f.regions.value.split(/[,，\s]+/).filter(Boolean),
        institution_code: f.institution.value.trim() || null };
      await Api.post("/staff/admin/staff", body);
      await staff(); flash(`已创建账号 ${body.username}`);
    }); };
    show(h("h2", {}, "工作人员账号"), table(["用户名", "姓名", "角色", "负责范围", "状态", "操作"], rows),
      h("h3", {}, "新建账号"),
      h("form", { onsubmit: create }, h("div", { class: "row" },
        field("用户名", f.username), field("姓名", f.display_name), field("角色", f.role)),
        h("div", { class: "row" }, field("参保地代码（审核人员）", f.regions), field("机构编码（医院窗口）", f.institution),
          field("初始密码", f.password), h("button", { type: "submit" }, "创建"))));
  }

  function importer() {
    const file = h("input", { id: "import-file", name: "file", type: "file", accept: ".csv,.json,text/csv,application/json" });
    const out = h("div", { id: "import-report", "aria-live": "polite" });
    const go = (e) => { e.preventDefault(); guard(async () => {
      if (!file.files.length) { flash("请选择文件", true); return; }
      const form = new FormData(); form.append("file", file.files[0]);
      const r = await Api.upload("/staff/admin/institutions/import", form);
      out.replaceChildren(r.imported
        ? h("p", {}, `已导入 ${r.rows} 行：新增 ${r.inserted}，更新 ${r.updated}`)
        : h("div", {}, h("p", { class: "error" }, `发现 ${r.error_count} 处问题，没有导入任何数据。请改正后重新导入：`),
          table(["行号", "字段", "问题"], r.errors.map((x) => h("tr", {}, h("td", {}, `第${x.line}行`), h("td", {}, x.field || "—"), h("td", {}, x.message))))));
    }); };
    show(h("h2", {}, "导入定点医疗机构目录"),
      h("p", { class: "muted" }, "CSV（第一行为表头）或 JSON。先逐行检查，任何一行有问题都不会导入。"),
      h("form", { onsubmit: go }, h("div", { class: "row" }, field("目录文件", file), h("button", { type: "submit" }, "检查并导入"))), out);
  }

  async function dead() {
    const data = await UI.load(() => Api.get("/staff/admin/notifications/dead"));
    if (!data) return;
    const rows = data.items.map((n) => h("tr", {}, h("td", {}, n.id), h("td", {}, n.title), h("td", {}, n.filing_id || "—"),
      h("td", {}, n.attempts), h("td", {}, n.last_error || "—"), h("td", {}, (n.created_at || "").replace("T", " ").slice(0, 16))));
    show(h("h2", {}, "发送失败的消息"),
      h("p", { class: "muted" }, "微信拒收的订阅消息（如模板字段不符）。修改模板配置后可重新发送。"),
      table(["编号", "消息", "备案", "尝试次数", "原因", "时间"], rows),
      data.items.length ? h("div", { class: "row" }, h("button", { type: "button", onclick: () => guard(async () => {
        const r = await Api.post("/staff/admin/notifications/dead/retry", { ids: [] }); await dead(); flash(`已重新排队 ${r.queued} 条`);
      }) }, "全部重新发送")) : null);
  }

  return { staff, importer, dead };
})();
