"""Write the TPC-H spec set's value pools (pools/*.json) from the word lists of the TPC-H
specification, clause 4.2.2.13 (the same lists as dbgen's dists.dss).

Comments (clause 4.2.2.10): dbgen builds a text pool of sentences from a small grammar and cuts
each comment out of it at a random offset, with a length uniform in the column's range - so
comments start and end mid-word. specgen has no substring function, so the cutting is done here:
one pool per comment column, each holding comments already cut to that column's length range.
The supplier comments of the Better Business Bureau rule (clause 4.2.3: "Customer%Complaints",
"Customer%Recommends" at a random position) have pools of their own.

    .venv/bin/python specs/examples/tpch/text_pools.py     # rewrites pools/tpch_*.json

The output depends on nothing but this file (Python's Mersenne Twister with a fixed seed, used
through random() only), and a test checks the committed pools against it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SEED = 19920101
PER_POOL = 2000  # comments per pool
TEXT_CHARS = 1 << 20  # the grammar text comments are cut from (dbgen uses 300 MB)

# (word, weight) lists of clause 4.2.2.13.
NOUNS = [("packages", 40), ("requests", 40), ("accounts", 40), ("deposits", 40), ("foxes", 20), ("ideas", 20),
         ("theodolites", 20), ("pinto beans", 20), ("instructions", 20), ("dependencies", 10), ("excuses", 10),
         ("platelets", 10), ("asymptotes", 10), ("courts", 5), ("dolphins", 5), ("multipliers", 1), ("sauternes", 1),
         ("warthogs", 1), ("frets", 1), ("dinos", 1), ("attainments", 1), ("somas", 1), ("Tiresias", 1),
         ("patterns", 1), ("forges", 1), ("braids", 1), ("frays", 1), ("warhorses", 1), ("dugouts", 1),
         ("notornis", 1), ("epitaphs", 1), ("pearls", 1), ("tithes", 1), ("waters", 1), ("orbits", 1), ("gifts", 1),
         ("sheaves", 1), ("depths", 1), ("sentiments", 1), ("decoys", 1), ("realms", 1), ("pains", 1),
         ("grouches", 1), ("escapades", 1), ("hockey players", 1)]
VERBS = [("sleep", 20), ("wake", 20), ("are", 20), ("cajole", 20), ("haggle", 20), ("nag", 10), ("use", 10),
         ("boost", 10), ("affix", 5), ("detect", 5), ("integrate", 5), ("maintain", 1), ("nod", 1), ("was", 1),
         ("lose", 1), ("sublate", 1), ("solve", 1), ("thrash", 1), ("promise", 1), ("engage", 1), ("hinder", 1),
         ("print", 1), ("x-ray", 1), ("breach", 1), ("eat", 1), ("grow", 1), ("impress", 1), ("mold", 1),
         ("poach", 1), ("serve", 1), ("run", 1), ("dazzle", 1), ("snooze", 1), ("doze", 1), ("unwind", 1),
         ("kindle", 1), ("play", 1), ("hang", 1), ("believe", 1), ("doubt", 1)]
ADJECTIVES = [("special", 20), ("pending", 20), ("unusual", 20), ("express", 20), ("furious", 1), ("sly", 1),
              ("careful", 1), ("blithe", 1), ("quick", 1), ("fluffy", 1), ("slow", 1), ("quiet", 1), ("ruthless", 1),
              ("thin", 1), ("close", 1), ("dogged", 1), ("daring", 1), ("brave", 1), ("stealthy", 1),
              ("permanent", 1), ("enticing", 1), ("idle", 1), ("busy", 1), ("regular", 50), ("final", 40),
              ("ironic", 40), ("even", 30), ("bold", 20), ("silent", 10)]
ADVERBS = [("sometimes", 1), ("always", 1), ("never", 1), ("furiously", 50), ("slyly", 50), ("carefully", 50),
           ("blithely", 40), ("quickly", 30), ("fluffily", 20), ("slowly", 1), ("quietly", 1), ("ruthlessly", 1),
           ("thinly", 1), ("closely", 1), ("doggedly", 1), ("daringly", 1), ("bravely", 1), ("stealthily", 1),
           ("permanently", 1), ("enticingly", 1), ("idly", 1), ("busily", 1), ("regularly", 1), ("finally", 1),
           ("ironically", 1), ("evenly", 1), ("boldly", 1), ("silently", 1)]
PREPOSITIONS = [("about", 50), ("above", 50), ("according to", 50), ("across", 50), ("after", 50), ("against", 40),
                ("along", 40), ("alongside of", 30), ("among", 30), ("around", 20), ("at", 10), ("atop", 1),
                ("before", 1), ("behind", 1), ("beneath", 1), ("beside", 1), ("besides", 1), ("between", 1),
                ("beyond", 1), ("by", 1), ("despite", 1), ("during", 1), ("except", 1), ("for", 1), ("from", 1),
                ("in place of", 1), ("inside", 1), ("instead of", 1), ("into", 1), ("near", 1), ("of", 1), ("on", 1),
                ("outside", 1), ("over", 1), ("past", 1), ("since", 1), ("through", 1), ("throughout", 1), ("to", 1),
                ("toward", 1), ("under", 1), ("until", 1), ("up", 1), ("upon", 1), ("without", 1), ("with", 1),
                ("within", 1)]
AUXILIARIES = [("do", 1), ("may", 1), ("might", 1), ("shall", 1), ("will", 1), ("would", 1), ("can", 1), ("could", 1),
               ("should", 1), ("ought to", 1), ("must", 1), ("will have to", 1), ("shall have to", 1),
               ("could have to", 1), ("should have to", 1), ("must have to", 1), ("need to", 1), ("try to", 1)]
TERMINATORS = [(".", 50), (";", 1), (":", 1), ("?", 1), ("!", 1), ("--", 1)]
# Sentence, noun phrase and verb phrase shapes: N noun phrase, V verb phrase, P prepositional
# phrase, T terminator; J adjective, D adverb, X auxiliary. A comma after a symbol is written
# after its word.
GRAMMAR = [("N V T", 3), ("N V P T", 3), ("N V N T", 3), ("N P V N T", 1), ("N P V P T", 1)]
NOUN_PHRASES = [("N", 10), ("J N", 20), ("J, J N", 10), ("D J N", 50)]
VERB_PHRASES = [("V", 30), ("X V", 1), ("V D", 40), ("X V D", 1)]

# P_NAME's words (clause 4.2.3).
COLORS = ("almond antique aquamarine azure beige bisque black blanched blue blush brown burlywood burnished "
          "chartreuse chiffon chocolate coral cornflower cornsilk cream cyan dark deep dim dodger drab firebrick "
          "floral forest frosted gainsboro ghost goldenrod green grey honeydew hot indian ivory khaki lace lavender "
          "lawn lemon light lime linen magenta maroon medium metallic midnight mint misty moccasin navajo navy olive "
          "orange orchid pale papaya peach peru pink plum powder puff purple red rose rosy royal saddle salmon sandy "
          "seashell sienna sky slate smoke snow spring steel tan thistle tomato turquoise violet wheat white "
          "yellow").split()

# Comment columns and their length ranges (clause 4.2.3). Region and nation comments are the
# literal ones dbgen writes (region.yaml, nation.yaml).
COMMENTS = {
    "tpch_p_comment": (5, 22),
    "tpch_s_comment": (25, 100),
    "tpch_ps_comment": (49, 198),
    "tpch_c_comment": (29, 116),
    "tpch_o_comment": (19, 78),
    "tpch_l_comment": (10, 43),
}
BBB_PER_POOL = 200
# The characters of specgen's token generator (URL-safe base64): random v-strings (4.2.2.7) are
# tokens, and the one length a token cannot have (10) is drawn character by character from these.
VCHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    total = sum(w for _, w in weighted)
    r = rng.random() * total
    for value, w in weighted:
        r -= w
        if r < 0:
            return value
    return weighted[-1][0]


def _phrase(rng: random.Random, shapes, words: dict) -> list[str]:
    out = []
    for symbol in _pick(rng, shapes).split():
        out.append(_pick(rng, words[symbol[0]]) + symbol[1:])
    return out


def sentence(rng: random.Random) -> str:
    words: list[str] = []
    nouns = {"N": NOUNS, "J": ADJECTIVES, "D": ADVERBS}
    verbs = {"V": VERBS, "D": ADVERBS, "X": AUXILIARIES}
    for symbol in _pick(rng, GRAMMAR).split():
        if symbol == "N":
            words += _phrase(rng, NOUN_PHRASES, nouns)
        elif symbol == "V":
            words += _phrase(rng, VERB_PHRASES, verbs)
        elif symbol == "P":
            words += [_pick(rng, PREPOSITIONS), "the", *_phrase(rng, NOUN_PHRASES, nouns)]
        else:  # T: the terminator abuts the last word
            words[-1] += _pick(rng, TERMINATORS)
    return " ".join(words)


def text(rng: random.Random, size: int) -> str:
    parts, n = [], 0
    while n < size:
        s = sentence(rng)
        parts.append(s)
        n += len(s) + 1
    return " ".join(parts)[:size]


def cut(rng: random.Random, pool: str, lo: int, hi: int) -> str:
    length = lo + int(rng.random() * (hi - lo + 1))
    start = int(rng.random() * (len(pool) - length + 1))
    return pool[start : start + length]


def bbb(rng: random.Random, pool: str, lo: int, hi: int, word: str) -> str:
    """A supplier comment holding "Customer ... <word>" at a random position, as dbgen writes
    them: the words replace part of an ordinary comment of the column's length."""
    while True:
        base = cut(rng, pool, lo, hi)
        noise = cut(rng, pool, 0, 10)
        insert = f"Customer {noise}{word}"
        if len(insert) <= len(base):
            at = int(rng.random() * (len(base) - len(insert) + 1))
            return base[:at] + insert + base[at + len(insert):]


def build() -> dict[str, list[str]]:
    rng = random.Random(SEED)
    pool = text(rng, TEXT_CHARS)
    out = {name: [cut(rng, pool, lo, hi) for _ in range(PER_POOL)] for name, (lo, hi) in COMMENTS.items()}
    lo, hi = COMMENTS["tpch_s_comment"]
    out["tpch_s_comment_complaints"] = [bbb(rng, pool, lo, hi, "Complaints") for _ in range(BBB_PER_POOL)]
    out["tpch_s_comment_recommends"] = [bbb(rng, pool, lo, hi, "Recommends") for _ in range(BBB_PER_POOL)]
    out["tpch_vchars"] = list(VCHARS)
    out["tpch_colors"] = COLORS
    return out


def render(values: list[str]) -> str:
    return json.dumps(values, indent=0, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    for name, values in build().items():
        (HERE / "pools" / f"{name}.json").write_text(render(values), encoding="utf-8")
