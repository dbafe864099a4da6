// The sidebar (templates/admin/base.html): groups open and close, the whole menu collapses to
// its icons on wide screens, both remembered in localStorage; below 992px the menu is an
// overlay opened by the top bar's button and closed by a tap beside it. Loaded right after
// the sidebar's markup, so the remembered state applies before the page is drawn.
(function () {
    "use strict";

    var GROUPS = "admin.sidebar.groups", MINI = "admin.sidebar.mini";
    var root = document.documentElement;
    var sidebar = document.getElementById("admin-sidebar");
    if (!sidebar) { return; }

    function read(key) {
        try { return window.localStorage.getItem(key); } catch (e) { return null; }
    }

    function write(key, value) {
        try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
    }

    function remembered() {
        try { return JSON.parse(read(GROUPS) || "{}") || {}; } catch (e) { return {}; }
    }

    function narrow() {
        return window.matchMedia("(max-width: 991px)").matches;
    }

    function setOpen(group, open) {
        group.classList.toggle("open", open);
        var title = group.querySelector(".admin-menu-title");
        if (title) { title.setAttribute("aria-expanded", open ? "true" : "false"); }
    }

    // What the person chose last time; the current page's group stays open.
    var state = remembered();
    var groups = sidebar.querySelectorAll(".admin-menu-group");
    for (var i = 0; i < groups.length; i++) {
        var key = groups[i].getAttribute("data-group");
        if (Object.prototype.hasOwnProperty.call(state, key) &&
                !groups[i].classList.contains("current")) {
            setOpen(groups[i], !!state[key]);
        }
    }
    root.classList.toggle("admin-mini", read(MINI) === "1");
    // A long menu scrolls on its own: the current page's entry is in sight.
    var active = sidebar.querySelector(".admin-submenu li.active");
    if (active && active.scrollIntoView) { active.scrollIntoView({block: "nearest"}); }

    function setMini(mini) {
        root.classList.toggle("admin-mini", mini);
        write(MINI, mini ? "1" : "0");
    }

    sidebar.addEventListener("click", function (event) {
        var title = event.target.closest(".admin-menu-title");
        if (title) {
            event.preventDefault();
            var group = title.parentNode;
            if (root.classList.contains("admin-mini") && !narrow()) {
                setMini(false);  // a group's icon opens the menu at that group
                setOpen(group, true);
            } else {
                setOpen(group, !group.classList.contains("open"));
            }
            var now = remembered();
            now[group.getAttribute("data-group")] = group.classList.contains("open");
            write(GROUPS, JSON.stringify(now));
            return;
        }
        if (event.target.closest(".admin-sidebar-mini")) {
            setMini(!root.classList.contains("admin-mini"));
        }
    });

    function setOverlay(open) {
        root.classList.toggle("admin-sidebar-open", open);
    }

    document.addEventListener("click", function (event) {
        if (event.target.closest(".admin-sidebar-toggle")) {
            if (narrow()) {
                setOverlay(!root.classList.contains("admin-sidebar-open"));
            } else {
                setMini(!root.classList.contains("admin-mini"));
            }
        } else if (event.target.closest(".admin-backdrop")) {
            setOverlay(false);
        }
    });

    document.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { setOverlay(false); }
    });
})();
