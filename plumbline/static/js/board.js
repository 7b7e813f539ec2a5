// Deal board: drag a card to another stage column. The move is POSTed (with the CSRF token) and the server
// answers with the redrawn board, so counts and totals always come from the database. Lost asks for a reason.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function askLostReason() {
    var dialog = document.getElementById("lost-dialog");
    var form = document.getElementById("lost-form");
    var input = document.getElementById("lost-reason");
    var error = document.getElementById("lost-error");
    return new Promise(function (resolve) {
      input.value = "";
      error.hidden = true;
      function finish(value) {
        form.removeEventListener("submit", onSubmit);
        document.getElementById("lost-cancel").removeEventListener("click", onCancel);
        dialog.removeEventListener("cancel", onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      }
      function onSubmit(ev) {
        ev.preventDefault();
        if (!input.value.trim()) { error.hidden = false; input.focus(); return; }
        finish(input.value.trim());
      }
      function onCancel(ev) { ev.preventDefault(); finish(null); }
      form.addEventListener("submit", onSubmit);
      document.getElementById("lost-cancel").addEventListener("click", onCancel);
      dialog.addEventListener("cancel", onCancel);
      dialog.showModal();
      input.focus();
    });
  }

  function move(card, column, reason) {
    var board = document.getElementById("board");
    var body = new URLSearchParams({ stage: column.dataset.stageId, reason: reason || "", from: "board" });
    board.classList.add("busy");
    return fetch(card.dataset.moveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
    }).then(function (resp) {
      return resp.text().then(function (html) {
        if ((resp.headers.get("Content-Type") || "").indexOf("text/html") === 0 && html.indexOf('id="board"') !== -1) {
          board.outerHTML = html;
        } else {
          board.classList.remove("busy");
          window.alert("The deal could not be moved (" + resp.status + ").");
        }
      });
    }).catch(function () {
      board.classList.remove("busy");
      window.alert("The deal could not be moved: the server did not answer.");
    });
  }

  var dragged = null;

  document.addEventListener("dragstart", function (ev) {
    var card = ev.target.closest && ev.target.closest(".deal-card.movable");
    if (!card) return;
    dragged = card;
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", card.dataset.dealId);
    card.classList.add("dragging");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".stage-col.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    dragged = null;
  });

  document.addEventListener("dragover", function (ev) {
    var column = ev.target.closest && ev.target.closest(".stage-col");
    if (!column || !dragged) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".stage-col.drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", function (ev) {
    var column = ev.target.closest && ev.target.closest(".stage-col");
    if (!column || !dragged) return;
    ev.preventDefault();
    var card = dragged;
    column.classList.remove("drop-target");
    if (column.dataset.stageId === card.dataset.stageId) return;
    if (column.dataset.stageKind === "lost") {
      askLostReason().then(function (reason) { if (reason) move(card, column, reason); });
    } else {
      move(card, column, "");
    }
  });
})();
