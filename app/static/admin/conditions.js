// Conditional fields and cascading references, live in the add/edit form and in each line of
// its child-line editors (the line entity's own rules, conf.lines). The rules come
// from the server (generator/builders/conditions.py: #field-conditions) as small expression
// trees evaluated here with the semantics of generator/expr.py; the server applies the same
// rules on every save (app/row_rules.py), so this only shows early what it will say.
(function ($) {
    "use strict";

    var box = document.getElementById("field-conditions");
    if (!box) { return; }
    var conf = JSON.parse(box.textContent);

    // A scope is the main form or one line of a child-line editor: where its fields' controls
    // are, and which cell shows or hides each of them.
    function mainScope() {
        return {conf: conf, $root: $(document),
                control: function (name) { return $("#" + name); },
                cell: function ($c) { return $c.closest("tr"); }};
    }

    function lineScope(lineConf, prefix, $tr) {
        var named = $tr.find("[name^='" + prefix + "-']").first().attr("name") || "";
        var index = named.slice(prefix.length + 1).split("-")[0];
        return {conf: lineConf, $root: $tr, line: true,
                control: function (name) {
                    return $tr.find("[name='" + prefix + "-" + index + "-" + name + "']");
                },
                cell: function ($c) { return $c.closest("td"); }};
    }

    function read(scope, name) {
        var $c = scope.control(name), kind = scope.conf.values[name];
        if (!$c.length) { return null; }
        if (kind === "bool") { return $c.is(":checked"); }
        var v = $c.val();
        if (v === null || v === undefined || String(v).trim() === "") { return null; }
        if (kind === "number" || kind === "id") {
            var n = Number(String(v).trim());
            return isNaN(n) ? String(v) : n;
        }
        return String(v);
    }

    function snapshot(scope) {
        var values = {};
        Object.keys(scope.conf.values).forEach(function (name) { values[name] = read(scope, name); });
        return values;
    }

    function num(op, a, b) {
        if (a === null || b === null) { return null; }
        if (typeof a !== "number" || typeof b !== "number") { return null; }
        switch (op) {
        case "+": return a + b;
        case "-": return a - b;
        case "*": return a * b;
        case "/": return b === 0 ? null : a / b;
        case "//": return b === 0 ? null : Math.floor(a / b);
        case "%": return b === 0 ? null : ((a % b) + b) % b;
        }
        return null;
    }

    function compare(op, a, b) {
        if (op === "is") { return a === null; }
        if (op === "isnot") { return a !== null; }
        if (a === null || b === null) { return null; }
        switch (op) {
        case "==": return a === b;
        case "!=": return a !== b;
        case "<": return a < b;
        case "<=": return a <= b;
        case ">": return a > b;
        case ">=": return a >= b;
        }
        return null;
    }

    function truthy(v) { return !(v === null || v === false || v === 0 || v === ""); }

    var FUNCS = {
        abs: function (x) { return x === null ? null : Math.abs(x); },
        coalesce: function () {
            for (var i = 0; i < arguments.length; i++) {
                if (arguments[i] !== null) { return arguments[i]; }
            }
            return null;
        },
        len: function (x) { return x === null ? null : String(x).length; },
        concat: function () {
            return Array.prototype.map.call(arguments, function (a) {
                return a === null ? "" : String(a);
            }).join("");
        },
        round: function (x, n) {
            if (x === null) { return null; }
            var f = Math.pow(10, n || 0);
            return Math.sign(x) * Math.round(Math.abs(x) * f) / f;
        },
        min: function () {
            var p = Array.prototype.filter.call(arguments, function (a) { return a !== null; });
            return p.length ? Math.min.apply(null, p) : null;
        },
        max: function () {
            var p = Array.prototype.filter.call(arguments, function (a) { return a !== null; });
            return p.length ? Math.max.apply(null, p) : null;
        }
    };

    function evaluate(t, env) {
        var i, v;
        switch (t[0]) {
        case "const": return t[1] === undefined ? null : t[1];
        case "name": return env[t[1]] === undefined ? null : env[t[1]];
        case "not": v = evaluate(t[1], env); return v === null ? null : !truthy(v);
        case "neg": v = evaluate(t[1], env); return typeof v === "number" ? -v : null;
        case "bin": return num(t[1], evaluate(t[2], env), evaluate(t[3], env));
        case "and":
            for (i = 0; i < t[1].length; i++) {
                v = evaluate(t[1][i], env);
                if (!truthy(v)) { return v; }
            }
            return v;
        case "or":
            for (i = 0; i < t[1].length; i++) {
                v = evaluate(t[1][i], env);
                if (truthy(v)) { return v; }
            }
            return v;
        case "cmp":
            var left = evaluate(t[2], env), unknown = false;
            for (i = 0; i < t[1].length; i++) {
                var right = evaluate(t[3][i], env), r = compare(t[1][i], left, right);
                if (r === false) { return false; }
                unknown = unknown || r === null;
                left = right;
            }
            return unknown ? null : true;
        case "if": return truthy(evaluate(t[1], env)) ? evaluate(t[2], env) : evaluate(t[3], env);
        case "call":
            var f = FUNCS[t[1]];
            return f ? f.apply(null, t[2].map(function (a) { return evaluate(a, env); })) : null;
        }
        return null;
    }

    var main = mainScope();
    var initial = snapshot(main);  // readonly_if holds on the row as stored, too

    function applyScope(scope, stored) {
        var env = snapshot(scope);
        Object.keys(scope.conf.rules).forEach(function (name) {
            var rule = scope.conf.rules[name], $c = scope.control(name);
            if (!$c.length) { return; }
            var $cell = scope.cell($c);
            var shown = !rule.visible_if || truthy(evaluate(rule.visible_if, env));
            if (scope.line) {  // a line keeps its columns: the cell is emptied, not removed
                $cell.children().toggle(shown);
            } else {
                $cell.toggle(shown);
            }
            $cell.toggleClass("cond-hidden", !shown);
            if (rule.required_if) {
                $cell.toggleClass("cond-required", shown && truthy(evaluate(rule.required_if, env)));
            }
            if (rule.readonly_if) {
                var locked = truthy(evaluate(rule.readonly_if, stored)) ||
                    truthy(evaluate(rule.readonly_if, env));
                $c.prop("disabled", locked).toggleClass("cond-readonly", locked);
            }
        });
    }

    // each line of a child-line editor with its own rules (conf.lines: child field -> rules),
    // its stored values read once, when the line is first seen
    function lines(each) {
        Object.keys(conf.lines || {}).forEach(function (prefix) {
            $(".child-lines[data-prefix='" + prefix + "'] > table > tbody > tr").each(function () {
                each(lineScope(conf.lines[prefix], prefix, $(this)), $(this));
            });
        });
    }

    function apply() {
        applyScope(main, initial);
        lines(function (scope, $tr) {
            if (!$tr.data("cond-stored")) { $tr.data("cond-stored", snapshot(scope)); }
            applyScope(scope, $tr.data("cond-stored"));
        });
    }

    // a cascading enum (choices_by): only the values listed for the other field's value
    function narrow(scope, name) {
        var rule = scope.conf.options[name], $c = scope.control(name);
        if (!$c.length) { return; }
        if (!$c.data("cond-options")) { $c.data("cond-options", $c.find("option").clone()); }
        var parent = read(scope, rule.field), allowed = null;
        rule.map.forEach(function (pair) { if (pair[0] === parent) { allowed = pair[1]; } });
        var current = $c.val();
        $c.empty().append($c.data("cond-options").clone().filter(function () {
            return !this.value || allowed === null || allowed.indexOf(this.value) >= 0;
        }));
        var kept = current && (allowed === null || allowed.indexOf(current) >= 0);
        $c.val(kept ? current : "");
        if (!kept && current) { $c.trigger("change"); }
    }

    function narrowAll(scope) {
        Object.keys(scope.conf.options).forEach(function (child) { narrow(scope, child); });
    }

    $(function () {
        Object.keys(conf.options).forEach(function (child) {
            narrow(main, child);
            main.control(conf.options[child].field).on("change", function () {
                narrow(main, child);
            });
        });
        lines(narrowAll);
        var $form = $("#field-conditions").closest(".panel, .box, body").find("form").first();
        $(document).on("change input", "input, select, textarea", function () {
            var $tr = $(this).closest(".child-lines > table > tbody > tr");
            if ($tr.length) {  // a line's cascading enums follow that line's fields
                lines(function (scope, $line) { if ($line.is($tr)) { narrowAll(scope); } });
            }
            apply();
        });
        // a line just added (admin.js) follows its rules at once
        $(document).on("click", ".child-lines .child-add", function () {
            setTimeout(function () { lines(narrowAll); apply(); }, 0);
        });
        // what the person could not change is still sent, as it was (the server checks it)
        $form.on("submit", function () { $form.find(".cond-readonly").prop("disabled", false); });
        apply();
    });
})(jQuery);
