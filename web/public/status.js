// A file of its own, not inline: the gateway's Content-Security-Policy allows scripts of this origin only.
fetch("/api/plugins").then((r) => r.json()).then((list) => {
  const ul = document.getElementById("status");
  ul.replaceChildren(...list.map((p) => {
    const li = document.createElement("li");
    li.textContent = `${p.title["zh-CN"]} ${p.title.en} · ${p.name} ${p.version} · ${p.nodes.length ? "运行中 running" : "未运行 not running"}`;
    return li;
  }));
}).catch(() => { document.getElementById("status").textContent = "无法读取插件列表 / cannot read the plugin list"; });
