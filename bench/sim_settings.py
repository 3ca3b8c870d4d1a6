"""The service's settings and timings that the simulation mirrors (bench/sim_service.py, bench/sim_rounds.py).

Hours and counts as the service has them today (services/health/settings.py
defaults, outreach.py, asking.py, load.py, reengage.py, texting/ask_budget.py),
then the new rules' own figures. Time is whole hours, as in bench/sim_world.py.
"""

from __future__ import annotations

from bench.sim_world import DAY, WEEK

BEST, WIDER, ALERTED, BACKUP = 1, 2, 3, 4
FIRST_ASK, WIDER_ASK, ALERT = 7 * DAY, 3 * DAY, 1 * DAY  # HealthSettings defaults
# A ride on a treatment plan's day: each rung twice as early (outreach.MUST_NOT_FAIL = 2; its alert at
# max(alert_days x 2, 1) days); also the `early` rule's timings for needs few people suit.
EARLY_FIRST, EARLY_WIDER, EARLY_ALERT = 14 * DAY, 6 * DAY, 2 * DAY
BEST_FEW, NEXT_FEW_AFTER, BACKUP_AFTER = 3, 36, 12
LOOK_AHEAD, PENDING_FOR = 30 * DAY, 2 * DAY
ASK_GAP, REENGAGE_QUIET, REENGAGE_EVERY, ARCHIVE_AFTER = 20, 3 * DAY, 8 * WEEK, 6 * WEEK
FAIR_FACTOR, MIN_CAP, LOAD_BACK, LOAD_AHEAD = 2.0, 2, 8 * WEEK, 2 * WEEK
DRIFT_RECENT, UNANSWERED_IN_A_ROW = 3 * WEEK, 3
SMALL_KINDS = ("call", "visit", "errands", "meal")
OFFER_MAX, OFFER_WITHIN = 3, 10 * DAY  # offers: at most three tasks in one text, from the next ten days
HARD_POOL = 8  # early: fewer people than this suit a task
PRIOR_YES = 0.3  # what the service assumes of someone it knows nothing about (the study's acceptance)
ENOUGH_YES = 1.5  # enough: expected yeses the wider rung aims for per open slot
DIGEST_ENOUGH_YES = 1.0  # enough: and the Sunday digests (1.5 covered 0.2 points more for 0.28 more asks per fill)
REPLY_DELAYS = ((0, 0.55), (3, 0.25), (9, 0.12), (24, 0.08))  # hours until a yes arrives, and how often
SINGLE_WAIT = 12  # single: hours to wait for the one person asked before asking the next
STEPS = (8, 11, 14, 17, 20)  # the scheduler's passes while texts may go (quiet hours 21:00-08:00)
