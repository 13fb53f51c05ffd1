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
    ("basic_monthly", 0.40),
    ("pro_monthly", 0.35),
    ("basic_annual", 0.10),
    ("pro_annual", 0.15),
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
SIGNUPS_PER_DAY = 12.0  # at day 0, scale 1
SIGNUP_GROWTH_PER_DAY = 0.012  # +1.2 % of the day-0 rate per day (linear growth)
SIGNUP_NOISE_SIGMA = 0.15  # day-to-day log-normal noise
WEEKDAY_FACTOR = (0.95, 0.95, 0.95, 1.0, 1.05, 1.15, 1.2)  # Monday..Sunday

# ------------------------------------------------------------------ daily hazards (probabilities)
TRIAL_DAYS = 14
TRIAL_START = 0.006  # a free user (age <= 45 days) starts a trial, times their intent
DIRECT_PURCHASE = 0.001  # a free user buys without a trial, times their intent
SIGNUP_DAY_BOOST = 20.0  # both are this much likelier on the day of sign-up
FREE_WINDOW_DAYS = 45  # after this, a never-paying user stops converting
TRIAL_CANCEL = 0.040  # a trialing user cancels (trial then ends at its end date)
CANCEL_MONTHLY = 0.007  # an active monthly subscriber asks to cancel at period end
CANCEL_ANNUAL = 0.0015
CANCEL_PAST_DUE = 0.05  # a past-due subscriber cancels now (open invoice is voided)
UPGRADE_RATE = 0.003
DOWNGRADE_RATE = 0.0015
REFUND_RATE = 0.004  # per succeeded payment in its first 14 days
REFUND_WINDOW_DAYS = 14
REACTIVATE = 0.004  # a churned (not deleted) user starts a new subscription
PROFILE_EDIT = 0.002
SOFT_DELETE = 0.0006  # only users without a live subscription
PAYMENT_FAILURE = 0.08  # a first payment attempt fails
PAYMENT_RETRY_FAILURE = 0.55  # a retry fails (the same card tends to fail again)
PAYMENT_RETRY_DAYS = 3
PAYMENT_MAX_ATTEMPTS = 3
FAILURE_CODES = (("card_declined", 0.5), ("insufficient_funds", 0.35), ("expired_card", 0.15))
