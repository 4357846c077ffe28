"""Briefing files: everything that turns the database into something to hand out or show.

Views (a JSON-able request -> map layers and a frame), the weekly report, the ledgers
(五张清单, 六个清单, park lists), the Word/PDF briefing, the spreadsheet writer and the one
export registry behind the app's buttons and ``python -m riskmap export``.
"""
