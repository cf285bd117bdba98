// Resumable upload of original footage: a small tus 1.0 client (creation, checksum).
// Each file is sent in 8 MiB PATCH requests, each with its SHA-256 (Upload-Checksum) when
// the browser offers WebCrypto. After a dropped connection the client asks the server how
// much arrived (HEAD) and goes on from there; the upload's address is kept in localStorage,
// so choosing the same file again after closing the page resumes it too.
(() => {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const CHUNK = 8 * 1024 * 1024;
  const TUS = "1.0.0";
  const csrf = form.dataset.csrf;
  const caseId = form.dataset.case || "";
  const list = document.getElementById("upload-list");
  const card = document.getElementById("upload-list-card");
  const network = document.getElementById("upload-network");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function base64(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  }
  const b64 = (s) => base64(new TextEncoder().encode(s));

  function metadata(file, startInFile) {
    const values = { filename: file.name, filetype: file.type || "" };
    if (startInFile === "none") values.start_in_file = "none"; // the server asks for the time
    if (caseId) values.case = caseId;
    for (const name of ["act", "device", "officer", "recorded_start"]) {
      const input = form.elements[name];
      if (input && input.value && !input.disabled) values[name] = input.value;
    }
    return Object.entries(values)
      .filter(([, v]) => v !== "")
      .map(([k, v]) => `${k} ${b64(v)}`)
      .join(",");
  }

  // Whether the file's own container says when the recording started, read here before a
  // byte is sent: ISO BMFF (MP4, MOV, 3GP, M4A) keeps it in moov/mvhd as seconds since 1904.
  // "found", "none" (read, and nothing plausible there), or "" for what this page does not
  // read (the server probes those on receipt).
  const BMFF = /\.(mp4|mov|m4v|m4a|3gp)$/i;
  const YEAR_2000 = 3029529600; // 2000-01-01 in seconds since 1904-01-01 (mvhd's epoch)

  async function view(file, start, length) {
    return new DataView(await file.slice(start, start + length).arrayBuffer());
  }

  function fourcc(v, at) {
    return String.fromCharCode(v.getUint8(at), v.getUint8(at + 1), v.getUint8(at + 2), v.getUint8(at + 3));
  }

  // The boxes from `from` to `to`: [type, start of its body, its end] of each, in order.
  async function* boxes(file, from, to) {
    for (let at = from; at + 8 <= to; ) {
      const v = await view(file, at, 16);
      let size = v.getUint32(0);
      let header = 8;
      if (size === 1 && v.byteLength >= 16) {
        size = Number(v.getBigUint64(8));
        header = 16;
      } else if (size === 0) {
        size = to - at;
      }
      if (size < header) return;
      yield [fourcc(v, 4), at + header, at + size];
      at += size;
    }
  }

  async function startInFile(file) {
    if (!BMFF.test(file.name)) return "";
    try {
      for await (const [type, body, end] of boxes(file, 0, file.size)) {
        if (type !== "moov") continue;
        for await (const [inner, at] of boxes(file, body, end)) {
          if (inner !== "mvhd") continue;
          const v = await view(file, at, 12);
          const seconds = v.getUint8(0) === 1 ? Number(v.getBigUint64(4)) : v.getUint32(4);
          return seconds >= YEAR_2000 ? "found" : "none";
        }
        return "none";
      }
    } catch (e) {
      return "";
    }
    return "";
  }

  function fingerprint(file) {
    return ["liuhen-upload", caseId, file.name, file.size, file.lastModified].join("|");
  }

  function send(method, url, headers, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", TUS);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
      if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Error("network"));
      xhr.ontimeout = () => reject(new Error("timeout"));
      xhr.onabort = () => reject(new Error("abort"));
      xhr.send(body === undefined ? null : body);
    });
  }

  function message(xhr, fallback) {
    try {
      const data = JSON.parse(xhr.responseText);
      if (data && data.message) return data.message;
    } catch (e) {
      // not JSON
    }
    return `${fallback}（HTTP ${xhr.status}）`;
  }

  async function checksum(blob) {
    if (!window.crypto || !crypto.subtle) return null;
    const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
    return base64(new Uint8Array(digest));
  }

  function mib(n) {
    return (n / 1048576).toFixed(1);
  }

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload-item";
    const name = document.createElement("div");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    const state = document.createElement("div");
    state.className = "upload-state";
    state.setAttribute("role", "status");
    state.textContent = "等待上传";
    li.append(name, bar, state);
    list.append(li);
    return {
      li,
      progress(done) {
        bar.value = done;
        const pct = file.size ? Math.floor((done * 100) / file.size) : 100;
        state.textContent = `已上传 ${mib(done)} / ${mib(file.size)} MB（${pct}%）`;
      },
      say(text, kind) {
        state.textContent = text;
        if (kind) li.className = `upload-item ${kind}`;
      },
      warn(text) {
        const p = document.createElement("p");
        p.className = "upload-warn";
        p.textContent = `注意：${text}`;
        li.append(p);
      },
    };
  }

  // Ask how much arrived; null when the server no longer knows the upload. Retries while
  // the network is down.
  async function offsetOf(url, item) {
    for (let wait = 1000; ; wait = Math.min(wait * 2, 30000)) {
      try {
        const xhr = await send("HEAD", url, {});
        if (xhr.status === 200) return Number(xhr.getResponseHeader("Upload-Offset"));
        if (xhr.status === 404 || xhr.status === 410) return null;
        if (xhr.status === 401) throw new Error("登录已过期，请重新登录后再选择文件续传");
      } catch (e) {
        if (e.message !== "network" && e.message !== "timeout") throw e;
      }
      item.say(`网络中断，${Math.round(wait / 1000)} 秒后重试…`);
      network.textContent = "网络中断，正在等待恢复";
      await sleep(wait);
    }
  }

  async function create(file) {
    const xhr = await send("POST", "/api/uploads", {
      "Upload-Length": String(file.size),
      "Upload-Metadata": metadata(file, await startInFile(file)),
    });
    if (xhr.status !== 201) throw new Error(message(xhr, "服务器拒绝了该文件"));
    const warnings = xhr.getResponseHeader("LiuHen-Warnings");
    return { url: xhr.getResponseHeader("Location"), warnings: warnings ? decodeURIComponent(warnings) : "" };
  }

  async function finished(url, item) {
    const xhr = await send("GET", url, {});
    const data = JSON.parse(xhr.responseText);
    const r = data.result || {};
    for (const w of r.warnings || []) item.warn(w);
    if (r.link_problem) item.warn(r.link_problem);
    if (r.status === "new") {
      item.say(`已存储（原样保存，SHA-256 ${r.sha256.slice(0, 16)}…），音像记录 ${r.record_id}${r.joined ? "（已并入同一录像，形成新版本）" : ""}${r.linked ? "，已关联本案" : ""}`, "new");
    } else if (r.status === "duplicate") {
      item.say(`已存在：${r.reason}`, "duplicate");
    } else {
      item.say(`拒收：${r.reason}`, "rejected");
    }
  }

  async function upload(file) {
    const item = row(file);
    const key = fingerprint(file);
    let url = localStorage.getItem(key);
    let offset = url ? await offsetOf(url, item) : null;
    if (offset === null) {
      const made = await create(file);
      url = made.url;
      if (made.warnings) item.warn(made.warnings);
      localStorage.setItem(key, url);
      offset = 0;
    } else if (offset > 0) {
      item.say(`从上次中断处（${mib(offset)} MB）继续上传`);
    }
    for (;;) {
      const end = Math.min(offset + CHUNK, file.size);
      const chunk = file.slice(offset, end);
      let xhr;
      try {
        const headers = { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" };
        const sum = await checksum(chunk);
        if (sum) headers["Upload-Checksum"] = `sha256 ${sum}`;
        const from = offset;
        item.progress(from);
        xhr = await send("PATCH", url, headers, chunk, (loaded) => item.progress(from + loaded));
      } catch (e) {
        offset = await offsetOf(url, item);
        if (offset === null) throw new Error("服务器上的断点已过期，请重新选择文件上传");
        network.textContent = "";
        continue;
      }
      if (xhr.status === 204) {
        offset = Number(xhr.getResponseHeader("Upload-Offset"));
        item.progress(offset);
        if (xhr.getResponseHeader("LiuHen-Result")) {
          localStorage.removeItem(key);
          await finished(url, item);
          return;
        }
      } else if (xhr.status === 409 || xhr.status === 423 || xhr.status === 460) {
        await sleep(500);
        offset = await offsetOf(url, item);
        if (offset === null) throw new Error("服务器上的断点已过期，请重新选择文件上传");
      } else {
        if (xhr.status === 404 || xhr.status === 410) localStorage.removeItem(key);
        throw new Error(message(xhr, "上传失败"));
      }
    }
  }

  // The start-time field, marked with the server's question (or cleared with null): a file
  // whose start cannot be read is not sent until the time is filled in.
  const START_FIELD = "recorded_start:";
  function startField(text) {
    const field = form.elements.recorded_start;
    const note = document.getElementById("recorded_start-error");
    if (!field || !note) return;
    note.hidden = !text;
    note.textContent = text || "";
    if (!text) {
      field.removeAttribute("aria-invalid");
      return;
    }
    field.setAttribute("aria-invalid", "true");
    field.scrollIntoView({ block: "center" });
    field.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const camera = form.elements.camera; // the device's camera (capture): sent the same way
    const files = [...form.elements.files.files, ...(camera ? camera.files : [])];
    if (!files.length) {
      network.textContent = "请先选择文件";
      return;
    }
    card.hidden = false;
    const button = document.getElementById("upload-start");
    button.disabled = true;
    startField(null);
    for (const file of files) {
      try {
        await upload(file);
      } catch (e) {
        const items = list.querySelectorAll(".upload-item");
        const last = items[items.length - 1];
        const state = last.querySelector(".upload-state");
        const asked = e.message.startsWith(START_FIELD);
        const text = asked ? e.message.slice(START_FIELD.length).trim() : e.message;
        state.textContent = `${asked ? "未发送" : "未完成"}：${text}`;
        last.className = "upload-item failed";
        if (asked) startField(`${file.name}：${text}`);
      }
    }
    button.disabled = false;
    form.elements.files.value = "";
    if (camera) camera.value = "";
  });
})();
