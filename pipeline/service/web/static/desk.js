// The web desk's only script: served by sancha itself, no framework, nothing fetched elsewhere.
(function () {
  "use strict";

  // Drop-downs marked data-autosubmit apply at once (the 查询 button stays for text and checkboxes).
  function autosubmit() {
    var selects = document.querySelectorAll("select[data-autosubmit]");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (e) { e.target.form.submit(); });
    }
  }

  // 批处理: while a batch runs, follow its progress and reload the page when it ends.
  function followBatch() {
    var box = document.getElementById("batch-status");
    if (!box || box.getAttribute("data-state") !== "running") { return; }
    var url = box.getAttribute("data-status-url");
    var bar = document.getElementById("batch-progress");
    var text = document.getElementById("batch-description");
    function poll() {
      var req = new XMLHttpRequest();
      req.open("GET", url);
      req.onload = function () {
        if (req.status !== 200) { setTimeout(poll, 3000); return; }
        var s = JSON.parse(req.responseText);
        if (s.state !== "running") { window.location.reload(); return; }
        if (text) { text.textContent = s.description; }
        if (bar && s.total) { bar.max = s.total; bar.value = s.completed; }
        setTimeout(poll, 1000);
      };
      req.onerror = function () { setTimeout(poll, 3000); };
      req.send();
    }
    setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    autosubmit();
    followBatch();
  });
})();
