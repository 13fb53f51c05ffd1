"""The fixed facts of Sproutly's world: plans, markets, channels, event types, app releases, rates.

Everything that shapes the simulated behaviour lives here as plain constants, so a learner can read
"what kind of company is this?" in one place, and tune it in one place.
"""

from __future__ import annotations

from datetime import date

START_DATE = date(2026, 1, 1)  # day 0 of the simulation
PLANS_CREATED_AT = "2025-06-01 00:00:00"  # the price list predates the simulated window

#: plan_id -> (plan_name, tier, billing_interval, price_cents)
PLANS: dict[str, tuple[str, str, str, int]] = {
    "basic_monthly": ("Basic (monthly)", "basic", "month", 499),
    "basic_annual": ("Basic (annual)", "basic", "year", 4790),
    "pro_monthly": ("Pro (monthly)", "pro", "month", 999),
    "pro_annual": ("Pro (annual)", "pro", "year", 9590),
}
CURRENCY = "USD"
#: the one price change in the window: on this day (00:00 UTC) this plan's list price moves
PRICE_CHANGE_DAY = 60  # 2026-03-02
PRICE_CHANGE = ("pro_monthly", 1099)
#: plans chosen by new subscribers (trial or direct), in this order
PLAN_CHOICE = (
    ("basic_monthly", 0.36),
    ("pro_monthly", 0.29),
    ("basic_annual", 0.15),
    ("pro_annual", 0.20),
)
UPGRADE = {"basic_monthly": "pro_monthly", "basic_annual": "pro_annual"}
DOWNGRADE = {v: k for k, v in UPGRADE.items()}

#: (country_code, IANA timezone, share of sign-ups). Several zones observe DST inside the window:
#: America/* on 2026-03-08, Europe/* on 2026-03-29, Australia/Sydney and Pacific/Auckland end on 04-05.
MARKETS: tuple[tuple[str, str, float], ...] = (
    ("US", "America/New_York", 0.22),
    ("US", "America/Chicago", 0.08),
    ("US", "America/Los_Angeles", 0.12),
    ("CA", "America/Toronto", 0.05),
    ("GB", "Europe/London", 0.10),
    ("DE", "Europe/Berlin", 0.10),
    ("FR", "Europe/Paris", 0.05),
    ("NL", "Europe/Amsterdam", 0.03),
    ("ES", "Europe/Madrid", 0.03),
    ("BR", "America/Sao_Paulo", 0.05),
    ("IN", "Asia/Kolkata", 0.06),
    ("JP", "Asia/Tokyo", 0.03),
    ("AU", "Australia/Sydney", 0.05),
    ("NZ", "Pacific/Auckland", 0.01),
    ("ZA", "Africa/Johannesburg", 0.02),
)
CHANNELS = (("organic", 0.45), ("paid_search", 0.25), ("referral", 0.15), ("social", 0.15))
PLATFORMS = (("ios", 0.48), ("android", 0.42), ("web", 0.10))

#: app releases: (version, first day available). Each user updates after a personal lag.
RELEASES = (("3.2.0", -999), ("3.3.0", 15), ("3.3.2", 40), ("3.4.0", 70), ("3.4.1", 95))

EVENT_TYPES = (
    "app_opened",
    "plant_added",
    "reminder_sent",
    "reminder_completed",
    "photo_uploaded",
    "paywall_viewed",
    "trial_started",
    "subscription_started",
    "subscription_canceled",
)
LIFECYCLE_EVENTS = ("trial_started", "subscription_started", "subscription_canceled")
SPECIES = ("monstera", "pothos", "ficus", "snake_plant", "calathea", "fern", "cactus", "orchid")
REMINDER_TYPES = ("water", "fertilize", "mist", "repot")
PAYWALL_SOURCES = ("plant_limit", "reminders", "settings", "onboarding")

# ------------------------------------------------------------------ volume (per unit of scale)
# Calibrated to public benchmarks for a freemium consumer subscription app: docs/calibration.md
# gives every target, its source and what the course scale measures.
SIGNUPS_PER_DAY = 24.0  # at day 0, scale 1
SIGNUP_GROWTH_PER_DAY = 0.007  # compound: x2.3 over 120 days
SIGNUP_NOISE_SIGMA = 0.12  # day-to-day log-normal noise
SIGNUP_DRIFT_SIGMA = 0.10  # a slower wobble (a 7-day moving average of daily shocks)
WEEKDAY_FACTOR = (0.97, 0.95, 0.95, 0.96, 1.0, 1.13, 1.16)  # Monday..Sunday
#: one marketing spike: a spring campaign from the equinox (2026-03-20). Extra sign-ups are
#: SPIKE_LIFT x the day's base rate on the first day, decaying by half every SPIKE_HALF_LIFE_DAYS;
#: they arrive through the campaign's channel.
SPIKE_DAY = 78
SPIKE_LIFT = 2.2
SPIKE_HALF_LIFE_DAYS = 2.5
SPIKE_CHANNEL = "social"

# ------------------------------------------------------------------ activity (events.py)
#: who stays: a share of sign-ups keep the app for months, the rest try it and leave within days
LONG_STAYER_SHARE = 0.28
LONG_STAYER_LIFETIME_DAYS = 300.0  # mean of an exponential lifetime (flattening retention)
SHORT_STAYER_LIFETIME_DAYS = 4.0
#: while a user keeps the app: share of days active (per-user, mean ~0.24) after a novelty week
ACTIVE_DAY_SHARE = (0.05, 0.45)  # floor + spread x uniform**1.3
NOVELTY_ACTIVE_SHARE = 0.85  # share of days active right after sign-up, fading per user
NOVELTY_DAYS = (2.0, 8.0)  # how fast novelty fades (min + spread x uniform)
WEEKEND_ACTIVITY = 1.15  # Saturday and Sunday (UTC) are busier: plant care happens at home
SUBSCRIBER_ACTIVITY = 1.6  # subscribers are active on more days (and keep the app)
RESURRECT = 0.002  # a user who dropped the app opens it again on a given day

# ------------------------------------------------------------------ daily hazards (probabilities)
TRIAL_DAYS = 14
TRIAL_START_SIGNUP_DAY = 0.075  # most trials start on the day of sign-up (times intent)
TRIAL_START = 0.0006  # a free user (age <= 45 days) starts a trial later, times their intent
DIRECT_PURCHASE_SIGNUP_DAY = 0.009  # buys without a trial on the sign-up day, times intent
DIRECT_PURCHASE = 0.0001
FREE_WINDOW_DAYS = 45  # after this, a never-paying user stops converting
TRIAL_CANCEL_START_DAY = 0.33  # many trialists cancel the auto-renewal within the first hour
TRIAL_CANCEL = 0.030  # a trialing user cancels (trial then ends at its end date)
CANCEL_MONTHLY_FIRST_PERIOD = 0.003  # an active monthly subscriber before the first renewal
CANCEL_MONTHLY = 0.0008  # ... after it (asks to cancel at period end)
CANCEL_ANNUAL = 0.0008
CANCEL_PAST_DUE = 0.05  # a past-due subscriber cancels now (open invoice is voided)
UPGRADE_RATE = 0.003
DOWNGRADE_RATE = 0.0015
REFUND_SHARE = 0.02  # of succeeded payments, refunded within REFUND_WINDOW_DAYS (most in 1-2)
REFUND_WINDOW_DAYS = 14
PARTIAL_REFUND_SHARE = 0.25  # a goodwill credit of part of the charge; the rest are full refunds
PARTIAL_REFUND_FRACTION = 0.5
REACTIVATE = 0.004  # a churned (not deleted) user starts a new subscription
PROFILE_EDIT = 0.002
SOFT_DELETE = 0.0006  # only users without a live subscription
PAYMENT_FAILURE = 0.05  # a first payment attempt fails
PAYMENT_RETRY_FAILURE = 0.60  # a retry fails (the same card tends to fail again)
PAYMENT_RETRY_DAYS = 3
PAYMENT_MAX_ATTEMPTS = 3
FAILURE_CODES = (("card_declined", 0.5), ("insufficient_funds", 0.35), ("expired_card", 0.15))
