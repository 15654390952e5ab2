"""A bare Django project: the baseline every bench run measures psp against.

What `django-admin startproject` gives (its apps, its default middleware, its template
settings), one app with a list page, served by the same gunicorn, with the same number of
workers, against the same database and connection pool settings as psp, and loaded by the
same client. It reads the demo apprentice's 500 evidence items from psp's own table through
an unmanaged model: `/rows/25/` is a 25-row list page (2 queries: the count and the page),
`/rows/500/` the 500-row page that the big pages (coverage, cohort heatmaps) are compared with.
No sign-in: a bare Django page of an anonymous visitor loads no session and no user.
"""
