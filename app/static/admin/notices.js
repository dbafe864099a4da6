// 通知公告: the body's small rich text editor (bold, italic, underline, headings, lists,
// links) over the form's textarea, which it fills on submit; without script the textarea
// takes HTML as it is. The server cleans whatever arrives (nh3). Forms with data-confirm ask
// first. No inline script: CSP.
(function () {
    "use strict";
    document.addEventListener("DOMContentLoaded", function () {
        document.querySelectorAll("form[data-confirm]").forEach(function (form) {
            form.addEventListener("submit", function (event) {
                if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
            });
        });
        var area = document.querySelector("textarea.notice-body-source");
        if (!area) { return; }
        var box = document.createElement("div");
        box.className = "form-control notice-editor";
        box.contentEditable = "true";
        box.setAttribute("role", "textbox");
        box.setAttribute("aria-multiline", "true");
        box.style.height = "auto";
        box.style.minHeight = "18em";
        box.style.overflow = "auto";
        box.innerHTML = area.value;
        var bar = document.createElement("div");
        bar.className = "btn-toolbar notice-toolbar";
        bar.style.marginBottom = "4px";
        var group = document.createElement("div");
        group.className = "btn-group btn-group-sm";
        bar.appendChild(group);
        var tools = JSON.parse(area.getAttribute("data-tools") || "[]");
        tools.forEach(function (tool) {
            var button = document.createElement("button");
            button.type = "button";
            button.className = "btn btn-default notice-tool-" + tool.command;
            button.title = tool.label;
            button.innerHTML = '<i class="fa ' + tool.icon + '"></i>';
            button.addEventListener("click", function () {
                box.focus();
                if (tool.command === "createLink") {
                    var address = window.prompt(tool.label, "https://");
                    if (address) { document.execCommand("createLink", false, address); }
                } else if (tool.command === "formatBlock") {
                    document.execCommand("formatBlock", false, tool.value);
                } else {
                    document.execCommand(tool.command, false, null);
                }
            });
            group.appendChild(button);
        });
        area.style.display = "none";
        area.parentNode.insertBefore(bar, area);
        area.parentNode.insertBefore(box, area);
        area.form.addEventListener("submit", function () { area.value = box.innerHTML; });
    });
})();
