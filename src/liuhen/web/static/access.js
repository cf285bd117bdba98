// 查阅/复制申请: a button with data-copy="#id" copies that input's value (the hand-over link).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const input = document.querySelector(button.getAttribute("data-copy"));
  if (!input) return;
  input.select();
  const done = () => { button.textContent = "已复制"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
});
