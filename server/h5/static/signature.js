// A pad to sign on with a finger (pointer events: touch, pen or mouse), giving a PNG with a
// transparent background; empty until something is drawn.
window.SignaturePad = (function () {
  const { h } = UI;
  function create(label) {
    const canvas = h("canvas", { class: "pad", role: "img", "aria-label": `${label}（签名板）`, tabindex: "0" });
    let drawn = false, drawing = false, ctx2d = null;
    const hint = h("p", { class: "hint" }, "用手指在白色框里写字；写错了点“重新签名”");
    const clear = h("button", { type: "button", class: "secondary", onclick: () => reset() }, "重新签名");
    function reset() {
      const ratio = window.devicePixelRatio || 1;
      const w = canvas.clientWidth || 340, hgt = canvas.clientHeight || 180;
      canvas.width = w * ratio; canvas.height = hgt * ratio;
      ctx2d = canvas.getContext("2d");
      ctx2d.scale(ratio, ratio);
      ctx2d.lineWidth = 4; ctx2d.lineCap = "round"; ctx2d.lineJoin = "round"; ctx2d.strokeStyle = "#000";
      drawn = false;
    }
    const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
    canvas.addEventListener("pointerdown", (e) => {
      if (!ctx2d) reset();
      drawing = true; canvas.setPointerCapture(e.pointerId);
      const [x, y] = at(e); ctx2d.beginPath(); ctx2d.moveTo(x, y); e.preventDefault();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drawing) return;
      const [x, y] = at(e); ctx2d.lineTo(x, y); ctx2d.stroke(); drawn = true; e.preventDefault();
    });
    const stop = () => { drawing = false; };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    requestAnimationFrame(reset);
    const node = h("div", { class: "signature" }, h("p", { class: "label" }, label), hint, canvas, h("div", { class: "row" }, clear));
    return {
      node,
      isEmpty: () => !drawn,
      blob: () => (drawn ? new Promise((res) => canvas.toBlob(res, "image/png")) : Promise.resolve(null)),
    };
  }
  return { create };
})();
