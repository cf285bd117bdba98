// 草稿: a form with data-draft="KEY" is saved to the server as it is filled (a second after
// the last change, and when the page is hidden), so a weak connection or a closed page on
// site loses nothing. Opened again, the form offers the draft back (恢复) or to discard it.
// A draft is not a record: the form's own 保存 makes the record and consumes the draft.
(() => {
  "use strict";
  const form = document.querySelector("form[data-draft]");
  if (!form) return;
  const key = form.dataset.draft;
  const url = `${form.dataset.draftUrl}?form=${encodeURIComponent(key)}`;
  const csrf = form.elements.csrf ? form.elements.csrf.value : "";
  const state = document.createElement("span");
  state.className = "draft-state";
  state.id = "draft-state";
  state.setAttribute("role", "status");
  const actions = form.querySelector(".actions");
  if (actions) actions.appendChild(state);
  const marker = document.createElement("input");
  marker.type = "hidden";
  marker.name = "draft_key";
  marker.value = key;
  form.appendChild(marker);
  let timer = null;
  let dirty = false;

  function entries() {
    const out = [];
    for (const [name, value] of new FormData(form).entries()) {
      if (typeof value === "string" && name !== "csrf" && name !== "draft_key") out.push([name, value]);
    }
    return out;
  }

  async function save() {
    timer = null;
    if (!dirty) return;
    dirty = false;
    try {
      const response = await fetch(url, {
        method: "PUT",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ fields: entries() }),
        keepalive: true,
      });
      if (!response.ok) throw new Error(String(response.status));
      const body = await response.json();
      state.textContent = `草稿已自动保存（${body.saved_at}）`;
    } catch (e) {
      dirty = true;
      state.textContent = "网络不稳定：草稿暂未保存，恢复连接后会自动重试";
      timer = setTimeout(save, 5000);
    }
  }

  function changed() {
    dirty = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1000);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  window.addEventListener("online", () => dirty && save());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden" && dirty) save();
  });
  form.addEventListener("submit", () => {
    if (timer) clearTimeout(timer);
    dirty = false;
  });

  function restore(fields) {
    const byName = new Map();
    for (const [name, value] of fields) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push(value);
    }
    for (const element of form.elements) {
      if (!element.name || element.name === "csrf" || element.type === "hidden") continue;
      const values = byName.get(element.name) || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = values.includes(element.value);
      } else if (element.tagName === "SELECT" && element.multiple) {
        for (const option of element.options) option.selected = values.includes(option.value);
      } else if (values.length) {
        element.value = values[0];
      } else if (element.tagName !== "SELECT") {
        element.value = "";
      }
    }
  }

  async function offer() {
    if (document.querySelector("#form-errors")) return; // a refused form shows what was sent
    let body;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      body = await response.json();
    } catch (e) {
      return;
    }
    if (!body.found) return;
    const note = document.createElement("div");
    note.className = "draft-note";
    note.id = "draft-note";
    note.setAttribute("role", "status");
    note.innerHTML = "<span></span><button type=\"button\" class=\"secondary\" id=\"draft-discard\">放弃草稿</button>";
    note.querySelector("span").textContent =
      `已恢复 ${body.saved_at} 自动保存的草稿（草稿不是正式记录，保存后才记入案件）`;
    form.parentNode.insertBefore(note, form);
    restore(body.fields);
    note.querySelector("#draft-discard").addEventListener("click", async () => {
      await fetch(url, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
      window.location.reload();
    });
  }
  offer();
})();
