"""Browser names as 在线用户 and 登录日志 show them (app/security/agents.py)."""

from __future__ import annotations

import pytest

from app.security.agents import browser


@pytest.mark.parametrize(("agent", "label"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/120.0.0.0 Safari/537.36", "Chrome 120 / Windows 10"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.1 Safari/605.1.15", "Safari 17 / macOS 10"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
     "Firefox 121 / Windows 10"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.0 Mobile/15E148 Safari/604.1 MicroMessenger/8.0.40",
     "WeChat Browser 8 / iOS 17"),
    ("python-requests/2.31.0", "Python Requests 2"),
    ("=cmd|' /C calc'!A0", ""),
    ("", ""),
    (None, ""),
])
def test_browser_labels(agent: str | None, label: str) -> None:
    assert browser(agent) == label
