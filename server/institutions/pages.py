"""`/q/<token>`: what a counter QR code opens outside the mini-program (a phone camera, a browser).

Never an error page: the person is told in simple Chinese how to go on. WeChat's domain
verification files for "扫普通链接二维码打开小程序" are served under the same path.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, current_app, render_template_string

from server.errors import ApiError

bp = Blueprint("counter_pages", __name__)

_VERIFY_NAME = re.compile(r"^[A-Za-z0-9_-]{10,40}$")

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>跨省异地就医备案</title>
<style>body{font-family:sans-serif;margin:0;padding:24px;line-height:1.7;color:#222;font-size:18px}
h1{font-size:22px;color:#0a5035}ol{padding-left:22px}.note{color:#444;font-size:18px}
a.go{display:block;text-align:center;padding:12px;min-height:48px;border-radius:8px;background:#0a5035;color:#fff;
font-weight:700;text-decoration:none}</style>
</head><body>
{% if institution %}<h1>{{ institution }}{% if counter %} · {{ counter }}{% endif %}</h1>
<p>您扫描的是跨省异地就医备案二维码。</p>{% else %}<h1>跨省异地就医备案</h1>
<p>这个二维码已无法使用，请向窗口工作人员索取新的二维码。</p>{% endif %}
{% if url_link %}<p><a class="go" href="{{ url_link }}">打开微信小程序办理</a></p>{% endif %}
{% if h5_url %}<p><a class="go" href="{{ h5_url }}">在这个网页上办理（演示）</a></p>{% endif %}
<p>{% if url_link or h5_url %}也可以{% else %}请{% endif %}按下面的方法继续办理：</p>
<ol><li>打开<strong>微信</strong>，点右上角“+”，选“扫一扫”，再扫一次这个二维码；</li>
<li>或者在微信里搜索小程序“<strong>{{ miniprogram }}</strong>”，进入后选“异地就医备案申请”。</li></ol>
<p class="note">备案后，就医地所有联网定点医疗机构都可以直接结算，不限于这家医院。</p>
</body></html>"""


def _verify_files() -> dict[str, str]:
    out = {}
    for item in (current_app.config.get("WECHAT_VERIFY_FILES") or "").split(";"):
        name, sep, content = item.partition("=")
        if sep and name.strip():
            out[name.strip().removesuffix(".txt")] = content.strip()
    return out


@bp.get("/q/<name>.txt")
def verify_file(name):
    content = _verify_files().get(name) if _VERIFY_NAME.fullmatch(name) else None
    if content is None:
        abort(404)
    return Response(content, mimetype="text/plain")


@bp.get("/q/<token>")
def landing(token):
    from server.institutions.service import MINIPROGRAM_NAME, resolve_entry, url_link

    link = h5_url = None
    try:
        info = resolve_entry(token)
        institution, counter, status = info.institution.name, info.counter_code.counter_name, 200
    except ApiError:
        institution, counter, status = None, None, 404
    if status == 200:
        # The mini-program through a WeChat URL Link; where the development login exists (the
        # embedded default, demos) also the phone web client, with this hospital's place chosen.
        link = url_link(token)
        if current_app.config.get("DEV_LOGIN_ENABLED"):
            h5_url = f"/h5/#/entry/{token}"
    html = render_template_string(_PAGE, institution=institution, counter=counter, miniprogram=MINIPROGRAM_NAME,
                                  url_link=link, h5_url=h5_url)
    resp = Response(html, status=status, mimetype="text/html")
    resp.headers["Cache-Control"] = "no-store"
    return resp
