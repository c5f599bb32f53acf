// Counter clerk: verify a patient's filing (camera QR or typed number), the counter's QR codes.
window.Counter = (function () {
  const { h, show, flash, facts, field, table, guard, download } = UI;
  let stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
  }

  function verdict(r) {
    const ok = r.covers;
    return h("section", { class: "card", "aria-labelledby": "verdict" },
      h("div", { id: "verdict", class: `verdict ${ok ? "ok" : "no"}` }, ok ? "✔ 可以直接结算" : "✘ 不能按此备案直接结算"),
      h("p", {}, r.message || ""),
      facts([["姓名", r.person_name], ["证件号码", r.person_id], ["备案编号", r.filing_number],
        ["备案类型", r.filing_type_label], ["参保地", r.insured_region_name], ["就医地", r.visit_region_name],
        ["有效期", r.start_date ? `${r.start_date} 至 ${r.end_date || "长期"}` : undefined],
        ["状态", r.status_label], ["核验日期", r.checked_date], ["原因", r.reason || undefined]]));
  }

  async function check(body) {
    const out = document.getElementById("result");
    out.replaceChildren();
    const r = await guard(() => Api.post("/staff/verify", body));
    if (r) out.replaceChildren(verdict(r));
  }

  function voucherFrom(text) {
    // The voucher QR holds the voucher itself; a URL carrying it as ?voucher= is accepted too.
    try { const u = new URL(text); return u.searchParams.get("voucher") || text; } catch (e) { return text.trim(); }
  }

  async function scan(date) {
    if (!window.jsQR) { flash("扫码组件未加载，请输入备案编号核验", true); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { flash("此浏览器不能使用摄像头，请输入备案编号", true); return; }
    stopCamera();
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    } catch (e) { flash("无法打开摄像头，请检查权限，或输入备案编号", true); return; }
    const video = h("video", { autoplay: true, muted: true, playsinline: true, "aria-label": "摄像头画面" });
    video.srcObject = stream;
    const status = h("p", { role: "status" }, "请把备案凭证二维码对准摄像头");
    document.getElementById("camera").replaceChildren(video, status);
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const tick = () => {
      if (!stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
        if (code && code.data) {
          stopCamera();
          document.getElementById("camera").replaceChildren(h("p", {}, "已识别二维码，正在核验…"));
          const body = { voucher: voucherFrom(code.data) };
          if (date.value) body.admission_date = date.value;
          return check(body);
        }
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  function verify() {
    stopCamera();
    const number = h("input", { id: "filing-number", name: "filing_number", autocomplete: "off", inputmode: "text" });
    const date = h("input", { id: "admission-date", name: "admission_date", type: "date" });
    const form = h("form", { onsubmit: (e) => {
      e.preventDefault();
      stopCamera();
      if (!number.value.trim()) { flash("请输入备案编号，或扫码核验", true); number.focus(); return; }
      const body = { filing_number: number.value.trim() };
      if (date.value) body.admission_date = date.value;
      check(body);
    } },
      h("div", { class: "row" }, field("备案编号", number), field("入院日期（不填为今天）", date),
        h("button", { type: "submit" }, "核验"),
        h("button", { type: "button", class: "secondary", onclick: () => scan(date) }, "扫码核验")));
    show(h("h2", {}, "备案核验"), h("p", { class: "muted" }, "扫描患者出示的备案凭证二维码，或输入备案编号。"),
      form, h("div", { id: "camera" }), h("div", { id: "result", "aria-live": "polite" }));
    number.focus();
  }

  async function codes() {
    stopCamera();
    const data = await UI.load(() => Api.get("/staff/counter-codes"));
    if (!data) return;
    const items = data.items || data;
    const name = h("input", { id: "counter-name", name: "counter_name", maxlength: "40", placeholder: "如：住院处1号窗口" });
    const rows = items.map((c) => h("tr", {},
      h("td", {}, c.counter_name || "—"),
      h("td", {}, c.revoked ? "已停用" : "使用中"),
      h("td", {}, c.revoked ? "—" : h("div", { class: "row" },
        h("button", { type: "button", class: "secondary", onclick: () => guard(async () => download(await Api.blob(c.poster), `counter-${c.id}-poster.png`)) }, "下载海报 PNG"),
        h("button", { type: "button", class: "secondary", onclick: () => guard(async () => download(await Api.blob(c.poster_pdf || c.poster.replace(".png", ".pdf")), `counter-${c.id}-poster.pdf`)) }, "下载海报 PDF"),
        h("button", { type: "button", class: "danger", onclick: () => guard(async () => {
          if (!confirm(`停用“${c.counter_name}”的二维码？停用后扫码会提示二维码已失效。`)) return;
          await Api.post(`/staff/counter-codes/${c.id}/revoke`); await codes(); flash("已停用");
        }) }, "停用")))));
    show(h("h2", {}, "窗口二维码"),
      h("form", { onsubmit: (e) => { e.preventDefault(); guard(async () => {
        await Api.post("/staff/counter-codes", { counter_name: name.value.trim() || null });
        await codes(); flash("已生成新的窗口二维码");
      }); } }, h("div", { class: "row" }, field("窗口名称", name), h("button", { type: "submit" }, "生成二维码"))),
      table(["窗口", "状态", "操作"], rows));
  }

  return { verify, codes, stopCamera };
})();
