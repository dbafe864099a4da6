// 在线考试 (app/exam/): the countdown of a paper, which hands the paper in by itself when the
// time is up (the server enforces the limit whatever this script does); forms with
// data-confirm ask first. No inline script: CSP.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        var forms = document.querySelectorAll("form[data-confirm]");
        forms.forEach(function (form) {
            form.addEventListener("submit", function (event) {
                if (form.getAttribute("data-auto") === "1") { return; }
                if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
            });
        });
        var clock = document.querySelector(".exam-clock");
        var paper = document.querySelector("form.exam-form");
        if (!clock || !paper) { return; }
        var shown = clock.querySelector(".exam-remaining");
        var end = Date.now() + parseInt(clock.getAttribute("data-remaining"), 10) * 1000;
        function tick() {
            var left = Math.max(0, Math.round((end - Date.now()) / 1000));
            var seconds = left % 60;
            shown.textContent = Math.floor(left / 60) + ":" + (seconds < 10 ? "0" : "") + seconds;
            if (left <= 0) {
                paper.setAttribute("data-auto", "1");
                paper.submit();
                return;
            }
            if (left <= 300) { clock.className = "alert alert-danger exam-clock"; }
            window.setTimeout(tick, 1000);
        }
        tick();
    });
})();
