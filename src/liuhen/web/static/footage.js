// 审查录像遮盖: show each cover only while the video is within its time range, and let a
// timeline bar seek its video to the mark's start (the link still scrolls to the mark).
(function () {
  document.querySelectorAll("section.footage").forEach(function (section) {
    var video = section.querySelector("video");
    var boxes = section.querySelectorAll(".cover-box");
    if (!video) return;
    function show() {
      var t = video.currentTime;
      boxes.forEach(function (box) {
        var on = t >= parseFloat(box.getAttribute("data-start")) && t < parseFloat(box.getAttribute("data-end"));
        box.classList.toggle("hidden", !on);
      });
    }
    video.addEventListener("timeupdate", show);
    video.addEventListener("seeked", show);
    section.querySelectorAll(".timeline a[data-seek]").forEach(function (bar) {
      bar.addEventListener("click", function () {
        video.currentTime = parseFloat(bar.getAttribute("data-seek")) || 0;
      });
    });
  });
})();
