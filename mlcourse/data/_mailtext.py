"""The words of the synthetic emails: vocabulary, sentence templates per family, misspellings.

Private to :mod:`mlcourse.data.emails` (and :mod:`mlcourse.data.adversary`). A body is a few
sentences from its family's templates, with slots filled from the family's topic words, rare
words and names, mixed with "filler" sentences drawn from one Zipf law over common words, topic
words and a long tail of rare words. Templates are shared across families on purpose (a phishing
mail and a password reset both say "account" and "security"; a scam reads like a work email).
"""

from __future__ import annotations

import random

import numpy as np

# The vocabulary is fixed (its own seed), so every corpus shares it whatever ``random_state``.
_VOCAB_SEED = 20240611

COMMON = """the to and of a in you for is on that this it with your be at are we have from as
will can not our or if all by an please me my so but about would just more one any up do
what there get let when they like out time new know also been here some now was which see
us has had then them these next thank thanks need other only make want back going well
good week still today very way much could should day take over after before look help
really sure into because soon two three first last around same each while most both
""".split()

TOPICS = {
    "work": """meeting project report deadline schedule agenda team review budget quarter
        client proposal slides draft notes minutes call conference office manager update
        status plan release milestone document spreadsheet presentation feedback approve
        sign contract invoice vendor colleague workshop training hiring interview""",
    "personal": """dinner weekend family photos birthday party trip holiday kids mom dad
        sister brother friends lunch coffee movie game beach garden house dog cat wedding
        visit flight hotel pictures music concert recipe cake yesterday tonight tomorrow""",
    "newsletter": """newsletter issue article readers community news edition subscribe
        unsubscribe events stories featured podcast blog research tips guide webinar
        highlights digest monthly weekly announcement members survey upcoming library""",
    "shopping": """order shipped delivery receipt tracking package item cart store purchase
        return refund invoice payment card shipping warehouse courier parcel confirmation
        size colour quantity total subtotal customer support""",
    "account": """account password reset security login sign verify email address settings
        device browser notification confirm access admin helpdesk profile username
        authentication code expire request ticket""",
    "pharma": """medicine pharmacy prescription pills tablets doctor health cheap generic
        dosage online drugstore pain relief weight loss capsules treatment shipping
        discreet brand meds supplement order""",
    "watches": """watches replica luxury designer swiss handbags brand quality copy style
        collection gold silver elegant bracelet leather wrist exclusive classic gift
        authentic look""",
    "prize": """winner congratulations prize claim lottery selected reward cash million
        jackpot lucky draw award bonus gift voucher free winning notification
        beneficiary transfer funds""",
    "phishing": """account password verify suspended login security confirm bank unusual
        activity update details credentials locked restore immediately urgent access
        identity billing information click link""",
    "crypto": """crypto token airdrop wallet presale blockchain coin staking defi mint
        election president campaign memecoin launch whitelist exchange listing rally
        holders pump""",
}
TOPIC_WORDS = {k: v.split() for k, v in TOPICS.items()}
PUSH = "click now urgent act offer free limited guaranteed instant best cheap".split()
PROMO = "free buy offer sale discount save deal now limited today exclusive".split()
DAYS = [
    d.replace("_", " ")
    for d in """on_monday on_tuesday on_wednesday on_thursday on_friday tomorrow tonight next_week
        this_afternoon on_friday_morning at_the_weekend in_two_weeks""".split()
]

# Sentence templates. Slots: {t} topic word, {x} rare word, {n} name, {d} day, {k} small number,
# {K} long number, {u} the email's link.
TEMPLATES = {
    "open": ["Hi {n},", "Hello {n},", "Dear {n},", "Hi all,", "Good morning,", "Hey {n}!"],
    "close": [
        "Thanks, {n}",
        "Best regards, {n}",
        "Cheers, {n}",
        "Let me know what you think.",
        "Talk soon.",
        "Kind regards, {n}",
    ],
    "work": [
        "Can we move the {t} {d}?",
        "I attached the {t} for the {t} review.",
        "{n} asked about the {t} for the {x} {t}.",
        "The {t} is due {d}, so please send your {t} before then.",
        "Please review the {t} and add your {t} to the {t}.",
        "Quick update on the {t}: the {t} is on track.",
        "We still need a {t} from the {t} team.",
        "Could you check the numbers in the {t}?",
        "Notes from the {t} are in the shared {t}.",
        "The {x} {t} is now {d}.",
        "Please see the attached invoice for the {t}.",
        "Are you available for a short call {d}?",
    ],
    "personal": [
        "Are you free for {t} {d}?",
        "The kids loved the {t}, thank you!",
        "{n} says hi and sends the {t}.",
        "See you at the {t} {d}!",
        "Here are the {t} from the {t}.",
        "We are thinking of a {t} to {x} in the spring.",
        "Mom wants to know if you are coming to the {t}.",
        "Did you see the {t} {d}?",
        "I found a great {t} recipe, I will bring the {t}.",
        "Call me when you land.",
    ],
    "newsletter": [
        "In this {t}: {x}, {t} and more.",
        "Read the full {t} on our {t}: {u}",
        "Our next {t} is {d}; {k} seats are left.",
        "Thank you to the {k} {t} who answered our {t}.",
        "You are receiving this {t} because you subscribed.",
        "To unsubscribe, click here.",
        "Featured this week: {x} and the {t} {t}.",
        "Join our {t} {t} for {t} and {t}.",
        "Forward this {t} to a friend.",
        "View this message in your browser.",
    ],
    "shopping": [
        "Your {t} has shipped and is on its way.",
        "Order number {K} is confirmed.",
        "Track your {t} with the {t} link: {u}",
        "The {t} total was {k} dollars, {t} included.",
        "Thank you for your {t}!",
        "Your {t} will arrive {d}.",
        "Questions about your {t}? Contact customer support.",
        "Return the {t} within {k} days for a full refund.",
    ],
    "account": [
        "We received a request to reset the password for your account.",
        "If you did not request this, you can ignore this email.",
        "Your verification code is {K}.",
        "A new sign-in to your account from a {t} {d}.",
        "Your {t} settings were updated.",
        "This code will expire in {k} minutes.",
        "For your security, never share this code.",
        "Contact the helpdesk if you need access to the {t}.",
    ],
    "pharma": [
        "Buy {t} online without a prescription.",
        "Cheap {t} and {t}, discreet shipping worldwide.",
        "Best prices on {t} from a licensed {t}.",
        "Order now and save {k} percent on {t}.",
        "Our {t} ships in {k} days, no doctor needed.",
        "Top quality {t} for {t} relief.",
        "Thousands of happy customers trust our {t}: {u}",
    ],
    "watches": [
        "Luxury {t} at a fraction of the price.",
        "{t} {t} that look exactly like the real thing.",
        "Swiss {t} {t}, {k} percent off this week.",
        "Impress everyone with a {t} {t}.",
        "Every {t} comes with a {t} box as a gift.",
        "Nobody will tell the difference from an authentic {t}: {u}",
    ],
    "prize": [
        "Congratulations! Your email was selected as a {t}.",
        "Claim your {t} of {K} dollars now.",
        "You have won the {t} {t} draw.",
        "Contact our agent {n} to claim your {t}.",
        "Send your name and address to receive the {t}.",
        "This {t} expires in {k} days.",
        "You are one of {k} lucky {t} this month: {u}",
    ],
    "phishing": [
        "We detected unusual activity on your account.",
        "Your {t} will be suspended unless you {t} your details.",
        "Please {t} your {t} within {k} hours.",
        "Click the link below to restore {t}: {u}",
        "Failure to {t} will result in {t} of your account.",
        "Our security team noticed a sign-in from a new device.",
        "Sign in to confirm your {t} information: {u}",
    ],
    # Spam that reads like ordinary mail: only its route gives it away, mostly.
    "routing": [
        "Are you available? I need a quick favour.",
        "Kindly reply to my private email.",
        "I have a business proposal that will interest you.",
        "Please see the attached invoice for the {t}.",
        "I found your profile and would like to connect.",
        "Can you handle a {t} for me {d}? I will explain later.",
        "Let me know when you are free to talk.",
        "The {t} payment is overdue, please confirm.",
    ],
    "image": [
        "If you cannot see the image, click here: {u}",
        "Open the picture for details.",
        "View this message in your browser.",
        "See the attached image.",
    ],
    "crypto": [
        "Join the {t} {t} before the whitelist closes.",
        "The {t} {t} launches {d}.",
        "Early holders get a {t} reward.",
        "Connect your wallet to claim the airdrop.",
        "Our {t} is already listed on the exchange.",
        "Do not miss the {t} {t} of the year: {u}",
    ],
    "push": ["Act now!", "Limited offer, order today.", "Click here.", "100% guaranteed."],
    "promo": [
        "Save {k} percent this weekend only.",
        "Free shipping on orders over {k} dollars.",
        "Buy one, get one free.",
        "Limited offer: use code {x} at checkout.",
    ],
}

SUBJECTS = {
    "work": ["{t} {t}", "Re: {t} {t}", "{t} {d}", "Fwd: {t}", "{x} {t}"],
    "personal": ["{t} {d}?", "photos", "Re: {t}", "hi", "{t} with {n}"],
    "newsletter": ["Your {t} {t}", "{t} digest: {x}", "This week in {t}"],
    "shopping": ["Your order {K} has shipped", "Order confirmation", "{t} receipt"],
    "account": ["Reset your password", "Your verification code", "Security alert"],
    "pharma": ["Cheap {t}", "{t} {t} online", "Best {t} prices", "Re: your {t}"],
    "watches": ["{t} {t} sale", "Luxury {t}", "Re: {t}"],
    "prize": ["Congratulations {n}", "You are a {t}!", "{t} notification", "Claim your {t}"],
    "phishing": ["Security alert", "Your account is suspended", "Action required: {t} your {t}"],
    "routing": ["Urgent request", "Quick favour", "Invoice {K}", "Business proposal"],
    "image": ["hi", "hello", "for you", "look", "photos", "info", "re: your request"],
    "crypto": ["{t} {t} is live", "Your {t} {t}", "Last chance: {t}"],
}


def _build_tail(rng: np.random.Generator, size: int) -> list[str]:
    """Rare words and names: pronounceable, unique, drawn once with the vocabulary seed."""
    onsets = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr sh ch th".split()
    vowels = "a e i o u ai ea ou io".split()
    codas = ["", "", "n", "r", "s", "l", "t", "m", "nd", "st", "rk"]
    words: set[str] = set()
    while len(words) < size:
        k = rng.integers(2, 4)
        w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(k)) + rng.choice(codas)
        words.add(w)
    return sorted(words)


_vrng = np.random.default_rng(_VOCAB_SEED)
TAIL = _build_tail(_vrng, 6000)
_vrng.shuffle(TAIL)  # rank in the Zipf law must not follow the alphabet
NAMES = [w.capitalize() for w in TAIL[-150:]]
SYLLABLES = TAIL[:-150]  # also the stems of generated host and domain names


def _cdf(n: int, s: float, offset: int = 0) -> list[float]:
    w = np.cumsum(1.0 / (np.arange(1, n + 1) + offset) ** s)
    return (w / w[-1]).tolist()


# One Zipf law: the tail continues after the common words (rank offset), so its most frequent
# word is about as frequent as the 150th word of English, not a generator artefact in every email.
_COMMON_CDF = _cdf(len(COMMON), 0.9)
_TAIL_CDF = _cdf(len(TAIL), 1.05, offset=150)


def zipf_tail(r: random.Random, k: int) -> list[str]:
    return r.choices(TAIL, cum_weights=_TAIL_CDF, k=k)


def filler(r: random.Random, topic: list[str], n: int) -> str:
    """One sentence of ``n`` words from the Zipf mix of common, topic and rare words."""
    words = r.choices(COMMON, cum_weights=_COMMON_CDF, k=n)
    for i in range(n):
        u = r.random()
        if u < 0.2:
            words[i] = r.choice(topic)
        elif u < 0.4:
            words[i] = r.choices(TAIL, cum_weights=_TAIL_CDF)[0]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def image_tag(r: random.Random, spam: bool) -> str:
    """An inline picture: camera-style names for ham, any style for spam."""
    u = r.random()
    if spam:  # spammers name pictures like cameras do, too
        name = (
            f"image{r.randrange(1, 99)}"
            if u < 0.35
            else f"{r.getrandbits(32):08x}"
            if u < 0.65
            else f"IMG_{r.randrange(1000, 9999)}"
            if u < 0.8
            else f"{r.choice(SYLLABLES)}{r.randrange(10, 999)}"
        )
        ext = r.choices(["png", "gif", "jpg"], cum_weights=[0.4, 0.7, 1.0])[0]
    else:
        name = (
            f"IMG_{r.randrange(1000, 9999)}"
            if u < 0.5
            else f"photo{r.randrange(1, 99)}"
            if u < 0.8
            else f"image{r.randrange(1, 99)}"
        )
        ext = r.choices(["jpg", "png", "gif"], cum_weights=[0.6, 0.9, 1.0])[0]
    return f'<img src="cid:{name}.{ext}">'


class Slots(dict):
    """Fills template slots with fresh random values: ``template.format_map(Slots(...))``."""

    def __init__(self, r: random.Random, topic: list[str], url: str = "", keep: str = ""):
        super().__init__()
        self.r, self.topic, self.url, self.keep = r, topic, url, keep

    def __missing__(self, key: str) -> str:
        r = self.r
        if key in self.keep:
            return "{" + key + "}"
        if key == "t":
            return r.choice(self.topic)
        if key == "x":
            return r.choices(TAIL, cum_weights=_TAIL_CDF)[0]
        if key == "n":
            return r.choice(NAMES)
        if key == "d":
            return r.choice(DAYS)
        if key == "k":
            return str(r.randrange(2, 99))
        if key == "K":
            return str(r.randrange(10_000, 9_999_999))
        if key == "u":
            return self.url
        raise KeyError(key)


# Disguises. Spammers swap letters for look-alikes: digits and symbols, accented letters and
# Unicode homoglyphs (Cyrillic and Greek letters that look Latin). The map is wider than any
# normaliser a lesson writes, on purpose.
LOOKALIKES = {
    "a": "4@àáâäåаɑ",
    "b": "8ß",
    "c": "(çсć",
    "e": "3€èéêëе",
    "g": "9ğ",
    "i": "1!|líìïі",
    "k": "κк",
    "l": "1|ł",
    "o": "0òóôöøоο",
    "p": "рρ",
    "s": "5$zѕš",
    "t": "7+τ",
    "u": "üúùυ",
    "x": "хχ",
    "y": "ýуÿ",
}
_ASCII_LOOKALIKES = {k: "".join(c for c in v if c.isascii()) for k, v in LOOKALIKES.items()}
_ASCII_LOOKALIKES = {k: v for k, v in _ASCII_LOOKALIKES.items() if v}


def misspell(word: str, r: random.Random, *, rate: float = 0.6, unicode: float = 0.3) -> str:
    """Disguise a word the way spammers do ("medicine" -> "m3d_iicіne").

    Look-alike characters (ASCII, and with probability ``unicode`` per word also accented and
    homoglyph letters), doubled letters and separators give so many variants that most appear
    only once: a bag-of-words model cannot learn them, and a normaliser undoes only the part
    of the map it knows. The result always differs from ``word``.
    """
    table = LOOKALIKES if r.random() < unicode else _ASCII_LOOKALIKES
    sep = r.choice("_.-") if r.random() < 0.25 else ""
    out = []
    for ch in word:
        low = ch.lower()
        if low in table and r.random() < rate:
            ch = r.choice(table[low])
        elif r.random() < 0.1:
            ch = ch * 2
        out.append(ch)
        if sep and r.random() < 0.2:
            out.append(sep)
    result = "".join(out).strip("_.-")
    if result == word or not result:
        result = word[0] + r.choice("_.-") + word[1:] if len(word) > 1 else word + word
    return result
