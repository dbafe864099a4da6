/*
 * Simplified Chinese defaults for the JavaScript widgets of Flask-AppBuilder 5.3.
 *
 * Loaded by app/templates/appbuilder/init.html only when the UI locale starts with "zh",
 * after jQuery, bootstrap-datepicker 1.10.0, select2 4.0.13, their zh-CN locale files
 * (bootstrap-datepicker.zh-CN.js, select2.zh-CN.js) and FAB's ab.js. FAB creates its
 * widgets on DOM ready (ab.js) or on user action (ab_filters.js), that is after this file
 * has run, so the defaults set here apply to every widget on the page.
 */
(function ($) {
    'use strict';
    if (!$ || !$.fn) {
        return;
    }
    var hasOwn = Object.prototype.hasOwnProperty;

    // bootstrap-datepicker: FAB's date widgets (.appbuilder_date, .appbuilder_datetime and
    // data-provide="datepicker") only pass `format`, so the language comes from the defaults.
    if ($.fn.datepicker && $.fn.datepicker.dates && $.fn.datepicker.dates['zh-CN']) {
        $.fn.datepicker.defaults.language = 'zh-CN';
        $.fn.datepicker.defaults.weekStart = 1;
        $.fn.datepicker.defaults.todayHighlight = true;
    }

    // ab_filters.js calls $.fn.datetimepicker (a plugin FAB 5 no longer ships) when a date
    // filter row is added; route it to the datepicker so it neither throws nor stays English.
    if ($.fn.datepicker && !$.fn.datetimepicker) {
        $.fn.datetimepicker = function (options) {
            var opts = $.extend({format: 'yyyy-mm-dd'}, options);
            delete opts.pickTime;
            return this.datepicker(opts);
        };
    }

    // select2: messages ("未找到结果", "搜索中…") from the zh-CN module, and FAB's hard-coded
    // English placeholders ("Select a State", "Select" in ab.js / ab_filters.js) in Chinese.
    if ($.fn.select2) {
        if ($.fn.select2.defaults && typeof $.fn.select2.defaults.set === 'function') {
            $.fn.select2.defaults.set('language', 'zh-CN');
        }
        var placeholders = {'Select a State': '请选择', 'Select': '请选择'};
        var originalSelect2 = $.fn.select2;
        var select2 = function (options) {
            var args = Array.prototype.slice.call(arguments);
            if (options && typeof options === 'object' && typeof options.placeholder === 'string' &&
                    hasOwn.call(placeholders, options.placeholder)) {
                args[0] = $.extend({}, options, {placeholder: placeholders[options.placeholder]});
            }
            return originalSelect2.apply(this, args);
        };
        for (var key in originalSelect2) {
            if (hasOwn.call(originalSelect2, key)) {
                select2[key] = originalSelect2[key];  // defaults, amd
            }
        }
        $.fn.select2 = select2;
    }

    // ab_actions.js alerts in English when an action runs without a selected row.
    var alerts = {'No row selected': '请先选择记录'};
    if (typeof window.ab_alert === 'function') {
        var originalAlert = window.ab_alert;
        window.ab_alert = function (text) {
            return originalAlert.call(this, hasOwn.call(alerts, text) ? alerts[text] : text);
        };
    }
})(window.jQuery);
