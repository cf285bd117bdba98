// 手写签名: strokes drawn with a finger, a stylus or a mouse (pointer events) on the signing
// page's canvas, sent as a PNG in the form's hidden "signature" input. The choice between
// signing and refusing shows one part of the form or the other.
(() => {
  "use strict";
  const canvas = document.getElementById("sign-pad");
  const form = document.getElementById("sign-form");
  if (!canvas || !form) return;
  const input = document.getElementById("signature");
  const context = canvas.getContext("2d");
  let drawing = false;
  let drawn = false;
  let last = null;

  function fit() {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.6;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";
    drawn = false;
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    last = point(event);
    context.beginPath();
    context.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
    context.fillStyle = "#111";
    context.fill();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    drawn = true;
  });
  const stop = () => {
    drawing = false;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointercancel", stop);
  canvas.addEventListener("pointerleave", stop);

  document.getElementById("sign-clear").addEventListener("click", () => {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    input.value = "";
  });

  function showMode() {
    const refusing = form.elements.mode.value === "refuse";
    document.getElementById("pad-set").hidden = refusing;
    document.getElementById("refusal-set").hidden = !refusing;
  }
  for (const radio of form.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", showMode);
  }

  form.addEventListener("submit", () => {
    input.value = drawn ? canvas.toDataURL("image/png") : "";
  });
  fit();
  showMode();
})();
