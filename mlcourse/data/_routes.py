"""Senders and ``Received:`` headers of the synthetic emails.

Private to :mod:`mlcourse.data.emails`. The mailbox belongs to someone at ``examplecorp.com``.
Its correspondents (organisations, mail providers, mailing lists, shops) form a fixed "world"
drawn once with the vocabulary seed, so a mailbox keeps its correspondents across corpora.
Spam is sent from names drawn fresh for every email: top-level domains from an open set (new
generic words, random two-letter country codes, made-up words), relays and home-computer host
names in many formats. Nothing here is a short list a filter could copy.

A route carries *signs* a person reading it would call unusual: a hop with no reverse DNS
(``unknown [ip]``), a dynamic-looking host name (a home or hotel connection), a host in a rare
top-level domain. Spam shows them more often than ham, but innocent ham has them too: people on
hotel Wi-Fi, small company servers without reverse DNS. Mailing lists and forwarding add hops
and relays unrelated to the sender, without any of those signs.
"""

from __future__ import annotations

import random

from ._mailtext import SYLLABLES

RECIPIENT = "examplecorp.com"
_MX = ["mx1.examplecorp.com", "mx2.examplecorp.com"]
_TLDS = ["com", "org", "net", "edu", "co.uk", "de", "fr", "nl", "it", "es", "ca", "ch", "se"]
_TLD_CUM = [0.40, 0.50, 0.60, 0.66, 0.71, 0.76, 0.80, 0.84, 0.87, 0.90, 0.94, 0.97, 1.0]
#: Top-level domains a person would call ordinary (a feature may know these; spam uses them too).
COMMON_TLDS = frozenset(_TLDS) | {"uk"}
_GTLDS = """top xyz click work biz info loan win bid site online store club fun space live shop
    today life world zone stream download racing date review party trade science faith cricket
    men icu buzz rest monster bar cam vip pro link host press""".split()
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_RELAY = """mx smtp mail relay out mta gw edge outbound smtp-out postfix exch mailhost mx-in
    mailout mo send submit""".split()
_DYN = """dsl adsl dyn dynamic pool ppp cable cpe host client dhcp customer broadband bb res
    user ip c h node""".split()


def _word(r: random.Random) -> str:
    return r.choice(SYLLABLES)


def rare_tld(r: random.Random) -> str:
    """A top-level domain from an open set: a new generic word, a country code, a made-up word."""
    u = r.random()
    if u < 0.4:
        return r.choice(_GTLDS)
    if u < 0.75:
        while True:
            code = r.choice(_LETTERS) + r.choice(_LETTERS)
            if code not in COMMON_TLDS:
                return code
    return _word(r)[:6]


def common_tld(r: random.Random) -> str:
    return r.choices(_TLDS, cum_weights=_TLD_CUM)[0]


def public_ip(r: random.Random, prefix: str | None = None) -> str:
    if prefix:
        return f"{prefix}.{r.randrange(1, 255)}"
    return f"{r.randrange(23, 223)}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def private_ip(r: random.Random) -> str:
    if r.random() < 0.6:
        return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"
    return f"192.168.{r.randrange(256)}.{r.randrange(1, 255)}"


def dynamic_host(r: random.Random, ip: str, network: str) -> str:
    """A host name for a home, mobile or hotel connection, in one of many formats."""
    a, b, c, d = ip.split(".")
    u = r.random()
    pfx = r.choice(_DYN)
    if u < 0.3:
        name = f"{pfx}-{a}-{b}-{c}-{d}"
    elif u < 0.5:
        name = f"{d}-{c}-{b}-{a}.{pfx}"
    elif u < 0.65:
        name = f"{pfx}{a}.{b}.{c}.{d}"
    elif u < 0.85:
        name = f"{int(a):02x}{int(b):02x}{int(c):02x}{int(d):02x}.{pfx}"
    else:
        name = f"{pfx}{r.randrange(1, 999)}-{c}-{d}"
    return f"{name}.{network}"


class World:
    """The mailbox's correspondents and the networks mail comes through (fixed, seeded)."""

    def __init__(self, seed: int = 20240612):
        r = random.Random(seed)
        # Organisations: mostly ordinary TLDs; a few small ones in a country code.
        self.orgs = []
        names = set()
        while len(self.orgs) < 400:
            name = _word(r) + r.choice(["", "", "", "-" + _word(r)[:5], "group", "labs", "co"])
            if name in names:
                continue
            names.add(name)
            # The best-known correspondents are in ordinary domains; a tenth are elsewhere.
            tld = common_tld(r) if len(self.orgs) < 20 or r.random() < 0.9 else rare_tld(r)
            relays = r.sample(_RELAY, 2)
            self.orgs.append(
                {
                    "domain": f"{name}.{tld}",
                    "relays": [
                        f"{p}{r.choice(['', '1', '2', '-' + _word(r)[:4]])}" for p in relays
                    ],
                    "ip": f"{r.randrange(23, 223)}.{r.randrange(256)}.{r.randrange(256)}",
                }
            )
        self.org_cum = _zipf_cum(len(self.orgs), 0.6)
        self.providers = [
            {"domain": f"{_word(r)}mail.{t}", "relays": ["smtp", "mail-out"], "ip": None}
            for t in ("com", "com", "net", "com", "de")
        ]
        self.isps = [f"{_word(r)}.{r.choice(['net', 'com', rare_tld(r)])}" for _ in range(60)]
        self.hotels = [
            f"{_word(r)}-{r.choice(['wifi', 'guest', 'hotspot'])}.com" for _ in range(30)
        ]
        self.hosters = [
            f"{_word(r)}{r.choice(['host', 'srv', 'vps'])}.{rare_tld(r)}" for _ in range(20)
        ]
        self.lists = [f"lists.{o['domain']}" for o in self.orgs[5:40:3]]

    def org(self, r: random.Random) -> dict:
        return r.choices(self.orgs, cum_weights=self.org_cum)[0]

    def provider(self, r: random.Random) -> dict:
        return r.choice(self.providers)


def _zipf_cum(n: int, s: float) -> list[float]:
    w, total = [], 0.0
    for i in range(1, n + 1):
        total += 1.0 / i**s
        w.append(total)
    return [v / total for v in w]


def _hop(helo: str, rdns: str | None, ip: str, by: str, proto: str) -> str:
    seen = "unknown" if rdns is None else rdns
    return f"from {helo} ({seen} [{ip}]) by {by} with {proto}"


def rare(host: str) -> bool:
    """Whether ``host`` is in a top-level domain outside :data:`COMMON_TLDS`."""
    return host.rsplit(".", 1)[-1] not in COMMON_TLDS


def _via_org(r: random.Random, org: dict, first: str | None = None) -> list[str]:
    """Submission to ``org``'s server, then its outbound relay to our MX (oldest first)."""
    dom = org["domain"]
    sub, out = (f"{p}.{dom}" for p in org["relays"])
    hops = []
    if first is None:
        client = f"{r.choice(['laptop', 'pc', 'ws', 'mac'])}-{_word(r)[:5]}.{dom}"
        hops.append(_hop(client, client, private_ip(r), sub, "ESMTPSA"))
    else:
        hops.append(first.format(by=sub))
    if r.random() < 0.6:
        hops.append(_hop(sub, sub, private_ip(r), out, "ESMTP"))
    ip = public_ip(r, org["ip"])
    hops.append(_hop(out, out, ip, r.choice(_MX), "ESMTPS"))
    return hops


def ham_route(r: random.Random, world: World, kind: str, org: dict) -> tuple[list[str], set]:
    """Hops (oldest first) and visible signs of an innocent route of the given ``kind``."""
    signs: set[str] = set()
    if kind == "internal":
        host = f"{r.choice(['laptop', 'pc', 'ws'])}-{_word(r)[:5]}.corp.{RECIPIENT}"
        hops = [_hop(host, host, private_ip(r), f"smtp.{RECIPIENT}", "ESMTPSA")]
    elif kind == "travelling":
        # Hotel Wi-Fi or a phone's connection: a dynamic or unknown address, then the company's
        # own server (authenticated submission).
        ip = public_ip(r)
        u = r.random()
        if u < 0.3:
            rdns, signs = None, {"unknown"}
        else:
            net = r.choice(world.hotels) if u < 0.7 else f"mobile.{r.choice(world.isps)}"
            rdns, signs = dynamic_host(r, ip, net), {"dynamic"}
        hops = _via_org(r, org, _hop(f"[{private_ip(r)}]", rdns, ip, "{by}", "ESMTPSA"))
    elif kind == "small_server":
        # A small company's single server: often no reverse DNS, or a hosting provider's name.
        host = f"{r.choice(['mail', 'smtp', 'server', 'mx'])}.{org['domain']}"
        ip = public_ip(r)
        u = r.random()
        rdns = (
            None if u < 0.3 else dynamic_host(r, ip, r.choice(world.hosters)) if u < 0.65 else host
        )
        signs = {"unknown"} if rdns is None else {"dynamic"} if rdns != host else set()
        hops = [_hop(host, rdns, ip, r.choice(_MX), r.choice(["ESMTP", "SMTP"]))]
    else:
        hops = _via_org(r, org)
        if kind == "list":
            lst = r.choice(world.lists)
            hops[-1] = hops[-1].rsplit(" by ", 1)[0] + f" by {lst} with ESMTPS"
            hops.append(_hop(lst, lst, public_ip(r), r.choice(_MX), "ESMTPS"))
        elif kind == "forwarded":
            # Sent to an old address at another organisation, which forwards it here.
            fwd = world.org(r)["domain"]
            hops[-1] = hops[-1].rsplit(" by ", 1)[0] + f" by mx.{fwd} with ESMTPS"
            hops.append(_hop(f"mx.{fwd}", f"mx.{fwd}", private_ip(r), f"fwd.{fwd}", "ESMTP"))
            hops.append(_hop(f"fwd.{fwd}", f"fwd.{fwd}", public_ip(r), r.choice(_MX), "SMTP"))
    if kind != "internal" and rare(org["domain"]):
        signs.add("rare_tld")
    return hops, signs


def spam_domain(r: random.Random) -> str:
    return f"{_word(r)}{r.choice(['', str(r.randrange(10, 999))])}.{rare_tld(r)}"


def spam_url(r: random.Random, world: World, family: str) -> str:
    """A link in spam: a fresh domain, or for phishing a look-alike of a known organisation."""
    scheme = "https" if r.random() < 0.4 else "http"
    if family == "phishing":
        org = r.choice(world.orgs)["domain"].split(".")[0]
        host = f"{org}-{r.choice(['secure', 'verify', 'login', 'account'])}.{rare_tld(r)}"
        return f"{scheme}://{host}/{r.choice(['login', 'verify', 'session'])}"
    www = "www." if r.random() < 0.3 else ""
    return f"{scheme}://{www}{spam_domain(r)}/{r.choice(SYLLABLES)[:6]}"


def spam_route(
    r: random.Random, world: World, kind: str, domain: str, org: dict | None = None
) -> tuple[list[str], set]:
    """Hops (oldest first) and visible signs of a spam route of ``kind``.

    ``org`` is the mail provider or organisation whose servers carry ``"provider"`` and
    ``"compromised"`` spam (an ordinary-looking route).
    """
    signs: set[str] = set()
    ip = public_ip(r)
    if kind in ("botnet", "relays"):
        # An infected home computer, straight to our MX or through open relays.
        helo = r.choice([f"[{ip}]", domain, _word(r), f"{_word(r)}.{common_tld(r)}"])
        if r.random() < 0.35:
            rdns, signs = None, {"unknown"}
        else:
            rdns, signs = dynamic_host(r, ip, r.choice(world.isps)), {"dynamic"}
            if rare(rdns):
                signs.add("rare_tld")
        hops = []
        by = r.choice(_MX)
        if kind == "relays":
            relays = []
            for _ in range(r.randrange(1, 4)):
                tld = rare_tld(r) if r.random() < 0.5 else common_tld(r)
                relays.append(f"{r.choice(_RELAY)}.{_word(r)}.{tld}")
                if rare(relays[-1]):
                    signs.add("rare_tld")
            hops.append(_hop(helo, rdns, ip, relays[0], r.choice(["SMTP", "ESMTP"])))
            for a, b in zip(relays, relays[1:] + [by]):
                rd = None if r.random() < 0.3 else a
                if rd is None:
                    signs.add("unknown")
                hops.append(_hop(a, rd, public_ip(r), b, r.choice(["SMTP", "ESMTP"])))
        else:
            hops.append(_hop(helo, rdns, ip, by, r.choice(["SMTP", "SMTP", "ESMTP"])))
    elif kind == "own_domain":
        host = f"{r.choice(['mail', 'smtp', 'mx', 'news'])}.{domain}"
        hops = [_hop(host, host, ip, r.choice(_MX), "ESMTP")]
        if rare(domain):
            signs.add("rare_tld")
    else:  # "provider" or "compromised": an ordinary-looking route
        hops = _via_org(r, org)
        if rare(org["domain"]):
            signs.add("rare_tld")
    return hops, signs


def received(hops: list[str]) -> str:
    """The ``Received:`` lines newest first (our own delivery on top), one per line."""
    return "\n".join([f"from localhost by {_MX[0]} with LMTP", *reversed(hops)])
