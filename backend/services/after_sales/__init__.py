"""After-sales: cancellation, return, refund and replacement requests, synced like orders and decided from
the sheet before the platform's deadlines (issue 17).

store (the one idempotent way a case enters), sync (by update time, and a webhook's re-read), views (what
the tabs read), decisions (a decision typed into a sheet or approved by finance, sent once), board (the
Pending-Action board), alerts (deadlines reaching Discord), reports (rates) and prefill (exception
templates filled from a case).
"""
