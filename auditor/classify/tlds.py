"""Top-level domains accepted in email addresses.

Country-code TLDs are derived from the ``phonenumbers`` region list (ISO 3166 codes)
plus the few ccTLDs that differ from it; generic TLDs are the common IANA ones.
A curated list, not the full IANA root zone: a rare new gTLD is not recognised.
"""

from __future__ import annotations

import phonenumbers

_GENERIC = """
com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat post
app dev io ai co me tv cc ws xyz online site store shop tech cloud digital email live life world today
space website web blog news media agency company business services solutions group global network
systems center support email link click club top vip work fun icu one global plus page studio design
art photo photography music game games love bio eco green city land land london tokyo nyc berlin
paris asia africa academy school college university education institute finance financial bank money
capital fund insurance health care clinic dental doctor hospital law legal tax consulting partners
marketing social chat team zone run best cool fit guru ninja rocks wiki expert tips help ltd llc inc
gmbh sarl limited express delivery market sale deals cheap discount gift gold jewelry fashion style
shoes clothing beauty hair food restaurant cafe bar pub coffee pizza wine beer farm garden house
home homes property properties realty estate rent apartments builders construction engineering
industries international ventures holdings enterprises management email mail im page host hosting
""".split()

_CC_EXTRA = {"uk", "eu", "ac", "su", "tp", "yu"}


def _build() -> frozenset[str]:
    ccs = {r.lower() for r in phonenumbers.SUPPORTED_REGIONS if len(r) == 2}
    return frozenset(ccs | _CC_EXTRA | set(_GENERIC))


TLDS: frozenset[str] = _build()
