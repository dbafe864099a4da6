// Searchable reference selects (one page of choices at a time) and child-line tables.
(function ($) {
    "use strict";

    function initRefSelect(el) {
        var $el = $(el);
        if ($el.data("select2")) { return; }
        $el.select2({
            theme: "bootstrap",
            allowClear: true,
            placeholder: $el.data("placeholder") || "",
            minimumInputLength: 0,
            width: "100%",
            ajax: {
                url: $el.data("url"),
                dataType: "json",
                delay: 250,
                data: function (params) {
                    var args = {q: params.term || "", page: params.page || 1};
                    var depends = $el.data("depends");  // a cascading reference: its parent
                    if (depends) {
                        var parent = $el.closest("form").find("[name='" + depends + "']").val();
                        if (parent || !$el.data("depends-optional")) { args.parent = parent || ""; }
                    }
                    return args;
                },
                processResults: function (data) { return data; }
            }
        });
    }

    function renumber(html, prefix, index) {
        return html.split(prefix + "-__index__-").join(prefix + "-" + index + "-");
    }

    $(function () {
        $("select.ref-select").each(function () { initRefSelect(this); });
        // a cascading reference's choices are another list once its parent changes: empty it
        $(document).on("change", "select.ref-select", function () {
            if (!this.name) { return; }
            $(this).closest("form").find("select.ref-select[data-depends='" + this.name + "']")
                .val(null).trigger("change");
        });

        $(document).on("click", ".child-lines .child-add", function () {
            var $box = $(this).closest(".child-lines");
            var index = parseInt($box.attr("data-next"), 10) || 0;
            var prefix = $box.data("prefix");
            var html = renumber($box.find("template").html(), prefix, index);
            var $row = $(html);
            $box.find("tbody").first().append($row);
            $box.attr("data-next", index + 1);
            $row.find("select.ref-select").each(function () { initRefSelect(this); });
        });

        $(document).on("click", ".child-lines .child-remove", function () {
            $(this).closest("tr").remove();
        });
    });
})(jQuery);

// Reporting window banner (app/hooks/window_deadline.py): count down to data-deadline, an
// ISO 8601 time with its offset (+08:00); the texts come from the server in the page's language.
(function () {
    "use strict";

    function render(el) {
        var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
        if (isNaN(left)) { return false; }
        if (left <= 0) {
            el.textContent = el.getAttribute("data-ended") || "";
            return false;
        }
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600);
        var m = Math.floor(left % 3600 / 60), s = left % 60;
        var format = el.getAttribute(d ? "data-format-days" : "data-format") || "";
        el.textContent = format.replace("{d}", d).replace("{h}", h).replace("{m}", m)
            .replace("{s}", s);
        return true;
    }

    function tick() {
        var spans = document.querySelectorAll(".window-countdown[data-deadline]");
        var running = false;
        for (var i = 0; i < spans.length; i++) {
            if (render(spans[i])) { running = true; }
            else { spans[i].removeAttribute("data-deadline"); }
        }
        if (running) { window.setTimeout(tick, 1000); }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", tick);
    } else {
        tick();
    }
})();
