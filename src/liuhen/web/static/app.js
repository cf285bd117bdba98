// Progressive enhancement only: every form works without this file.
// A <select data-autosubmit> (送达方式, 审批类型 …) reloads its form when changed.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});

// An element with data-refresh-seconds (a background check still running) reloads the page.
const refresh = document.querySelector("[data-refresh-seconds]");
if (refresh) {
  const seconds = Number(refresh.getAttribute("data-refresh-seconds")) || 5;
  setTimeout(() => window.location.reload(), seconds * 1000);
}
