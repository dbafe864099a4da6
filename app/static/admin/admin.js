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
                data: function (params) { return {q: params.term || "", page: params.page || 1}; },
                processResults: function (data) { return data; }
            }
        });
    }

    function renumber(html, prefix, index) {
        return html.split(prefix + "-__index__-").join(prefix + "-" + index + "-");
    }

    $(function () {
        $("select.ref-select").each(function () { initRefSelect(this); });

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
