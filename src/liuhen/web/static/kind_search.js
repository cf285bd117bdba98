// 文书种类搜索: the kinds stay grouped by stage in <optgroup>s (which is all a browser
// without scripts shows); with scripts a search box narrows the list to the kinds whose
// name or stage contains what is typed, shows the matches open under the box, and picks the
// first. Enter in the box opens the chosen kind's form.
(() => {
  "use strict";
  const box = document.getElementById("kind-search");
  const select = document.getElementById("kind");
  const hint = document.getElementById("kind-hint");
  if (!box || !select) return;
  box.hidden = false;
  const original = hint ? hint.textContent : "";

  function filter() {
    const q = box.value.trim().toLowerCase();
    let shown = 0;
    let first = null;
    for (const group of select.querySelectorAll("optgroup")) {
      const stage = group.label.toLowerCase();
      let any = false;
      for (const option of group.querySelectorAll("option")) {
        const hit = !q || stage.includes(q) || option.textContent.toLowerCase().includes(q);
        option.hidden = !hit;
        option.disabled = !hit;
        if (hit) {
          any = true;
          shown += 1;
          if (!first) first = option;
        }
      }
      group.hidden = !any;
    }
    if (q) {
      select.size = Math.max(2, Math.min(shown + 2, 10));
      if (first && (select.selectedOptions[0] || {}).hidden !== false) first.selected = true;
    } else {
      select.removeAttribute("size");
    }
    if (hint) hint.textContent = q ? (shown ? `找到 ${shown} 种文书` : "没有名称含此字样的文书种类") : original;
  }

  box.addEventListener("input", filter);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (select.value && !select.selectedOptions[0].hidden) select.form.requestSubmit();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      select.focus();
    }
  });
})();
