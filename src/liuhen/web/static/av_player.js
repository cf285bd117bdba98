// The AV player: one media element per record plays its segments through the range route,
// one after another; a click on a segment, gap mark or statement mark seeks there. The
// playhead moves with SVG attributes only (the CSP forbids inline styles).
(() => {
  const fmt = (s) => {
    const t = Math.max(0, Math.round(s));
    const h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), sec = t % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  };

  function setup(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    const media = box.querySelector(".av-media");
    if (!media) return;
    const record = box.dataset.record;
    const positions = box.dataset.positions.split(",").map(Number);
    const offsets = box.dataset.offsets.split(",").map(Number);
    const total = Number(box.dataset.total) || 1;
    const head = box.querySelector(".av-playhead");
    const segLabel = box.querySelector(".av-now-seg");
    const atLabel = box.querySelector(".av-now-at");
    let current = Number(box.dataset.first);

    const offsetOf = (pos) => offsets[positions.indexOf(pos)] || 0;
    const highlight = () => {
      box.querySelectorAll(".av-seg").forEach((r) =>
        r.classList.toggle("playing", Number(r.dataset.position) === current));
      if (segLabel) segLabel.textContent = String(positions.indexOf(current) + 1);
    };

    // What was played of the current file goes on the ledger when the player pauses, ends,
    // changes file or the page is left (nothing is fetched, and nothing logged, before play).
    const report = () => {
      const played = media.played;
      if (!played || !played.length || !box.dataset.csrf) return;
      const ranges = [];
      for (let i = 0; i < played.length; i++) ranges.push([played.start(i), played.end(i)]);
      if (!ranges.some(([a, b]) => b > a)) return;
      const body = new FormData();
      body.append("csrf", box.dataset.csrf);
      body.append("ranges", JSON.stringify(ranges));
      navigator.sendBeacon(`/records/${record}/files/${current}/watched`, body);
    };
    let reported = -1;
    const reportOnce = () => {
      const key = media.played.length ? media.played.end(media.played.length - 1) : 0;
      if (key === reported) return;
      reported = key;
      report();
    };
    media.addEventListener("pause", reportOnce);
    window.addEventListener("pagehide", reportOnce);

    function seek(pos, seconds, play) {
      const go = () => {
        media.currentTime = seconds;
        if (play) media.play().catch(() => {});
      };
      if (pos !== current) {
        reportOnce();
        reported = -1;
        current = pos;
        media.src = `/records/${record}/files/${pos}`;
        media.addEventListener("loadedmetadata", go, { once: true });
        media.load();
      } else if (media.readyState >= 1) {
        go();
      } else {
        media.addEventListener("loadedmetadata", go, { once: true });
      }
      highlight();
    }

    box.addEventListener("click", (event) => {
      const target = event.target.closest("[data-seek]");
      if (!target || !box.contains(target)) return;
      event.preventDefault();
      seek(Number(target.dataset.position), Number(target.dataset.seek), true);
    });
    media.addEventListener("ended", () => {
      const next = positions.indexOf(current) + 1;
      if (next > 0 && next < positions.length) seek(positions[next], 0, true);
    });
    media.addEventListener("timeupdate", () => {
      const at = offsetOf(current) + media.currentTime;
      if (head) head.setAttribute("x", String(Math.min(998, (at / total) * 1000)));
      if (atLabel) atLabel.textContent = fmt(at);
    });
    highlight();
  }

  const start = () => document.querySelectorAll(".av-player").forEach(setup);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
