"""Analyses in the portal: specifying, running, storing and publishing evaluations of a
site's outcome data with the pure statistics library in :mod:`evaluations.stats`.

Backend modules: ``data`` (inputs built from observations), ``services`` (create, enqueue,
run, mark stale, publish), ``tasks`` (the background task), ``permissions`` and the Wagtail
admin (``admin_views``, ``wagtail_hooks``). Presentation lives in the sibling modules
``findings``, ``charts``, ``methods`` and ``views``.
"""
