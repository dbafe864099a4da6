// Row buttons and the actions above a list (admin/row_actions.html, admin/list_widget.html):
// a transition's button opens one dialog (asking for the reason where the transition needs
// one) that posts to the transition's address; the batch buttons post FAB's action form
// for the ticked rows; forms with data-confirm ask first. No inline script: CSP.
(function ($) {
    "use strict";
    if (window.rowActionsReady) { return; }
    window.rowActionsReady = true;

    $(function () {
        var $modal = $("#row-transition-modal");

        $(document).on("click", "button.row-transition", function () {
            var $button = $(this);
            var needsReason = String($button.attr("data-reason")) === "1";
            $modal.find("form").attr("action", $button.attr("data-url"));
            $modal.find(".modal-title").text($button.attr("data-label") || "");
            $modal.find(".row-transition-question").text($button.attr("data-confirm") || "");
            $modal.find(".row-transition-reason").toggle(needsReason);
            $modal.find("textarea[name=reason]").prop("required", needsReason).val("");
            $modal.modal("show");
        });

        $modal.on("shown.bs.modal", function () {
            var $reason = $modal.find("textarea[name=reason]:visible");
            if ($reason.length) { $reason.trigger("focus"); }
        });

        $modal.find("form").on("submit", function () {
            $modal.find("button.row-transition-ok").prop("disabled", true);  // one post only
        });

        // the batch transitions and 保存 of the rows ticked (FAB's action form)
        $(document).on("click", "button.batch-action", function () {
            var $button = $(this);
            if (!$("input.action_check:checked").length) {
                window.alert($button.attr("data-none") || "");
                return false;
            }
            return window.modelActions.execute_multiple($button.attr("data-action"),
                                                        $button.attr("data-confirm") || false);
        });

        // 列表填报: typing into a row ticks it; the list's own query (page, filters) goes
        // along with the action so a refused save shows the same rows again
        $(document).on("input change", "[data-list-edit]", function () {
            $(this).closest("tr").find("input.action_check").prop("checked", true)
                .trigger("change");
        });
        var $actionForm = $("#action_form");
        if ($("[data-list-edit]").length && $actionForm.length && window.location.search
                && $actionForm.attr("action").indexOf("?") < 0) {
            $actionForm.attr("action", $actionForm.attr("action") + window.location.search);
        }

        $(document).on("submit", "form[data-confirm]", function () {
            return window.confirm($(this).attr("data-confirm"));
        });

        $("[data-toggle=tooltip]").tooltip({container: "body"});
    });
})(jQuery);
