"""The talk's claims, one module per chapter (``<module>.py``, named like the chapter's
module), each claim declared with :func:`kscale_lab.talk.claim` and listed by key in the
chapter's registry record. ``planned.py`` holds the claims of chapters not written yet;
``slides.py`` lists every statement of the talk with the claims (or the reason, in
``capstone.NOT_MODELLED``) that cover it.
See :mod:`kscale_lab.talk` for how claims are checked and judged."""
