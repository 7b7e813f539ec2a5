// Live SLA countdown: the server renders the due time; this only refreshes the words every 30 s.
(function () {
  function tick() {
    document.querySelectorAll(".sla-countdown").forEach(function (el) {
      var left = (new Date(el.dataset.due) - new Date()) / 1000;
      if (left <= 0) { el.textContent = "Breached"; el.className = "badge danger"; return; }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
      el.textContent = (h ? h + " h " : "") + m + " min left";
    });
  }
  tick(); setInterval(tick, 30000);
})();
